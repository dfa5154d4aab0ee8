// The broker killed with SIGKILL and restarted under running consumers, on a DEDICATED single-node broker (own ports
// 39320–39322 and data dir, never the shared stack): nothing is lost, and what comes again is bounded by one poll
// batch (maxPollRecords) per partition: only messages handled after the last confirmed commit may be redelivered.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { physicalTopic, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, uniquePrefix, testEnv } from '@topiq/kafka-core/testing'
import { startBroker, type TestBroker } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaConsumerClient } from './consumer.ts'
import { committedOffsets, endOffsets, produce, validEvents } from './fixtures/helpers.ts'

const CREATED = 'campaign.created.json'
const PORT = Number(process.env['BROKER_FAULT_PORT'] ?? 39320)
const MAX_POLL_RECORDS = 100 // the consumer's default
const N = 8_000
const KILL_AFTER = 2_500
const dir = mkdtempSync(join(tmpdir(), 'topiq-consumer-broker-faults-'))
let broker: TestBroker

beforeAll(async () => {
  broker = await startBroker({ ports: { kafka: PORT, kafkaSasl: PORT + 1, kafkaController: PORT + 2 }, dir })
}, 180_000)

afterAll(async () => {
  await broker?.stop()
  rmSync(dir, { recursive: true, force: true })
}, 60_000)

interface Handled {
  id: string
  partition: number
  at: number
}

async function scenario(label: string, members: number): Promise<void> {
  const prefix = uniquePrefix(`broker-fault-${label}`)
  await createTestTopics(broker.brokers, prefix, [CREATED])
  const topic = physicalTopic(prefix, CREATED)
  await produce(broker.brokers, topic, validEvents(label, N))
  const handled: Handled[] = []
  const groupId = `broker-fault-${label}-${prefix}`
  const consumers = Array.from(
    { length: members },
    () =>
      new KafkaConsumerClient({
        brokers: broker.brokers,
        topicPrefix: prefix,
        topics: [CREATED],
        groupId,
        handleSignals: false,
        logger: silentLogger,
        env: testEnv(),
        messageHandler: async (m) => {
          handled.push({ id: m.value.campaign_id, partition: m.partition, at: Date.now() })
          // ~1 ms per message: the run spans the crash instead of finishing before it
          if (handled.length % 4 === 0) await delay(2)
        },
      }),
  )
  try {
    await Promise.all(consumers.map((c) => c.start({ blocking: false })))
    const waitFor = async (what: string, ok: () => boolean, timeoutMs: number): Promise<void> => {
      const deadline = Date.now() + timeoutMs
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (${handled.length} handled)`)
        await delay(50)
      }
    }
    await waitFor(`${KILL_AFTER} messages handled`, () => handled.length >= KILL_AFTER, 60_000)
    const killedAt = Date.now()
    const handledAtKill = handled.length
    await broker.kill()
    await delay(2_000)
    await broker.restart()
    const readyAt = Date.now()
    await waitFor('every message handled after the restart', () => new Set(handled.map((h) => h.id)).size >= N, 90_000)
    const firstAfter = handled.find((h) => h.at > readyAt)?.at ?? Date.now()
    // Messages already fetched keep being handled while the broker is down (their commits cannot land).
    const handledWhileDown = handled.filter((h) => h.at > killedAt && h.at <= readyAt).length

    const perPartition = new Map<number, number>()
    const seen = new Set<string>()
    for (const h of handled) {
      if (seen.has(h.id)) perPartition.set(h.partition, (perPartition.get(h.partition) ?? 0) + 1)
      seen.add(h.id)
    }
    const redelivered = [...perPartition.values()].reduce((a, b) => a + b, 0)
    const lost = Array.from({ length: N }, (_, i) => `${label}-${i}`).filter((id) => !seen.has(id)).length
    const ends = await endOffsets(broker.brokers, topic)
    for (let i = 0; i < 100 && JSON.stringify(await committedOffsets(broker.brokers, groupId, topic)) !== JSON.stringify(ends); i++) await delay(100)
    console.info(
      `broker-faults ${label} (${members} member(s)): kill -9 after ${handledAtKill} of ${N} handled; lost=${lost} redelivered=${redelivered} ` +
        `(per partition ${JSON.stringify(Object.fromEntries(perPartition))}; bound ${MAX_POLL_RECORDS}) duplicated-in-log=0 unknown-outcome=0 order-violations=n/a ` +
        `handled-while-down=${handledWhileDown} stall=${((firstAfter - killedAt) / 1000).toFixed(1)}s (broker back after ${((readyAt - killedAt) / 1000).toFixed(1)}s, ` +
        `first handled ${((firstAfter - readyAt) / 1000).toFixed(1)}s later) status=${consumers.map((c) => c.status).join(',')}`,
    )
    expect(handledAtKill).toBeLessThan(N) // the kill landed mid-stream
    expect(lost).toBe(0)
    for (const [partition, n] of perPartition) expect(n, `redelivered on partition ${partition}`).toBeLessThanOrEqual(MAX_POLL_RECORDS)
    expect(await committedOffsets(broker.brokers, groupId, topic)).toEqual(ends)
    for (const c of consumers) {
      expect(c.error).toBeUndefined()
      expect(c.status).toBe('running')
    }
  } finally {
    await Promise.all(consumers.map((c) => c.stop().catch(() => undefined)))
  }
}

describe('broker killed with SIGKILL and restarted under running consumers', () => {
  it('one consumer: nothing lost, redelivery at most one poll batch per partition', { timeout: 180_000 }, () => scenario('single', 1))
  it('a group of three: nothing lost, redelivery at most one poll batch per partition', { timeout: 180_000 }, () => scenario('group', 3))
})
