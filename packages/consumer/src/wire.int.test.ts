// Integration tests on the REAL local stack: records that other clients (confluent-kafka, kafka-python, Java) may
// legally write never stall or crash the consumer — null and repeated header values, binary keys, transactional
// data with commit and abort markers, and invalid events too large to dead-letter as they are.
import { randomBytes, randomUUID } from 'node:crypto'
import { CompressionTypes, encodeJson, encodeWire, physicalTopic, RegistryClient, silentLogger, type IHeaders, type Message } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, rawKafka, readMessages, uniquePrefix, withAdmin, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { ConfigResourceTypes } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { campaignCreated, committedOffsets, endOffsets, Progress, standardHeaders, within } from './fixtures/helpers.ts'
import { DLQ_HEADER, KafkaConsumerClient, type CommonConsumerOptions } from './index.ts'

const { brokers, registryUrl } = connectionInfo()
const runId = randomUUID().slice(0, 8)
let groupSeq = 0
const TOPIC = 'campaign.created.json'
const prefixes: string[] = []

function freshPrefix(label: string): string {
  const prefix = uniquePrefix(`wire-${label}`)
  prefixes.push(prefix)
  return prefix
}

const common = (prefix: string, label: string) =>
  ({
    groupId: `wire-int-${runId}-${label}-${++groupSeq}`,
    brokers,
    topicPrefix: prefix,
    handleSignals: false,
    logger: silentLogger,
    heartbeatIntervalMs: 1_000,
    sessionTimeoutMs: 10_000,
  }) satisfies Partial<CommonConsumerOptions>

afterAll(async () => {
  for (const prefix of prefixes) await deleteTestTopics(brokers, prefix)
})

/** Writes records as another client would (plain kafkajs, acks all) to this file's topic under `prefix`. */
async function write(prefix: string, messages: Message[], compression?: CompressionTypes): Promise<void> {
  const producer = rawKafka(brokers).producer()
  await producer.connect()
  try {
    await producer.send({ topic: physicalTopic(prefix, TOPIC), acks: -1, messages, ...(compression === undefined ? {} : { compression }) })
  } finally {
    await producer.disconnect()
  }
}

/** Runs a consumer on `prefix` until every partition's committed offset reached its end offset; returns what it saw. */
async function drain(prefix: string, label: string, expectHandled: number, extra: Partial<CommonConsumerOptions> = {}) {
  const options = { ...common(prefix, label), ...extra }
  const handled: { id: string; raw: { key: Buffer | null; headers: readonly { key: string; value: Buffer | null }[] }; headers: Record<string, string> }[] = []
  const progress = new Progress()
  const consumer = new KafkaConsumerClient({
    ...options,
    topics: [TOPIC],
    retry: { attempts: 1 },
    messageHandler: (message) => {
      handled.push({ id: message.value.campaign_id, raw: message.raw, headers: message.headers })
      progress.record(message)
      return true
    },
  })
  const physical = physicalTopic(prefix, TOPIC)
  await consumer.start({ blocking: false })
  const end = await endOffsets(brokers, physical)
  // Wait for the commits, not only the handler: what matters is that every partition reaches its end.
  await within(
    (async () => {
      for (;;) {
        const committed = await committedOffsets(brokers, options.groupId, physical)
        const done = Object.entries(end).every(([p, e]) => e === 0 || committed[Number(p)] === e)
        if (done && handled.length >= expectHandled) return
        if (consumer.error !== undefined) throw consumer.error
        await new Promise((r) => setTimeout(r, 200))
      }
    })(),
    30_000,
    `group ${options.groupId} committing to the end of ${physical} (end offsets ${JSON.stringify(end)})`,
  )
  await consumer.stop()
  expect(consumer.error).toBeUndefined()
  return { handled, end, committed: await committedOffsets(brokers, options.groupId, physical), consumer }
}

