// The transport seam's conformance suite, run for BOTH transports against the shared local stack (unique topics):
// what topiq's producer, CLI and lag sampler rely on must be the same on kafkajs and @platformatic/kafka — key
// partitioning (Java's murmur2), headers, codecs, result offsets, errors, admin answers. Then the platformatic
// producer's idempotence (faults injected below its retry logic by wrapping platformatic's Connection#send):
// acknowledged means written, order kept under a transient failure, outcome unknown reported and fenced.
import { randomBytes } from 'node:crypto'
import { Consumer as PltConsumer } from '@platformatic/kafka'
import { connectionInfo } from '@topiq/local-stack'
import { Partitioners, type KafkaMessage, type Message } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveConnection, TRANSPORTS, type TransportName } from './config.ts'
import { isOutcomeUnknown, sendPartitionOutcomes, translateKafkaError, type ErrorContext } from './errors.ts'
import { silentLogger, type Logger } from './logger.ts'
import { injectPlatformaticProduceFaults, readMessages, withAdmin, type ReadMessage } from './testing.ts'
import type { CompressionName, ProducerConfig, TransportAdmin, TransportProducer } from './transport.ts'
import { createTransport } from './transports.ts'

const { brokers, saslBrokers, scram } = connectionInfo()
const DOWN = ['127.0.0.1:39809'] // nothing listens there (the dedicated-broker range, unused here)
const run = randomBytes(4).toString('hex')
const created: string[] = []
const closers: (() => Promise<unknown>)[] = []

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  if (created.length > 0) await withAdmin(brokers, (a) => a.deleteTopics({ topics: created })).catch(() => undefined)
}, 60_000)

async function topic(label: string, partitions = 1): Promise<string> {
  const name = `t-transport-${label}-${run}-${randomBytes(2).toString('hex')}`
  await withAdmin(brokers, (a) => a.createTopics({ topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }))
  created.push(name)
  return name
}

const context = (t?: string): ErrorContext => ({ brokers, brokerSource: 'test', ...(t === undefined ? {} : { topic: t }) })

async function transportFor(name: TransportName, options: { brokers?: string[]; sasl?: { mechanism: 'scram-sha-256'; username: string; password: string }; requestTimeoutMs?: number } = {}, logger: Logger = silentLogger) {
  const connection = resolveConnection({
    brokers: options.brokers ?? brokers,
    transport: name,
    env: {},
    ...(options.sasl === undefined ? {} : { sasl: options.sasl }),
    ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
  })
  return createTransport(connection, logger, { retries: 2 })
}

async function producerFor(name: TransportName, config: Partial<ProducerConfig> = {}, logger?: Logger): Promise<TransportProducer> {
  const p = (await transportFor(name, {}, logger)).producer({ idempotent: true, retries: 3, partitioner: 'murmur2', ...config })
  await p.connect()
  closers.push(() => p.disconnect())
  return p
}

async function adminFor(name: TransportName): Promise<TransportAdmin> {
  const a = (await transportFor(name)).admin()
  await a.connect()
  closers.push(() => a.disconnect())
  return a
}

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now()
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  const ms = performance.now() - started
  if (error === undefined) throw new Error('expected a rejection')
  return { error, ms }
}

/** Reads `count` records with @platformatic/kafka's own consumer (the other client, for kafkajs-written batches). */
async function readWithPlatformatic(t: string, count: number): Promise<{ partition: number; offset: string; key: string | null; value: string | null }[]> {
  const consumer = new PltConsumer({ clientId: 'transport-test', groupId: `transport-test-${randomBytes(4).toString('hex')}`, bootstrapBrokers: brokers })
  try {
    const stream = await consumer.consume({ topics: [t], mode: 'earliest', autocommit: false })
    const got: { partition: number; offset: string; key: string | null; value: string | null }[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`platformatic read ${got.length} of ${count} from ${t}`)), 20_000)
      stream.on('data', (m: { partition: number; offset: bigint; key: Buffer | null; value: Buffer | null }) => {
        got.push({ partition: m.partition, offset: m.offset.toString(), key: m.key?.toString() ?? null, value: m.value?.toString() ?? null })
        if (got.length >= count) {
          clearTimeout(timer)
          resolve()
        }
      })
      stream.on('error', reject)
    })
    await stream.close()
    return got
  } finally {
    await consumer.close(true)
  }
}

