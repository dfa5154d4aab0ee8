// Process bookkeeping: detached JVMs, pid files, "is this pid still the process we started", stop by pid, log tails.
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'

/** Whether a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The command line of a running (non-zombie) process, or undefined. */
export function commandLine(pid: number): string | undefined {
  const proc = `/proc/${pid}/cmdline`
  if (existsSync('/proc/self/cmdline')) {
    try {
      const raw = readFileSync(proc, 'utf8')
      return raw === '' ? undefined : raw.split('\0').join(' ')
    } catch {
      return undefined
    }
  }
  const r = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' })
  const out = r.status === 0 ? r.stdout.trim() : ''
  return out === '' ? undefined : out
}

/**
 * The system property every JVM of the stack carries (`-Dtopiq.stack=<component>@<stackDir>`): a pid counts as ours
 * only while its command line still has it, so a recycled pid is never signalled.
 */
export function processMarker(component: string, stackDir: string): string {
  return `-Dtopiq.stack=${component}@${stackDir}`
}

export function isOurs(pid: number, marker: string): boolean {
  if (!pidExists(pid)) return false
  const cmd = commandLine(pid)
  return cmd !== undefined && cmd.includes(marker)
}

export async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, 'utf8')).trim())
    return Number.isInteger(n) && n > 0 ? n : undefined
  } catch {
    return undefined
  }
}

export async function writePid(file: string, pid: number): Promise<void> {
  await writeFile(file, `${pid}\n`)
}

export interface DetachedSpec {
  readonly command: string
  readonly args: readonly string[]
  readonly cwd: string
  /** stdout and stderr go here (truncated first). */
  readonly logFile: string
  readonly env?: NodeJS.ProcessEnv
}

export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

export interface DetachedProcess {
  readonly pid: number
  /** How the process ended, if it ended while this Node process was still watching. */
  readonly exit: () => ExitInfo | undefined
}

/** Starts a process in its own session/process group with stdio in a log file, not tied to this Node process. */
export function spawnDetached(spec: DetachedSpec): DetachedProcess {
  const fd = openSync(spec.logFile, 'w')
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: spec.env ?? process.env,
    })
    let exit: ExitInfo | undefined
    let spawnError: Error | undefined
    child.on('error', (e) => {
      spawnError = e
    })
    child.on('exit', (code, signal) => {
      exit = { code, signal }
    })
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}${spawnError ? `: ${spawnError.message}` : ''}`)
    child.unref()
    return { pid: child.pid, exit: () => exit }
  } finally {
    closeSync(fd)
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function waitForExit(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!isOurs(pid, marker)) return true
    await sleep(200)
  }
  return !isOurs(pid, marker)
}

/** SIGTERM, then SIGKILL after graceMs. Only signals the pid while it still carries our marker. */
export async function stopProcess(pid: number, marker: string, graceMs: number): Promise<'not-running' | 'terminated' | 'killed'> {
  if (!isOurs(pid, marker)) return 'not-running'
  try {
    process.kill(pid, 'SIGTERM')
  } catch {
    return 'not-running'
  }
  if (await waitForExit(pid, marker, graceMs)) return 'terminated'
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
  await waitForExit(pid, marker, 10_000)
  return 'killed'
}

/** The last n lines of a file ('' when missing). */
export async function tail(file: string, n: number): Promise<string> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return ''
  }
  const lines = text.replace(/\n$/, '').split('\n')
  return lines.slice(-n).join('\n')
}

/** Resolves to true when host:port can be bound right now (nobody listens there). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen({ host, port, exclusive: true }, () => {
      srv.close(() => resolve(true))
    })
  })
}

/** A port the OS says is free on `host` right now (bound to port 0, read, released). */
export function ephemeralPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen({ host, port: 0, exclusive: true }, () => {
      const address = srv.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error(`no free port on ${host}`))))
    })
  })
}

export async function removeFile(file: string): Promise<void> {
  await rm(file, { force: true })
}

/** Runs a command to its end, collecting stdout and stderr together (storage formatting, short tools). */
export function runToCompletion(command: string, args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}
