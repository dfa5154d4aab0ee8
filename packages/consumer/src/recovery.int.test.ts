// Group recovery on the real broker, with the consumer's real defaults (session 30 s, heartbeat 10 s) and real
// worker processes: how long until a member handles messages after a restart, a join, or a crash of another member.
// Bounds (issue "acknowledged means written", recovery): a static member restarted after SIGKILL handles within 5 s;
// members joining a live group own a partition within heartbeat + 5 s; a SIGKILLed dynamic member's partitions
// move within session timeout + 5 s.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { physicalTopic } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { committedOffsets, endOffsets, produce, validEvents, within } from './fixtures/helpers.ts'
import { Worker } from './fixtures/worker.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('consumer-recovery')
const stack = { brokers, prefix }
const topic = physicalTopic(prefix, 'campaign.created.json')
const dir = mkdtempSync(join(tmpdir(), 'topiq-consumer-recovery-'))
const runId = randomUUID().slice(0, 8)
const SESSION_MS = 30_000 // the consumer's default (the Python guide's session_timeout_ms)
const HEARTBEAT_MS = 10_000 // the consumer's default (heartbeat_interval_ms)
const defaults = { FIXTURE_SESSION_TIMEOUT_MS: String(SESSION_MS), FIXTURE_HEARTBEAT_MS: String(HEARTBEAT_MS) }

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json'])
})

afterAll(async () => {
  for (const w of Worker.all) w.child.kill('SIGKILL')
  await deleteTestTopics(brokers, prefix)
  rmSync(dir, { recursive: true, force: true })
})

async function allCommitted(group: string): Promise<void> {
  const end = await endOffsets(brokers, topic)
  for (;;) {
    const committed = await committedOffsets(brokers, group, topic)
    if (Object.entries(end).every(([p, e]) => e === 0 || committed[Number(p)] === e)) return
    await new Promise((r) => setTimeout(r, 200))
  }
}

describe('consumer group recovery with the default session (30 s) and heartbeat (10 s)', () => {
  it('a static member (groupInstanceId) restarted after SIGKILL handles new events within 5 s', { timeout: 90_000 }, async () => {
    const group = `recovery-${runId}-static`
    const env = { ...defaults, FIXTURE_OUT: join(dir, 'static.log'), FIXTURE_GROUP: group, KAFKA_GROUP_INSTANCE_ID: `worker-${runId}` }
    await produce(brokers, topic, validEvents(`static-a-${runId}`, 30))
    const first = new Worker(stack, env)
    await first.reach(30, 30_000)
    await within(allCommitted(group), 20_000, 'the first worker committing')
    first.child.kill('SIGKILL')
    await first.exited

    await produce(brokers, topic, validEvents(`static-b-${runId}`, 30))
    const second = new Worker(stack, env)
    await second.reach(30, 20_000)
    console.info(`static member restarted after SIGKILL: first event handled ${second.firstHandledAfterMs} ms after spawn (session timeout ${SESSION_MS} ms)`)
    expect(second.firstHandledAfterMs).toBeLessThanOrEqual(5_000)
    expect(second.handled.every((line) => line.includes(`static-b-${runId}`))).toBe(true) // nothing committed came again
  })

  it('members joining a live group, and three started together, own a partition within heartbeat + 5 s', { timeout: 120_000 }, async () => {
    const group = `recovery-${runId}-join`
    const env = { ...defaults, FIXTURE_OUT: join(dir, 'join.log'), FIXTURE_GROUP: group }
    const trio = [new Worker(stack, env), new Worker(stack, env), new Worker(stack, env)]
    await Promise.all(trio.map((w) => w.owning(HEARTBEAT_MS + 5_000)))
    const together = trio.map((w) => w.assignments.find((a) => a.partitions.length > 0)?.atMs ?? Infinity)
    console.info(`three members started together: each owned a partition after ${together.join(', ')} ms`)

    // A fourth joins the live group (3 partitions: it may stay idle, but the group must settle, not stall): the
    // rebalance it triggers completes once every live member rejoined, which takes up to one heartbeat.
    const late = new Worker(stack, env)
    await within(
      (async () => {
        for (;;) {
          const latest = [...trio, late].map((w) => w.assignments.at(-1)?.partitions ?? [])
          if (late.assignments.length > 0 && latest.flat().length === 3) return
          await new Promise((r) => setTimeout(r, 100))
        }
      })(),
      HEARTBEAT_MS + 5_000,
      'the group settling after a fourth member joined',
    )
    console.info(`a member joining the live group got its assignment after ${late.assignments[0]?.atMs} ms`)

    await produce(brokers, topic, validEvents(`join-${runId}`, 60))
    const handledBy = async () => [...trio, late].reduce((n, w) => n + w.handled.filter((l) => l.includes(`join-${runId}`)).length, 0)
    await within(
      (async () => {
        while ((await handledBy()) < 60) await new Promise((r) => setTimeout(r, 100))
      })(),
      20_000,
      'the group handling 60 events',
    )
    const lines = [...trio, late].flatMap((w) => w.handled.filter((l) => l.includes(`join-${runId}`)))
    expect(new Set(lines.map((l) => l.split(':')[2])).size).toBe(60) // every event, none twice: the group settled
    expect(lines).toHaveLength(60)
    for (const w of [...trio, late]) w.child.kill('SIGTERM')
    await Promise.all([...trio, late].map((w) => w.exited))
  })

  it('a SIGKILLed dynamic member: its partitions move to the survivor within session timeout + 5 s', { timeout: 120_000 }, async () => {
    const group = `recovery-${runId}-crash`
    const env = { ...defaults, FIXTURE_OUT: join(dir, 'crash.log'), FIXTURE_GROUP: group }
    const a = new Worker(stack, env)
    const b = new Worker(stack, env)
    await Promise.all([a, b].map((w) => w.owning(HEARTBEAT_MS + 5_000)))
    await within(
      (async () => {
        while ([a, b].map((w) => w.assignments.at(-1)?.partitions.length ?? 0).reduce((x, y) => x + y) !== 3) await new Promise((r) => setTimeout(r, 100))
      })(),
      HEARTBEAT_MS + 5_000,
      'both members sharing the 3 partitions',
    )
    const victim = (a.assignments.at(-1)?.partitions.length ?? 0) > 0 ? a : b
    const survivor = victim === a ? b : a
    const killedAt = Date.now()
    victim.child.kill('SIGKILL')
    await within(
      (async () => {
        while ((survivor.assignments.at(-1)?.partitions.length ?? 0) < 3) await new Promise((r) => setTimeout(r, 100))
      })(),
      SESSION_MS + 5_000,
      'the survivor taking over every partition',
    )
    console.info(`SIGKILLed member's partitions moved after ${Date.now() - killedAt} ms (session timeout ${SESSION_MS} ms)`)
    survivor.child.kill('SIGTERM')
    await survivor.exited
  })
})
