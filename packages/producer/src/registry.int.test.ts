// Registry mode against the real Apicurio registry (Confluent-compatible API): the schema is registered once, its
// id cached, and each value is framed as magic byte 0 + 4-byte schema id + JSON.
import { SchemaType } from '@kafkajs/confluent-schema-registry'
import { topicMetadata } from '@topiq/contracts'
import { CONTENT_TYPE, silentLogger, subjectOf } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, readMessages, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient } from './producer.ts'
import { decode } from './test-helpers.ts'

const { brokers, registryUrl } = connectionInfo()
const prefix = uniquePrefix('producer-registry')
const CREATED = 'campaign.created.json'
const created = { campaign_id: 'r-1', name: 'Registry Campaign', created_at: '2024-01-15T10:00:00Z', budget: { amount: 10, currency: 'EUR' } }

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [CREATED])
})

afterAll(async () => {
  await deleteTestTopics(brokers, prefix)
})

describe('registry mode', () => {
  it('frames values with magic byte 0 and the schema id the registry holds; the registry client decodes them', async () => {
    await using client = new KafkaProducerClient({ brokers, topicPrefix: prefix, registry: registryUrl, logger: silentLogger, env: {} })
    const registry = client.registry
    if (registry === undefined) throw new Error('registry mode expected')
    await client.publish(CREATED, created)
    await client.publish(CREATED, { ...created, campaign_id: 'r-2' })

    const messages = (await readMessages(brokers, [prefix + CREATED], 2)).map(decode)
    const raw = messages[0]?.raw
    if (raw === null || raw === undefined) throw new Error('no value')
    expect(raw[0]).toBe(0)
    const schemaId = raw.readInt32BE(1)
    expect(messages[1]?.raw?.readInt32BE(1)).toBe(schemaId)

    // The id in the bytes names our schema in the registry, under the (prefixed) topic's subject.
    const subjectId = await registry.registry.getRegistryIdBySchema(subjectOf(CREATED, prefix), {
      type: SchemaType.JSON,
      schema: JSON.stringify(topicMetadata[CREATED].schema),
    })
    expect(subjectId).toBe(schemaId)

    expect(await registry.registry.decode(raw)).toEqual(created)
    expect(messages.map((m) => m.value)).toEqual([created, { ...created, campaign_id: 'r-2' }])
    expect(messages[0]?.headers).toMatchObject({
      'content-type': CONTENT_TYPE.registryJson,
      ce_dataschema: `schemas/${CREATED}#${topicMetadata[CREATED].fingerprint};registry-id=${schemaId}`,
    })
  })

  it('is opt-in through SCHEMA_REGISTRY_URL; plain mode sends plain JSON', async () => {
    const fromEnv = new KafkaProducerClient({ brokers, logger: silentLogger, env: { SCHEMA_REGISTRY_URL: registryUrl } })
    expect(fromEnv.registry?.url).toBe(registryUrl)
    await fromEnv.close()
    const plain = new KafkaProducerClient({ brokers, logger: silentLogger, env: {} })
    expect(plain.registry).toBeUndefined()
    await plain.close()
  })

  it('an unreachable registry fails the publish with REGISTRY_ERROR and sends nothing', async () => {
    await using client = new KafkaProducerClient({ brokers, topicPrefix: prefix, registry: 'http://127.0.0.1:1/apis/ccompat/v7', logger: silentLogger, env: {} })
    await expect(client.publish(CREATED, created)).rejects.toMatchObject({ code: 'REGISTRY_ERROR' })
    expect(client.connectCount).toBe(0)
  })
})
