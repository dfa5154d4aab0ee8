// The platformatic TransportConsumer against the shared local Kafka (never a mock): batching, commits, restarts,
// group sharing (with itself and with kafkajs-transport members), rebalance signals, read_committed filtering (the
// reproductions of PLATFORMATIC-4.4.md, fixed by patches/@platformatic__kafka@2.12.1.patch), committing past a
// trailing transaction marker, static membership, and records identical to kafkajs'.
import { randomBytes } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { connectionInfo } from '@topiq/local-stack'
import { CompressionTypes, type KafkaMessage } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { resolveConnection } from '../config.ts'
import { silentLogger } from '../logger.ts'
import { committedOffsets, endOffsets, rawKafka, uniquePrefix, waitFor, withAdmin } from '../testing.ts'
import { kafkajsTransport } from '../transport-kafkajs.ts'
import type { BatchPayload, ConsumerConfig, TransportConsumer } from '../transport.ts'
import { platformaticConsumer } from './consumer.ts'

const { brokers } = connectionInfo()
const connection = resolveConnection({ brokers })
const prefix = uniquePrefix('plt-consumer')
let seq = 0
const name = (label: string) => `${prefix}${label}-${seq++}`
const open: TransportConsumer[] = []

afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.disconnect()))
  await withAdmin(brokers, async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  })
}, 60_000)

async function topic(label: string, partitions: number): Promise<string> {
  const t = name(label)
  await withAdmin(brokers, (admin) => admin.createTopics({ topics: [{ topic: t, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }))
  return t
}

const config = (groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig => ({
  groupId,
  sessionTimeout: 10_000,
  heartbeatInterval: 500,
  maxWaitTimeInMs: 200,
  partitionAssigners: ['range', 'roundrobin'],
  ...extra,
})

interface Seen {
  batches: { topic: string; partition: number; offsets: string[]; first: string | null; last: string }[]
  messages: (KafkaMessage & { partition: number })[]
  assignments: Record<string, number[]>[]
  events: string[]
}

/**
 * Runs `consumer` the way topiq's consumer does (manual commits of exactly the handled offsets, then past a filtered
 * tail), recording what it sees. `handle` may replace the per-batch behaviour.
 */
async function start(
  consumer: TransportConsumer,
  topics: string[],
  options: { concurrency?: number; handle?: (payload: BatchPayload, seen: Seen) => Promise<void> } = {},
): Promise<Seen> {
  open.push(consumer)
  const seen: Seen = { batches: [], messages: [], assignments: [], events: [] }
  consumer.on('groupJoin', (a) => {
    seen.assignments.push(a)
    seen.events.push('join')
  })
  consumer.on('rebalancing', () => seen.events.push('rebalancing'))
  consumer.on('crash', (e, restart) => seen.events.push(`crash ${restart} ${(e as Error).message}`))
  consumer.on('stop', () => seen.events.push('stop'))
  await consumer.connect()
  await consumer.subscribe({ topics, fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: options.concurrency ?? 1,
    eachBatch: async (payload) => {
      const { batch } = payload
      seen.batches.push({ topic: batch.topic, partition: batch.partition, offsets: batch.messages.map((m) => m.offset), first: batch.firstOffset(), last: batch.lastOffset() })
      if (options.handle !== undefined) return options.handle(payload, seen)
      for (const m of batch.messages) {
        seen.messages.push({ ...m, partition: batch.partition })
        payload.resolveOffset(m.offset)
      }
      // as topiq's consumer (commits.ts filteredTail): past trailing markers / aborted records too
      const next = batch.firstOffset() === null ? undefined : (BigInt(batch.lastOffset()) + 1n).toString()
      if (next !== undefined) await payload.commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] })
    },
  })
  return seen
}

const plt = (groupId: string, extra: Partial<ConsumerConfig> = {}) => platformaticConsumer(connection, silentLogger, { retries: 3 }, config(groupId, extra))
const kjs = (groupId: string, extra: Partial<ConsumerConfig> = {}) => kafkajsTransport(connection, silentLogger, { retries: 3 }).consumer(config(groupId, extra))

async function produce(t: string, messages: { key?: string; value: string; partition?: number }[], compression = CompressionTypes.None): Promise<void> {
  const producer = rawKafka(brokers).producer()
  await producer.connect()
  await producer.send({ topic: t, messages, compression })
  await producer.disconnect()
}

