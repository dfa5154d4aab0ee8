// The contracts package as a team outside this monorepo would get it: `pnpm build`, `pnpm pack` (which applies
// `publishConfig`), then publint and @arethetypeswrong/cli on the tarball, and a consumer project that installs the
// tarball, type-checks against it (nodenext and bundler resolution) and runs it with Node.
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const pkgDir = fileURLToPath(new URL('..', import.meta.url))
const bin = (name: string) => join(pkgDir, 'node_modules', '.bin', name)
let work: string

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'topiq-contracts-pack-'))
  await run('pnpm', ['run', 'build'], { cwd: pkgDir })
}, 120_000)

afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

/** `pnpm pack` of `dir` into a fresh folder; returns the tarball path. */
async function pack(dir: string): Promise<string> {
  const out = await mkdtemp(join(work, 'tgz-'))
  await run('pnpm', ['pack', '--pack-destination', out], { cwd: dir })
  const [file] = await readdir(out)
  if (file === undefined) throw new Error(`pnpm pack wrote no tarball for ${dir}`)
  return join(out, file)
}

/** Every problem publint and attw report for a packed package, as readable lines; [] when it is publishable. */
async function packageProblems(dir: string, tarball: string): Promise<string[]> {
  const problems: string[] = []
  const data = await readFile(tarball)
  const { messages, pkg } = await publint({ pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) }, strict: true })
  for (const m of messages) problems.push(`publint ${m.type} ${m.code}: ${formatMessage(m, pkg) ?? ''}`)
  // ESM-only on purpose: CommonJS `require` and TypeScript's legacy node10 resolution are out of scope.
  const attw = await run(bin('attw'), [tarball, '--profile', 'esm-only', '--no-color', '--no-emoji'], { cwd: dir }).then(
    () => undefined,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  )
  if (attw !== undefined) problems.push(`attw: ${attw}`)
  return problems
}

async function unpackInto(tarball: string, nodeModules: string, name: string): Promise<string> {
  const target = join(nodeModules, ...name.split('/'))
  await mkdir(target, { recursive: true })
  await run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'])
  return target
}

describe('@topiq/contracts as a published package', () => {
  it('passes publint (strict) and @arethetypeswrong/cli (ESM: node16 and bundler resolution)', async () => {
    const tarball = await pack(pkgDir)
    expect(await packageProblems(pkgDir, tarball)).toEqual([])
  }, 60_000)

  it('ships an exports map with ./package.json, no source-only condition, and every target in the tarball', async () => {
    const tarball = await pack(pkgDir)
    const unpacked = await unpackInto(tarball, join(work, 'inspect'), '@topiq/contracts')
    const manifest = JSON.parse(await readFile(join(unpacked, 'package.json'), 'utf8')) as { type: string; exports: Record<string, unknown>; devDependencies?: Record<string, string> }
    expect(manifest.type).toBe('module')
    expect(manifest.exports).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' }, './package.json': './package.json' })
    expect(Object.values(manifest.devDependencies ?? {}).filter((v) => v.startsWith('workspace:'))).toEqual([])
  }, 60_000)

  it('type-checks and runs in a consumer project outside the monorepo', async () => {
    const app = join(work, 'consumer')
    const nodeModules = join(app, 'node_modules')
    await unpackInto(await pack(pkgDir), nodeModules, '@topiq/contracts')
    // The tarball's runtime dependencies (and @types/node, which any Node consumer has), as an install would add them.
    for (const dep of ['ajv', 'ajv-formats', '@types/node']) {
      await mkdir(join(nodeModules, ...dep.split('/').slice(0, -1)), { recursive: true })
      await symlink(await realpath(join(pkgDir, 'node_modules', dep)), join(nodeModules, dep))
    }
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))
    await writeFile(
      join(app, 'main.ts'),
      [
        "import { assertValid, isContractError, TOPICS, type CampaignCreated, type TopicName } from '@topiq/contracts'",
        "const event: CampaignCreated = { campaign_id: 'c-1', name: 'Summer', created_at: '2024-01-15T10:00:00Z' }",
        "assertValid('campaign.created.json', event)",
        "// @ts-expect-error name is required: the published types carry the schema",
        "const missing: CampaignCreated = { campaign_id: 'c-1', created_at: 'yesterday' }",
        'const topics: readonly TopicName[] = TOPICS',
        'try {',
        "  assertValid('campaign.created.json', missing)",
        "  console.log('accepted')",
        '} catch (error) {',
        "  console.log(isContractError(error) ? `${error.code} ${error.violations.map((v) => v.path).join(',')} ${topics.length}` : String(error))",
        '}',
      ].join('\n'),
    )
    const base = { strict: true, noEmit: true, skipLibCheck: false, types: ['node'], target: 'es2023', lib: ['es2023'], verbatimModuleSyntax: true }
    for (const [name, options] of [
      ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
      ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ] as const) {
      await writeFile(join(app, `tsconfig.${name}.json`), JSON.stringify({ compilerOptions: { ...base, ...options }, files: ['main.ts'] }))
      const checked = await run(bin('tsc'), ['-p', `tsconfig.${name}.json`], { cwd: app }).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? 'tsc failed',
      )
      expect(checked, `tsc with ${name} resolution`).toBe('')
    }
    const { stdout } = await run(process.execPath, ['main.ts'], { cwd: app })
    expect(stdout.trim()).toBe('INVALID_PAYLOAD $.name,$.created_at 3')
  }, 60_000)

  it('the checks do fail on a broken package (a main that is not packed, CommonJS types for ESM code)', async () => {
    const broken = join(work, 'broken')
    await mkdir(join(broken, 'dist'), { recursive: true })
    await writeFile(join(broken, 'dist', 'index.js'), 'export const x = 1\n')
    await writeFile(join(broken, 'dist', 'index.d.cts'), 'export declare const x: number\n')
    await writeFile(
      join(broken, 'package.json'),
      JSON.stringify({ name: 'broken', version: '1.0.0', type: 'module', main: './dist/index.cjs', exports: { '.': { types: './dist/index.d.cts', default: './dist/index.js' } }, files: ['dist'] }),
    )
    const problems = await packageProblems(broken, await pack(broken))
    expect(problems.find((p) => p.startsWith('publint'))).toMatch(/FILE_DOES_NOT_EXIST/)
    expect(problems.find((p) => p.startsWith('attw'))).toMatch(/CommonJS type declaration file, but an ESM JavaScript file/)
  }, 60_000)
})
