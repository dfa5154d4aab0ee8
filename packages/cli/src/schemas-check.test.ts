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
