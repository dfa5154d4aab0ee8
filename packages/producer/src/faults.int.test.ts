// "Acknowledged means written", by fault injection: N events with unique sequence numbers in flight through each
// producer API, the broker killed with SIGKILL mid-run and restarted, then the whole topic read back. Runs against a
// DEDICATED broker (own ports, own data dir), never the shared stack.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isKafkaClientError, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, endOffsets, readMessages, uniquePrefix, withAdmin, testEnv } from '@topiq/kafka-core/testing'
import { startBroker, type TestBroker } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient, type BatchFailure } from './producer.ts'
import { decode, recordingLogger } from './test-helpers.ts'

const CREATED = 'campaign.created.json'
const ports = { kafka: Number(process.env['FAULT_BROKER_PORT'] ?? 39192), kafkaSasl: 0, kafkaController: 0 }
const N = Number(process.env['FAULT_N'] ?? 6000)
const BATCH = 25
const CONCURRENCY = 48
/** Kill once these shares of the events are acknowledged: each kill lands while requests are in flight. */
const KILL_AT = [0.25, 0.6]
const RUN_LIMIT_MS = 60_000

let broker: TestBroker

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'topiq-fault-broker-'))
  broker = await startBroker({ ports: { ...ports, kafkaSasl: ports.kafka + 1, kafkaController: ports.kafka + 2 }, dir })
}, 180_000)

afterAll(async () => {
  await broker?.stop()
}, 60_000)

const event = (seq: number) => ({
  campaign_id: `cmp-${seq % 30}`,
  name: `fault ${seq}`,
  created_at: '2024-01-15T10:00:00Z',
  metadata: { seq },
})

type Outcome =
  | { kind: 'acked'; seqs: number[]; where?: { partition: number; offset: string; eventId: string }[] }
  | { kind: 'rejected'; seqs: number[]; code: string }

interface Counts {
  acknowledged: number
  ackedMissing: number
  ackedOffsetHoldsOther: number
  unknownOutcome: number
  rejectedButWritten: number
  rejectedButWrittenNotUnknown: number
  duplicates: number
  rejected: number
  written: number
  ackedAtKill: number
}

/**
 * Runs `send` over the units with CONCURRENCY in flight; kills the broker (SIGKILL) at each KILL_AT share of
 * acknowledged events and restarts it. A rejected caller waits a little before its next send, as an application
 * would, so the run spans the restarts. `ackedAtKill`: events acknowledged when the first kill landed.
 */
