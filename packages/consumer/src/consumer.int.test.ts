// Integration tests on the REAL local stack (Kafka + Apicurio registry): typed round trip in both wire formats,
// blocking and background modes, retries → dead letter, undecodable and invalid messages → dead letter, and what
// happens when dead-lettering is off or a topic is missing.
import { randomUUID } from 'node:crypto'
import type { MessageOf } from '@topiq/contracts'
import { encodeJson, encodeWire, isKafkaClientError, jsonLogger, physicalTopic, RegistryClient, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, readMessages, uniquePrefix, waitFor } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  campaignCreated,
  committedOffsets,
  Countdown,
  endOffsets,
  produce,
  Progress,
  standardHeaders,
  validEvents,
  withAdmin,
  within,
} from './fixtures/helpers.ts'
import { DLQ_HEADER, isConsumerError, KafkaConsumerClient, type CommonConsumerOptions } from './index.ts'

const { brokers, registryUrl } = connectionInfo()
const prefix = uniquePrefix('consumer-int')
const runId = randomUUID().slice(0, 8)
let groupSeq = 0
const group = (label: string) => `consumer-int-${runId}-${label}-${++groupSeq}`

/** Options every test consumer shares: the test broker, this file's prefix, no signal handling, quiet logs. */
const common = (label: string) =>
  ({
    groupId: group(label),
    brokers,
    topicPrefix: prefix,
    handleSignals: false,
    logger: process.env['TEST_LOG'] ? jsonLogger({ level: 'debug' }) : silentLogger,
    heartbeatIntervalMs: 1_000,
    sessionTimeoutMs: 10_000,
  }) satisfies Partial<CommonConsumerOptions>

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json', 'campaign.updated.json'])
})

afterAll(async () => {
  await deleteTestTopics(brokers, prefix)
})

/** End offsets of logical topics, to wait until a consumer has handled everything produced so far. */
async function ends(...topics: ('campaign.created.json' | 'campaign.updated.json')[]): Promise<Record<string, Record<number, number>>> {
  return Object.fromEntries(await Promise.all(topics.map(async (t) => [t, await endOffsets(brokers, physicalTopic(prefix, t))] as const)))
}

/** Every partition's committed offset equals its end offset (an empty partition has nothing to commit: -1). */
async function expectAllCommitted(groupId: string, topic: string): Promise<void> {
  const end = await endOffsets(brokers, topic)
  const committed = await committedOffsets(brokers, groupId, topic)
  for (const [partition, offset] of Object.entries(end)) if (offset === 0 && committed[Number(partition)] === -1) committed[Number(partition)] = 0
  expect(committed).toEqual(end)
}

