// The linger path on the real broker: concurrent publish calls share requests (read back as record batches), each
// still resolves with its own partition and offset or fails alone, per-key order holds, close() and SIGTERM deliver
// what is buffered, and a stopped broker fills the buffer until BUFFER_FULL.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isContractError } from '@topiq/contracts'
import { isKafkaClientError, physicalTopic, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, rawKafka, readMessages, uniquePrefix, withAdmin, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo, startBroker } from '@topiq/local-stack'
import { ConfigResourceTypes } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient } from './producer.ts'
import { decodeHeaders } from '@topiq/kafka-core'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('producer-linger')
const CREATED = 'campaign.created.json'
const topic = physicalTopic(prefix, CREATED)
const event = (id: string, extra: Record<string, unknown> = {}) => ({ campaign_id: id, name: `Event ${id}`, created_at: '2024-01-15T10:00:00Z', ...extra })

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [CREATED]) // campaign.updated.json deliberately not created
})

afterAll(async () => {
  await deleteTestTopics(brokers, prefix)
})

interface Record_ {
  partition: number
  offset: string
  id: string
  eventId: string | undefined
  /** First offset of the record batch it was written in: records sharing it were written as one batch. */
  batch: string
}

/** Every record of the topic, with the record batch each one was written in. */
async function readAll(expected: number, from: readonly string[] = brokers): Promise<Record_[]> {
  const consumer = rawKafka(from).consumer({ groupId: `linger-reader-${Math.random().toString(16).slice(2)}` })
  const out: Record_[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${expected} records`)), 30_000)
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const ctx = (message as unknown as { batchContext?: { firstOffset: string } }).batchContext
          const value = JSON.parse(message.value?.toString() ?? '{}') as { campaign_id: string }
          out.push({ partition, offset: message.offset, id: value.campaign_id, eventId: decodeHeaders(message.headers)['ce_id'], batch: `${partition}/${ctx?.firstOffset ?? '?'}` })
          if (out.length >= expected) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return out
}

describe('linger: concurrent publish calls share requests', () => {
  let before = 0
  const producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, logger: silentLogger })

  afterAll(async () => {
    await producer.close()
  })

  it('1000 concurrent publishes become a few record batches; each resolves with where its own event is', async () => {
    const n = 1000
    const results = await Promise.all(Array.from({ length: n }, (_, i) => producer.publish(CREATED, event(`conc-${i}`))))
    const records = (await readAll(n)).filter((r) => r.id.startsWith('conc-'))
    before = records.length
    expect(records).toHaveLength(n)
    const batches = new Set(records.map((r) => r.batch))
    console.info(`1000 concurrent publishes written as ${batches.size} record batches (${(n / batches.size).toFixed(0)} records per batch)`)
    expect(batches.size).toBeLessThanOrEqual(12) // one request per turn of concurrent callers, split over 3 partitions
    const at = new Map(records.map((r) => [`${r.partition}:${r.offset}`, r]))
    for (const [i, result] of results.entries()) {
      const record = at.get(`${result.partition}:${result.offset}`)
      expect(record?.id).toBe(`conc-${i}`)
      expect(record?.eventId).toBe(result.eventId)
    }
  })

  it('an invalid payload among them fails alone, and a topic that does not exist fails only its own calls', async () => {
    const calls = [
      ...Array.from({ length: 50 }, (_, i) => producer.publish(CREATED, event(`mixed-${i}`))),
      producer.publish(CREATED, event('mixed-bad', { created_at: 'yesterday' })),
      producer.publish('campaign.updated.json', { campaign_id: 'u-1', updated_at: '2024-01-15T10:00:00Z', changes: { name: 'x' } }),
    ]
    const settled = await Promise.allSettled(calls)
    expect(settled.slice(0, 50).every((s) => s.status === 'fulfilled')).toBe(true)
    const invalid = settled[50]
    expect(invalid?.status === 'rejected' && isContractError(invalid.reason)).toBe(true)
    const missing = settled[51]
    expect(missing?.status === 'rejected' && isKafkaClientError(missing.reason, 'TOPIC_NOT_FOUND')).toBe(true)
    const records = await readAll(before + 50)
    expect(records.filter((r) => r.id.startsWith('mixed-'))).toHaveLength(50)
    before = records.length
  })

  it('keeps per-key order across concurrent and sequential callers', async () => {
    const keys = ['k-a', 'k-b', 'k-c', 'k-d', 'k-e']
    const calls: Promise<unknown>[] = []
    for (let round = 0; round < 60; round++) {
      for (const key of keys) calls.push(producer.publish(CREATED, event(`order-${key}-${round}`), { key }))
      if (round % 10 === 0) await new Promise((r) => setImmediate(r)) // spread over several turns and requests
    }
    await Promise.all(calls)
    const records = (await readAll(before + 300)).filter((r) => r.id.startsWith('order-'))
    expect(records).toHaveLength(300)
    for (const key of keys) {
      const rounds = records
        .filter((r) => r.id.startsWith(`order-${key}-`))
        .sort((a, b) => Number(a.offset) - Number(b.offset))
        .map((r) => Number(r.id.split('-').at(-1)))
      expect(new Set(records.filter((r) => r.id.startsWith(`order-${key}-`)).map((r) => r.partition)).size).toBe(1)
      expect(rounds).toEqual(Array.from({ length: 60 }, (_, i) => i))
    }
    before += 300
  })

  it('close() delivers what is still buffered before it disconnects', async () => {
    const own = new KafkaProducerClient({ brokers, topicPrefix: prefix, logger: silentLogger })
    await own.publish(CREATED, event('close-warmup'))
    const pending = Array.from({ length: 500 }, (_, i) => own.publish(CREATED, event(`close-${i}`)))
    await own.close() // not awaiting the publishes first
    const settled = await Promise.allSettled(pending)
    expect(settled.filter((s) => s.status === 'rejected')).toEqual([])
    const records = await readAll(before + 501)
    expect(records.filter((r) => r.id.startsWith('close-') && r.id !== 'close-warmup')).toHaveLength(500)
    before = records.length
  })

  it('SIGTERM of a process with buffered events loses none of them', async () => {
    const child = fileURLToPath(new URL('./fixtures/linger-child.ts', import.meta.url))
    const n = 3000
    const proc = spawn(process.execPath, ['--conditions=@topiq/source', child, String(n), 'sigterm'], {
      env: { ...process.env, KAFKA_BROKER: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, TOPIQ_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not queue in time: ${stderr}`)), 30_000)
      proc.stdout.on('data', (c: Buffer) => {
        if (c.toString().includes('queued')) {
          clearTimeout(timer)
          proc.kill('SIGTERM') // right after the calls: most events are still buffered or in flight
          resolve()
        }
      })
    })
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })))
    expect(exit.signal ?? exit.code).toBe('SIGTERM')
    const records = (await readAll(before + n + 1)).filter((r) => r.id.startsWith('sigterm-') && r.id !== 'sigterm-warmup')
    expect(new Set(records.map((r) => r.id)).size).toBe(n)
    expect(stderr).not.toMatch(/could not be delivered|Unhandled|rejected/i)
  })
})

