import { execFileSync } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { formatSchemasCheck, schemasCheck } from './schemas-check.ts'

let repo: string
const sh = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' }).toString()
const v1 = {
  type: 'object',
  additionalProperties: false,
  required: ['campaign_id'],
  properties: { campaign_id: { type: 'string' }, status: { type: 'string', enum: ['draft', 'active'] } },
  'x-kafka': { compatibility: 'BACKWARD' },
}
async function put(file: string, schema: unknown) {
  await writeFile(join(repo, 'schemas', file), JSON.stringify(schema, null, 2))
}

beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'topiq-schemas-check-'))
  await mkdir(join(repo, 'schemas'))
  sh('init', '-q', '-b', 'main')
  sh('config', 'user.email', 't@t')
  sh('config', 'user.name', 't')
  await put('campaign.created.json', v1)
  await put('asset.updated.json', v1)
  sh('add', '.')
  sh('commit', '-qm', 'v1')
})
afterEach(async () => {
  await rm(repo, { recursive: true, force: true })
})

describe('schemas check against git', () => {
  it('passes when nothing changed and for compatible edits', async () => {
    await put('campaign.created.json', { ...v1, properties: { ...v1.properties, note: { type: 'string' } } })
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas') })
    expect(report.ok).toBe(true)
    expect(report.topics.map((t) => [t.topic, t.changes.length, t.comparedVersions])).toEqual([
      ['asset.updated.json', 0, 1],
      ['campaign.created.json', 0, 1],
    ])
  })

  it('fails on a breaking change and reports its JSON path', async () => {
    await put('campaign.created.json', { ...v1, required: ['campaign_id', 'owner'], properties: { ...v1.properties, owner: { type: 'string' } } })
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas') })
    expect(report.ok).toBe(false)
    const text = formatSchemasCheck(report)
    expect(text).toContain('✗ campaign.created.json [BACKWARD, 1 earlier version(s)]: 1 breaking change(s)')
    expect(text).toContain('$.owner  REQUIRED_ADDED')
  })

  it('uses the level in x-kafka, transitive ones against every committed version', async () => {
    const v2 = { ...v1, properties: { ...v1.properties, status: { type: 'string', enum: ['draft', 'active', 'paused'] } }, 'x-kafka': { compatibility: 'FORWARD_TRANSITIVE' } }
    await put('campaign.created.json', v2)
    sh('commit', '-qam', 'v2')
    // v3 adds "archived": consumers still on v1 or v2 cannot read it. Dropping "active"/"paused" is fine for FORWARD.
    await put('campaign.created.json', { ...v2, properties: { ...v1.properties, status: { type: 'string', enum: ['draft', 'archived'] } } })
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'HEAD' })
    const topic = report.topics.find((t) => t.topic === 'campaign.created.json')
    expect(topic?.level).toBe('FORWARD_TRANSITIVE')
    expect(topic?.comparedVersions).toBe(2)
    expect(topic?.changes.map((c) => `${c.path} ${c.rule} ${c.direction}`)).toEqual(['$.status ENUM_VALUE_REMOVED forward'])
  })

  it('reports a removed schema and an unknown ref', async () => {
    await rm(join(repo, 'schemas/asset.updated.json'))
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'main' })
    expect(report.removed).toEqual(['asset.updated.json'])
    expect(report.ok).toBe(false)
    await expect(schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'nope' })).rejects.toThrow(/git ref "nope" not found/)
  })

  it('fails when a topic changes its framing: readers expecting the old wire format break', async () => {
    await put('asset.updated.json', { ...v1, 'x-kafka': { compatibility: 'BACKWARD', framing: 'registry' } })
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas') })
    expect(report.ok).toBe(false)
    expect(report.topics.map((t) => [t.topic, t.framing, t.framingChanged])).toEqual([
      ['asset.updated.json', 'registry', { from: 'json', to: 'registry' }],
      ['campaign.created.json', 'json', undefined],
    ])
    const text = formatSchemasCheck(report)
    expect(text).toContain('✗ asset.updated.json [BACKWARD, 1 earlier version(s)]')
    expect(text).toContain('x-kafka.framing  FRAMING_CHANGED: "json" → "registry": readers of the topic that expect plain JSON cannot read')
    expect(text).toContain('✓ campaign.created.json')
  })

  it('merges the registry verdict', async () => {
    const fakeFetch = (async () => new Response(JSON.stringify({ is_compatible: false, messages: ['#/required: added'] }), { status: 200 })) as unknown as typeof fetch
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), registryUrl: 'http://registry.invalid', fetch: fakeFetch })
    expect(report.ok).toBe(false)
    expect(formatSchemasCheck(report)).toContain('registry: INCOMPATIBLE — #/required: added')
  })
})

