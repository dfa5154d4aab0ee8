// Mixed consumer groups on the real broker: a topiq consumer shares one group with confluent-kafka, kafka-python and
// Java (GroupMember.java) members, joined in both orders — partitions split between them, nothing lost — and a group
// migrates from Python to topiq, and from topiq to Python, through its committed offsets.
import { silentLogger } from '@topiq/kafka-core'
import { committedOffsets, endOffsets, testEnv } from '@topiq/kafka-core/testing'
import { KafkaProducerClient } from '@topiq/producer'
import { afterAll, describe, expect, it } from 'vitest'
import { at, brokers, CREATED, deleteCreatedTopics, describeStalled, freshTopics, groupId, recordCase, stopQuietly, tally, topiqConsumer, waitDrained } from './harness.ts'
import { CLIENT_NAME, Peer, javaMember, killPeers, type PythonClient } from './peers.ts'

afterAll(async () => {
  killPeers()
  await deleteCreatedTopics()
})

type Kind = 'topiq' | PythonClient | 'java'
const NAME: Record<Kind, string> = { topiq: 'topiq', java: 'Java', ...CLIENT_NAME }
/** How long a member may take to join, and the group to settle after a join. */
const JOIN_MS = 30_000
const DRAIN_MS = 30_000

async function publish(prefix: string, from: number, count: number): Promise<void> {
  await using producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, registry: false, logger: silentLogger, env: testEnv() })
  const events = Array.from({ length: count }, (_, i) => ({ campaign_id: `g-${from + i}`, name: `Group ${from + i}`, created_at: '2024-01-15T10:00:00Z' }))
  await producer.publishBatch(CREATED, events)
}

/** Every record in the topic, as "p:o" (the topic holds only this case's records). */
async function allRecords(topic: string): Promise<Set<string>> {
  const ends = await endOffsets(brokers, topic)
  return new Set(Object.entries(ends).flatMap(([p, end]) => Array.from({ length: end }, (_, o) => at(Number(p), o))))
}

interface Member {
  kind: Kind
  /** Partition numbers currently assigned. */
  partitions(): number[]
  handled(): string[]
  stop(): Promise<string | undefined>
  problem(): string | undefined
  /** It stopped for good (a crashed topiq consumer, an exited peer): waiting longer cannot help. */
  gone(): boolean
}

function startMember(kind: Kind, prefix: string, topic: string, group: string): Member {
  if (kind === 'topiq') {
    // A 1 s heartbeat instead of 10 s: kafkajs learns of a rebalance at its next heartbeat, and the test waits for it.
    const { consumer, handled } = topiqConsumer(prefix, group, { heartbeatIntervalMs: 1_000 })
    let startError: string | undefined
    consumer.start({ blocking: false }).catch((e: unknown) => (startError = e instanceof Error ? `${e.name}: ${e.message}` : String(e)))
    return {
      kind,
      partitions: () => Object.values(consumer.assignment()).flat(),
      handled: () => handled.map((m) => at(m.partition, m.offset)),
      stop: () => stopQuietly(consumer),
      problem: () => startError ?? (consumer.error === undefined ? undefined : `${consumer.error.name}: ${consumer.error.message}`),
      gone: () => startError !== undefined || consumer.error !== undefined,
    }
  }
  const args = ['--group', group, '--topics', topic, '--max-seconds', '120']
  const peer = kind === 'java' ? javaMember([...args, '--name', 'java']) : new Peer(['consume', '--client', kind, ...args])
  return {
    kind,
    partitions: () => peer.assignment().map(([, p]) => p),
    handled: () => peer.records().map((r) => at(r.partition, r.offset)),
    stop: async () => {
      await peer.stop()
      const { code } = await peer.exited
      return code === 0 ? undefined : `${peer.describe()} exited with ${code}`
    },
    problem: () => (peer.done || peer.errors().length > 0 ? peer.describe() : undefined),
    gone: () => peer.done,
  }
}

