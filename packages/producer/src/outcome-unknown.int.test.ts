// OUTCOME_UNKNOWN, forced, on a DEDICATED single-node broker (own ports 39220–39222 and temp dir, never the shared
// stack), for every producer API: publish through the linger buffer, publish with lingerMs: 0, publishBatch,
// sendMessage and sendBatch, each on its own client and topic, all in one fault window.
//
// The fault: SIGSTOP of the broker JVM (checked in /proc to be stopped before anything is sent) after each client is
// connected and has its producer id (a warm-up publish). A stopped process keeps its sockets: the kernel still accepts the produce request's bytes into the broker's socket
// buffer, so the request has LEFT this process (it is not "not sent"), but nobody answers. kafkajs keeps the
// connection open and times the request out after requestTimeoutMs (KafkaJSRequestTimeoutError), which is neither a
// refused connection nor a broker answer: the patched sendMessages.js marks the partitions in doubt and resends the
// same batch (same producer id, epoch and sequence numbers) until deliveryTimeoutMs has passed, then rejects with
// KafkaJSOutcomeUnknownError and fences the producer id. (SIGKILL drops the connection instead: equally in doubt, but
// a broker restarted within deliveryTimeoutMs answers the resend and the outcome becomes known — faults.int.test.ts —
// and one that stays down leaves nothing to read back. SIGSTOP makes the request's fate unknown to the client while
// it sits, intact, in the broker's socket buffer: the dangerous case, where an "unknown" batch is in fact written.)
//
// After SIGCONT the broker reads what waited in its socket buffer — the first request and every resend of it — so an
// unknown batch may now be written, at most once (the resends carry the same sequence numbers and are deduplicated);
// that is why its outcome was "unknown". Then each client sends again and the whole topic is read back (with each
// record batch's producer id and first sequence, from kafkajs' batchContext) and compared with what each call said:
// - each faulted call rejected with OUTCOME_UNKNOWN (never resolved, never CONNECTION_REFUSED or a "not sent" code),
//   no sooner than deliveryTimeoutMs, naming in error.eventIds exactly the ce_id of its own events, and saying what
//   to do (dedupe on ce_id, or look for these ids before resending); sendMessage returned false and logged that;
//   sendBatch returned a count without them and reported them to onFailure as `outcome-unknown`;
// - every unknown event is in the log 0 or 1 times, written under the old producer id;
// - the same client's later sends succeed, under a NEW producer id whose sequences start at 0 (the fence): none of
//   them can be taken by the broker for a duplicate of the unknown batch's sequence numbers and "acknowledged" with
//   its offset; every acknowledged event is in the log once, at the partition and offset it was acknowledged with.
//
// Timing: the delivery timeout bounds the whole send: no new try starts after it, so the unknown outcome is reported
// at most one request timeout and one backoff after it. (Before the patch checked it before every try, it was checked
// only between whole retrier runs of (retries + 1) request timeouts: with deliveryTimeoutMs 6_000 here the calls
// rejected after ~11 s; UNKNOWN_WITHIN_MS is below that.)
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { isContractError } from '@topiq/contracts'
import { decodeHeaders, isKafkaClientError, physicalTopic, type KafkaClientError } from '@topiq/kafka-core'
import { createTestTopics, readMessages, uniquePrefix, withAdmin, type ReadMessage, testEnv } from '@topiq/kafka-core/testing'
import { startBroker, type TestBroker } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient, type BatchFailure, type OutgoingMessage, type PublishBatchResult } from './producer.ts'
import { recordingLogger } from './test-helpers.ts'

const CREATED = 'campaign.created.json'
const PORT = Number(process.env['OUTCOME_UNKNOWN_BROKER_PORT'] ?? 39220)
const REQUEST_TIMEOUT_MS = 1_000
const DELIVERY_TIMEOUT_MS = 6_000
const RETRIES = 3 // the default
/**
 * When an unknown outcome must be reported at the latest: the deadline, the try in flight at the deadline (one request
 * timeout), the longest backoff before the next try checks the deadline (200 ms doubling, +20 %), and slack for a
 * loaded 2-core machine.
 */
