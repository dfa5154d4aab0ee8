// The codegen loop as a user runs it, in a throwaway copy of this repository (its working tree, committed there so
// turbo sees tracked files as in a real clone): `pnpm codegen` twice, schemas switched in and out by editing and by
// switching branches, and after each run the tree and turbo's view of the task (`turbo run codegen --dry=json`).
import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const GENERATED = 'packages/contracts/src/generated'
const order = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['order_id'],
  properties: { order_id: { type: 'string', minLength: 1 } },
  'x-kafka': { key: 'order_id' },
}

let root: string
function run(cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: 'pipe', env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', CI: '' } })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${cmd} ${args.join(' ')} failed in ${root}:\n${stdout ?? ''}${stderr ?? ''}`, { cause: error })
  }
}
const git = (...args: string[]) => run('git', args)

interface DryTask {
  taskId: string
  cache: { status: string }
  inputs: Record<string, string>
}

function codegen(): { emit: string; sync: string } {
  const out = run('pnpm', ['turbo', 'run', 'codegen', '--filter', '@topiq/contracts', '--output-logs', 'full'])
  const emit = out.split('\n').find((l) => /@topiq\/contracts:codegen:emit: cache (hit|miss)/.test(l)) ?? ''
  const sync = out.split('\n').filter((l) => l.startsWith('@topiq/contracts:codegen: contracts')).join('\n')
  return { emit, sync }
}

function dry(): Map<string, DryTask> {
  const summary = JSON.parse(run('pnpm', ['turbo', 'run', 'codegen', '--filter', '@topiq/contracts', '--dry=json'])) as { tasks: DryTask[] }
  return new Map(summary.tasks.map((t) => [t.taskId, t]))
}

/** Paths under src/generated that differ from the last commit (modified, deleted or untracked). */
const drift = () => git('status', '--porcelain', '--untracked-files=all', '--', GENERATED).trim()

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'topiq-codegen-loop-'))
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean)
  for (const file of files) {
    await mkdir(dirname(join(root, file)), { recursive: true })
    await cp(join(repoRoot, file), join(root, file)).catch(() => undefined) // deleted in the working tree: skip
  }
  git('init', '-q', '-b', 'main')
  git('config', 'user.email', 't@t')
  git('config', 'user.name', 't')
  git('add', '-A')
  git('commit', '-qm', 'copy of the working tree')
  // Same lockfile, packages from the store this machine already has: no network.
  run('pnpm', ['install', '--offline', '--no-frozen-lockfile', '--silent'])
}, 120_000)

afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true })
})

describe('pnpm codegen under turbo (issue 12)', () => {
  it('hashes schemas and codegen sources, never the generated files; the second run is a cache hit', () => {
    const first = codegen()
    expect(first.sync).toBe('@topiq/contracts:codegen: contracts unchanged')
    expect(drift()).toBe('')
    const tasks = dry()
    const emit = tasks.get('@topiq/contracts#codegen:emit')
    expect(emit?.cache.status).toBe('HIT')
    for (const task of tasks.values()) expect(Object.keys(task.inputs).filter((f) => f.includes('src/generated'))).toEqual([])
    expect(Object.keys(emit?.inputs ?? {})).toContain('../../schemas/campaign.created.json')
    expect(codegen().emit).toMatch(/cache hit/)
  }, 120_000)

  it('add → remove → add → remove a schema across cache hits leaves the tree equal to the committed one', async () => {
    const schema = join(root, 'schemas/order.placed.json')
    await writeFile(schema, JSON.stringify(order, null, 2))
    const added = codegen()
    expect(added.emit).toMatch(/cache miss/)
    expect(added.sync).toContain('order.placed.json.ts')
    expect(await readFile(join(root, GENERATED, 'types.ts'), 'utf8')).toContain("export type { OrderPlaced } from './order.placed.json.ts'")
    // The new topic's type is importable by name from the package right after codegen.
    // (Only this file: the package's own type tests pin today's topic list on purpose.)
    await writeFile(join(root, 'packages/contracts/src/scratch.ts'), "import type { OrderPlaced } from './index.ts'\nexport const o: OrderPlaced = { order_id: 'o-1' }\n")
    await writeFile(join(root, 'packages/contracts/tsconfig.scratch.json'), JSON.stringify({ extends: './tsconfig.json', include: ['src/scratch.ts'] }))
    run('pnpm', ['--dir', 'packages/contracts', 'exec', 'tsc', '--noEmit', '-p', 'tsconfig.scratch.json'])
    await writeFile(join(root, 'packages/contracts/src/scratch.ts'), "import type { OrderPlaced } from './index.ts'\nexport const o: OrderPlaced = { order_id: 1 }\n")
    expect(() => run('pnpm', ['--dir', 'packages/contracts', 'exec', 'tsc', '--noEmit', '-p', 'tsconfig.scratch.json'])).toThrow(/scratch.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/)
    await rm(join(root, 'packages/contracts/src/scratch.ts'))
    await rm(join(root, 'packages/contracts/tsconfig.scratch.json'))

    await rm(schema)
    const removed = codegen()
    expect(removed.emit).toMatch(/cache hit/) // the hash of the committed schemas: replayed, not rerun
    expect(removed.sync).toContain('order.placed.json.validate.js')
    expect(drift()).toBe('')

    await writeFile(schema, JSON.stringify(order, null, 2))
    expect(codegen().emit).toMatch(/cache hit/)
    expect(drift()).toContain('order.placed.json.ts')
    await rm(schema)
    expect(codegen().emit).toMatch(/cache hit/)
    expect(drift()).toBe('')
    // Removing a schema does not break the build: nothing names a topic type by hand.
    run('pnpm', ['--filter', '@topiq/contracts', 'typecheck'])
  }, 180_000)

  it('switching to a branch without a schema (and back) leaves each branch\'s committed tree', async () => {
    git('checkout', '-qb', 'with-order')
    await writeFile(join(root, 'schemas/order.placed.json'), JSON.stringify(order, null, 2))
    codegen()
    git('add', '-A')
    git('commit', '-qm', 'order.placed.json')
    git('checkout', '-q', 'main')
    expect(codegen().emit).toMatch(/cache hit/)
    expect(drift()).toBe('')
    git('checkout', '-q', 'with-order')
    expect(codegen().emit).toMatch(/cache hit/)
    expect(drift()).toBe('')
    git('checkout', '-q', 'main')
  }, 180_000)
})
