import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
const schema = (extra: Record<string, unknown> = {}) => ({
  type: 'object',
  additionalProperties: false,
  required: ['order_id'],
  properties: { order_id: { type: 'string' }, ...extra },
})

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'topiq-codegen-cli-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('topiq-codegen generate --watch', () => {
  it('regenerates when a schema is saved', async () => {
    await writeFile(join(dir, 'order.placed.json'), JSON.stringify(schema()))
    const out = join(dir, 'out')
    const child = spawn(process.execPath, [cli, 'generate', '--schemas', dir, '--out', out, '--watch'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const typeFile = join(out, 'order.placed.json.ts')
    try {
      await waitFor(async () => output.includes('watching'), 'the watcher to start')
      expect(await readFile(typeFile, 'utf8')).not.toContain('note')
      await writeFile(join(dir, 'order.placed.json'), JSON.stringify(schema({ note: { type: 'string' } })))
      await waitFor(async () => (await readFile(typeFile, 'utf8')).includes('note?: string'), 'the regenerated type')
      // A broken save is reported and leaves the last good output in place; the watcher keeps running.
      await writeFile(join(dir, 'order.placed.json'), '{ "type": ')
      await waitFor(async () => output.includes('order.placed.json: not valid JSON'), 'the error report')
      expect(await readFile(typeFile, 'utf8')).toContain('note?: string')
      expect(child.exitCode).toBeNull()
    } finally {
      child.kill('SIGTERM')
    }
  }, 30_000)
})
