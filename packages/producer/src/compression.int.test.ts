// lz4 and zstd against the real broker: our producer compresses, the broker accepts the batch (it decompresses every
// batch it appends to validate the records, and answers CORRUPT_MESSAGE otherwise), and both a plain kafkajs consumer
// and the typed consumer read the values back. Frames written by Python and Java are covered by kafka-core's
// codecs.test.ts fixtures and by interop/.
import { randomUUID } from 'node:crypto'
import type { EventMap } from '@topiq/contracts'
import { KafkaConsumerClient } from '@topiq/consumer'
import { CompressionTypes, registerCodecs, silentLogger, type CodecFactory } from '@topiq/kafka-core'
import { benchmarkEvent, createTestTopics, deleteTestTopics, readMessages, uniquePrefix, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import kafkajs from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Compression } from './options.ts'
import { KafkaProducerClient } from './producer.ts'
import { decode } from './test-helpers.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('compression')
const CREATED = 'campaign.created.json'
const COUNT = 40

const CODES = { lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD } as const
type Tested = keyof typeof CODES

// Counts each codec's calls in kafkajs, so a test proves its batches really went through lz4/zstd (a producer that
// silently fell back to no compression would pass a plain round trip). On the platformatic transport the producer and
// the typed consumer use platformatic's own codecs, which are not counted here: there the proof is the plain kafkajs
// consumer's test, whose reads must decompress with the codec (kafkajs picks it from each batch's attributes).
const ON_KAFKAJS = (process.env['KAFKA_TRANSPORT'] ?? 'kafkajs') === 'kafkajs'
const calls = { lz4: { compress: 0, decompress: 0 }, zstd: { compress: 0, decompress: 0 } }
const registry = kafkajs.CompressionCodecs as Record<number, CodecFactory>
const originals = new Map<number, CodecFactory>()

beforeAll(async () => {
  registerCodecs()
  for (const name of Object.keys(CODES) as Tested[]) {
    const type = CODES[name]
    const original = registry[type]
    if (original === undefined) throw new Error(`registerCodecs() did not register ${name}`)
    originals.set(type, original)
    registry[type] = () => {
      const codec = original()
      return {
        compress: (encoder) => ((calls[name].compress += 1), codec.compress(encoder)),
        decompress: (buffer) => ((calls[name].decompress += 1), codec.decompress(buffer)),
      }
    }
  }
  await createTestTopics(brokers, prefix, [CREATED])
})

afterAll(async () => {
  for (const [type, original] of originals) registry[type] = original
  await deleteTestTopics(brokers, prefix)
})

function events(label: string): EventMap[typeof CREATED][] {
  // about 1 KiB of realistic text each, so the codec has something to do
  return Array.from({ length: COUNT }, (_, i) => ({ ...benchmarkEvent(i), campaign_id: `${label}-${i % 3}`, name: `${label} campaign ${i}` }))
}

describe.each(['lz4', 'zstd'] as const)('compression %s', (codec) => {
  const topicPrefix = `${prefix}${codec}.`
  const physical = topicPrefix + CREATED
  const sent = events(`${codec}-${randomUUID().slice(0, 8)}`)

  beforeAll(async () => {
    await createTestTopics(brokers, topicPrefix, [CREATED])
  })

  it('the producer compresses and the broker accepts the batches', async () => {
    await using producer = new KafkaProducerClient({ brokers, topicPrefix, compression: codec satisfies Compression, logger: silentLogger, env: testEnv() })
    expect(producer.compression).toBe(codec)
    const before = calls[codec].compress
    const batch = await producer.publishBatch(CREATED, sent.slice(0, COUNT - 1))
    expect(batch.count).toBe(COUNT - 1)
    const single = await producer.publish(CREATED, sent[COUNT - 1]!)
    expect(Number(single.offset)).toBeGreaterThanOrEqual(0)
    // at least one compressed request per partition the batch touched, plus the single publish
    if (ON_KAFKAJS) expect(calls[codec].compress - before).toBeGreaterThanOrEqual(new Set(batch.partitions.map((p) => p.partition)).size + 1)
  })

  it('a plain kafkajs consumer reads the values back', async () => {
    const before = calls[codec].decompress
    const read = (await readMessages(brokers, [physical], COUNT)).map(decode)
    expect(calls[codec].decompress - before).toBeGreaterThan(0)
    const byId = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name)
    expect((read.map((m) => m.value) as EventMap[typeof CREATED][]).sort(byId)).toEqual([...sent].sort(byId))
    expect(read.every((m) => m.key?.startsWith(`${codec}-`))).toBe(true)
  })

  it('the typed consumer reads the values back', async () => {
    const before = calls[codec].decompress
    const received: EventMap[typeof CREATED][] = []
    let done: () => void = () => {}
    const all = new Promise<void>((resolve) => (done = resolve))
    await using consumer = new KafkaConsumerClient({
      groupId: `compression-${codec}-${randomUUID().slice(0, 8)}`,
      brokers,
      topicPrefix,
      topics: [CREATED],
      handleSignals: false,
      logger: silentLogger,
      heartbeatIntervalMs: 1_000,
      sessionTimeoutMs: 10_000,
      messageHandler: (message) => {
        received.push(message.value)
        if (received.length === COUNT) done()
        return true
      },
    })
    await consumer.start({ blocking: false })
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      all,
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`typed consumer got ${received.length} of ${COUNT} ${codec} messages in 30 s`)), 30_000))),
    ]).finally(() => clearTimeout(timer))
    if (ON_KAFKAJS) expect(calls[codec].decompress - before).toBeGreaterThan(0)
    expect(new Set(received.map((e) => e.name))).toEqual(new Set(sent.map((e) => e.name)))
    expect(received).toHaveLength(COUNT)
  })
})
