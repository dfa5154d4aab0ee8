// Registry framing against the real Apicurio registry (Confluent-compatible API). Framing is the topic's contract:
// asset.updated.json is registry-framed (its schema is registered once, its id cached, each value framed as magic
// byte 0 + 4-byte schema id + JSON), campaign.* are plain JSON even when a registry is configured. Subjects that
// another client registered first are set up with plain fetch calls, as a foreign client would.
import { SchemaType } from '@kafkajs/confluent-schema-registry'
import { topicMetadata } from '@topiq/contracts'
import { CONTENT_TYPE, silentLogger, subjectOf } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, readMessages, uniquePrefix, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient } from './producer.ts'
import { decode, messageCount } from './test-helpers.ts'

const { brokers, registryUrl } = connectionInfo()
const prefix = uniquePrefix('producer-registry')
const ASSET = 'asset.updated.json'
const CREATED = 'campaign.created.json'
const asset = { asset_id: 'r-1', version: 1, updated_at: '2024-01-15T10:00:00Z', file_name: 'hero.png' }
const created = { campaign_id: 'r-1', name: 'Registry Campaign', created_at: '2024-01-15T10:00:00Z' }

/** Prefixes of their own for the tests that need a subject of their own. */
const FOREIGN_FULL = `${prefix}full.`
const FOREIGN_SAME = `${prefix}same.`
const FOREIGN_NONE = `${prefix}none.`

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [ASSET, CREATED])
  for (const p of [FOREIGN_FULL, FOREIGN_SAME, FOREIGN_NONE]) await createTestTopics(brokers, p, [ASSET])
})

afterAll(async () => {
  for (const p of [prefix, FOREIGN_FULL, FOREIGN_SAME, FOREIGN_NONE]) await deleteTestTopics(brokers, p)
})

async function ccompat(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${registryUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await response.text()
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) }
}

/** What another client does: set the subject's level, register its schema text; returns the schema id. */
async function registerAsForeignClient(subject: string, compatibility: string, schemaText: string): Promise<number> {
  expect((await ccompat('PUT', `/config/${subject}`, { compatibility })).status).toBe(200)
  const registered = await ccompat('POST', `/subjects/${subject}/versions`, { schemaType: 'JSON', schema: schemaText })
  expect(registered.status).toBe(200)
  return (registered.body as { id: number }).id
}

function client(topicPrefix: string): KafkaProducerClient {
  return new KafkaProducerClient({ brokers, topicPrefix, registry: registryUrl, logger: silentLogger, env: testEnv() })
}

describe('a registry-framed topic', () => {
  it('frames values with magic byte 0 and the id the registry holds under <prefix><topic>-value; the registry client decodes them', async () => {
    await using producer = client(prefix)
    const registry = producer.registry
    if (registry === undefined) throw new Error('registry expected')
    await producer.publish(ASSET, asset)
    await producer.publish(ASSET, { ...asset, asset_id: 'r-2' })

    const messages = (await readMessages(brokers, [prefix + ASSET], 2)).map(decode).sort((a, b) => String(a.key).localeCompare(String(b.key)))
    const raw = messages[0]?.raw
    if (raw === null || raw === undefined) throw new Error('no value')
    expect(raw[0]).toBe(0)
    const schemaId = raw.readInt32BE(1)
    expect(messages[1]?.raw?.readInt32BE(1)).toBe(schemaId)

    // The subject is TopicNameStrategy on the physical topic: the prefix is part of it.
    expect(subjectOf(ASSET, prefix)).toBe(`${prefix}${ASSET}-value`)
    const subjectId = await registry.registry.getRegistryIdBySchema(`${prefix}${ASSET}-value`, {
      type: SchemaType.JSON,
      schema: JSON.stringify(topicMetadata[ASSET].schema),
    })
    expect(subjectId).toBe(schemaId)
    // A new subject gets the topic's x-kafka.compatibility.
    expect((await ccompat('GET', `/config/${prefix}${ASSET}-value`)).body).toMatchObject({ compatibilityLevel: topicMetadata[ASSET].compatibility })

    expect(await registry.registry.decode(raw)).toEqual(asset)
    expect(messages.map((m) => m.value)).toEqual([asset, { ...asset, asset_id: 'r-2' }])
    expect(messages[0]?.headers).toMatchObject({
      'content-type': CONTENT_TYPE.registryJson,
      ce_dataschema: `schemas/${ASSET}#${topicMetadata[ASSET].fingerprint};registry-id=${schemaId}`,
    })
  })

  it('an unreachable registry fails the publish with REGISTRY_ERROR naming SCHEMA_REGISTRY_URL and sends nothing', async () => {
    await using producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, registry: 'http://127.0.0.1:1/apis/ccompat/v7', logger: silentLogger, env: testEnv() })
    const error = await producer.publish(ASSET, asset).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'REGISTRY_ERROR', retriable: true })
    expect((error as Error).message).toMatch(/unreachable .*SCHEMA_REGISTRY_URL/)
    expect(producer.connectCount).toBe(0)
  })
})

