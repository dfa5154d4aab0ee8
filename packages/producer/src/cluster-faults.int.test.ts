// Faults on a DEDICATED 3-node KRaft cluster (RF 3, min.insync.replicas 2; own ports 39300–39308 and dirs, never the
// shared stack): (a) the partition leader killed with SIGKILL while typed sends are in flight (acks=all), for
// publish and publishBatch: 0 acknowledged lost, 0 duplicated, per-key order kept; (b) a rolling restart of all three
// nodes under a running producer and a running consumer group: 0 lost, duplicates counted, no consumer crashes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaConsumerClient } from '@topiq/consumer'
import { isKafkaClientError, physicalTopic, silentLogger, topicPlan } from '@topiq/kafka-core'
import { readMessages, uniquePrefix, withAdmin, testEnv } from '@topiq/kafka-core/testing'
import { startCluster, type TestCluster } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient } from './producer.ts'
import { decode } from './test-helpers.ts'

const CREATED = 'campaign.created.json'
const BASE_PORT = Number(process.env['CLUSTER_FAULT_BASE_PORT'] ?? 39300)
/** One sequential caller per key, each with up to WINDOW calls in flight (in call order): per-key order is defined. */
const KEYS = 12
const WINDOW = 4
const dir = mkdtempSync(join(tmpdir(), 'topiq-cluster-faults-'))
let cluster: TestCluster

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, basePort: BASE_PORT, dir, log: (line) => console.info(`[cluster] ${line}`) })
}, 180_000)

afterAll(async () => {
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
}, 90_000)

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The topic and its dead-letter topic with 3 partitions, replication factor 3, min.insync.replicas 2. */
async function createReplicatedTopics(prefix: string): Promise<string> {
  await withAdmin(cluster.brokers, async (admin) => {
    const ok = await admin.createTopics({
      waitForLeaders: true,
      topics: topicPlan(prefix, [CREATED]).map((t) => ({
        topic: t.topic,
        numPartitions: t.numPartitions,
        replicationFactor: 3,
        configEntries: [...t.configEntries.filter((c) => c.name !== 'min.insync.replicas'), { name: 'min.insync.replicas', value: '2' }],
      })),
    })
    expect(ok).toBe(true)
  })
  const topic = physicalTopic(prefix, CREATED)
  await cluster.waitInSync([topic])
  const partitions = await cluster.partitions(topic)
  expect(partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3])
  return topic
}

const event = (key: number, seq: number) => ({ campaign_id: `key-${key}`, name: `cluster fault ${seq}`, created_at: '2024-01-15T10:00:00Z', metadata: { seq, key } })

function producer(prefix: string): KafkaProducerClient {
  return new KafkaProducerClient({ brokers: cluster.brokers, topicPrefix: prefix, clientId: 'cluster-fault-test', logger: silentLogger, env: testEnv(), requestTimeoutMs: 5_000, deliveryTimeoutMs: 60_000 })
}

interface Ack {
  seqs: number[]
  /** Partition and offset of the first of `seqs` (publish: the only one). */
  partition: number
  offset: string
  eventId: string
  at: number
}

interface Ledger {
  acked: Ack[]
  /** seq → error code of a rejected call. */
  rejected: Map<number, string>
  /** Next seq per key (callers number their events 0, 1, 2, … per key; seq = n * KEYS + key). */
  sent: number
}

type Sender = (key: number, seqs: number[]) => Promise<Omit<Ack, 'seqs' | 'at'>>

/**
 * KEYS callers, one per key, each keeping WINDOW calls in flight in call order, `perCall` events per call, until
 * `until()` says stop. Returns the ledger of what every call said.
 */
