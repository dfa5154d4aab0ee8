// The partitions in hand take turns at the handler (turns.ts) and share their commits (CommitBatcher), on the real
// broker and on both transports: by default an async handler never runs twice at once while three partitions are
// handled a turn (half a poll batch) at a time each, every partition keeps its order, and every partition's offset is
// committed to its end; partitionsConsumedConcurrently lets handlers of different partitions overlap.
import { randomUUID } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { physicalTopic, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { committedOffsets, Countdown, endOffsets, produce, validEvents } from './fixtures/helpers.ts'
import { KafkaConsumerClient } from './index.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('consumer-turns')
const topic = physicalTopic(prefix, 'campaign.created.json')
const PER_PARTITION = 200
const MAX_POLL_RECORDS = 20
const TURN = MAX_POLL_RECORDS / 2

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json'])
  await produce(brokers, topic, validEvents('turns', 3 * PER_PARTITION).map((r, i) => ({ ...r, partition: i % 3 })))
}, 60_000)

afterAll(async () => {
  await deleteTestTopics(brokers, prefix)
})

/** Consumes the whole topic in a fresh group; what the handler saw, in order, and how many handlers ran at once. */
async function consumeAll(partitionsConsumedConcurrently?: number) {
  const groupId = `consumer-turns-${randomUUID().slice(0, 8)}`
  const seen: { partition: number; offset: number }[] = []
  const progress = new Countdown(() => seen.length)
  let running = 0
  let maxRunning = 0
  const consumer = new KafkaConsumerClient({
    topics: ['campaign.created.json'],
    groupId,
    brokers,
    topicPrefix: prefix,
    handleSignals: false,
    logger: silentLogger,
    maxPollRecords: MAX_POLL_RECORDS,
    ...(partitionsConsumedConcurrently === undefined ? {} : { partitionsConsumedConcurrently }),
    messageHandler: async (m) => {
      maxRunning = Math.max(maxRunning, ++running)
      await delay(1) // an async handler: another turn could start while this one waits, were turns not kept
      seen.push({ partition: m.partition, offset: Number(m.offset) })
      running--
      progress.check()
    },
  })
  try {
    await consumer.start({ blocking: false })
    await progress.reach(3 * PER_PARTITION, 90_000, 'every record handled')
  } finally {
    await consumer.stop()
  }
  return { groupId, seen, maxRunning }
}

describe('partitions in turn on the real broker', () => {
  it('by default: one handler at a time, the three partitions a turn each in turn, each in order, all committed to the end', { timeout: 120_000 }, async () => {
    const { groupId, seen, maxRunning } = await consumeAll()
    expect(maxRunning).toBe(1)
    for (const p of [0, 1, 2]) {
      expect(seen.filter((s) => s.partition === p).map((s) => s.offset), `partition ${p} in order, once each`).toEqual(Array.from({ length: PER_PARTITION }, (_, o) => o))
    }
    // Every partition's records are in the first fetch; so while two or more partitions have records left, no
    // partition runs longer than one turn. One partition at a time (before) ran all of its 200 in a row.
    const left = [PER_PARTITION, PER_PARTITION, PER_PARTITION]
    let run = 0
    let longest = 0
    let switches = 0
    for (const [i, s] of seen.entries()) {
      const sameAsBefore = i > 0 && seen[i - 1]?.partition === s.partition
      if (!sameAsBefore && i > 0) switches++
      run = sameAsBefore ? run + 1 : 1
      if (left.filter((n) => n > 0).length >= 2) longest = Math.max(longest, run)
      left[s.partition] = (left[s.partition] ?? 0) - 1
    }
    expect(longest).toBe(TURN)
    expect(switches).toBeGreaterThanOrEqual((3 * PER_PARTITION) / TURN - 3)
    // The shared OffsetCommit requests carried every partition's offset: the group is at the end of each.
    expect(await committedOffsets(brokers, groupId, topic)).toEqual(await endOffsets(brokers, topic))
  })

  it('partitionsConsumedConcurrently: 3 lets handlers of different partitions run at once, each partition still in order', { timeout: 120_000 }, async () => {
    const { groupId, seen, maxRunning } = await consumeAll(3)
    expect(maxRunning).toBeGreaterThan(1)
    expect(maxRunning).toBeLessThanOrEqual(3)
    for (const p of [0, 1, 2]) {
      expect(seen.filter((s) => s.partition === p).map((s) => s.offset)).toEqual(Array.from({ length: PER_PARTITION }, (_, o) => o))
    }
    expect(await committedOffsets(brokers, groupId, topic)).toEqual(await endOffsets(brokers, topic))
  })
})
