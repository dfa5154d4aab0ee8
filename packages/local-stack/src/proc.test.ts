import { spawn } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isOurs, pidExists, portFree, processMarker, readPid, spawnDetached, stopProcess, tail, writePid } from './proc.ts'

describe('process bookkeeping', () => {
  it('recognises its own process by the marker and stops it by pid with SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-stack-proc-'))
    const marker = processMarker('test', dir)
    const child = spawnDetached({ command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)', '--', marker], cwd: dir, logFile: join(dir, 'out.log') })
    try {
      await new Promise((r) => setTimeout(r, 200))
      expect(pidExists(child.pid)).toBe(true)
      expect(isOurs(child.pid, marker)).toBe(true)
      expect(isOurs(child.pid, processMarker('other', dir))).toBe(false)
      await writePid(join(dir, 'x.pid'), child.pid)
      expect(await readPid(join(dir, 'x.pid'))).toBe(child.pid)
      expect(await stopProcess(child.pid, marker, 5000)).toBe('terminated')
      expect(isOurs(child.pid, marker)).toBe(false)
      expect(await stopProcess(child.pid, marker, 5000)).toBe('not-running')
    } finally {
      if (pidExists(child.pid)) process.kill(child.pid, 'SIGKILL')
    }
  })

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-stack-proc-'))
    const marker = processMarker('stubborn', dir)
    const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)", '--', marker], { stdio: 'ignore' })
    await new Promise((r) => setTimeout(r, 300))
    const pid = child.pid ?? 0
    expect(await stopProcess(pid, marker, 500)).toBe('killed')
    expect(isOurs(pid, marker)).toBe(false)
  })

  it('tails files and tells free ports from taken ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-stack-proc-'))
    writeFileSync(join(dir, 'a.log'), Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n')
    expect((await tail(join(dir, 'a.log'), 3)).split('\n')).toEqual(['line 28', 'line 29', 'line 30'])
    expect(await tail(join(dir, 'missing.log'), 3)).toBe('')
    expect(await readPid(join(dir, 'missing.pid'))).toBeUndefined()

    const srv = createServer()
    await new Promise<void>((r) => srv.listen({ host: '127.0.0.1', port: 0 }, r))
    const addr = srv.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : 0
    expect(await portFree('127.0.0.1', port)).toBe(false)
    await new Promise<void>((r) => srv.close(() => r()))
    expect(await portFree('127.0.0.1', port)).toBe(true)
  })
})