describe('linger: a request written only in part', () => {
  const partPrefix = uniquePrefix('producer-linger-part')
  const partTopic = physicalTopic(partPrefix, CREATED)

  beforeAll(async () => {
    await createTestTopics(brokers, partPrefix, [CREATED])
    await withAdmin(brokers, (admin) =>
      admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: partTopic, configEntries: [{ name: 'max.message.bytes', value: '20000' }] }] }),
    )
  })

  afterAll(async () => {
    await deleteTestTopics(brokers, partPrefix)
  })

  // One request to three partitions; the broker refuses one partition's batch (MESSAGE_TOO_LARGE) and writes the two
  // others. Each publish gets its own partition's outcome: written ones resolve where they are, the refused ones
  // reject as not sent. None of them is "outcome unknown": the broker answered for every partition.
  it('resolves the publishes of the written partitions and rejects only those of the refused one', async () => {
    await using p = new KafkaProducerClient({ brokers, topicPrefix: partPrefix, logger: silentLogger, env: testEnv(), compression: 'none' })
    await p.publish(CREATED, event('part-warmup'), { key: 'warmup' }) // connected, metadata known: the calls below share one request
    const small = Array.from({ length: 30 }, (_, i) => ({ id: `part-${i}`, key: `key-${i}` }))
    const calls = [
      ...small.map(({ id, key }) => p.publish(CREATED, event(id), { key })),
      p.publish(CREATED, event('part-big', { metadata: { blob: 'x'.repeat(40_000) } }), { key: 'big' }),
    ]
    const settled = await Promise.allSettled(calls)
    const log = await readMessages(brokers, [partTopic], 1 + settled.filter((s) => s.status === 'fulfilled').length)
    const at = new Map(log.map((m) => [`${m.partition}:${m.offset}`, (JSON.parse(m.value?.toString() ?? '{}') as { campaign_id: string }).campaign_id]))
    const written = new Set(at.values())
    const ids = [...small.map((s) => s.id), 'part-big']
    const codes = settled.map((s) => (s.status === 'rejected' ? (isKafkaClientError(s.reason) ? s.reason.code : String(s.reason)) : 'ok'))
    expect(codes.filter((c) => c === 'OUTCOME_UNKNOWN'), 'the broker answered for every partition').toEqual([])
    const big = settled.at(-1)
    expect(big?.status === 'rejected' && isKafkaClientError(big.reason, 'SEND_FAILED') && /larger than the max message size/.test(big.reason.message)).toBe(true)
    for (const [i, s] of settled.entries()) {
      if (s.status === 'fulfilled') expect(at.get(`${s.value.partition}:${s.value.offset}`), `${ids[i]} is where its publish said`).toBe(ids[i])
      else expect(written.has(ids[i] as string), `${ids[i]} was rejected as not sent and is not in the log`).toBe(false)
    }
    const resolved = settled.filter((s): s is PromiseFulfilledResult<Awaited<(typeof calls)[number]>> => s.status === 'fulfilled')
    expect(new Set(resolved.map((r) => r.value.partition)).size, 'two partitions were written').toBe(2)
    expect(resolved.length + codes.filter((c) => c === 'SEND_FAILED').length).toBe(calls.length)
  })
})