async function drive(send: Sender, perCall: number, until: (ledger: Ledger) => boolean): Promise<Ledger> {
  const ledger: Ledger = { acked: [], rejected: new Map(), sent: 0 }
  const next = new Array<number>(KEYS).fill(0)
  const caller = async (key: number): Promise<void> => {
    const inFlight = new Set<Promise<void>>()
    while (!until(ledger)) {
      const seqs = Array.from({ length: perCall }, () => {
        const n = next[key] ?? 0
        next[key] = n + 1
        return n * KEYS + key
      })
      ledger.sent += seqs.length
      const call = send(key, seqs).then(
        (r) => void ledger.acked.push({ ...r, seqs, at: Date.now() }),
        (error: unknown) => {
          for (const s of seqs) ledger.rejected.set(s, isKafkaClientError(error) ? error.code : String(error))
          if (process.env['FAULT_DEBUG']) console.info(`rejected: ${(error as Error).message}`)
        },
      )
      const tracked: Promise<void> = call.finally(() => inFlight.delete(tracked))
      inFlight.add(tracked)
      if (inFlight.size >= WINDOW) await Promise.race(inFlight)
      if (ledger.rejected.size > 0 && ledger.rejected.has(seqs[0] as number)) await sleep(100) // as an application would back off
    }
    await Promise.all(inFlight)
  }
  await Promise.all(Array.from({ length: KEYS }, (_, k) => caller(k)))
  return ledger
}

interface Audit {
  acknowledged: number
  lost: number
  offsetHoldsOther: number
  duplicated: number
  unknownOutcome: number
  rejectedButWrittenNotUnknown: number
  orderViolations: number
  written: number
  /** Samples, for the report: why a count is not 0. */
  samples: string[]
}

/** Reads the whole topic back and checks it against the ledger. */
async function audit(topic: string, ledger: Ledger): Promise<Audit> {
  const offsets = await withAdmin(cluster.brokers, (admin) => admin.fetchTopicOffsets(topic))
  const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  const log = total === 0 ? [] : await readMessages(cluster.brokers, [topic], total, 60_000)
  const count = new Map<number, number>()
  const at = new Map<string, string>()
  const where = new Map<string, string>()
  const samples: string[] = []
  const perKey = new Map<string, { partition: number; offset: bigint; seq: number }[]>()
  for (const m of log) {
    const d = decode(m)
    const seq = (d.value as { metadata: { seq: number } }).metadata.seq
    count.set(seq, (count.get(seq) ?? 0) + 1)
    at.set(`${m.partition}@${m.offset}`, d.headers['ce_id'] ?? '')
    where.set(d.headers['ce_id'] ?? '', `seq ${seq} at ${m.partition}@${m.offset}`)
    const list = perKey.get(d.key ?? '') ?? []
    list.push({ partition: m.partition, offset: BigInt(m.offset), seq })
    perKey.set(d.key ?? '', list)
  }
  let orderViolations = 0
  for (const list of perKey.values()) {
    expect(new Set(list.map((x) => x.partition)).size, 'one key, one partition').toBe(1)
    list.sort((x, y) => (x.offset < y.offset ? -1 : 1))
    for (let i = 1; i < list.length; i++) {
      const [a, b] = [list[i - 1], list[i]]
      if (a === undefined || b === undefined || b.seq >= a.seq) continue
      orderViolations++
      if (samples.length < 6) samples.push(`order: seq ${a.seq} at ${a.partition}@${a.offset} before seq ${b.seq} at ${b.partition}@${b.offset}`)
    }
  }
  const ackedSeqs = ledger.acked.flatMap((a) => a.seqs)
  for (const a of ledger.acked) {
    if (at.get(`${a.partition}@${a.offset}`) === a.eventId || samples.length >= 12) continue
    samples.push(`acked seq ${a.seqs[0]} at ${a.partition}@${a.offset}, which holds ${where.get(at.get(`${a.partition}@${a.offset}`) ?? '') ?? 'nothing'}; the event is ${where.get(a.eventId) ?? 'absent'}`)
  }
  return {
    acknowledged: ackedSeqs.length,
    lost: ackedSeqs.filter((s) => !count.has(s)).length,
    offsetHoldsOther: ledger.acked.filter((a) => at.get(`${a.partition}@${a.offset}`) !== a.eventId).length,
    duplicated: [...count.values()].reduce((sum, n) => sum + n - 1, 0),
    unknownOutcome: [...ledger.rejected.values()].filter((c) => c === 'OUTCOME_UNKNOWN').length,
    rejectedButWrittenNotUnknown: [...ledger.rejected].filter(([s, c]) => c !== 'OUTCOME_UNKNOWN' && count.has(s)).length,
    orderViolations,
    written: log.length,
    samples,
  }
}