const text = (m: KafkaMessage): string | undefined => m.value?.toString()
const byOffset = (a: ReadMessage, b: ReadMessage) => a.partition - b.partition || Number(a.offset) - Number(b.offset)

describe.each(TRANSPORTS)('%s transport', (name) => {
  it('partitions keys as Java/kafkajs (murmur2), calling onPartition with the caller’s own message objects; null keys spread', async () => {
    const t = await topic(`keys-${name}`, 7)
    const seen = new WeakMap<Message, number>()
    const p = await producerFor(name, { onPartition: (m, partition) => seen.set(m, partition) })
    const keys = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `campaign-${i}` : i % 3 === 1 ? `${i}` : `ключ-${i}-ü`))
    const messages: Message[] = keys.map((key) => ({ key, value: `v-${key}` }))
    messages.push({ key: null, value: 'null-key-1' }, { key: null, value: 'null-key-2' })
    const result = await p.send({ topic: t, messages, acks: -1, compression: 'none' })
    const kafkajs = Partitioners.DefaultPartitioner()
    const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }))
    const expected = keys.map((key) => kafkajs({ topic: t, partitionMetadata, message: { key, value: null } }))
    // onPartition saw each record of the call, the same objects.
    expect(messages.every((m) => seen.has(m))).toBe(true)
    expect(keys.map((_, i) => seen.get(messages[i] as Message))).toEqual(expected)
    // Where they landed: the same partitions, and the result offsets are theirs.
    const read = await readMessages(brokers, [t], messages.length)
    const where = new Map(read.map((m) => [text(m), m]))
    expect(keys.map((key) => where.get(`v-${key}`)?.partition)).toEqual(expected)
    expect(where.get('null-key-1')?.partition).toBe(seen.get(messages[300] as Message))
    expect(result.map((r) => r.partition).sort()).toEqual([...new Set(read.map((m) => m.partition))].sort())
    expect(new Set(expected).size, 'the sample spreads over every partition').toBe(7)
  })

  it('headers round trip as kafkajs reads them: repeated (in order), binary, null; keys and values byte for byte', async () => {
    const t = await topic(`headers-${name}`)
    const p = await producerFor(name)
    const binary = Buffer.from([0x00, 0xff, 0x01, 0x80, 0x7f])
    await p.send({
      topic: t,
      acks: -1,
      compression: 'none',
      messages: [
        { key: 'k-ü', value: 'wert-€', headers: { dup: ['first', Buffer.from('second')], bin: binary, nul: null as unknown as string, empty: '', s: 'x' } },
        { key: binary, value: null },
      ],
    })
    await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ key: null, value: Buffer.alloc(0), timestamp: '1700000000123' }] })
    const [a, b, c] = (await readMessages(brokers, [t], 3)).sort(byOffset)
    expect(a?.key).toEqual(Buffer.from('k-ü', 'utf8'))
    expect(a?.value).toEqual(Buffer.from('wert-€', 'utf8'))
    expect(a?.headers).toEqual({ dup: [Buffer.from('first'), Buffer.from('second')], bin: binary, nul: null, empty: Buffer.alloc(0), s: Buffer.from('x') })
    expect(b?.key).toEqual(binary)
    expect(b?.value).toBeNull()
    expect(c?.key).toBeNull()
    expect(c?.value).toEqual(Buffer.alloc(0))
    expect(c?.timestamp).toBe('1700000000123')
  })

  it('record timestamps: kept as given; 24.8 days or more apart in one partition batch is refused on platformatic (CONFIG_INVALID), not written wrong', async () => {
    const t = await topic(`timestamps-${name}`)
    const p = await producerFor(name)
    const old = '1700000000123'
    const send = p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'now' }, { value: 'old', timestamp: old }] })
    if (name === 'platformatic') {
      const { error } = await failure(send)
      expect((error as { code?: string }).code).toBe('CONFIG_INVALID')
      await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'now' }] })
      await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'old', timestamp: old }] })
    } else {
      await send
    }
    const read = (await readMessages(brokers, [t], 2)).sort(byOffset)
    expect(read.map((m) => [text(m), m.timestamp === old])).toEqual([
      ['now', false],
      ['old', true],
    ])
    expect(Math.abs(Number(read[0]?.timestamp) - Date.now())).toBeLessThan(60_000)
  })

  it('every codec is readable by the other client (kafkajs reader and platformatic reader)', async () => {
    const t = await topic(`codecs-${name}`)
    const p = await producerFor(name)
    const codecs: CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
    const expected: string[] = []
    for (const compression of codecs) {
      const values = Array.from({ length: 4 }, (_, i) => `${compression}-${i}-${'campaign budget approved '.repeat(20)}`)
      expected.push(...values)
      await p.send({ topic: t, acks: -1, compression, messages: values.map((value) => ({ key: 'same', value })) })
    }
    const byKafkajs = (await readMessages(brokers, [t], expected.length)).sort(byOffset).map(text)
    expect(byKafkajs).toEqual(expected)
    const byPlatformatic = (await readWithPlatformatic(t, expected.length)).sort((x, y) => Number(x.offset) - Number(y.offset)).map((m) => m.value)
    expect(byPlatformatic).toEqual(expected)
  })

  it('sendBatch over several topics: one result per partition written, base offset = where its first record landed', async () => {
    const t1 = await topic(`batch1-${name}`, 3)
    const t2 = await topic(`batch2-${name}`, 2)
    const p = await producerFor(name)
    // Some records first, so base offsets are not all 0.
    await p.send({ topic: t1, acks: -1, compression: 'none', messages: [{ key: 'a', value: 'pre-a' }, { key: 'b', value: 'pre-b' }] })
    const m1 = Array.from({ length: 12 }, (_, i) => ({ key: `k${i % 5}`, value: `t1-${i}` }))
    const m2 = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `t2-${i}` }))
    const result = await p.sendBatch({ acks: -1, compression: 'snappy', topicMessages: [{ topic: t1, messages: m1 }, { topic: t2, messages: m2 }] })
    const read = await readMessages(brokers, [t1, t2], 2 + m1.length + m2.length)
    const ours = read.filter((m) => text(m)?.startsWith('t'))
    const parts = new Set(ours.map((m) => `${m.topic}:${m.partition}`))
    expect(result.map((r) => `${r.topicName}:${r.partition}`).sort()).toEqual([...parts].sort())
    for (const r of result) {
      expect(r.errorCode).toBe(0)
      const here = ours.filter((m) => m.topic === r.topicName && m.partition === r.partition)
      const inCallOrder = (r.topicName === t1 ? m1 : m2).map((m) => m.value).filter((v) => here.some((h) => text(h) === v))
      // consecutive from baseOffset, in call order
      inCallOrder.forEach((v, rank) => expect(here.find((h) => text(h) === v)?.offset, `${v}`).toBe((BigInt(r.baseOffset as string) + BigInt(rank)).toString()))
    }
  })

  it('a missing topic is TOPIC_NOT_FOUND (send and admin metadata)', async () => {
    const p = await producerFor(name)
    const missing = `t-transport-missing-${run}`
    const { error } = await failure(p.send({ topic: missing, acks: -1, compression: 'none', messages: [{ value: 'x' }] }))
    expect(translateKafkaError(error, context(missing)).code, String(error)).toBe('TOPIC_NOT_FOUND')
    expect(isOutcomeUnknown(error)).toBe(false)
    const a = await adminFor(name)
    const { error: adminError } = await failure(a.fetchTopicMetadata({ topics: [missing] }))
    expect(translateKafkaError(adminError, context(missing)).code).toBe('TOPIC_NOT_FOUND')
  })

  it('brokers down: connect and send fail quickly as CONNECTION_REFUSED (never outcome unknown)', async () => {
    const transport = await transportFor(name, { brokers: DOWN })
    const p = transport.producer({ idempotent: true, retries: 2, partitioner: 'murmur2' })
    const connect = await failure(p.connect())
    expect(translateKafkaError(connect.error, context()).code, String(connect.error)).toBe('CONNECTION_REFUSED')
    expect(connect.ms).toBeLessThan(5_000)
    if (name === 'platformatic') {
      // (kafkajs refuses a send before a successful connect: "The producer is disconnected".)
      const send = await failure(p.send({ topic: 'any', acks: -1, compression: 'none', messages: [{ value: 'x' }] }))
      expect(translateKafkaError(send.error, context()).code, String(send.error)).toBe('CONNECTION_REFUSED')
      expect(isOutcomeUnknown(send.error)).toBe(false)
      expect(send.ms).toBeLessThan(5_000)
    }
    await p.disconnect()
    const a = transport.admin()
    const admin = await failure(a.connect())
    expect(translateKafkaError(admin.error, context()).code).toBe('CONNECTION_REFUSED')
    await a.disconnect()
  })

  it('a record over the broker limit is rejected as MESSAGE_TOO_LARGE (not written, not outcome unknown); the producer goes on', async () => {
    const t = await topic(`too-large-${name}`)
    const p = await producerFor(name)
    await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'before' }] })
    const { error, ms } = await failure(p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: Buffer.alloc(2_000_000, 1) }] }))
    const types: unknown[] = []
    for (let e: unknown = error; e !== null && typeof e === 'object' && types.length < 8; e = (e as { cause?: unknown }).cause) types.push((e as { type?: unknown }).type)
    expect(types, String(error)).toContain('MESSAGE_TOO_LARGE')
    expect(isOutcomeUnknown(error)).toBe(false)
    expect(ms).toBeLessThan(5_000)
    // Its sequence numbers were given back: the next send is accepted (no OUT_OF_ORDER_SEQUENCE_NUMBER), same producer id.
    await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'after' }] })
    const read = (await readMessages(brokers, [t], 2)).sort(byOffset)
    expect(read.map(text)).toEqual(['before', 'after'])
    expect(new Set(read.map(producerIdOf)).size).toBe(1)
  })

  it('SASL/SCRAM-SHA-256 with the right password: connects, sends, admin answers', async () => {
    const transport = await transportFor(name, { brokers: saslBrokers, sasl: { mechanism: 'scram-sha-256', username: scram.username, password: scram.password } })
    const t = await topic(`sasl-${name}`)
    const p = transport.producer({ idempotent: true, retries: 3, partitioner: 'murmur2' })
    await p.connect()
    closers.push(() => p.disconnect())
    const [r] = await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ key: 'k', value: 'over sasl' }] })
    expect(r?.baseOffset).toBe('0')
    const a = transport.admin()
    await a.connect()
    closers.push(() => a.disconnect())
    expect(await a.listTopics()).toContain(t)
    expect((await readMessages(brokers, [t], 1)).map(text)).toEqual(['over sasl'])
  })

  it('a wrong SASL password is AUTHENTICATION_FAILED quickly (not retried), without the password in the message', async () => {
    const password = `wrong-${randomBytes(6).toString('hex')}`
    const transport = await transportFor(name, { brokers: saslBrokers, sasl: { mechanism: 'scram-sha-256', username: scram.username, password } })
    const p = transport.producer({ idempotent: true, retries: 5, partitioner: 'murmur2' })
    const connect = await failure(p.connect())
    const translated = translateKafkaError(connect.error, { ...context(), brokers: saslBrokers })
    expect(translated.code, String(connect.error)).toBe('AUTHENTICATION_FAILED')
    expect(connect.ms).toBeLessThan(3_000)
    expect(`${translated.message} ${(connect.error as Error).message}`).not.toContain(password)
    await p.disconnect()
  })
})