// The tests share this file's topics; each one counts only its own events (ids carry a per-test label).
describe('KafkaConsumerClient on the real broker', () => {
  it("runs on the vitest project's KAFKA_TRANSPORT (integration: kafkajs, integration-platformatic: platformatic)", () => {
    const expected = process.env['KAFKA_TRANSPORT'] ?? 'kafkajs'
    expect(['kafkajs', 'platformatic']).toContain(expected)
    expect(new KafkaConsumerClient({ ...common('transport'), topics: ['campaign.created.json'], messageHandler: () => true }).transport).toBe(expected)
  })

  it('round-trips typed messages over two topics, plain JSON and registry wire format, then commits them', async () => {
    const registry = new RegistryClient({ url: registryUrl })
    const schemaId = await registry.schemaIdFor('campaign.created.json')
    const label = `rt-${runId}`
    const created = campaignCreated(`${label}-json`, { budget: { amount: 10, currency: 'EUR' } })
    const framed = campaignCreated(`${label}-wire`)
    const updated = { campaign_id: `${label}-upd`, updated_at: '2024-01-16T10:00:00Z', changes: { name: 'Renamed' } }
    await produce(brokers, physicalTopic(prefix, 'campaign.created.json'), [
      { key: created.campaign_id, value: encodeJson(created), headers: { ...standardHeaders('campaign.created.json'), correlation_id: 'req-456' } },
      { key: framed.campaign_id, value: encodeWire(schemaId, framed) },
    ])
    await produce(brokers, physicalTopic(prefix, 'campaign.updated.json'), [{ key: updated.campaign_id, value: encodeJson(updated) }])

    const seen: MessageOf<'campaign.created.json' | 'campaign.updated.json'>[] = []
    const progress = new Progress()
    const options = common('roundtrip')
    const consumer = new KafkaConsumerClient({
      ...options,
      topics: ['campaign.created.json', 'campaign.updated.json'],
      messageHandler: (message) => {
        if (message.value.campaign_id.startsWith(label)) seen.push(message)
        progress.record(message)
        return true
      },
    })
    const stopped = consumer.start({ blocking: true })
    await progress.caughtUp(await ends('campaign.created.json', 'campaign.updated.json'), 30_000)
    await consumer.stop()
    await stopped

    const byId = new Map(seen.map((m) => [m.value.campaign_id, m]))
    const json = byId.get(created.campaign_id)
    expect(json).toMatchObject({ topic: 'campaign.created.json', key: created.campaign_id, value: created })
    expect(json?.headers).toMatchObject({ correlation_id: 'req-456', ce_type: 'campaign.created.json', 'content-type': 'application/json' })
    expect(typeof json?.partition).toBe('number')
    expect(json?.offset).toMatch(/^\d+$/)
    expect(Number(json?.timestamp)).toBeGreaterThan(Date.now() - 120_000)
    expect(byId.get(framed.campaign_id)).toMatchObject({ topic: 'campaign.created.json', value: framed })
    expect(byId.get(updated.campaign_id)).toMatchObject({ topic: 'campaign.updated.json', value: updated })
    expect(seen).toHaveLength(3)
    await expectAllCommitted(options.groupId, physicalTopic(prefix, 'campaign.created.json'))
    await expectAllCommitted(options.groupId, physicalTopic(prefix, 'campaign.updated.json'))
  })

  it('start({blocking: false}) returns once consuming; start({blocking: true}) resolves only when stopped', async () => {
    const label = `modes-${runId}`
    await produce(brokers, physicalTopic(prefix, 'campaign.created.json'), validEvents(label, 5))
    let handled = 0
    const done = new Countdown(() => handled)
    const handlers = {
      'campaign.created.json': (m: MessageOf<'campaign.created.json'>) => {
        if (m.value.campaign_id.startsWith(label)) handled++
        done.check()
      },
    }

    const background = new KafkaConsumerClient({ ...common('background'), handlers })
    await within(background.start({ blocking: false }), 30_000, 'non-blocking start')
    expect(background.status).toBe('running')
    expect(background.assignment()).toEqual({ 'campaign.created.json': [0, 1, 2] })
    await done.reach(5, 30_000, 'background consumer')
    await background.stop()
    expect(background.status).toBe('stopped')
    await expect(background.wait()).resolves.toBeUndefined()
    await expect(background.start()).rejects.toSatisfy((e) => isConsumerError(e, 'INVALID_STATE'))

    handled = 0
    const blocking = new KafkaConsumerClient({ ...common('blocking'), handlers })
    let resolved = false
    const run = blocking.start({ blocking: true }).then(() => {
      resolved = true
    })
    await done.reach(5, 30_000, 'blocking consumer')
    expect(resolved).toBe(false)
    expect(blocking.status).toBe('running')
    await blocking.stop()
    await within(run, 5_000, 'blocking start() to resolve after stop()')
    expect(resolved).toBe(true)
  })

  it('await using stops the consumer and commits when the scope ends', async () => {
    const label = `using-${runId}`
    await produce(brokers, physicalTopic(prefix, 'campaign.updated.json'), [
      { key: `${label}-0`, value: encodeJson({ campaign_id: `${label}-0`, updated_at: '2024-01-16T10:00:00Z', changes: { name: 'x' } }) },
    ])
    const options = common('using')
    let client: KafkaConsumerClient<'campaign.updated.json'> | undefined
    {
      const progress = new Progress()
      await using consumer = new KafkaConsumerClient({ ...options, topics: ['campaign.updated.json'], messageHandler: (m) => progress.record(m) })
      client = consumer
      await consumer.start({ blocking: false })
      await progress.caughtUp(await ends('campaign.updated.json'), 30_000)
      expect(consumer.status).toBe('running')
    }
    expect(client?.status).toBe('stopped')
    await expectAllCommitted(options.groupId, physicalTopic(prefix, 'campaign.updated.json'))
  })

  it('retries a failing handler with backoff, then dead-letters it with headers; its partition keeps flowing', async () => {
    const label = `retry-${runId}`
    const topic = physicalTopic(prefix, 'campaign.created.json')
    // All on partition 1: the failing message sits between two good ones.
    const bad = campaignCreated(`${label}-bad`)
    const flaky = campaignCreated(`${label}-flaky`) // rejects once, then succeeds: retried, not dead-lettered
    const records = [campaignCreated(`${label}-before`), bad, flaky, campaignCreated(`${label}-after`)].map((e) => ({
      key: e.campaign_id,
      value: encodeJson(e),
      partition: 1,
      headers: { origin: 'retry-test' },
    }))
    await produce(brokers, topic, records)

    const calls = new Map<string, number[]>()
    const progress = new Progress()
    const options = common('retry')
    const consumer = new KafkaConsumerClient({
      ...options,
      topics: ['campaign.created.json'],
      retry: { attempts: 3, initialBackoffMs: 100, maxBackoffMs: 200 },
      messageHandler: async (m) => {
        const id = m.value.campaign_id
        progress.record(m)
        if (!id.startsWith(label)) return true
        calls.set(id, [...(calls.get(id) ?? []), Date.now()])
        if (id === flaky.campaign_id && calls.get(id)?.length === 1) throw new Error('transient')
        return id !== bad.campaign_id
      },
    })
    await consumer.start({ blocking: false })
    await progress.caughtUp(await ends('campaign.created.json'), 30_000)
    await consumer.stop()

    expect(calls.get(`${label}-before`)).toHaveLength(1)
    expect(calls.get(`${label}-after`)).toHaveLength(1)
    expect(calls.get(flaky.campaign_id)).toHaveLength(2)
    const attempts = calls.get(bad.campaign_id) ?? []
    expect(attempts).toHaveLength(3)
    // Backoff 100 ms then 200 ms (timers may fire a little early or late, never much earlier).
    expect((attempts[1] ?? 0) - (attempts[0] ?? 0)).toBeGreaterThanOrEqual(90)
    expect((attempts[2] ?? 0) - (attempts[1] ?? 0)).toBeGreaterThanOrEqual(190)

    const dlqTopic = physicalTopic(prefix, 'campaign.created-dlq.json')
    // This file's only dead letter on this topic: the flaky message recovered on its retry.
    expect(Object.values(await endOffsets(brokers, dlqTopic)).reduce((a, b) => a + b, 0)).toBe(1)
    const letters = (await readMessages(brokers, [dlqTopic], 1)).filter((m) => m.key?.toString().startsWith(label))
    expect(letters.map((m) => m.key?.toString())).toEqual([bad.campaign_id])
    const letter = letters[0]
    expect(letter?.value?.toString()).toBe(JSON.stringify(bad))
    expect(letter?.partition).toBe(1)
    const headers = Object.fromEntries(Object.entries(letter?.headers ?? {}).map(([k, v]) => [k, String(v)]))
    expect(headers).toMatchObject({
      origin: 'retry-test',
      [DLQ_HEADER.originalTopic]: topic,
      [DLQ_HEADER.originalPartition]: '1',
      [DLQ_HEADER.errorCode]: 'HANDLER_FAILED',
      [DLQ_HEADER.attempts]: '3',
      [DLQ_HEADER.consumerGroup]: options.groupId,
    })
    expect(headers[DLQ_HEADER.error]).toMatch(/failed 3 time\(s\); last: handler returned false/)
    expect(Number(headers[DLQ_HEADER.originalOffset])).toBeGreaterThanOrEqual(0)
    expect(Date.parse(headers[DLQ_HEADER.failedAt] ?? '')).toBeGreaterThan(Date.now() - 60_000)
    await expectAllCommitted(options.groupId, topic)
  })

  it('dead-letters undecodable bytes and schema-invalid JSON at once, without calling the handler', async () => {
    const label = `poison-${runId}`
    const topic = physicalTopic(prefix, 'campaign.updated.json')
    const garbage = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x7b])
    const invalid = { campaign_id: `${label}-invalid`, name: 42 }
    await produce(brokers, topic, [
      { key: `${label}-garbage`, value: garbage, partition: 0 },
      { key: `${label}-invalid`, value: encodeJson(invalid), partition: 0 },
      { key: `${label}-ok`, value: encodeJson({ campaign_id: `${label}-ok`, updated_at: '2024-01-16T10:00:00Z', changes: { name: 'x' } }), partition: 0 },
    ])
    const handled: string[] = []
    const progress = new Progress()
    const options = common('poison')
    const consumer = new KafkaConsumerClient({
      ...options,
      topics: ['campaign.updated.json'],
      messageHandler: (m) => {
        if (m.key?.startsWith(label)) handled.push(m.key)
        progress.record(m)
      },
    })
    await consumer.start({ blocking: false })
    await progress.caughtUp(await ends('campaign.updated.json'), 30_000)
    await consumer.stop()
    expect(handled).toEqual([`${label}-ok`])

    const letters = (await readMessages(brokers, [physicalTopic(prefix, 'campaign.updated-dlq.json')], 2)).filter((m) => m.key?.toString().startsWith(label))
    const byKey = new Map(letters.map((m) => [m.key?.toString(), m]))
    const header = (key: string, name: string) => String(byKey.get(key)?.headers?.[name])
    expect(byKey.get(`${label}-garbage`)?.value).toEqual(garbage)
    expect(header(`${label}-garbage`, DLQ_HEADER.errorCode)).toBe('DECODE_FAILED')
    expect(header(`${label}-garbage`, DLQ_HEADER.attempts)).toBe('0')
    expect(header(`${label}-garbage`, DLQ_HEADER.error)).toMatch(/^offset \d+ of campaign.updated.json partition 0: value is not valid JSON/)
    expect(header(`${label}-invalid`, DLQ_HEADER.errorCode)).toBe('INVALID_PAYLOAD')
    const violations = header(`${label}-invalid`, DLQ_HEADER.error)
    expect(violations).toMatch(/^offset \d+ of campaign.updated.json partition 0 does not match schemas\/campaign.updated.json \(\d violation\(s\)\): /)
    expect(violations).toContain('$.updated_at is required but missing')
    expect(violations).toContain('$.changes is required but missing')
    expect(violations).toContain('$.name is not allowed by the schema')
    await expectAllCommitted(options.groupId, topic)
  })

  it('with deadLetter off, a failing message stops the consumer with an error and stays uncommitted', async () => {
    const label = `nodlq-${runId}`
    const topic = physicalTopic(prefix, 'campaign.created.json')
    await produce(brokers, topic, [campaignCreated(`${label}-ok`), campaignCreated(`${label}-bad`)].map((e) => ({ key: e.campaign_id, value: encodeJson(e), partition: 2 })))
    const options = common('nodlq')
    let handled = 0
    const consumer = new KafkaConsumerClient({
      ...options,
      topics: ['campaign.created.json'],
      deadLetter: false,
      retry: { attempts: 2, initialBackoffMs: 50 },
      messageHandler: (m) => {
        if (m.value.campaign_id === `${label}-bad`) throw new Error('database unavailable')
        handled++
      },
    })
    const error = await within(
      consumer.start({ blocking: true }).then(
        () => undefined,
        (e: unknown) => e,
      ),
      30_000,
      'the consumer to stop on the failing message',
    )
    expect(isConsumerError(error, 'HANDLER_FAILED')).toBe(true)
    expect(String((error as Error).message)).toMatch(/partition 2 failed 2 time\(s\); last: handler threw: database unavailable.*deadLetter: false/)
    expect(consumer.status).toBe('stopped')
    expect(handled).toBeGreaterThan(0)
    // Committed up to (not including) the failing message: it is read again after a restart.
    const end = await endOffsets(brokers, topic)
    expect((await committedOffsets(brokers, options.groupId, topic))[2]).toBe((end[2] ?? 0) - 1)
  })

  it('autoCommit: true commits what was handled while running; a message that stops the consumer is not committed and is read again', { timeout: 90_000 }, async () => {
    const ownPrefix = uniquePrefix('consumer-autocommit')
    await createTestTopics(brokers, ownPrefix, ['campaign.created.json'])
    try {
      const topic = physicalTopic(ownPrefix, 'campaign.created.json')
      const label = `auto-${runId}`
      const good = Array.from({ length: 20 }, (_, i) => campaignCreated(`${label}-${i}`))
      await produce(brokers, topic, good.map((e, i) => ({ key: e.campaign_id, value: encodeJson(e), partition: i % 3 })))
      const options = { ...common('autocommit'), topicPrefix: ownPrefix }
      const end = await endOffsets(brokers, topic)
      // 1. Everything handled: the commits reach the log end while the consumer runs (not only when it stops).
      {
        await using consumer = new KafkaConsumerClient({ ...options, topics: ['campaign.created.json'], autoCommit: true, messageHandler: () => true })
        await consumer.start({ blocking: false })
        await waitFor(
          async () => JSON.stringify(await committedOffsets(brokers, options.groupId, topic)) === JSON.stringify(end),
          `group ${options.groupId} to commit ${JSON.stringify(end)} with autoCommit while running`,
        )
        expect(consumer.status).toBe('running')
      }
      // 2. On partition 2: a message the handler cannot take, then another (dead-lettering off: the consumer stops).
      const bad = campaignCreated(`${label}-bad`)
      const after = campaignCreated(`${label}-after`)
      await produce(brokers, topic, [bad, after].map((e) => ({ key: e.campaign_id, value: encodeJson(e), partition: 2 })))
      const badOffset = end[2] ?? 0
      const failing = new KafkaConsumerClient({
        ...options,
        topics: ['campaign.created.json'],
        autoCommit: true,
        deadLetter: false,
        retry: { attempts: 2, initialBackoffMs: 50 },
        messageHandler: (m) => {
          if (m.value.campaign_id === bad.campaign_id) throw new Error('database unavailable')
        },
      })
      const error = await within(
        failing.start({ blocking: true }).then(
          () => undefined,
          (e: unknown) => e,
        ),
        30_000,
        'the consumer to stop on the failing message',
      )
      expect(isConsumerError(error, 'HANDLER_FAILED')).toBe(true)
      expect((await committedOffsets(brokers, options.groupId, topic))[2], 'the failing message is never committed').toBe(badOffset)
      // 3. A restart reads it again, then what follows it.
      const seen: string[] = []
      await using again = new KafkaConsumerClient({ ...options, topics: ['campaign.created.json'], autoCommit: true, messageHandler: (m) => void seen.push(m.value.campaign_id) })
      await again.start({ blocking: false })
      await waitFor(() => seen.length >= 2, 'the restarted consumer to read the failed message and the next one')
      expect(seen.slice(0, 2)).toEqual([bad.campaign_id, after.campaign_id])
    } finally {
      await deleteTestTopics(brokers, ownPrefix)
    }
  })

  it('stops without committing when the dead-letter write fails, so the message is not lost', { timeout: 90_000 }, async () => {
    const ownPrefix = uniquePrefix('consumer-dlq-down')
    await createTestTopics(brokers, ownPrefix, ['campaign.updated.json'])
    try {
      const topic = physicalTopic(ownPrefix, 'campaign.updated.json')
      const options = { ...common('dlq-down'), topicPrefix: ownPrefix }
      const consumer = new KafkaConsumerClient({ ...options, topics: ['campaign.updated.json'], messageHandler: () => true })
      await consumer.start({ blocking: false })
      await withAdmin(brokers, (admin) => admin.deleteTopics({ topics: [physicalTopic(ownPrefix, 'campaign.updated-dlq.json')] }))
      await produce(brokers, topic, [{ key: 'poison', value: Buffer.from('not json'), partition: 0 }])
      const error = await within(consumer.wait().then(() => undefined, (e: unknown) => e), 60_000, 'the consumer to stop')
      expect(isConsumerError(error, 'DEAD_LETTER_FAILED')).toBe(true)
      expect((error as Error).message).toMatch(/could not write offset 0 of campaign.updated.json partition 0 to dead-letter topic ".*campaign.updated-dlq.json".*not committed/)
      expect(consumer.status).toBe('stopped')
      expect((await committedOffsets(brokers, options.groupId, topic))[0]).toBe(-1)
    } finally {
      await deleteTestTopics(brokers, ownPrefix)
    }
  })

  it('fails start() with TOPIC_NOT_FOUND naming the missing topic and how to create it', async () => {
    const consumer = new KafkaConsumerClient({
      ...common('missing'),
      topicPrefix: uniquePrefix('consumer-missing'),
      topics: ['asset.updated.json'],
      messageHandler: () => true,
    })
    const error = await consumer.start().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(isKafkaClientError(error, 'TOPIC_NOT_FOUND')).toBe(true)
    expect((error as Error).message).toMatch(/topic\(s\) ".*asset.updated.json", ".*asset.updated-dlq.json" do not exist .*pnpm topiq topics create/)
    expect(consumer.status).toBe('stopped')
  })
})