describe('linger: a stopped broker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'topiq-linger-broker-'))
  let broker: Awaited<ReturnType<typeof startBroker>> | undefined

  afterAll(async () => {
    const pid = broker?.pid()
    if (pid !== undefined) process.kill(pid, 'SIGCONT')
    await broker?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  it('bounds memory at maxBufferedBytes with BUFFER_FULL, and every publish settles truthfully: nothing is lost silently', { timeout: 180_000 }, async () => {
    broker = await startBroker({ ports: { kafka: 39492, kafkaSasl: 39493, kafkaController: 39494 }, dir: join(dir, 'broker') })
    await createTestTopics(broker.brokers, prefix, [CREATED])
    const maxBufferedBytes = 60_000
    const producer = new KafkaProducerClient({
      brokers: broker.brokers,
      topicPrefix: prefix,
      logger: silentLogger,
      maxBufferedBytes,
      batchBytes: 20_000,
      deliveryTimeoutMs: 3_000,
      requestTimeoutMs: 30_000, // the stopped broker must not time the in-flight request out during the test
    })
    await producer.publish(CREATED, event('stopped-warmup'))
    const pid = broker.pid()
    if (pid === undefined) throw new Error('test broker has no pid')
    process.kill(pid, 'SIGSTOP') // a broker that accepts nothing and answers nothing
    const n = 1000
    let peak = 0
    const sampler = setInterval(() => (peak = Math.max(peak, producer.bufferedBytes)), 5)
    const calls = Array.from({ length: n }, (_, i) => producer.publish(CREATED, event(`stopped-${i}`, { metadata: { pad: 'x'.repeat(300) } })))
    const settling = Promise.allSettled(calls) // handled from the start: rejections arrive while the broker is stopped
    await new Promise((r) => setTimeout(r, 6_000)) // the buffer fills, waiters time out, the oldest sends give up
    process.kill(pid, 'SIGCONT')
    const settled = await settling
    await producer.close()
    clearInterval(sampler)

    const outcome = (s: PromiseSettledResult<unknown>) => (s.status === 'fulfilled' ? 'sent' : ((s.reason as { code?: string }).code ?? 'other'))
    const counts: Record<string, number> = {}
    for (const s of settled) counts[outcome(s)] = (counts[outcome(s)] ?? 0) + 1
    console.info(`stopped broker, ${n} publishes: ${JSON.stringify(counts)}; peak buffered ${peak} of ${maxBufferedBytes} bytes`)
    expect(Object.keys(counts).every((k) => ['sent', 'BUFFER_FULL', 'SEND_FAILED', 'OUTCOME_UNKNOWN'].includes(k))).toBe(true)
    expect(counts['BUFFER_FULL']).toBeGreaterThan(0)
    const full = settled.find((s) => s.status === 'rejected' && isKafkaClientError(s.reason, 'BUFFER_FULL'))
    expect(full?.status === 'rejected' && (full.reason as Error).message).toMatch(/maxBufferedBytes 60000 .*deliveryTimeoutMs \(3000 ms\)/)
    expect(peak).toBeLessThanOrEqual(maxBufferedBytes)

    // What each publish said is what the log holds: sent ones are there once, refused ("not sent") ones are not.
    const sent = counts['sent'] ?? 0
    const unknown = counts['OUTCOME_UNKNOWN'] ?? 0
    const records = (await readAll(sent + 1, broker.brokers)).filter((r) => r.id.startsWith('stopped-') && r.id !== 'stopped-warmup')
    const inLog = new Set(records.map((r) => r.id))
    expect(records.length).toBe(inLog.size) // no duplicates
    settled.forEach((s, i) => {
      const state = outcome(s)
      if (state === 'sent') expect(inLog.has(`stopped-${i}`)).toBe(true)
      if (state === 'BUFFER_FULL' || state === 'SEND_FAILED') expect(inLog.has(`stopped-${i}`)).toBe(false)
    })
    expect(inLog.size).toBeGreaterThanOrEqual(sent)
    expect(inLog.size).toBeLessThanOrEqual(sent + unknown)
  })
})
