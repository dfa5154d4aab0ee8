// Consumer groups on the real broker: members of one group split the partitions; a member joining or leaving while
// messages flow rebalances them without losing any message (duplicates across a rebalance are allowed and counted).
import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { physicalTopic, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Countdown, produce, validEvents, within } from './fixtures/helpers.ts'
import { KafkaConsumerClient } from './index.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('consumer-groups')
const topic = physicalTopic(prefix, 'campaign.created.json')
const groupId = `consumer-groups-${randomUUID().slice(0, 8)}`
const PARTITIONS = [0, 1, 2]

type Client = KafkaConsumerClient<'campaign.created.json'>
interface Handled {
  consumer: string
  partition: number
  id: string
}

const handled: Handled[] = []
const ids = new Set<string>()
const progress = new Countdown(() => ids.size)
const clients: Client[] = []

function member(name: string): Client {
  const client = new KafkaConsumerClient({
    topics: ['campaign.created.json'],
    groupId,
    brokers,
    topicPrefix: prefix,
    handleSignals: false,
    logger: silentLogger,
    sessionTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    maxPollRecords: 20,
    messageHandler: async (m) => {
      await delay(2) // some work, so joins and leaves happen while messages are in flight
      handled.push({ consumer: name, partition: m.partition, id: m.value.campaign_id })
      ids.add(m.value.campaign_id)
      progress.check()
    },
  })
  clients.push(client)
  return client
}

/** Resolves when the members' assignments are disjoint, each non-empty, and together cover every partition. */
function settled(members: readonly Client[], timeoutMs: number): Promise<number[][]> {
  return new Promise((resolve, reject) => {
    const unsubscribe: (() => void)[] = []
    const done = (result: Error | number[][]) => {
      clearTimeout(timer)
      for (const u of unsubscribe) u()
      if (result instanceof Error) reject(result)
      else resolve(result)
    }
    const current = () => members.map((c) => c.assignment()['campaign.created.json'] ?? [])
    const check = () => {
      const parts = current()
      const all = parts.flat().sort()
      if (parts.every((p) => p.length > 0) && all.length === PARTITIONS.length && all.every((p, i) => p === PARTITIONS[i])) done(parts)
    }
    const timer = setTimeout(() => done(new Error(`group did not settle within ${timeoutMs} ms: ${JSON.stringify(current())}`)), timeoutMs)
    for (const c of members) unsubscribe.push(c.onAssignment(check))
    check()
  })
}

/** Of the `n` events labelled `label`: how many were handled, how many more than once, how many never. */
function count(label: string, n: number): { distinct: number; duplicates: number; missing: number } {
  const mine = handled.filter((h) => h.id.startsWith(label))
  const distinct = new Set(mine.map((h) => h.id)).size
  return { distinct, duplicates: mine.length - distinct, missing: n - distinct }
}

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json'])
})

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.stop()))
  await deleteTestTopics(brokers, prefix)
})

describe('consumer group', () => {
  const a = member('a')
  const b = member('b')
  const c = member('c')

  it('two members of one group split the partitions and handle every message once in total', { timeout: 90_000 }, async () => {
    await within(Promise.all([a.start({ blocking: false }), b.start({ blocking: false })]), 60_000, 'two members joining')
    const [pa, pb] = await settled([a, b], 30_000)
    expect(new Set([...(pa ?? []), ...(pb ?? [])]).size).toBe(3)

    const label = 'phase1-'
    await produce(brokers, topic, validEvents(label, 300))
    await progress.reach(300, 60_000, 'phase 1 messages handled')
    const stats = count(label, 300)
    expect(stats).toMatchObject({ distinct: 300, duplicates: 0, missing: 0 })
    const mine = handled.filter((h) => h.id.startsWith(label))
    for (const [name, partitions] of [['a', pa], ['b', pb]] as const) {
      const seen = new Set(mine.filter((h) => h.consumer === name).map((h) => h.partition))
      expect(seen.size, `member ${name} handled messages`).toBeGreaterThan(0)
      for (const p of seen) expect(partitions, `member ${name} handled only its own partitions`).toContain(p)
    }
  })

  it('a third member joining mid-stream takes over partitions without losing messages', { timeout: 90_000 }, async () => {
    const label = 'phase2-'
    const before = ids.size
    await produce(brokers, topic, validEvents(label, 600))
    await progress.reach(before + 100, 30_000, 'phase 2 under way') // the group is busy when c joins
    await within(c.start({ blocking: false }), 60_000, 'third member joining')
    const parts = await settled([a, b, c], 30_000)
    expect(parts.map((p) => p.length)).toEqual([1, 1, 1])
    await progress.reach(before + 600, 60_000, 'phase 2 messages handled')
    const stats = count(label, 600)
    console.info(`third member joined mid-stream: ${JSON.stringify(stats)}`)
    expect(stats.missing).toBe(0)
  })

  it('a member leaving mid-stream hands its partitions over without losing messages', { timeout: 90_000 }, async () => {
    const label = 'phase3-'
    const before = ids.size
    await produce(brokers, topic, validEvents(label, 600))
    await progress.reach(before + 100, 30_000, 'phase 3 under way')
    await a.stop() // commits what it handled, leaves the group: b and c take over at once
    const parts = await settled([b, c], 30_000)
    expect(parts.flat().sort()).toEqual(PARTITIONS)
    await progress.reach(before + 600, 60_000, 'phase 3 messages handled')
    const stats = count(label, 600)
    console.info(`member left mid-stream: ${JSON.stringify(stats)}`)
    expect(stats.missing).toBe(0)
    expect(handled.filter((h) => h.id.startsWith(label) && h.consumer === 'a').length).toBeLessThan(600)
  })
})