async function faultRun(units: number, eventsPerUnit: number, send: (unit: number) => Promise<Outcome>): Promise<{ outcomes: Outcome[]; ackedAtKill: number }> {
  const outcomes: Outcome[] = []
  let next = 0
  let acked = 0
  let ackedAtKill = -1
  let kills = 0
  let crash: Promise<void> = Promise.resolve()
  let down = false
  const started = Date.now()
  const worker = async (): Promise<void> => {
    while (next < units && Date.now() - started < RUN_LIMIT_MS) {
      const outcome = await send(next++)
      outcomes.push(outcome)
      if (outcome.kind === 'acked') acked += outcome.seqs.length
      else await new Promise((r) => setTimeout(r, 250))
      const share = KILL_AT[kills]
      if (!down && share !== undefined && acked >= units * eventsPerUnit * share) {
        if (kills === 0) ackedAtKill = acked
        kills++
        down = true
        crash = (async () => {
          await broker.kill()
          await broker.restart()
          down = false
        })()
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  await crash
  expect(kills, 'every planned kill landed mid-run').toBe(KILL_AT.length)
  return { outcomes, ackedAtKill }
}

/** Reads the whole topic back and compares it with what each call said. */
async function audit(topic: string, outcomes: Outcome[], ackedAtKill: number): Promise<Counts> {
  const ends = await endOffsets(broker.brokers, topic)
  const low = await withAdmin(broker.brokers, async (admin) => admin.fetchTopicOffsets(topic))
  const total = low.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
  expect(Object.keys(ends).length).toBe(3)
  const log = total === 0 ? [] : await readMessages(broker.brokers, [topic], total, 45_000)
  const bySeq = new Map<number, number>()
  const atOffset = new Map<string, { seq: number; eventId: string }>()
  for (const m of log) {
    const d = decode(m)
    const seq = (d.value as { metadata: { seq: number } }).metadata.seq
    bySeq.set(seq, (bySeq.get(seq) ?? 0) + 1)
    atOffset.set(`${m.partition}@${m.offset}`, { seq, eventId: d.headers['ce_id'] ?? '' })
  }
  const counts: Counts = {
    acknowledged: 0,
    ackedMissing: 0,
    ackedOffsetHoldsOther: 0,
    unknownOutcome: 0,
    rejectedButWritten: 0,
    rejectedButWrittenNotUnknown: 0,
    duplicates: [...bySeq.values()].reduce((sum, n) => sum + n - 1, 0),
    rejected: 0,
    written: log.length,
    ackedAtKill,
  }
  for (const o of outcomes) {
    if (o.kind === 'acked') {
      counts.acknowledged += o.seqs.length
      for (const s of o.seqs) if (!bySeq.has(s)) counts.ackedMissing++
      for (const w of o.where ?? []) if (atOffset.get(`${w.partition}@${w.offset}`)?.eventId !== w.eventId) counts.ackedOffsetHoldsOther++
    } else {
      counts.rejected += o.seqs.length
      if (o.code === 'OUTCOME_UNKNOWN') counts.unknownOutcome += o.seqs.length
      for (const s of o.seqs) {
        if (!bySeq.has(s)) continue
        counts.rejectedButWritten++
        if (o.code !== 'OUTCOME_UNKNOWN') counts.rejectedButWrittenNotUnknown++
      }
    }
  }
  return counts
}

function report(api: string, c: Counts): void {
  console.log(
    `faults ${api}: acknowledged=${c.acknowledged} acked-missing=${c.ackedMissing} acked-offset-holds-another=${c.ackedOffsetHoldsOther} ` +
      `unknown-outcome=${c.unknownOutcome} rejected=${c.rejected} rejected-but-written=${c.rejectedButWritten} ` +
      `(not OUTCOME_UNKNOWN: ${c.rejectedButWrittenNotUnknown}) duplicates=${c.duplicates} written=${c.written} acked-at-kill=${c.ackedAtKill}`,
  )
}

function client(prefix: string, logger = silentLogger): KafkaProducerClient {
  return new KafkaProducerClient({
    brokers: broker.brokers,
    topicPrefix: prefix,
    clientId: 'fault-test',
    logger,
    env: testEnv(),
    requestTimeoutMs: 5_000,
    ...(process.env['FAULT_BEFORE'] === '1' ? {} : { deliveryTimeoutMs: 30_000 }),
  })
}

const codeOf = (error: unknown): string => (isKafkaClientError(error) ? error.code : 'FALSE')

function check(c: Counts, events: number): void {
  expect(c.ackedAtKill, 'the kill must land mid-run').toBeGreaterThan(0)
  expect(c.ackedAtKill).toBeLessThan(events)
  expect(c.acknowledged).toBeGreaterThan(c.ackedAtKill)
  expect(c.ackedMissing).toBe(0)
  expect(c.ackedOffsetHoldsOther).toBe(0)
  expect(c.rejectedButWrittenNotUnknown).toBe(0)
}

describe('a broker killed with SIGKILL while sends are in flight', () => {
  it('publish: every acknowledged event is in the log at the offset it was acknowledged with', async () => {
    const prefix = uniquePrefix('fault-publish')
    const [topic] = await createTestTopics(broker.brokers, prefix, [CREATED])
    await using producer = client(prefix)
    const { outcomes, ackedAtKill } = await faultRun(N, 1, async (seq) => {
      try {
        const r = await producer.publish(CREATED, event(seq))
        return { kind: 'acked', seqs: [seq], where: [{ partition: r.partition, offset: r.offset, eventId: r.eventId }] }
      } catch (error) {
        return { kind: 'rejected', seqs: [seq], code: codeOf(error) }
      }
    })
    const c = await audit(topic as string, outcomes, ackedAtKill)
    report('publish', c)
    check(c, N)
  }, 150_000)

  it('sendMessage: true only for events in the log; OUTCOME_UNKNOWN logged distinctly', async () => {
    const prefix = uniquePrefix('fault-send-message')
    const [topic] = await createTestTopics(broker.brokers, prefix, [CREATED])
    const logger = recordingLogger()
    await using producer = client(prefix, logger)
    const { outcomes, ackedAtKill } = await faultRun(N, 1, async (seq) => {
      const ok = await producer.sendMessage({ topic: CREATED, value: event(seq) })
      // false carries no reason: the log line does (one per failed call).
      return ok ? { kind: 'acked', seqs: [seq] } : { kind: 'rejected', seqs: [seq], code: 'FALSE' }
    })
    const c = await audit(topic as string, outcomes, ackedAtKill)
    const unknownLines = logger.lines.filter((l) => l.fields?.['code'] === 'OUTCOME_UNKNOWN').length
    c.unknownOutcome = unknownLines
    c.rejectedButWrittenNotUnknown = Math.max(0, c.rejectedButWritten - unknownLines)
    report('sendMessage', c)
    check(c, N)
  }, 150_000)

  it('publishBatch: every acknowledged batch is in the log at the offsets it was acknowledged with', async () => {
    const prefix = uniquePrefix('fault-publish-batch')
    const [topic] = await createTestTopics(broker.brokers, prefix, [CREATED])
    await using producer = client(prefix)
    const units = Math.ceil(N / BATCH)
    const { outcomes, ackedAtKill } = await faultRun(units, BATCH, async (unit) => {
      const seqs = Array.from({ length: BATCH }, (_, i) => unit * BATCH + i)
      try {
        const r = await producer.publishBatch(
          CREATED,
          seqs.map((s) => event(s)),
        )
        // The first event of each partition sits at that partition's base offset.
        const where = r.partitions.map((p) => ({ partition: p.partition, offset: p.baseOffset, eventId: '' }))
        return { kind: 'acked', seqs, where: firstOfPartition(r.eventIds, seqs, where) }
      } catch (error) {
        return { kind: 'rejected', seqs, code: codeOf(error) }
      }
    })
    const c = await audit(topic as string, outcomes, ackedAtKill)
    report('publishBatch', c)
    check(c, units * BATCH)
  }, 150_000)

  it('sendBatch: counts only events in the log', async () => {
    const prefix = uniquePrefix('fault-send-batch')
    const [topic] = await createTestTopics(broker.brokers, prefix, [CREATED])
    await using producer = client(prefix)
    const units = Math.ceil(N / BATCH)
    const { outcomes, ackedAtKill } = await faultRun(units, BATCH, async (unit) => {
      const seqs = Array.from({ length: BATCH }, (_, i) => unit * BATCH + i)
      let failures: readonly BatchFailure[] = []
      const sent = await producer.sendBatch(
        seqs.map((s) => ({ topic: CREATED, value: event(s) })),
        { onFailure: (f) => (failures = f) },
      )
      if (sent === BATCH) return { kind: 'acked', seqs }
      expect(sent).toBe(0) // one request: all or nothing is known
      return { kind: 'rejected', seqs, code: failures[0]?.error.code ?? 'FALSE' }
    })
    const c = await audit(topic as string, outcomes, ackedAtKill)
    report('sendBatch', c)
    check(c, units * BATCH)
  }, 150_000)
})

/**
 * Which event id must sit at each partition's base offset: the first event of the batch routed to that partition
 * (the DefaultPartitioner is murmur2 of the key, so the partition of `cmp-<seq % 30>` is found from the log instead:
 * the audit compares ids, so here each partition gets the first event id of the batch whose key maps there).
 */
function firstOfPartition(eventIds: string[], seqs: number[], where: { partition: number; offset: string; eventId: string }[]) {
  const partitionOfKey = keyPartitions
  return where.map((w) => {
    const index = seqs.findIndex((s) => partitionOfKey.get(`cmp-${s % 30}`) === w.partition)
    return { ...w, eventId: eventIds[index] ?? '' }
  })
}

/** murmur2 partition of each of the 30 keys over 3 partitions, learned from the broker in `keyPartitions` setup. */
const keyPartitions = new Map<string, number>()
beforeAll(async () => {
  const prefix = uniquePrefix('fault-keys')
  const [topic] = await createTestTopics(broker.brokers, prefix, [CREATED])
  await using producer = client(prefix)
  for (let k = 0; k < 30; k++) {
    const r = await producer.publish(CREATED, event(k))
    keyPartitions.set(`cmp-${k}`, r.partition)
  }
  expect(topic).toBeDefined()
}, 60_000)
