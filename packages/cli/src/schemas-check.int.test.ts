// Shared definitions against the real Apicurio registry (Confluent-compatible API): topic schemas that `$ref`
// defs/money.json (which `$ref`s currency.json) are registered with Confluent schema references, resolved back
// through the registry, and a breaking change in the shared definition is reported by `schemas check` for every
// topic that uses it, offline and by the registry.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RegistryClient, definitionSubjectOf, registryAjv, subjectOf } from '@topiq/kafka-core'
import { uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { formatSchemasCheck, schemasCheck } from './schemas-check.ts'

const { registryUrl } = connectionInfo()
const prefix = uniquePrefix('cli-refs')
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#'
const currency = { $schema: DRAFT_07, type: 'string', pattern: '^[A-Z]{3}$' }
const money = {
  $schema: DRAFT_07,
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'currency'],
  properties: { amount: { type: 'number', minimum: 0 }, currency: { $ref: 'currency.json' } },
}
const topic = (id: string) => ({
  $schema: DRAFT_07,
  type: 'object',
  additionalProperties: false,
  required: [id],
  properties: { [id]: { type: 'string' }, budget: { $ref: 'defs/money.json' } },
})
const TOPICS = { 'campaign.created.json': topic('campaign_id'), 'asset.updated.json': topic('asset_id') } as const
const definitions = { 'defs/money.json': { schema: money }, 'defs/currency.json': { schema: currency } }

let repo: string
const ids = new Map<string, number>()
const client = new RegistryClient({ url: registryUrl }, prefix)

async function ccompat(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${registryUrl}${path}`)
  expect(response.status, path).toBe(200)
  return (await response.json()) as Record<string, unknown>
}

beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'topiq-schemas-refs-'))
  await mkdir(join(repo, 'schemas/defs'), { recursive: true })
  await writeFile(join(repo, 'schemas/defs/money.json'), JSON.stringify(money))
  await writeFile(join(repo, 'schemas/defs/currency.json'), JSON.stringify(currency))
  for (const [file, schema] of Object.entries(TOPICS)) {
    await writeFile(join(repo, 'schemas', file), JSON.stringify({ ...schema, 'x-kafka': { compatibility: 'BACKWARD', framing: 'registry' } }))
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, stdio: 'pipe' })
  git('init', '-q', '-b', 'main')
  git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'empty')
  git('add', '.')
  git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'budgets are Money')
  for (const [file, schema] of Object.entries(TOPICS)) {
    ids.set(file, await client.registerSchema(subjectOf(file, prefix), schema, { file, compatibility: 'BACKWARD', definitions }))
  }
})

afterAll(async () => {
  await rm(repo, { recursive: true, force: true })
})

describe('shared definitions in registry mode (issue 12)', () => {
  it('registers each definition once under its own subject, and topics with Confluent references to it', async () => {
    const moneySubject = definitionSubjectOf('defs/money.json', prefix)
    const moneyLatest = await ccompat(`/subjects/${moneySubject}/versions/latest`)
    expect(moneyLatest['version']).toBe(1)
    expect(moneyLatest['references']).toEqual([{ name: 'currency.json', subject: definitionSubjectOf('defs/currency.json', prefix), version: 1 }])
    for (const file of Object.keys(TOPICS)) {
      const byId = await ccompat(`/schemas/ids/${ids.get(file)}`)
      expect(byId['references']).toEqual([{ name: 'defs/money.json', subject: moneySubject, version: 1 }])
    }
    // Registering again finds the same versions: no new ones.
    const again = await new RegistryClient({ url: registryUrl }, prefix).registerSchema(subjectOf('asset.updated.json', prefix), TOPICS['asset.updated.json'], {
      file: 'asset.updated.json',
      compatibility: 'BACKWARD',
      definitions,
    })
    expect(again).toBe(ids.get('asset.updated.json'))
    expect(await ccompat(`/subjects/${moneySubject}/versions`)).toEqual([1])
  })

  it('resolves a topic schema and its references through the registry into a working validator', async () => {
    const resolved = await client.resolveById(ids.get('campaign.created.json') ?? -1)
    expect([...resolved.references.keys()].sort()).toEqual(['defs/currency.json', 'defs/money.json'])
    const ajv = registryAjv()
    for (const [path, schema] of resolved.references) ajv.addSchema(schema, path)
    const validate = ajv.compile(resolved.schema)
    expect(validate({ campaign_id: 'c-1', budget: { amount: 5, currency: 'EUR' } })).toBe(true)
    expect(validate({ campaign_id: 'c-1', budget: { amount: 5, currency: 'euro' } })).toBe(false)
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(['/budget/currency pattern'])
  })

  it('a breaking change in the shared definition is flagged for each topic that uses it, offline and by the registry', async () => {
    await writeFile(join(repo, 'schemas/defs/money.json'), JSON.stringify({ ...money, properties: { ...money.properties, amount: { type: 'string' } } }))
    const report = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'HEAD', registryUrl, topicPrefix: prefix })
    expect(report.ok).toBe(false)
    expect(report.topics.map((t) => [t.topic, t.changes.map((c) => `${c.path} ${c.rule}`), t.registry?.compatible])).toEqual([
      ['asset.updated.json', ['$.budget.amount TYPE_NARROWED'], false],
      ['campaign.created.json', ['$.budget.amount TYPE_NARROWED'], false],
    ])
    const text = formatSchemasCheck(report)
    expect(text).toContain('✗ asset.updated.json [BACKWARD, 1 earlier version(s), uses defs/currency.json, defs/money.json]')
    expect(text).toContain('registry: INCOMPATIBLE — the registry cannot judge schemas with references (')
    expect(text).toContain('compared with its version 1 (schema id')
    // The compatible edit passes both.
    await writeFile(join(repo, 'schemas/defs/money.json'), JSON.stringify({ ...money, properties: { ...money.properties, note: { type: 'string' } } }))
    const fine = await schemasCheck({ repoRoot: repo, schemasDir: join(repo, 'schemas'), against: 'HEAD', registryUrl, topicPrefix: prefix })
    expect(fine.topics.map((t) => [t.topic, t.changes.length, t.registry?.compatible])).toEqual([
      ['asset.updated.json', 0, true],
      ['campaign.created.json', 0, true],
    ])
  })
})