const UNKNOWN_WITHIN_MS = DELIVERY_TIMEOUT_MS + REQUEST_TIMEOUT_MS + 1.2 * 200 * 2 ** (RETRIES - 1) + 1_500
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const dir = mkdtempSync(join(tmpdir(), 'topiq-outcome-unknown-'))
let broker: TestBroker | undefined
let stoppedPid: number | undefined

beforeAll(async () => {
  broker = await startBroker({ ports: { kafka: PORT, kafkaSasl: PORT + 1, kafkaController: PORT + 2 }, dir: join(dir, 'broker') })
}, 180_000)

afterAll(async () => {
  if (stoppedPid !== undefined) process.kill(stoppedPid, 'SIGCONT') // a failed test must not leave a stopped JVM
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

const event = (tag: string, key: string) => ({ campaign_id: key, name: `outcome unknown ${tag}`, created_at: '2024-01-15T10:00:00Z', metadata: { tag } })

/** An event the caller was told is written, with where when the API says (publish, publishBatch). */
interface Ack {
  tag: string
  eventId?: string
  partition?: number
  offset?: string
}

/** One call made while the broker was stopped: the events it carried and how it settled. */
interface FaultedCall {
  tags: string[]
  /** OUTCOME_UNKNOWN as the caller got it (sendMessage: as it was logged, its only report). */
  error: KafkaClientError | undefined
  /** What settled otherwise: resolved, another error, … (a failure). */
  other: string | undefined
  elapsedMs: number
}

interface Case {
  api: string
  prefix: string
  topic: string
  producer: KafkaProducerClient
  logger: ReturnType<typeof recordingLogger>
  warm: Ack[]
  faulted: FaultedCall[]
  /** sendBatch: what it returned and reported. */
  batch?: { count: number; failures: readonly BatchFailure[] }
  after: Ack[]
  /** Why a send after the fault failed (they must all succeed). */
  afterError?: string
  /** publishBatch: the batch sent after the fault, as acknowledged. */
  afterBatch?: PublishBatchResult
  log: Logged[]
}

interface Logged {
  tag: string
  eventId: string | undefined
  partition: number
  offset: string
  producerId: string
  firstSequence: number
}

function describeSettled(s: PromiseSettledResult<unknown>): string {
  if (s.status === 'fulfilled') return `resolved with ${JSON.stringify(s.value)}`
  const e = s.reason as { code?: string; message?: string }
  return `rejected with ${e.code ?? 'no code'}: ${e.message ?? String(s.reason)}`
}

/** A faulted call that rejects: OUTCOME_UNKNOWN is recorded as `error`, anything else as `other`. */
async function rejecting(tags: string[], call: () => Promise<unknown>): Promise<FaultedCall> {
  const started = performance.now()
  const [settled] = await Promise.allSettled([call()])
  const elapsedMs = performance.now() - started
  const s = settled as PromiseSettledResult<unknown>
  if (s.status === 'rejected' && isKafkaClientError(s.reason, 'OUTCOME_UNKNOWN')) return { tags, error: s.reason, other: undefined, elapsedMs }
  return { tags, error: undefined, other: describeSettled(s), elapsedMs }
}

const apis = ['publish', 'publish-linger0', 'publishBatch', 'sendMessage', 'sendBatch'] as const
type Api = (typeof apis)[number]
const cases = new Map<Api, Case>()
let pauseMs = 0

/** The process state letter from /proc (`T`: stopped), or undefined where there is no /proc. */
function processState(pid: number): string | undefined {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]
}

/** SIGSTOP, and the state says so before anything is sent (on Linux). */
async function stop(pid: number): Promise<void> {
  process.kill(pid, 'SIGSTOP')
  stoppedPid = pid
  for (let i = 0; i < 100 && !['T', undefined].includes(processState(pid)); i++) await sleep(10)
  const state = processState(pid)
  if (state !== undefined && state !== 'T') throw new Error(`broker pid ${pid} did not stop on SIGSTOP (state ${state})`)
}

/** Waits until every partition of `topics` has a leader again (a long pause can get the broker fenced by itself for a moment). */
async function waitForLeaders(brokers: readonly string[], topics: string[]): Promise<void> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const ok = await withAdmin(brokers, async (admin) => {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics })
      return meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
    }).catch(() => false)
    if (ok) return
    if (Date.now() > deadline) throw new Error(`partitions of ${topics.join(', ')} have no leader 30 s after SIGCONT`)
    await sleep(200)
  }
}