describe('admin answers are the same on both transports', () => {
  it('listTopics, describeCluster, createTopics, fetchTopicMetadata, fetchTopicOffsets, fetchOffsets, deleteTopics', async () => {
    const [k, p] = await Promise.all([adminFor('kafkajs'), adminFor('platformatic')])
    const t = await topic('admin', 3)
    const producer = await producerFor('kafkajs')
    await producer.send({ topic: t, acks: -1, compression: 'none', messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `${i}` })) })
    await withAdmin(brokers, async (a) => (await a.fetchTopicMetadata({ topics: [t] }), a.deleteTopicRecords({ topic: t, partitions: [{ partition: 0, offset: '1' }] })))
    const groupId = `transport-admin-${run}`
    await withAdmin(brokers, (a) => a.setOffsets({ groupId, topic: t, partitions: [{ partition: 1, offset: '2' }] }))

    expect((await p.listTopics()).sort()).toEqual((await k.listTopics()).sort())
    expect(await p.listTopics()).toContain(t)
    expect(await p.describeCluster()).toEqual(await k.describeCluster())
    expect(await p.fetchTopicMetadata({ topics: [t] })).toEqual(await k.fetchTopicMetadata({ topics: [t] }))
    const offsets = await p.fetchTopicOffsets(t)
    expect(offsets).toEqual([...(await k.fetchTopicOffsets(t))].sort((a, b) => a.partition - b.partition))
    expect(offsets.find((o) => o.partition === 0)?.low).toBe('1')
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(10)
    const committed = await p.fetchOffsets({ groupId, topics: [t] })
    expect(committed).toEqual(await k.fetchOffsets({ groupId, topics: [t] }))
    expect(committed[0]?.partitions.map((x) => x.offset)).toEqual(['-1', '2', '-1'])
    expect(await p.fetchOffsets({ groupId })).toEqual(await k.fetchOffsets({ groupId }))

    // createTopics: true when created (leaders waited for), false when it exists; deleteTopics.
    const fresh = `t-transport-admin-create-${run}`
    const spec = { topic: fresh, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }
    expect(await p.createTopics({ topics: [spec], waitForLeaders: true })).toBe(true)
    const meta = await k.fetchTopicMetadata({ topics: [fresh] })
    expect(meta.topics[0]?.partitions.every((x) => x.leader >= 0)).toBe(true)
    expect(meta.topics[0]?.partitions).toHaveLength(2)
    expect(await p.createTopics({ topics: [spec], waitForLeaders: true })).toBe(await k.createTopics({ topics: [spec], waitForLeaders: true }))
    expect(await p.createTopics({ topics: [spec], waitForLeaders: true })).toBe(false)
    await p.deleteTopics({ topics: [fresh] })
    await expect.poll(async () => (await k.listTopics()).includes(fresh), { timeout: 10_000 }).toBe(false)
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Idempotence of the platformatic producer under injected faults (below its retries).

/** injectPlatformaticProduceFaults (testing.ts), undone after the file. */
function injectProduceFaults(mode: 'lose-response' | 'not-sent', marker: string, times: number) {
  const fault = injectPlatformaticProduceFaults(mode, marker, times)
  closers.push(async () => fault.restore())
  return fault
}

const producerIdOf = (m: ReadMessage): string => (m as unknown as { batchContext: { producerId: string } }).batchContext.producerId

describe('platformatic producer: idempotence under faults', () => {
  it('a lost response is retried as the same batch: resolved, one copy, at the acknowledged offset', async () => {
    const t = await topic('lost-response')
    const p = await producerFor('platformatic')
    await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'warm-up' }] })
    const fault = injectProduceFaults('lose-response', 'lost-twice', 2)
    const [r] = await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'lost-twice' }] })
    fault.restore()
    expect(fault.injected).toBe(2)
    await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'after' }] })
    const log = (await readMessages(brokers, [t], 3)).sort(byOffset)
    expect(log.map(text)).toEqual(['warm-up', 'lost-twice', 'after'])
    expect(r?.baseOffset).toBe('1')
    expect(new Set(log.map(producerIdOf)).size, 'no new producer id: nothing was in doubt at the end').toBe(1)
  })

  it('acknowledged means written: sends queued behind one that ends outcome-unknown are written where acknowledged, under a new producer id (bug 2)', async () => {
    const t = await topic('ack-written')
    const other = await topic('ack-written-other')
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = []
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (message, fields) => lines.push({ level: 'warn', message, ...(fields === undefined ? {} : { fields }) }),
      error: (message, fields) => lines.push({ level: 'error', message, ...(fields === undefined ? {} : { fields }) }),
    }
    const p = await producerFor('platformatic', { retries: 2, deliveryTimeoutMs: 2_000 }, logger)
    await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'warm-up' }] })
    await p.send({ topic: other, acks: -1, compression: 'none', messages: [{ value: 'other-warm-up' }] })
    const fault = injectProduceFaults('lose-response', 'doomed', 1_000)
    const started = performance.now()
    const doomed = failure(p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'doomed' }] }))
    const victims = Array.from({ length: 3 }, (_, i) => p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: `victim-${i}` }] }))
    const others = Array.from({ length: 3 }, (_, i) => p.send({ topic: other, acks: -1, compression: 'none', messages: [{ value: `other-${i}` }] }))
    const { error, ms } = await doomed
    const elapsed = performance.now() - started
    const acked = await Promise.all(victims)
    const ackedOther = await Promise.all(others)
    fault.restore()

    expect(isOutcomeUnknown(error), String(error)).toBe(true)
    expect(translateKafkaError(error, context(t)).code).toBe('OUTCOME_UNKNOWN')
    expect(ms).toBeGreaterThanOrEqual(2_000 - 25)
    expect(elapsed).toBeLessThan(2_000 + 2_500)
    const outcomes = sendPartitionOutcomes(error, t)
    expect([...(outcomes?.values() ?? [])]).toEqual([{ partition: 0, written: false }])

    const log = (await readMessages(brokers, [t], 5)).sort(byOffset)
    expect(log.map(text)).toEqual(['warm-up', 'doomed', 'victim-0', 'victim-1', 'victim-2'])
    acked.forEach(([r], i) => expect(r?.baseOffset, `victim-${i}`).toBe(log.find((m) => text(m) === `victim-${i}`)?.offset))
    const [warm, doomedCopy, ...victimCopies] = log
    expect(producerIdOf(doomedCopy as ReadMessage)).toBe(producerIdOf(warm as ReadMessage))
    for (const v of victimCopies) expect(producerIdOf(v), 'a new producer id after the unknown outcome').not.toBe(producerIdOf(warm as ReadMessage))
    expect(lines.filter((l) => l.message.startsWith('Producer id fenced after a send with an unknown outcome'))).toHaveLength(1)

    const otherLog = (await readMessages(brokers, [other], 4)).sort(byOffset)
    expect(otherLog.map(text)).toEqual(['other-warm-up', 'other-0', 'other-1', 'other-2'])
    ackedOther.forEach(([r], i) => expect(r?.baseOffset).toBe(otherLog[i + 1]?.offset))
  })

  it('order is kept under a transient failure: a later send never overtakes a retried one (bug 3)', async () => {
    const t = await topic('order')
    const p = await producerFor('platformatic', { retries: 3 })
    await p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'warm-up' }] })
    const notSent = injectProduceFaults('not-sent', 'first-call', 2)
    const [first, second] = await Promise.all([
      p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'first-call' }] }),
      p.send({ topic: t, acks: -1, compression: 'none', messages: [{ value: 'second-call' }] }),
    ])
    notSent.restore()
    expect(notSent.injected).toBe(2)
    const log = (await readMessages(brokers, [t], 3)).sort(byOffset)
    expect(log.map(text)).toEqual(['warm-up', 'first-call', 'second-call'])
    expect([first?.[0]?.baseOffset, second?.[0]?.baseOffset]).toEqual(['1', '2'])
    expect(new Set(log.map(producerIdOf)).size).toBe(1)
  })

  it('a request to two partitions whose responses are all lost: both named in doubt, each written once', async () => {
    const t = await topic('partial', 2)
    const p = await producerFor('platformatic', { retries: 1, deliveryTimeoutMs: 1_500 })
    const messages = [
      { value: 'p0', partition: 0 },
      { value: 'p1', partition: 1 },
    ]
    const fault = injectProduceFaults('lose-response', 'p0', 1_000)
    const { error } = await failure(p.send({ topic: t, acks: -1, compression: 'none', messages }))
    fault.restore()
    const outcomes = sendPartitionOutcomes(error, t)
    expect([...(outcomes?.values() ?? [])].sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, written: false },
      { partition: 1, written: false },
    ])
    const log = await readMessages(brokers, [t], 2)
    expect(log.map(text).sort(), 'written once each (retries were de-duplicated)').toEqual(['p0', 'p1'])
  })
})