/** Longest time without any acknowledgement between `from` and the last ack (the producer's stall). */
function longestAckGap(ledger: Ledger, from: number): number {
  const times = ledger.acked.map((a) => a.at).filter((t) => t >= from).sort((a, b) => a - b)
  let gap = times.length > 0 ? (times[0] as number) - from : Infinity
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] as number) - (times[i - 1] as number))
  return gap
}

describe('3-node cluster: the partition leader killed with SIGKILL during acks=all sends', () => {
  const scenario = (api: 'publish' | 'publishBatch', perCall: number, total: number) => async () => {
    const prefix = uniquePrefix(`cluster-leader-${api}`)
    const topic = await createReplicatedTopics(prefix)
    await using p = producer(prefix)
    await p.publish(CREATED, event(0, -1)).catch(() => undefined) // connect and learn metadata before the clock runs
    const send: Sender =
      api === 'publish'
        ? async (key, seqs) => {
            const r = await p.publish(CREATED, event(key, seqs[0] as number))
            return { partition: r.partition, offset: r.offset, eventId: r.eventId }
          }
        : async (key, seqs) => {
            const r = await p.publishBatch(
              CREATED,
              seqs.map((s) => event(key, s)),
            )
            const first = r.partitions[0]
            expect(r.partitions).toHaveLength(1) // one key per call: one partition
            return { partition: first?.partition ?? -1, offset: first?.baseOffset ?? '', eventId: r.eventIds[0] ?? '' }
          }
    // Kill the leader of the partition holding the most keys once a third is acknowledged; restart it in the
    // background (the run goes on without it: min ISR 2 of the 2 survivors).
    let killedAt = 0
    let victim = 0
    let crash: Promise<void> = Promise.resolve()
    const ledger = await drive(send, perCall, (l) => {
      const acked = l.acked.length * perCall
      if (killedAt === 0 && acked >= total / 3) {
        killedAt = Date.now()
        crash = (async () => {
          const leaders = await cluster.partitions(topic)
          const busiest = leaders.reduce((a, b) => (countKeys(l, b.partition) > countKeys(l, a.partition) ? b : a))
          victim = busiest.leader
          await cluster.node(victim).kill()
          await sleep(3_000)
          await cluster.node(victim).restart()
        })()
      }
      return l.sent >= total
    })
    await crash
    expect(killedAt, 'the kill landed mid-run').toBeGreaterThan(0)
    const stallMs = longestAckGap(ledger, killedAt)
    const a = await audit(topic, ledger)
    console.info(
      `cluster-faults leader-kill ${api}: killed node ${victim} after ${Math.round(total / 3)} acks; acknowledged=${a.acknowledged} lost=${a.lost} ` +
        `offset-holds-another=${a.offsetHoldsOther} duplicated=${a.duplicated} unknown-outcome=${a.unknownOutcome} ` +
        `rejected=${JSON.stringify(Object.fromEntries([...new Set(ledger.rejected.values())].map((c) => [c, [...ledger.rejected.values()].filter((x) => x === c).length])))} ` +
        `(written but not OUTCOME_UNKNOWN: ${a.rejectedButWrittenNotUnknown}) order-violations=${a.orderViolations} ` +
        `written=${a.written} stall=${(stallMs / 1000).toFixed(1)}s${a.samples.length > 0 ? `\n  ${a.samples.join('\n  ')}` : ''}`,
    )
    expect(a.acknowledged).toBeGreaterThan(total / 3) // acknowledgements went on after the kill
    expect(a.lost).toBe(0)
    expect(a.offsetHoldsOther).toBe(0)
    expect(a.duplicated).toBe(0)
    expect(a.unknownOutcome).toBe(0) // a leader failover is within the delivery timeout: every outcome known
    expect(a.rejectedButWrittenNotUnknown).toBe(0)
    expect(a.orderViolations).toBe(0)
    // Fencing the dead leader takes broker.session.timeout.ms (9 s); the stall must not be much longer.
    expect(stallMs).toBeLessThan(25_000)
    await cluster.waitInSync([topic], 60_000)
  }

  it('publish', { timeout: 150_000 }, scenario('publish', 1, 3_000))
  it('publishBatch', { timeout: 150_000 }, scenario('publishBatch', 10, 12_000))
})