describe('records other clients may legally write', () => {
  it('null and repeated header values and binary keys: handled, exposed raw, and dead-lettered with their nulls', async () => {
    const prefix = freshPrefix('headers')
    await createTestTopics(brokers, prefix, [TOPIC])
    const javaLongKey = Buffer.from([0x00, 0x00, 0x01, 0x8b, 0xff, 0xfe, 0xfd, 0x01])
    const odd: IHeaders = { trace: null as unknown as Buffer, tag: [Buffer.from('a'), null as unknown as Buffer, Buffer.from('b')], bin: Buffer.from([0xff, 0xfe, 0xfd]) }
    const valid = campaignCreated(`hdr-${runId}`)
    await write(prefix, [
      { key: javaLongKey, value: encodeJson(valid), headers: { ...standardHeaders(TOPIC), ...odd }, partition: 0 },
      { key: javaLongKey, value: encodeJson({ campaign_id: 'invalid' }), headers: odd, partition: 0 },
    ])

    const { handled } = await drain(prefix, 'headers', 1)
    expect(handled.map((h) => h.id)).toEqual([valid.campaign_id])
    const [message] = handled
    expect(message?.raw.key).toEqual(javaLongKey)
    expect(message?.headers).toMatchObject({ tag: 'b' })
    expect(message?.headers).not.toHaveProperty('trace')
    expect(message?.raw.headers.filter((h) => h.key === 'trace' || h.key === 'tag')).toEqual([
      { key: 'trace', value: null },
      { key: 'tag', value: Buffer.from('a') },
      { key: 'tag', value: null },
      { key: 'tag', value: Buffer.from('b') },
    ])
    expect(message?.raw.headers.find((h) => h.key === 'bin')?.value).toEqual(Buffer.from([0xff, 0xfe, 0xfd]))

    const [dead] = await readMessages(brokers, [physicalTopic(prefix, 'campaign.created-dlq.json')], 1)
    expect(dead?.key).toEqual(javaLongKey)
    expect(dead?.headers?.['trace']).toBeNull()
    expect(dead?.headers?.['tag']).toEqual([Buffer.from('a'), null, Buffer.from('b')])
    expect(dead?.headers?.[DLQ_HEADER.errorCode]?.toString()).toBe('INVALID_PAYLOAD')
  })

  it('transactional input: aborted records are never handled and the group commits past every marker (lag 0)', async () => {
    const prefix = freshPrefix('txn')
    await createTestTopics(brokers, prefix, [TOPIC])
    const topic = physicalTopic(prefix, TOPIC)
    const producer = rawKafka(brokers).producer({ transactionalId: `wire-int-${runId}`, idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const txn = async (label: string, n: number, outcome: 'commit' | 'abort') => {
      const t = await producer.transaction()
      // Spread over every partition, so each one's log holds data and markers.
      await t.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `${label}-${i}`, value: encodeJson(campaignCreated(`${label}-${i}`)), partition: i % 3 })) })
      await (outcome === 'commit' ? t.commit() : t.abort())
    }
    await txn('committed-a', 6, 'commit')
    await txn('aborted-a', 6, 'abort')
    await txn('committed-b', 3, 'commit')
    await txn('aborted-b', 3, 'abort') // the log of each partition ends in an abort marker
    await producer.disconnect()

    const { handled, end, committed } = await drain(prefix, 'txn', 9)
    expect(handled.map((h) => h.id).sort()).toEqual([...Array.from({ length: 6 }, (_, i) => `committed-a-${i}`), ...Array.from({ length: 3 }, (_, i) => `committed-b-${i}`)].sort())
    expect(committed).toEqual(end)
  })

  it('an invalid event that arrived compressed near max.message.bytes is dead-lettered whole, compressed', async () => {
    const prefix = freshPrefix('large')
    await createTestTopics(brokers, prefix, [TOPIC])
    // ~900 KB of text: fine compressed, and too large for the 1 MiB default once copied uncompressed with headers.
    const big = { campaign_id: `large-${runId}`, name: 'x', created_at: 'not a date', metadata: { note: 'campaign budget review '.repeat(40_000) } }
    const value = encodeJson(big)
    expect(value.length).toBeGreaterThan(900_000)
    await write(prefix, [{ key: big.campaign_id, value, partition: 1 }], CompressionTypes.GZIP)

    await drain(prefix, 'large', 0)
    const [dead] = await readMessages(brokers, [physicalTopic(prefix, 'campaign.created-dlq.json')], 1)
    expect(dead?.value?.equals(value)).toBe(true)
    expect(dead?.headers?.[DLQ_HEADER.errorCode]?.toString()).toBe('INVALID_PAYLOAD')
    expect(dead?.headers?.[DLQ_HEADER.omitted]).toBeUndefined()
  })

  it('a dead letter too large even compressed becomes a pointer record with the reason, and the partition moves on', async () => {
    const prefix = freshPrefix('pointer')
    await createTestTopics(brokers, prefix, [TOPIC])
    const deadLetterTopic = physicalTopic(prefix, 'campaign.created-dlq.json')
    await withAdmin(brokers, (admin) =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: deadLetterTopic, configEntries: [{ name: 'max.message.bytes', value: '8192' }] }] }),
    )
    // Random bytes do not compress: 30 KB of them can never fit 8 KiB.
    const value = Buffer.from(JSON.stringify({ campaign_id: `ptr-${runId}`, noise: randomBytes(22_000).toString('base64') }))
    const after = campaignCreated(`after-${runId}`)
    await write(prefix, [
      { key: 'ptr', value, headers: { source: 'python' }, partition: 2 },
      { key: after.campaign_id, value: encodeJson(after), partition: 2 },
    ])

    const { handled } = await drain(prefix, 'pointer', 1)
    expect(handled.map((h) => h.id)).toEqual([after.campaign_id]) // the partition was not stalled by the big one
    const [dead] = await readMessages(brokers, [deadLetterTopic], 1)
    expect(dead?.headers?.[DLQ_HEADER.errorCode]?.toString()).toBe('INVALID_PAYLOAD')
    expect(dead?.headers?.[DLQ_HEADER.originalOffset]?.toString()).toBe('0')
    expect(dead?.headers?.[DLQ_HEADER.omitted]?.toString()).toMatch(new RegExp(`^${value.length} value bytes, \\d+ header bytes$`))
    expect(dead?.headers?.['source']).toBeUndefined()
    expect(JSON.parse(dead?.value?.toString() ?? '{}')).toMatchObject({ topic: physicalTopic(prefix, TOPIC), partition: 2, offset: '0', valueBytes: value.length })
  })

  it('registry mode: a framed value whose schema id the registry does not know is dead-lettered as UNKNOWN_SCHEMA_ID', async () => {
    const prefix = freshPrefix('schema-id')
    await createTestTopics(brokers, prefix, [TOPIC])
    const knownId = await new RegistryClient({ url: registryUrl }, prefix).schemaIdFor(TOPIC)
    const unknownId = 2_000_000_000 + Math.floor(Math.random() * 100_000_000)
    const good = campaignCreated(`known-${runId}`)
    const stray = campaignCreated(`stray-${runId}`) // valid JSON for the topic, but framed against another registry
    await write(prefix, [
      { key: stray.campaign_id, value: encodeWire(unknownId, stray), partition: 0 },
      { key: good.campaign_id, value: encodeWire(knownId, good), partition: 0 },
    ])

    const { handled } = await drain(prefix, 'schema-id', 1, { registry: registryUrl })
    expect(handled.map((h) => h.id)).toEqual([good.campaign_id])
    const [dead] = await readMessages(brokers, [physicalTopic(prefix, 'campaign.created-dlq.json')], 1)
    expect(dead?.headers?.[DLQ_HEADER.errorCode]?.toString()).toBe('UNKNOWN_SCHEMA_ID')
    expect(dead?.headers?.[DLQ_HEADER.error]?.toString()).toContain(`schema id ${unknownId}`)
    expect(dead?.value?.equals(encodeWire(unknownId, stray))).toBe(true)
  })

  it('registry mode with the registry down: the consumer stops with REGISTRY_UNAVAILABLE and commits nothing', async () => {
    const prefix = freshPrefix('registry-down')
    await createTestTopics(brokers, prefix, [TOPIC])
    const event = campaignCreated(`down-${runId}`)
    await write(prefix, [{ key: event.campaign_id, value: encodeWire(1, event), partition: 0 }])

    const options = { ...common(prefix, 'registry-down'), registry: 'http://127.0.0.1:9/apis/ccompat/v7', retry: { attempts: 2, initialBackoffMs: 100 } }
    let calls = 0
    const consumer = new KafkaConsumerClient({ ...options, topics: [TOPIC], messageHandler: () => void calls++ })
    const error = await within(consumer.start({ blocking: true }).then(() => undefined, (e: unknown) => e), 30_000, 'the consumer stopping')
    expect(error).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', topic: TOPIC, partition: 0, offset: '0' })
    expect((error as Error).message).toContain('schema id 1')
    expect(calls).toBe(0)
    expect(await committedOffsets(brokers, options.groupId, physicalTopic(prefix, TOPIC))).toEqual({ 0: -1, 1: -1, 2: -1 })
  })

  it('TLS against a PLAINTEXT listener: start() rejects with TLS_HANDSHAKE_FAILED, not "is Kafka running?"', async () => {
    const consumer = new KafkaConsumerClient({
      ...common(freshPrefix('tls'), 'tls'),
      env: testEnv({ KAFKA_SSL: 'true' }),
      connectionTimeoutMs: 3_000,
      topics: [TOPIC],
      messageHandler: () => true,
    })
    const error = await consumer.start({ blocking: false }).then(() => undefined, (e: unknown) => e)
    expect(error).toMatchObject({ code: 'TLS_HANDSHAKE_FAILED' })
    expect((error as Error).message).toMatch(/PLAINTEXT listener\? Unset KAFKA_SSL/)
  })
})
