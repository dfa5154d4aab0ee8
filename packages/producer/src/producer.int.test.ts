// Publishes to the real local Kafka and reads back with a plain kafkajs consumer: key, headers, value.
import { ContractError, topicMetadata } from '@topiq/contracts'
import { silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, readMessages, uniquePrefix, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient, type BatchFailure } from './producer.ts'
import { decode, messageCount, recordingLogger } from './test-helpers.ts'

const { brokers, registryUrl } = connectionInfo()
const prefix = uniquePrefix('producer')
const CREATED = 'campaign.created.json'
const UPDATED = 'campaign.updated.json'
const ASSET = 'asset.updated.json'
const created = { campaign_id: '123', name: 'Summer Campaign', created_at: '2024-01-15T10:00:00Z' }

/** A topic of its own per test, so each read-back sees only its messages. */
let topicCounter = 0
async function freshPrefix(): Promise<string> {
  const p = `${prefix}${++topicCounter}.`
  await createTestTopics(brokers, p, [CREATED, UPDATED, ASSET])
  return p
}

function producer(topicPrefix: string, logger = silentLogger): KafkaProducerClient {
  return new KafkaProducerClient({ brokers, topicPrefix, logger, clientId: 'producer-int-test', env: testEnv() })
}

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [CREATED])
})

afterAll(async () => {
  await deleteTestTopics(brokers, prefix)
})

describe('the transport under test', () => {
  it("is the vitest project's KAFKA_TRANSPORT (integration: kafkajs, integration-platformatic: platformatic)", () => {
    const expected = process.env['KAFKA_TRANSPORT'] ?? 'kafkajs'
    expect(['kafkajs', 'platformatic']).toContain(expected)
    expect(producer(prefix).transport).toBe(expected)
  })
})

describe('publish', () => {
  it('sends the payload keyed by the metadata key field, with every standard header and the user headers', async () => {
    const p = await freshPrefix()
    await using client = producer(p)
    const before = Date.now()
    const result = await client.publish(CREATED, created, { headers: { source: 'api', correlation_id: 'req-456' } })
    expect(result).toMatchObject({ topic: CREATED, physicalTopic: p + CREATED, offset: '0' })
    expect(result.partition).toBeGreaterThanOrEqual(0)

    const [message] = (await readMessages(brokers, [p + CREATED], 1)).map(decode)
    expect(topicMetadata[CREATED].key).toBe('campaign_id')
    expect(message?.key).toBe('123')
    expect(message?.partition).toBe(result.partition)
    expect(message?.value).toEqual(created)
    expect(message?.headers).toEqual({
      ce_specversion: '1.0',
      ce_id: result.eventId,
      ce_source: 'producer-int-test',
      ce_type: CREATED,
      ce_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      'content-type': 'application/json',
      ce_dataschema: `schemas/${CREATED}#${topicMetadata[CREATED].fingerprint}`,
      source: 'api',
      correlation_id: 'req-456',
    })
    const time = Date.parse(message?.headers['ce_time'] ?? '')
    expect(time).toBeGreaterThanOrEqual(before - 1_000)
    expect(time).toBeLessThanOrEqual(Date.now() + 1_000)
  })

  it('uses an explicit key over the default, and the same key always lands on the same partition', async () => {
    const p = await freshPrefix()
    await using client = producer(p)
    const a = await client.publish(CREATED, created, { key: 'tenant-7' })
    const b = await client.publish(CREATED, { ...created, campaign_id: '999' }, { key: 'tenant-7' })
    expect(b.partition).toBe(a.partition)
    const messages = (await readMessages(brokers, [p + CREATED], 2)).map(decode)
    expect(messages.map((m) => m.key)).toEqual(['tenant-7', 'tenant-7'])
  })

  it('sends nothing for an invalid payload: the error lists every violation, the topic stays empty', async () => {
    const p = await freshPrefix()
    await using client = producer(p)
    const error = await client.publish(CREATED, { ...created, name: '', created_at: 'not a date' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ContractError)
    expect((error as ContractError).violations.map((v) => v.path).sort()).toEqual(['$.created_at', '$.name'])
    // A valid publish afterwards is the only message on the topic.
    await client.publish(CREATED, created)
    expect(await messageCount(brokers, [p + CREATED])).toBe(1)
    const [only] = (await readMessages(brokers, [p + CREATED], 1)).map(decode)
    expect(only?.value).toEqual(created)
  })

  it('publishBatch sends every payload in one request, in order per key', async () => {
    const p = await freshPrefix()
    await using client = producer(p)
    const payloads = Array.from({ length: 10 }, (_, i) => ({ ...created, campaign_id: 'same-key', name: `n${i}` }))
    const result = await client.publishBatch(CREATED, payloads, { headers: { source: 'batch' } })
    expect(result.count).toBe(10)
    expect(new Set(result.eventIds).size).toBe(10)
    expect(result.partitions).toHaveLength(1)
    const messages = (await readMessages(brokers, [p + CREATED], 10)).map(decode)
    expect(messages.map((m) => (m.value as { name: string }).name)).toEqual(payloads.map((x) => x.name))
    expect(messages.map((m) => m.headers['ce_id'])).toEqual(result.eventIds)
    expect(messages.every((m) => m.headers['source'] === 'batch' && m.key === 'same-key')).toBe(true)
  })

  it('concurrent first publishes share one connection', async () => {
    const p = await freshPrefix()
    await using client = producer(p)
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => client.publish(CREATED, { ...created, campaign_id: `c${i}` })))
    expect(new Set(results.map((r) => r.eventId)).size).toBe(5)
    expect(client.connectCount).toBe(1)
    expect(await messageCount(brokers, [p + CREATED])).toBe(5)
  })

  it('await using closes the producer at the end of the block; publishing after close is CLOSED', async () => {
    let escaped: KafkaProducerClient | undefined
    {
      await using client = producer(prefix)
      await client.publish(CREATED, created)
      expect(client.state).toBe('connected')
      escaped = client
    }
    expect(escaped.state).toBe('closed')
    await expect(escaped.publish(CREATED, created)).rejects.toMatchObject({ name: 'KafkaClientError', code: 'CLOSED' })
  })

  it('honours overrides like the guide (acks=1, gzip, no idempotence) and still delivers', async () => {
    const p = await freshPrefix()
    await using client = new KafkaProducerClient({ brokers, topicPrefix: p, logger: silentLogger, acks: 1, retries: 5, compression: 'gzip', registry: registryUrl, env: testEnv() })
    expect(client.idempotent).toBe(false)
    await client.publish(ASSET, { asset_id: 'a1', version: 2, updated_at: created.created_at })
    const [message] = (await readMessages(brokers, [p + ASSET], 1)).map(decode)
    expect(message).toMatchObject({ key: 'a1', value: { asset_id: 'a1', version: 2 } })
  })
})