/** How many acknowledgements of the ledger went to `partition` (to find the busiest leader). */
function countKeys(ledger: Ledger, partition: number): number {
  return ledger.acked.filter((a) => a.partition === partition).length
}

describe('3-node cluster: rolling restart under a running producer and consumer group', () => {
  it('loses nothing; duplicates are counted; no consumer crashes', { timeout: 240_000 }, async () => {
    const prefix = uniquePrefix('cluster-rolling')
    const topic = await createReplicatedTopics(prefix)
    await using p = producer(prefix)
    const handled = new Map<number, number>()
    let lastHandled = 0
    let consumerStallMs = 0
    const groupId = `cluster-rolling-${prefix}`
    const members = Array.from(
      { length: 3 },
      () =>
        new KafkaConsumerClient({
          brokers: cluster.brokers,
          topicPrefix: prefix,
          topics: [CREATED],
          groupId,
          handleSignals: false,
          logger: silentLogger,
          env: testEnv(),
          messageHandler: (m) => {
            const seq = (m.value.metadata as { seq: number }).seq
            handled.set(seq, (handled.get(seq) ?? 0) + 1)
            const now = Date.now()
            if (lastHandled > 0) consumerStallMs = Math.max(consumerStallMs, now - lastHandled)
            lastHandled = now
          },
        }),
    )
    try {
      await Promise.all(members.map((m) => m.start({ blocking: false })))
      let rolling = true
      const rollStartedAt = Date.now()
      const producing = drive(
        async (key, seqs) => {
          const r = await p.publish(CREATED, event(key, seqs[0] as number))
          await sleep(20) // a steady stream, not a flood: the roll takes a minute
          return { partition: r.partition, offset: r.offset, eventId: r.eventId }
        },
        1,
        () => !rolling,
      )
      const restarts: string[] = []
      for (const node of cluster.nodes) {
        const t = Date.now()
        const how = await node.terminate(30_000)
        await node.restart()
        await cluster.waitInSync([topic], 90_000)
        restarts.push(`node ${node.id} ${how} → in sync ${((Date.now() - t) / 1000).toFixed(1)}s`)
      }
      await sleep(2_000)
      rolling = false
      const ledger = await producing
      const acked = ledger.acked.flatMap((a) => a.seqs)
      const deadline = Date.now() + 60_000
      while (acked.some((s) => !handled.has(s)) && Date.now() < deadline) await sleep(200)
      const a = await audit(topic, ledger)
      const lost = acked.filter((s) => !handled.has(s)).length
      const codes = new Map<string, number>()
      for (const c of ledger.rejected.values()) codes.set(c, (codes.get(c) ?? 0) + 1)
      const duplicates = [...handled.values()].reduce((sum, n) => sum + n - 1, 0)
      console.info(
        `cluster-faults rolling-restart: ${restarts.join('; ')}; acknowledged=${a.acknowledged} lost-in-log=${a.lost} lost-by-consumers=${lost} ` +
          `duplicated-in-log=${a.duplicated} redelivered=${duplicates} unknown-outcome=${a.unknownOutcome} rejected=${JSON.stringify(Object.fromEntries(codes))} ` +
          `(written but not OUTCOME_UNKNOWN: ${a.rejectedButWrittenNotUnknown}) order-violations=${a.orderViolations} producer-stall=${(longestAckGap(ledger, rollStartedAt) / 1000).toFixed(1)}s consumer-stall=${(consumerStallMs / 1000).toFixed(1)}s ` +
          `consumer-status=${members.map((m) => m.status).join(',')}${a.samples.length > 0 ? `\n  ${a.samples.join('\n  ')}` : ''}`,
      )
      expect(a.acknowledged).toBeGreaterThan(500)
      expect(a.lost).toBe(0)
      expect(a.offsetHoldsOther).toBe(0)
      expect(a.rejectedButWrittenNotUnknown).toBe(0)
      expect(a.orderViolations).toBe(0)
      expect(lost).toBe(0)
      // at-least-once: redelivery allowed and counted; every member still runs, none stopped with an error
      for (const m of members) {
        expect(m.error).toBeUndefined()
        expect(m.status).toBe('running')
      }
    } finally {
      await Promise.all(members.map((m) => m.stop().catch(() => undefined)))
    }
  })
})