async function until(what: string, ready: () => boolean, members: readonly Member[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!ready()) {
    if (Date.now() > deadline || members.some((m) => m.gone())) {
      const state = members.map((m) => `${NAME[m.kind]} has [${m.partitions().join(',')}]${m.problem() === undefined ? '' : ` (${m.problem()})`}`)
      throw new Error(`${what} (waited ${timeoutMs - Math.max(0, deadline - Date.now())} of ${timeoutMs} ms): ${state.join('; ')}`)
    }
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Members join one after another; once all share the partitions, more events arrive; every record is handled. */
async function mixedGroup(order: readonly Kind[]): Promise<void> {
  const name = `mixed group: ${order.map((k) => NAME[k]).join(' then ')}`
  const { prefix, topic } = await freshTopics(`group-${order.join('-')}`.slice(0, 30))
  const group = groupId('mixed')
  await publish(prefix, 0, 30)
  const members: Member[] = []
  let failure: unknown
  let stalled: Awaited<ReturnType<typeof waitDrained>> = []
  let shared = false
  try {
    for (const kind of order) {
      const member = startMember(kind, prefix, topic, group)
      members.push(member)
      await until(`${NAME[kind]} got no partition`, () => member.partitions().length > 0, members, JOIN_MS)
    }
    await until(
      'the members never split the 3 partitions between them',
      () => {
        const all = members.flatMap((m) => m.partitions())
        return members.every((m) => m.partitions().length > 0) && all.length === 3 && new Set(all).size === 3
      },
      members,
      JOIN_MS,
    )
    shared = true
    await publish(prefix, 30, 30)
    stalled = await waitDrained(group, topic, DRAIN_MS, () => members.some((m) => m.gone()))
  } catch (error) {
    failure = error
  }
  const stopProblems = (await Promise.all(members.map((m) => m.stop()))).filter((p): p is string => p !== undefined)
  const counts = tally(await allRecords(topic), members.flatMap((m) => m.handled()), [])
  const crashed = members.filter((m) => m.kind === 'topiq' && m.problem() !== undefined).length + stopProblems.length
  const failureText = failure === undefined ? undefined : failure instanceof Error ? failure.message : String(failure)
  recordCase({
    case: name,
    sent: counts.sent,
    handled: counts.handled,
    deadLettered: 0,
    duplicated: counts.duplicated,
    lost: counts.lost.length,
    stalledPartitions: failure === undefined ? stalled.length : (await waitDrained(group, topic, 0)).length,
    crashedConsumers: crashed,
    notes: [...(failureText === undefined ? [] : [failureText]), ...describeStalled(stalled, topic), ...stopProblems],
  })
  expect({ failure: failureText, shared, lost: counts.lost, stalled: describeStalled(stalled, topic), stopProblems }).toEqual({
    failure: undefined,
    shared: true,
    lost: [],
    stalled: [],
    stopProblems: [],
  })
  // Each member handled records of its own partitions after the split (the second 30 events).
  for (const m of members) expect(m.handled().length, `${NAME[m.kind]} handled nothing`).toBeGreaterThan(0)
}

/** A topiq member of `group` until it has drained `topic`; then stopped. */
async function drainWithTopiq(prefix: string, group: string, topic: string) {
  const { consumer, handled } = topiqConsumer(prefix, group)
  let startError: unknown
  await consumer.start({ blocking: false }).catch((e: unknown) => (startError = e))
  const stalled = await waitDrained(group, topic, DRAIN_MS, () => startError !== undefined || consumer.error !== undefined)
  const stopProblem = await stopQuietly(consumer)
  return { messages: handled, handled: handled.map((m) => at(m.partition, m.offset)), stalled, stopProblem, failure: consumer.error ?? startError }
}

/** A migration case: every record of `topic` against what topiq and the Python peer handled, into the summary. */
async function recordMigration(name: string, topic: string, topiq: Awaited<ReturnType<typeof drainWithTopiq>>, python: Peer, code: number | null) {
  const pythonHandled = python.records().map((r) => at(r.partition, r.offset))
  const counts = tally(await allRecords(topic), [...pythonHandled, ...topiq.handled], [])
  const { failure, stalled } = topiq
  recordCase({
    case: name,
    sent: counts.sent,
    handled: counts.handled,
    deadLettered: 0,
    duplicated: counts.duplicated,
    lost: counts.lost.length,
    stalledPartitions: stalled.length,
    crashedConsumers: (failure === undefined ? 0 : 1) + (code === 0 ? 0 : 1),
    notes: [...(failure === undefined ? [] : [String(failure)]), ...describeStalled(stalled, topic), ...(code === 0 ? [] : [python.describe()])],
  })
  return { pythonHandled, counts }
}

/** Python drains part of the group and leaves; topiq takes over from the committed offsets. */
async function migration(client: PythonClient): Promise<void> {
  const name = `migration: ${CLIENT_NAME[client]} → topiq`
  const { prefix, topic } = await freshTopics(`migrate-${client}`)
  const group = groupId('migrate')
  await publish(prefix, 0, 40)
  const python = new Peer(['consume', '--client', client, '--group', group, '--topics', topic, '--max-seconds', '40', '--stop-after', '20'])
  const { code } = await python.exited
  const committedByPython = await committedOffsets(brokers, group, topic)

  const topiq = await drainWithTopiq(prefix, group, topic)
  const { pythonHandled, counts } = await recordMigration(name, topic, topiq, python, code)
  const { failure, stalled, stopProblem, messages: handled } = topiq

  expect({ pythonExit: code, pythonHandled: pythonHandled.length, consumerError: failure, stalled: describeStalled(stalled, topic), lost: counts.lost, stop: stopProblem }, python.describe()).toEqual({
    pythonExit: 0,
    pythonHandled: 20,
    consumerError: undefined,
    stalled: [],
    lost: [],
    stop: undefined,
  })
  // Python committed each record synchronously before the next, so topiq starts exactly where it stopped: at-least-
  // once allows a repeat, but here there is no in-flight record to repeat.
  expect(counts.duplicated).toBe(0)
  for (const [partition, offset] of Object.entries(committedByPython)) {
    const first = Math.min(...handled.filter((m) => m.partition === Number(partition)).map((m) => Number(m.offset)))
    if (Number.isFinite(first)) expect(first, `partition ${partition}: topiq began at ${first}, Python committed ${offset}`).toBe(offset < 0 ? 0 : offset)
  }
}

/**
 * topiq drains the topic with its defaults — three partitions a turn each in turn, their commits shared in OffsetCommit
 * requests — and stops; the Python client, joining the same group, starts exactly at topiq's commits.
 */
async function migrationFromTopiq(client: PythonClient): Promise<void> {
  const name = `migration: topiq → ${CLIENT_NAME[client]}`
  const { prefix, topic } = await freshTopics(`from-topiq-${client}`)
  const group = groupId('from-topiq')
  await publish(prefix, 0, 300)
  const topiq = await drainWithTopiq(prefix, group, topic)
  const committedByTopiq = await committedOffsets(brokers, group, topic)
  const drained = await endOffsets(brokers, topic)

  await publish(prefix, 300, 30)
  const python = new Peer(['consume', '--client', client, '--group', group, '--topics', topic, '--max-seconds', '40', '--stop-after', '30'])
  const { code } = await python.exited
  const { pythonHandled, counts } = await recordMigration(name, topic, topiq, python, code)
  const { failure, stalled, stopProblem, handled: topiqHandled } = topiq

  expect({ pythonExit: code, topiqHandled: topiqHandled.length, consumerError: failure, stalled: describeStalled(stalled, topic), stop: stopProblem }, python.describe()).toEqual({
    pythonExit: 0,
    topiqHandled: 300,
    consumerError: undefined,
    stalled: [],
    stop: undefined,
  })
  expect(committedByTopiq, "topiq's commits: the end of every partition it drained").toEqual(drained)
  // Python starts exactly at topiq's commits: only the 30 published after, none of topiq's again.
  expect(new Set(pythonHandled)).toEqual(new Set(Object.entries(await endOffsets(brokers, topic)).flatMap(([p, end]) => Array.from({ length: end - (drained[Number(p)] ?? 0) }, (_, i) => at(Number(p), (drained[Number(p)] ?? 0) + i)))))
  expect({ lost: counts.lost, duplicated: counts.duplicated }).toEqual({ lost: [], duplicated: 0 })
}

describe.concurrent('mixed consumer groups', () => {
  it('topiq, then confluent-kafka joins', () => mixedGroup(['topiq', 'confluent']))
  it('confluent-kafka, then topiq joins', () => mixedGroup(['confluent', 'topiq']))
  it('topiq, then kafka-python joins', () => mixedGroup(['topiq', 'kafka-python']))
  it('kafka-python, then topiq joins', () => mixedGroup(['kafka-python', 'topiq']))
  it('topiq, then Java joins', () => mixedGroup(['topiq', 'java']))
  it('Java, then topiq joins', () => mixedGroup(['java', 'topiq']))
  it('confluent-kafka, kafka-python, then topiq: three clients split three partitions', () => mixedGroup(['confluent', 'kafka-python', 'topiq']))
})

describe.concurrent('group migration through committed offsets', () => {
  it('confluent-kafka drains half, stops; topiq continues', () => migration('confluent'))
  it('kafka-python drains half, stops; topiq continues', () => migration('kafka-python'))
  it('topiq drains three partitions in turns, stops; confluent-kafka continues from its commits', () => migrationFromTopiq('confluent'))
  it('topiq drains three partitions in turns, stops; kafka-python continues from its commits', () => migrationFromTopiq('kafka-python'))
})