describe('a json topic', () => {
  it('is never framed, even with a registry configured (through SCHEMA_REGISTRY_URL), and registers no subject', async () => {
    const p = `${prefix}json.`
    await createTestTopics(brokers, p, [CREATED])
    try {
      await using producer = new KafkaProducerClient({ brokers, topicPrefix: p, logger: silentLogger, env: testEnv({ SCHEMA_REGISTRY_URL: registryUrl }) })
      expect(producer.registry?.url).toBe(registryUrl)
      await producer.publish(CREATED, created)
      const [message] = (await readMessages(brokers, [p + CREATED], 1)).map(decode)
      expect(message?.raw?.toString('utf8')).toBe(JSON.stringify(created))
      expect(message?.headers['content-type']).toBe(CONTENT_TYPE.json)
      expect(message?.headers['ce_dataschema']).toBe(`schemas/${CREATED}#${topicMetadata[CREATED].fingerprint}`)
      expect((await ccompat('GET', `/subjects/${p}${CREATED}-value/versions`)).status).toBe(404)
    } finally {
      await deleteTestTopics(brokers, p)
    }
  })
})

describe('a subject another client registered first', () => {
  it('refused under the subject\'s own level: the error gives the registry\'s answer, the level, the latest version and what to do', async () => {
    const subject = `${FOREIGN_FULL}${ASSET}-value`
    const theirs = JSON.stringify({ type: 'object', properties: { legacy_id: { type: 'integer' } }, required: ['legacy_id'] })
    const theirId = await registerAsForeignClient(subject, 'FULL', theirs)

    await using producer = client(FOREIGN_FULL)
    const error = await producer.publish(ASSET, asset).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'KafkaClientError', code: 'REGISTRY_ERROR', topic: ASSET, retriable: false })
    const message = (error as Error).message
    expect(message).toContain(`subject "${subject}"`)
    expect(message).toMatch(/answered 409 \(error_code 409: .*Incompatible/)
    expect(message).toContain("compatibility is FULL (the subject's own level)")
    expect(message).toContain(`latest version is 1 (schema id ${theirId}, type JSON)`)
    expect(message).toMatch(/If another client owns .*agree on one schema/)
    expect(message).not.toMatch(/breaking schema change/)
    expect(producer.connectCount).toBe(0)
    expect(await messageCount(brokers, [FOREIGN_FULL + ASSET])).toBe(0)
    // Their subject is left as they configured it.
    expect((await ccompat('GET', `/config/${subject}`)).body).toMatchObject({ compatibilityLevel: 'FULL' })
    expect((await ccompat('GET', `/subjects/${subject}/versions`)).body).toEqual([1])
  })

  it('holding our schema (other key order and whitespace) under NONE: its id is used, nothing registered or reconfigured', async () => {
    const subject = `${FOREIGN_SAME}${ASSET}-value`
    const schema = topicMetadata[ASSET].schema as Record<string, unknown>
    const reordered = Object.fromEntries(Object.entries(schema).reverse())
    const theirId = await registerAsForeignClient(subject, 'NONE', JSON.stringify(reordered, null, 4))

    await using producer = client(FOREIGN_SAME)
    await producer.publish(ASSET, asset)
    const [message] = (await readMessages(brokers, [FOREIGN_SAME + ASSET], 1)).map(decode)
    expect(message?.raw?.readInt32BE(1)).toBe(theirId)
    expect(message?.value).toEqual(asset)
    expect((await ccompat('GET', `/subjects/${subject}/versions`)).body).toEqual([1])
    expect((await ccompat('GET', `/config/${subject}`)).body).toMatchObject({ compatibilityLevel: 'NONE' })
  })

  it('holding a different schema under NONE: ours is registered as its next version, and the subject keeps its level', async () => {
    const subject = `${FOREIGN_NONE}${ASSET}-value`
    const theirId = await registerAsForeignClient(subject, 'NONE', JSON.stringify({ type: 'object', properties: { other: { type: 'string' } } }))

    await using producer = client(FOREIGN_NONE)
    await producer.publish(ASSET, asset)
    const [message] = (await readMessages(brokers, [FOREIGN_NONE + ASSET], 1)).map(decode)
    const ourId = message?.raw?.readInt32BE(1)
    expect(ourId).not.toBe(theirId)
    expect((await ccompat('GET', `/subjects/${subject}/versions/latest`)).body).toMatchObject({ version: 2, id: ourId })
    expect((await ccompat('GET', `/config/${subject}`)).body).toMatchObject({ compatibilityLevel: 'NONE' })
  })
})