/** `inTransaction(values, commit)`: one transaction of one batch per value. */
async function transactional(t: string): Promise<{ inTransaction: (values: string[], commit: boolean) => Promise<void>; close: () => Promise<void> }> {
  const producer = rawKafka(brokers).producer({ transactionalId: `${prefix}tx-${randomBytes(3).toString('hex')}`, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  return {
    inTransaction: async (values, commit) => {
      const tx = await producer.transaction()
      for (const value of values) await tx.send({ topic: t, messages: [{ value, partition: 0 }] })
      if (commit) await tx.commit()
      else await tx.abort()
    },
    close: () => producer.disconnect(),
  }
}

const partitionsOf = (seen: Seen, t: string) => [...(seen.assignments.at(-1)?.[t] ?? [])].sort()

describe('platformatic TransportConsumer', () => {
  it('hands over at most maxBatchRecords per eachBatch, in order per partition; commits exactly what was handled; a restart resumes after the last commit', async () => {
    const t = await topic('batches', 3)
    await produce(t, Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 17}`, value: `v${i}` })))
    const groupId = name('g-batches')
    const c = plt(groupId, { maxBatchRecords: 40 })
    const seen = await start(c, [t], { concurrency: 3 })
    await waitFor(() => seen.messages.length >= 300, 'all 300 records', 20_000)
    expect(seen.messages.length).toBe(300)
    expect(Math.max(...seen.batches.map((b) => b.offsets.length))).toBeLessThanOrEqual(40)
    expect(seen.batches.some((b) => b.offsets.length === 40)).toBe(true)
    for (const p of [0, 1, 2]) {
      const offsets = seen.messages.filter((m) => m.partition === p).map((m) => Number(m.offset))
      expect(offsets).toEqual(offsets.map((_, i) => i)) // every offset once, in order
    }
    const end = await endOffsets(brokers, t)
    await waitFor(async () => JSON.stringify(await committedOffsets(brokers, groupId, t)) === JSON.stringify(end), 'commits at the log end', 10_000)
    await c.disconnect()
    expect(seen.events).toContain('stop')

    // a commit of exactly what a handler says: only offsets 0..4 of partition 0
    const partial = name('g-partial')
    const p1 = plt(partial)
    const seenPartial = await start(p1, [t], {
      handle: async (payload) => {
        if (payload.batch.partition !== 0) return
        const fifth = payload.batch.messages[4]
        if (fifth !== undefined) await payload.commitOffsetsIfNecessary({ topics: [{ topic: t, partitions: [{ partition: 0, offset: (BigInt(fifth.offset) + 1n).toString() }] }] })
      },
    })
    await waitFor(async () => (await committedOffsets(brokers, partial, t))[0] === 5, 'commit of offset 5', 10_000)
    expect(seenPartial.batches.length).toBeGreaterThan(0)
    await p1.disconnect()
    expect(await committedOffsets(brokers, partial, t)).toEqual({ 0: 5, 1: -1, 2: -1 })

    // restart of the first group: only what arrived since is delivered
    await produce(t, Array.from({ length: 9 }, (_, i) => ({ value: `late${i}`, partition: i % 3 })))
    const again = await start(plt(groupId), [t])
    await waitFor(() => again.messages.length >= 9, '9 late records', 15_000)
    await delay(500)
    expect(again.messages.map((m) => m.value?.toString()).sort()).toEqual(Array.from({ length: 9 }, (_, i) => `late${i}`))
  })

  it('2 members share the partitions; the rebalance makes heartbeat() throw (REBALANCE_IN_PROGRESS) and isStale() true in the batch in hand', async () => {
    const t = await topic('share', 3)
    await produce(t, [0, 1, 2].map((p) => ({ value: `x${p}`, partition: p })))
    const groupId = name('g-share')
    let thrown: (Error & { type?: string }) | undefined
    let staleAfter: boolean | undefined
    let staleBefore: boolean | undefined
    let holding = false
    const a = await start(plt(groupId), [t], {
      handle: async (payload) => {
        if (thrown !== undefined || holding) return
        holding = true
        staleBefore = payload.isStale()
        // hold the batch, heartbeating, until the rebalance is noticed
        for (const deadline = Date.now() + 20_000; Date.now() < deadline; await delay(100)) {
          try {
            await payload.heartbeat()
          } catch (error) {
            thrown = error as Error
            staleAfter = payload.isStale()
            throw error
          }
        }
      },
    })
    await waitFor(() => holding, 'member a holds a batch', 15_000)
    expect(partitionsOf(a, t)).toEqual([0, 1, 2])
    const b = await start(plt(groupId), [t])
    await waitFor(() => thrown !== undefined, 'heartbeat() throws in member a', 20_000)
    expect(thrown?.name).toBe('KafkaJSError')
    expect(thrown?.type).toBe('REBALANCE_IN_PROGRESS')
    expect(staleBefore).toBe(false)
    expect(staleAfter).toBe(true)
    expect(a.events).toContain('rebalancing')
    await waitFor(() => a.assignments.length >= 2 && b.assignments.length >= 1 && partitionsOf(a, t).length + partitionsOf(b, t).length === 3, 'both joined', 20_000)
    // range: 2 + 1, disjoint
    expect([...partitionsOf(a, t), ...partitionsOf(b, t)].sort()).toEqual([0, 1, 2])
    expect([partitionsOf(a, t).length, partitionsOf(b, t).length].sort()).toEqual([1, 2])
  })

  for (const order of ['platformatic first', 'kafkajs first'] as const) {
    it(`a group shared with a kafkajs-transport member (${order}): range split, every record once`, async () => {
      const t = await topic('mixed', 4)
      await produce(t, Array.from({ length: 40 }, (_, i) => ({ value: `m${i}`, partition: i % 4 })))
      const groupId = name('g-mixed')
      const first = await start(order === 'platformatic first' ? plt(groupId) : kjs(groupId), [t])
      await waitFor(() => first.assignments.length >= 1, 'first member joined', 15_000)
      const second = await start(order === 'platformatic first' ? kjs(groupId) : plt(groupId), [t])
      await waitFor(
        () => partitionsOf(first, t).length === 2 && partitionsOf(second, t).length === 2,
        `a 2+2 split (first ${JSON.stringify(first.assignments)}, second ${JSON.stringify(second.assignments)})`,
        30_000,
      )
      expect([...partitionsOf(first, t), ...partitionsOf(second, t)].sort()).toEqual([0, 1, 2, 3])
      const end = await endOffsets(brokers, t)
      await waitFor(async () => JSON.stringify(await committedOffsets(brokers, groupId, t)) === JSON.stringify(end), 'everything committed', 20_000)
      const values = new Set([...first.messages, ...second.messages].map((m) => m.value?.toString()))
      expect(values.size).toBe(40)
    })
  }

  it('read_committed, reproduction A: one producer aborts twice within one fetch response — no aborted record, no marker delivered; committed reaches the log end', async () => {
    const t = await topic('aborts-twice', 1)
    const tx = await transactional(t)
    await tx.inTransaction(['c1'], true)
    await tx.inTransaction(['a1'], false)
    await tx.inTransaction(['c2'], true)
    await tx.inTransaction(['a2'], false)
    await tx.inTransaction(['c3'], true)
    await tx.close()
    await waitFor(async () => (await endOffsets(brokers, t))[0] === 10, 'log end 10', 10_000)
    const groupId = name('g-twice')
    const seen = await start(plt(groupId), [t])
    await waitFor(async () => (await committedOffsets(brokers, groupId, t))[0] === 10, 'commit at the log end (past the last COMMIT marker)', 15_000)
    expect(seen.messages.map((m) => m.value?.toString())).toEqual(['c1', 'c2', 'c3'])
    expect(seen.messages.map((m) => m.offset)).toEqual(['0', '4', '8'])
  })

  it('read_committed, reproduction B: the ABORT marker comes in a later fetch response than the aborted records — none delivered', async () => {
    const t = await topic('aborts-split', 1)
    const tx = await transactional(t)
    // ~450 KB each: the 1 MB per-partition fetch limit splits them from their ABORT marker
    const big = (v: string) => `${v} ${'x'.repeat(450_000)}`
    await tx.inTransaction([big('a1'), big('a2'), big('a3')], false)
    await tx.inTransaction(['c1'], true)
    await tx.close()
    await waitFor(async () => (await endOffsets(brokers, t))[0] === 6, 'log end 6', 10_000)
    const groupId = name('g-split')
    const seen = await start(plt(groupId), [t])
    await waitFor(async () => (await committedOffsets(brokers, groupId, t))[0] === 6, 'commit at the log end', 15_000)
    expect(seen.batches.length).toBeGreaterThan(1) // really split over responses
    expect(seen.messages.map((m) => m.value?.toString().slice(0, 2))).toEqual(['c1'])
  })

  it('a partition ending in a COMMIT marker: the marker-only batch reaches eachBatch and the commit reaches the log end (lag 0)', async () => {
    const t = await topic('marker-tail', 1)
    const tx = await transactional(t)
    await tx.inTransaction(['c1', 'c2'], true)
    await waitFor(async () => (await endOffsets(brokers, t))[0] === 3, 'log end 3', 10_000)
    const groupId = name('g-tail')
    const seen = await start(plt(groupId), [t])
    await waitFor(async () => (await committedOffsets(brokers, groupId, t))[0] === 3, 'commit at 3, past the marker', 15_000)
    expect(seen.messages.map((m) => m.value?.toString())).toEqual(['c1', 'c2'])
    // later: a transaction in a response of its own ends in a batch of markers only
    await tx.inTransaction(['c3'], true)
    await tx.close()
    await waitFor(async () => (await committedOffsets(brokers, groupId, t))[0] === 5, 'commit at 5', 15_000)
    expect(seen.batches.every((b) => BigInt(b.last) >= BigInt(b.offsets.at(-1) ?? -1))).toBe(true)
  })

  it('static membership: disconnect does not leave the group; a restart within the session reclaims its partitions without a rebalance', async () => {
    const t = await topic('static', 2)
    const groupId = name('g-static')
    const a = plt(groupId, { groupInstanceId: `${groupId}-a` })
    const seenA = await start(a, [t])
    await waitFor(() => seenA.assignments.length >= 1, 'a joined', 15_000)
    const seenB = await start(plt(groupId, { groupInstanceId: `${groupId}-b` }), [t])
    await waitFor(() => partitionsOf(seenA, t).length === 1 && partitionsOf(seenB, t).length === 1, 'a 1+1 split', 20_000)
    const ownedByA = partitionsOf(seenA, t)
    const bEvents = seenB.events.length
    await a.disconnect()
    await delay(2_000)
    const members = await withAdmin(brokers, async (admin) => (await admin.describeGroups([groupId])).groups[0]?.members.map((m) => m.clientId) ?? [])
    expect(members).toHaveLength(2) // a is still a member until its session (10 s) times out
    const seenA2 = await start(plt(groupId, { groupInstanceId: `${groupId}-a` }), [t])
    await waitFor(() => seenA2.assignments.length >= 1, 'a restarted', 15_000)
    expect(partitionsOf(seenA2, t)).toEqual(ownedByA)
    await delay(1_500)
    expect(seenB.events.slice(bEvents)).toEqual([]) // b never rebalanced
  })

  it('records are what kafkajs delivers: repeated, null and binary headers, null key, every codec', async () => {
    const t = await topic('records', 1)
    const headers = { 'x-repeated': [Buffer.from('one'), Buffer.from('two'), Buffer.from('three')], 'x-null': null, 'x-binary': Buffer.from([0, 255, 1, 254]), 'x-text': 'plain' }
    const codecs = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD]
    for (const [i, codec] of codecs.entries()) {
      await produce(
        t,
        [
          { key: `key-${i}`, value: `value-${i}-a`, headers } as never,
          { value: `value-${i}-b` },
          { key: `key-${i}`, value: null as never },
        ],
        codec,
      )
    }
    const viaPlatformatic = await start(plt(name('g-rec-plt')), [t])
    const viaKafkajs = await start(kjs(name('g-rec-kjs')), [t])
    await waitFor(() => viaPlatformatic.messages.length >= 15 && viaKafkajs.messages.length >= 15, '15 records each', 20_000)
    expect(viaPlatformatic.messages).toHaveLength(15)
    const first = viaPlatformatic.messages[0]
    expect(first?.headers?.['x-repeated']).toEqual([Buffer.from('one'), Buffer.from('two'), Buffer.from('three')])
    expect(first?.headers?.['x-null']).toBeNull()
    expect(viaPlatformatic.messages).toEqual(viaKafkajs.messages)
  })
})