describe("the Python guide's parity API", () => {
  it('sendMessage returns true and sends key, headers and value as given', async () => {
    const p = await freshPrefix()
    await using client = producer(p)
    const ok = await client.sendMessage({
      topic: CREATED,
      value: created,
      key: '123',
      headers: { source: 'api', version: '1.0', user_id: 'user-456' },
    })
    expect(ok).toBe(true)
    const [message] = (await readMessages(brokers, [p + CREATED], 1)).map(decode)
    expect(message).toMatchObject({ key: '123', value: created, headers: { source: 'api', version: '1.0', user_id: 'user-456', ce_type: CREATED } })
  })

  it('sendBatch sends the valid messages in one request, skips and reports the invalid one, returns the count', async () => {
    const p = await freshPrefix()
    const logger = recordingLogger()
    await using client = producer(p, logger)
    let failures: readonly BatchFailure[] = []
    const sent = await client.sendBatch(
      [
        { topic: CREATED, value: { ...created, campaign_id: '123', name: 'Campaign 1' }, key: '123' },
        { topic: CREATED, value: { ...created, campaign_id: '124', name: '' }, key: '124' },
        { topic: UPDATED, value: { campaign_id: '123', updated_at: created.created_at, changes: { status: 'paused' } } },
      ],
      { onFailure: (f) => (failures = f) },
    )
    expect(sent).toBe(2)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ index: 1, topic: CREATED, reason: 'invalid', error: { code: 'INVALID_PAYLOAD', violations: [{ path: '$.name' }] } })
    expect(logger.lines.find((l) => l.level === 'error')?.message).toBe('batch message 1 not sent')

    const messages = (await readMessages(brokers, [p + CREATED, p + UPDATED], 2)).map(decode)
    expect(messages.map((m) => [m.topic, m.key]).sort()).toEqual([
      [p + CREATED, '123'],
      [p + UPDATED, '123'],
    ])
    expect(await messageCount(brokers, [p + CREATED, p + UPDATED])).toBe(2)
  })
})
