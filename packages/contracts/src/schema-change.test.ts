import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { generate, writeGenerated } from '@topiq/codegen'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The scripted check behind "a schema change reaches dependent code": a dependent app is compiled against contracts
// generated from the committed schemas (compiles), then from a schema with a new required field (does not).

const run = promisify(execFile)
const packageDir = fileURLToPath(new URL('..', import.meta.url))
const repoRoot = join(packageDir, '../..')
const tsc = join(repoRoot, 'node_modules/.bin/tsc')

const app = `import type { Publish } from '../contracts/index.ts'
declare const publish: Publish
export async function announce(): Promise<void> {
  await publish('campaign.created.json', { campaign_id: '123', name: 'Summer', created_at: '2024-01-15T10:00:00Z' })
}
`

let work: string

async function buildContracts(schemasDir: string): Promise<void> {
  await writeGenerated(join(work, 'contracts/generated'), await generate(schemasDir))
}

async function typecheck(): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(tsc, ['--noEmit', '-p', join(work, 'tsconfig.json')], { cwd: work })
    return { code: 0, output: stdout }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, output: e.stdout + e.stderr }
  }
}

beforeAll(async () => {
  // Inside the package so that `ajv` type imports resolve through its node_modules.
  work = await mkdtemp(join(packageDir, '.schema-change-'))
  await mkdir(join(work, 'app'), { recursive: true })
  await cp(join(repoRoot, 'schemas'), join(work, 'schemas'), { recursive: true })
  for (const file of ['index.ts', 'errors.ts', 'validate.ts', 'publish.ts']) {
    await cp(join(packageDir, 'src', file), join(work, 'contracts', file))
  }
  await writeFile(join(work, 'app/app.ts'), app)
  await writeFile(
    join(work, 'tsconfig.json'),
    JSON.stringify({ extends: join(repoRoot, 'tsconfig.base.json'), compilerOptions: { noEmit: true }, include: ['app', 'contracts'] }),
  )
})

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('schema change → compile error in a dependent package', () => {
  it('compiles against the committed schemas', async () => {
    await buildContracts(join(work, 'schemas'))
    const result = await typecheck()
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  }, 60_000)

  it('fails to compile once the schema requires a field the app does not send', async () => {
    const file = join(work, 'schemas/campaign.created.json')
    const schema = JSON.parse(await readFile(file, 'utf8')) as { required: string[]; properties: Record<string, unknown> }
    schema.required.push('channel')
    schema.properties['channel'] = { type: 'string', enum: ['email', 'social'] }
    await writeFile(file, JSON.stringify(schema))
    await buildContracts(join(work, 'schemas'))
    const generatedType = await readFile(join(work, 'contracts/generated/campaign.created.json.ts'), 'utf8')
    expect(generatedType).toMatch(/channel: "email" \| "social";/)
    const result = await typecheck()
    expect(result.code).not.toBe(0)
    expect(result.output).toMatch(/app\/app\.ts\(4,\d+\): error TS\d+: .*'channel'/)
  }, 60_000)
})
