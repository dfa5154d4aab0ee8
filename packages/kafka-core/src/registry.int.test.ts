// RegistryClient against the real Apicurio registry (Confluent-compatible API): registering under the prefixed
// subject, and the consumer's schema-id lookup (known id → subject/version, unknown id → UNKNOWN_SCHEMA_ID).
import { topicMetadata } from '@topiq/contracts'
import { connectionInfo } from '@topiq/local-stack'
import { describe, expect, it } from 'vitest'
import { RegistryClient, subjectOf } from './registry.ts'
import { uniquePrefix } from './testing.ts'

const { registryUrl } = connectionInfo()
const ASSET = 'asset.updated.json'
// Ids are int32 on the wire; the local registry is nowhere near this many schemas.
const UNKNOWN_ID = 2_000_000_000

describe('RegistryClient against Apicurio', () => {
  it('registers a topic schema once under <prefix><topic>-value and finds the id again by id', async () => {
    const prefix = uniquePrefix('core-registry')
    const client = new RegistryClient({ url: `${registryUrl}/` }, prefix)
    const id = await client.schemaIdFor(ASSET)
    expect(await client.schemaIdFor(ASSET)).toBe(id)

    const lookup = await client.schemaById(id)
    if (!lookup.found) throw new Error(`expected schema id ${id} to be found: ${lookup.message}`)
    expect(lookup.schemaType).toBe('JSON')
    expect(JSON.parse(lookup.schema)).toEqual(topicMetadata[ASSET].schema)
    expect(lookup.versions).toContainEqual({ subject: subjectOf(ASSET, prefix), version: 1 })
    expect(client.verifier.cached(id)).toBe(lookup)
  })

  it('finds an id a foreign client registered, with its subject and version', async () => {
    const subject = `${uniquePrefix('core-foreign')}other.topic-value`
    const response = await fetch(`${registryUrl}/subjects/${subject}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify({ type: 'object', properties: { foreign: { type: 'boolean' } } }) }),
    })
    expect(response.status).toBe(200)
    const { id } = (await response.json()) as { id: number }
    const lookup = await new RegistryClient({ url: registryUrl }).schemaById(id)
    expect(lookup).toMatchObject({ found: true, id, schemaType: 'JSON' })
    expect(lookup.found && lookup.versions).toContainEqual({ subject, version: 1 })
  })

  it('an unknown id is a result (reason UNKNOWN_SCHEMA_ID) the consumer can dead-letter with, cached briefly', async () => {
    const client = new RegistryClient({ url: registryUrl }, '', { missTtlMs: 60_000 })
    const lookup = await client.schemaById(UNKNOWN_ID)
    expect(lookup).toMatchObject({ found: false, id: UNKNOWN_ID, reason: 'UNKNOWN_SCHEMA_ID' })
    expect(!lookup.found && lookup.message).toMatch(new RegExp(`schema id ${UNKNOWN_ID} is not in the registry at ${registryUrl} \\(error_code 40403`))
    expect(client.verifier.cached(UNKNOWN_ID)).toBe(lookup)
  })

  it('a registry that cannot answer rejects with a retriable REGISTRY_ERROR, never "unknown id", and nothing is cached', async () => {
    const client = new RegistryClient({ url: 'http://127.0.0.1:1/apis/ccompat/v7' })
    const error = await client.schemaById(1).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'KafkaClientError', code: 'REGISTRY_ERROR', retriable: true })
    expect((error as Error).message).toMatch(/cannot look up schema id 1: schema registry at http:\/\/127\.0\.0\.1:1\/apis\/ccompat\/v7 is unreachable/)
    expect(client.verifier.cached(1)).toBeUndefined()
  })
})