/** Waits until nothing more is appended to `topics` (the broker has worked off what waited in its socket buffers). */
async function settledLog(brokers: readonly string[], topics: string[]): Promise<Map<string, number>> {
  const read = () =>
    withAdmin(brokers, async (admin) => {
      const totals = new Map<string, number>()
      for (const topic of topics) totals.set(topic, (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0))
      return totals
    })
  let last = await read()
  for (let i = 0; i < 20; i++) {
    await sleep(500)
    const now = await read()
    if ([...now].every(([t, n]) => last.get(t) === n)) return now
    last = now
  }
  return last
}

function logged(m: ReadMessage): Logged {
  const ctx = (m as unknown as { batchContext: { producerId: string; firstSequence: number } }).batchContext
  const value = JSON.parse(m.value?.toString() ?? '{}') as { metadata?: { tag?: string } }
  return {
    tag: value.metadata?.tag ?? '?',
    eventId: decodeHeaders(m.headers)['ce_id'],
    partition: m.partition,
    offset: m.offset,
    producerId: ctx.producerId,
    firstSequence: ctx.firstSequence,
  }
}

describe('a produce request the broker never answers (SIGSTOP): OUTCOME_UNKNOWN, then a new producer id', () => {
  beforeAll(async () => {
    const b = broker as TestBroker
    for (const api of apis) {
      const prefix = uniquePrefix(`ou-${api}`)
      await createTestTopics(b.brokers, prefix, [CREATED])
      const logger = recordingLogger()
      const producer = new KafkaProducerClient({
        brokers: b.brokers,
        topicPrefix: prefix,
        clientId: `outcome-unknown-${api}`,
        logger,
        env: testEnv(),
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
        retries: RETRIES,
        ...(api === 'publish-linger0' ? { lingerMs: 0 } : {}),
      })
      cases.set(api, { api, prefix, topic: physicalTopic(prefix, CREATED), producer, logger, warm: [], faulted: [], after: [], log: [] })
    }

    // Warm-up: connected, metadata known, producer id and sequence numbers in use on every partition.
    for (const c of cases.values()) {
      for (let i = 0; i < 3; i++) {
        const tag = `${c.api}-warm-${i}`
        const r = await c.producer.publish(CREATED, event(tag, `key-${i}`))
        c.warm.push({ tag, eventId: r.eventId, partition: r.partition, offset: r.offset })
      }
    }

    const pid = b.pid()
    if (pid === undefined) throw new Error('test broker has no pid')
    await stop(pid)
    const stoppedAt = performance.now()

    const tagsOf = (api: Api, n: number) => Array.from({ length: n }, (_, i) => `${api}-unknown-${i}`)
    const faults: Promise<unknown>[] = []
    // publish through the linger buffer: three calls in one turn share one request; each names only its own event.
    {
      const c = cases.get('publish') as Case
      const calls = tagsOf('publish', 3).map((tag, i) => rejecting([tag], () => c.producer.publish(CREATED, event(tag, `key-${i}`))))
      faults.push(Promise.all(calls).then((f) => c.faulted.push(...f)))
    }
    {
      const c = cases.get('publish-linger0') as Case
      const [tag] = tagsOf('publish-linger0', 1) as [string]
      faults.push(rejecting([tag], () => c.producer.publish(CREATED, event(tag, 'key-0'))).then((f) => c.faulted.push(f)))
    }
    {
      const c = cases.get('publishBatch') as Case
      const tags = tagsOf('publishBatch', 6)
      faults.push(rejecting(tags, () => c.producer.publishBatch(CREATED, tags.map((tag, i) => event(tag, `key-${i}`)))).then((f) => c.faulted.push(f)))
    }
    {
      const c = cases.get('sendMessage') as Case
      const [tag] = tagsOf('sendMessage', 1) as [string]
      const started = performance.now()
      faults.push(
        c.producer.sendMessage({ topic: CREATED, value: event(tag, 'key-0') }).then((ok) => {
          const line = c.logger.lines.find((l) => l.level === 'error' && l.fields?.['code'] !== undefined)
          const code = line?.fields?.['code']
          const error =
            ok === false && code === 'OUTCOME_UNKNOWN'
              ? ({ code, message: String(line?.fields?.['error']), eventIds: line?.fields?.['eventIds'], retriable: line?.fields?.['retriable'] } as unknown as KafkaClientError)
              : undefined
          c.faulted.push({ tags: [tag], error, other: error === undefined ? `returned ${ok}; logged ${JSON.stringify(line)}` : undefined, elapsedMs: performance.now() - started })
        }),
      )
    }
    {
      const c = cases.get('sendBatch') as Case
      // index 2 is invalid (refused before sending); the four others go out in one request
      const tags = tagsOf('sendBatch', 5)
      const messages: OutgoingMessage<typeof CREATED>[] = tags.map((tag, i) => ({
        topic: CREATED,
        value: i === 2 ? ({ campaign_id: 'key-2', name: tag } as unknown as ReturnType<typeof event>) : event(tag, `key-${i}`),
      }))
      let failures: readonly BatchFailure[] = []
      const started = performance.now()
      faults.push(
        c.producer.sendBatch(messages, { onFailure: (f) => (failures = f) }).then((count) => {
          c.batch = { count, failures }
          const unknown = failures.filter((f) => f.reason === 'outcome-unknown')
          const error = unknown[0]?.error
          c.faulted.push({
            tags: tags.filter((_, i) => i !== 2),
            error: isKafkaClientError(error, 'OUTCOME_UNKNOWN') ? error : undefined,
            other: unknown.length === 0 ? `returned ${count}; failures ${JSON.stringify(failures.map((f) => [f.index, f.reason, f.error.code]))}` : undefined,
            elapsedMs: performance.now() - started,
          })
        }),
      )
    }
    await Promise.all(faults)
    pauseMs = performance.now() - stoppedAt
    const state = processState(pid)
    if (state !== undefined && state !== 'T') throw new Error(`the broker (pid ${pid}) was resumed by someone else during the fault (state ${state}): the test's premise does not hold`)
    process.kill(pid, 'SIGCONT')
    stoppedPid = undefined

    // The same clients again, once the broker leads its partitions again.
    await waitForLeaders(b.brokers, [...cases.values()].map((c) => c.topic))
    const sendAfter = async (c: Case): Promise<void> => {
      const tags = Array.from({ length: 6 }, (_, i) => `${c.api}-after-${i}`)
      const send = async (tag: string, i: number): Promise<void> => {
        const r = await c.producer.publish(CREATED, event(tag, `key-${i}`))
        c.after.push({ tag, eventId: r.eventId, partition: r.partition, offset: r.offset })
      }
      if (c.api === 'publish') {
        await Promise.all(tags.slice(0, 3).map(send)) // one shared request
        for (const [i, tag] of tags.slice(3).entries()) await send(tag, i + 3)
      } else if (c.api === 'publish-linger0') {
        for (const [i, tag] of tags.entries()) await send(tag, i)
      } else if (c.api === 'publishBatch') {
        const r = await c.producer.publishBatch(CREATED, tags.map((tag, i) => event(tag, `key-${i}`)))
        tags.forEach((tag, i) => c.after.push({ tag, eventId: r.eventIds[i] as string }))
        c.afterBatch = r // where: each partition's base offset plus the event's rank among the batch's events there
      } else if (c.api === 'sendMessage') {
        for (const [i, tag] of tags.entries()) {
          if (!(await c.producer.sendMessage({ topic: CREATED, value: event(tag, `key-${i}`) }))) throw new Error(`sendMessage ${tag} returned false`)
          c.after.push({ tag })
        }
      } else {
        let failures: readonly BatchFailure[] = []
        const count = await c.producer.sendBatch(
          tags.map((tag, i) => ({ topic: CREATED, value: event(tag, `key-${i}`) })),
          { onFailure: (f) => (failures = f) },
        )
        if (count !== tags.length) throw new Error(`sendBatch returned ${count}: ${failures.map((f) => `${f.index}: ${f.error.code} ${f.error.message}`).join('; ')}`)
        for (const tag of tags) c.after.push({ tag })
      }
    }
    const after = [...cases.values()].map(async (c) => {
      try {
        await sendAfter(c)
      } catch (error) {
        c.afterError = `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`
      }
    })
    await Promise.all(after)

    for (const c of cases.values()) await c.producer.close()
    const topics = [...cases.values()].map((c) => c.topic)
    const totals = await settledLog(b.brokers, topics)
    const log = await readMessages(b.brokers, topics, [...totals.values()].reduce((sum, n) => sum + n, 0), 30_000)
    for (const c of cases.values()) c.log = log.filter((m) => m.topic === c.topic).map(logged)
    const summary = [...cases.values()].map((c) => {
      const unknown = c.faulted.flatMap((f) => f.tags)
      const written = unknown.filter((t) => c.log.some((l) => l.tag === t)).length
      return `${c.api}: ${c.faulted.map((f) => `${Math.round(f.elapsedMs)} ms`).join('/')}, unknown written ${written}/${unknown.length}`
    })
    console.info(`broker stopped ${Math.round(pauseMs)} ms; ${summary.join('; ')}`)
  }, 120_000)

  for (const api of apis) {
    it(`${api}: OUTCOME_UNKNOWN naming exactly its events, each in the log at most once; later sends under a new producer id are where they were acknowledged`, () => {
      const c = cases.get(api) as Case
      expect(c, 'the fault phase ran').toBeDefined()

      // 1. How the faulted calls settled.
      expect(c.faulted.length).toBeGreaterThan(0)
      const allUnknownIds = new Set<string>()
      for (const f of c.faulted) {
        expect(f.other, `${f.tags.join(', ')}: must reject with OUTCOME_UNKNOWN`).toBeUndefined()
        const error = f.error as KafkaClientError
        expect(error.code).toBe('OUTCOME_UNKNOWN')
        expect(error.retriable).toBe(false)
        const ids = error.eventIds as readonly string[]
        expect(ids, 'one ce_id per event of the call').toHaveLength(f.tags.length)
        for (const id of ids) {
          expect(id).toMatch(UUID)
          expect(allUnknownIds.has(id), 'no event id shared between calls').toBe(false)
          allUnknownIds.add(id)
          if (allUnknownIds.size <= 5) expect(error.message).toContain(id)
        }
        expect(error.message).toMatch(new RegExp(`outcome unknown: ${f.tags.length} event\\(s\\) to topic "${c.topic.replace(/\./g, '\\.')}".*may have been written`))
        expect(error.message).toMatch(/consumers must dedupe on ce_id; or check the topic for these ce_id values before resending/)
        // Retried until the delivery timeout, not given up on before it (timers: a few ms of slack), and not much after.
        expect(f.elapsedMs).toBeGreaterThanOrEqual(DELIVERY_TIMEOUT_MS - 25)
        expect(f.elapsedMs).toBeLessThanOrEqual(UNKNOWN_WITHIN_MS)
      }
      if (api === 'sendBatch') {
        const { count, failures } = c.batch as NonNullable<Case['batch']>
        expect(count, 'sendBatch counts only what is known written').toBe(0)
        expect(failures.map((f) => [f.index, f.reason])).toEqual([
          [0, 'outcome-unknown'],
          [1, 'outcome-unknown'],
          [2, 'invalid'],
          [3, 'outcome-unknown'],
          [4, 'outcome-unknown'],
        ])
        expect(isContractError(failures[2]?.error)).toBe(true)
        for (const f of failures.filter((x) => x.reason === 'outcome-unknown')) expect(f.error.code).toBe('OUTCOME_UNKNOWN')
      }
      if (api === 'sendMessage') {
        expect(c.logger.lines.some((l) => l.level === 'error' && l.message === 'kafka message outcome unknown (may have been written)')).toBe(true)
        expect(c.logger.lines.some((l) => l.message === 'kafka message not sent'), 'never reported as not sent').toBe(false)
      }

      expect(c.afterError, 'every send after the fault succeeds').toBeUndefined()

      // 2. The log: nothing duplicated, nothing unaccounted for.
      const byTag = new Map<string, Logged[]>()
      for (const l of c.log) byTag.set(l.tag, [...(byTag.get(l.tag) ?? []), l])
      const byEventId = new Map(c.log.map((l) => [l.eventId, l]))
      expect(byEventId.size, 'no ce_id twice in the log').toBe(c.log.length)
      const expectedTags = new Set([...c.warm, ...c.after].map((a) => a.tag).concat(c.faulted.flatMap((f) => f.tags)))
      expect(c.log.filter((l) => !expectedTags.has(l.tag)).map((l) => l.tag), 'only events of this test').toEqual([])

      // Warm-up: one producer id (the one in use when the outcome became unknown).
      const warm = c.warm.map((a) => byTag.get(a.tag)?.[0])
      const oldIds = new Set(warm.map((l) => l?.producerId))
      expect(oldIds.size).toBe(1)
      const oldProducerId = [...oldIds][0] as string

      // The unknown events: 0 or 1 time each; if written, under the old producer id and with the ce_id the error named.
      for (const f of c.faulted) {
        const ids = f.error?.eventIds as readonly string[]
        f.tags.forEach((tag, i) => {
          const copies = byTag.get(tag) ?? []
          expect(copies.length, `${tag} (outcome unknown) is in the log 0 or 1 times`).toBeLessThanOrEqual(1)
          const copy = copies[0]
          if (copy === undefined) return
          expect(copy.producerId, `${tag} was written by the send that was in doubt`).toBe(oldProducerId)
          // error.eventIds is in the call's order (publishBatch: input order; sendBatch: the valid messages' order)
          expect(copy.eventId, `${tag}'s ce_id is the one OUTCOME_UNKNOWN named`).toBe(ids[i])
        })
        for (const id of ids) {
          const l = byEventId.get(id)
          if (l !== undefined) expect(f.tags, `ce_id ${id} named by the error belongs to the call`).toContain(l.tag)
        }
      }

      // 3. Acknowledged events: every one exactly once, at the partition and offset it was acknowledged with.
      for (const a of [...c.warm, ...c.after]) {
        const copies = byTag.get(a.tag) ?? []
        expect(copies.length, `${a.tag} (acknowledged) is in the log exactly once`).toBe(1)
        const l = copies[0] as Logged
        if (a.eventId !== undefined) expect(l.eventId).toBe(a.eventId)
        if (a.partition !== undefined) expect(`${l.partition}@${l.offset}`, `${a.tag} is where its publish said`).toBe(`${a.partition}@${a.offset}`)
      }
      const batch = c.afterBatch
      if (batch !== undefined) {
        for (const { partition, baseOffset } of batch.partitions) {
          const mine = batch.eventIds.map((id) => byEventId.get(id)).filter((l): l is Logged => l?.partition === partition)
          expect(mine.length).toBeGreaterThan(0)
          mine.forEach((l, rank) => expect(l.offset, `${l.tag}: base offset ${baseOffset} + ${rank}`).toBe((BigInt(baseOffset) + BigInt(rank)).toString()))
        }
        expect(new Set(batch.partitions.map((p) => p.partition)).size).toBe(new Set(batch.eventIds.map((id) => byEventId.get(id)?.partition)).size)
      }

      // The key property: after the unknown outcome the client writes under a new producer id, from sequence 0, so no
      // later batch could be mistaken by the broker for the unknown one (and "acknowledged" with its offset).
      const after = c.after.map((a) => byTag.get(a.tag)?.[0] as Logged)
      const newIds = new Set(after.map((l) => l.producerId))
      expect(newIds.size, 'one producer id after the fault').toBe(1)
      const newProducerId = [...newIds][0] as string
      expect(newProducerId, 'a new producer id after the unknown outcome').not.toBe(oldProducerId)
      for (const partition of new Set(after.map((l) => l.partition))) {
        const first = after.filter((l) => l.partition === partition).sort((x, y) => Number(x.offset) - Number(y.offset))[0] as Logged
        expect(first.firstSequence, `partition ${partition}: the new producer id's sequences start at 0`).toBe(0)
      }

      // 4. What kafkajs logged: the request was resent while in doubt (each attempt timed out), then the producer id fenced.
      const attempts = new Set(c.logger.lines.filter((l) => /^Request Produce\(key: 0, .*\) timed out/.test(l.message)).map((l) => l.fields?.['retryCount']))
      expect(attempts.size, 'the request was sent again after timing out').toBeGreaterThanOrEqual(2)
      const fenced = c.logger.lines.filter((l) => l.message.startsWith('Producer id fenced after a send with an unknown outcome'))
      expect(fenced, 'the producer id is fenced once').toHaveLength(1)
      expect(String(fenced[0]?.fields?.['producerId'])).toBe(oldProducerId)
    })
  }
})