describe('schemas check: the default base (issue 12)', () => {
  const breaking = () => put('campaign.created.json', { ...v1, required: ['campaign_id', 'owner'], properties: { ...v1.properties, owner: { type: 'string' } } })

  it('prefers the remote-tracking main over a local main that already holds the breaking commit', async () => {
    // A clone whose origin is the repo above: origin/main is v1; the breaking change is committed on local main.
    const clone = await mkdtemp(join(tmpdir(), 'topiq-schemas-clone-'))
    try {
      execFileSync('git', ['clone', '-q', repo, clone])
      const origin = repo
      repo = clone
      sh('config', 'user.email', 't@t')
      sh('config', 'user.name', 't')
      await breaking()
      sh('commit', '-qam', 'breaking, on local main')
      const report = await schemasCheck({ repoRoot: clone, schemasDir: join(clone, 'schemas') })
      expect(report.base).toBe('merge base of HEAD with origin/HEAD')
      expect(report.ref).toBe(sh('rev-parse', 'origin/main').trim())
      expect(report.ok).toBe(false)
      expect(formatSchemasCheck(report)).toContain('$.owner  REQUIRED_ADDED')
      repo = origin
    } finally {
      await rm(clone, { recursive: true, force: true })
    }
  })

  it('says so when only a local main that contains HEAD is left, instead of passing silently', async () => {
    await breaking()
    sh('commit', '-qam', 'breaking, on local main')
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas') })
    expect(report.base).toBe('merge base of HEAD with local main (no remote-tracking main)')
    expect(report.baseWarning).toMatch(/local main already contains HEAD, so only uncommitted changes are checked/)
    const text = formatSchemasCheck(report)
    expect(text.split('\n')[1]).toMatch(/^! local main already contains HEAD/)
    expect(text).not.toContain('all schema changes are compatible')
    // A feature branch off local main is compared with the fork point, and no warning is needed.
    sh('checkout', '-qb', 'feature', 'HEAD~1')
    await put('asset.updated.json', { ...v1, required: ['campaign_id', 'x'], properties: { ...v1.properties, x: { type: 'string' } } })
    sh('commit', '-qam', 'breaking, on a branch')
    const onBranch = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas') })
    expect(onBranch.baseWarning).toBeUndefined()
    expect(onBranch.ok).toBe(false)
    expect(formatSchemasCheck(onBranch)).toContain('(merge base of HEAD with local main (no remote-tracking main))')
  })

  it('names an explicit --against', async () => {
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'main' })
    expect(formatSchemasCheck(report).split('\n')[0]).toMatch(/^schemas check against main \(--against main\)$/)
  })
})

describe('schemas check follows shared definitions (issue 12)', () => {
  const money = { type: 'object', additionalProperties: false, required: ['amount', 'currency'], properties: { amount: { type: 'number' }, currency: { $ref: 'currency.json' } } }
  const currency = { type: 'string', pattern: '^[A-Z]{3}$' }
  const withBudget = { ...v1, properties: { ...v1.properties, budget: { $ref: 'defs/money.json' } } }

  beforeEach(async () => {
    await mkdir(join(repo, 'schemas/defs'))
    await put('defs/money.json', money)
    await put('defs/currency.json', currency)
    await put('campaign.created.json', withBudget)
    await put('asset.updated.json', withBudget)
    sh('add', '.')
    sh('commit', '-qm', 'budgets are Money')
  })

  it('reports a breaking change in a definition for every topic that uses it, with the data path', async () => {
    await put('defs/currency.json', { ...currency, pattern: '^(EUR|USD)$' })
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'HEAD' })
    expect(report.ok).toBe(false)
    expect(report.topics.map((t) => [t.topic, t.uses, t.changes.map((c) => `${c.path} ${c.rule}`)])).toEqual([
      ['asset.updated.json', ['defs/currency.json', 'defs/money.json'], ['$.budget.currency PATTERN_CHANGED']],
      ['campaign.created.json', ['defs/currency.json', 'defs/money.json'], ['$.budget.currency PATTERN_CHANGED']],
    ])
    expect(formatSchemasCheck(report)).toContain('✗ campaign.created.json [BACKWARD, 1 earlier version(s), uses defs/currency.json, defs/money.json]: 1 breaking change(s)')
  })

  it('passes a compatible definition change, and a topic that stops using a definition is compared by content', async () => {
    await put('defs/money.json', { ...money, properties: { ...money.properties, note: { type: 'string' } }, additionalProperties: true })
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'HEAD' })
    expect(report.topics.map((t) => t.changes.length)).toEqual([0, 0])
    // Inlining the same definition by hand is no change at all.
    await put('defs/money.json', money)
    await put('campaign.created.json', { ...v1, properties: { ...v1.properties, budget: { ...money, properties: { ...money.properties, currency } } } })
    const inlined = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'HEAD' })
    expect(inlined.ok).toBe(true)
    expect(inlined.topics.find((t) => t.topic === 'campaign.created.json')?.uses).toEqual([])
  })
})
