import { ContractError, type CampaignCreated, type MessageOf, type TopicName } from '@topiq/contracts'
import { ConsumerError, DEFAULTS, DLQ_HEADER, type HandlerResult } from '@topiq/consumer'
import { HEADER, KafkaClientError, silentLogger } from '@topiq/kafka-core'
import { KafkaProducerClient, type BatchFailure } from '@topiq/producer'
import { afterAll, describe, expect, it } from 'vitest'
import { TestBus } from './index.ts'

const NOW = new Date('2024-01-15T10:00:00.000Z')
const created = (id: string, extra: Partial<CampaignCreated> = {}): CampaignCreated => ({
  campaign_id: id,
  name: `Campaign ${id}`,
  created_at: '2024-01-15T10:00:00Z',
  ...extra,
})
const updated = (id: string) => ({ campaign_id: id, updated_at: '2024-01-15T11:00:00Z', changes: { name: 'Renamed' } })

// Never connects: every case below is refused before the network, which is the point of comparing.
const producer = new KafkaProducerClient({ brokers: '127.0.0.1:1', logger: silentLogger, registry: false, retries: 1 })
afterAll(() => producer.close())

/** The fields that make two errors the same error for a caller. */
function shape(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; violations?: unknown }
  return { name: e.name, code: e.code, message: e.message, violations: e.violations, isContractError: error instanceof ContractError, isClientError: error instanceof KafkaClientError }
}

async function rejection(work: Promise<unknown>): Promise<unknown> {
  try {
    await work
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('publishing', () => {
  it('records the event with the producer standard headers, its key and the partition its key hashes to', async () => {
    const bus = new TestBus({ clientId: 'campaign-api', now: () => NOW, eventId: () => 'evt-1' })
    const result = await bus.publish('campaign.created.json', created('c-1'), { headers: { correlation_id: 'req-1' } })
    expect(result).toEqual({ topic: 'campaign.created.json', physicalTopic: 'campaign.created.json', partition: result.partition, offset: '0', eventId: 'evt-1' })
    const [event] = bus.events('campaign.created.json')
    expect(event).toEqual({
      topic: 'campaign.created.json',
      partition: result.partition,
      offset: '0',
      key: 'c-1',
      value: created('c-1'),
      headers: {
        [HEADER.specVersion]: '1.0',
        [HEADER.id]: 'evt-1',
        [HEADER.source]: 'campaign-api',
        [HEADER.type]: 'campaign.created.json',
        [HEADER.time]: NOW.toISOString(),
        [HEADER.contentType]: 'application/json',
        [HEADER.dataSchema]: expect.stringMatching(/^schemas\/campaign\.created\.json#[0-9a-f]{16}$/),
        correlation_id: 'req-1',
      },
      timestamp: String(NOW.getTime()),
    })
    expect(event?.raw.key?.toString()).toBe('c-1')
    expect(JSON.parse(event?.raw.value?.toString() ?? '')).toEqual(created('c-1'))
  })

  it('keys by the topic key field unless a key is given, and keeps one partition and increasing offsets per key', async () => {
    const bus = new TestBus()
    const first = await bus.publish('campaign.created.json', created('same'))
    const second = await bus.publish('campaign.updated.json', updated('same'))
    const third = await bus.publish('campaign.created.json', created('other'), { key: 'same' })
    expect(third.partition).toBe(first.partition)
    expect([first.offset, third.offset]).toEqual(['0', '1'])
    expect(second.offset).toBe('0')
    expect(bus.events('campaign.created.json').map((e) => e.key)).toEqual(['same', 'same'])
    const partitions = new Set<number>()
    for (let i = 0; i < 40; i++) partitions.add((await bus.publish('campaign.created.json', created(`k-${i}`))).partition)
    expect([...partitions].sort()).toEqual([0, 1, 2])
  })

  it('copies the payload: changing the object after publishing changes nothing recorded', async () => {
    const bus = new TestBus()
    const payload = created('c-1')
    await bus.publish('campaign.created.json', payload)
    payload.name = 'changed'
    expect(bus.events('campaign.created.json')[0]?.value.name).toBe('Campaign c-1')
  })

  it('refuses an invalid payload with the same error as the producer, and records nothing', async () => {
    const bus = new TestBus()
    const invalid = JSON.parse('{"campaign_id":"c-1","created_at":"yesterday","colour":"red","budget":{"amount":-1,"currency":"euro"}}') as CampaignCreated
    const fromBus = await rejection(bus.publish('campaign.created.json', invalid))
    const fromProducer = await rejection(producer.publish('campaign.created.json', invalid))
    expect(shape(fromBus)).toEqual(shape(fromProducer))
    expect(fromBus).toMatchObject({ name: 'ContractError', code: 'INVALID_PAYLOAD', topic: 'campaign.created.json' })
    expect((fromBus as ContractError).violations.map((v) => v.path).sort()).toEqual(['$.budget.amount', '$.budget.currency', '$.colour', '$.created_at', '$.name'])
    expect(bus.published).toEqual([])
  })

  it('refuses an unknown topic, a reserved header and a non-string key as the producer does', async () => {
    const bus = new TestBus()
    const cases: ((p: Pick<KafkaProducerClient, 'publish'>) => Promise<unknown>)[] = [
      (p) => p.publish('campaign.deleted.json' as 'campaign.created.json', created('c-1')),
      (p) => p.publish('campaign.created.json', created('c-1'), { headers: { [HEADER.id]: 'mine' } }),
      (p) => p.publish('campaign.created.json', created('c-1'), { key: 7 as unknown as string }),
    ]
    for (const call of cases) {
      const fromBus = await rejection(call(bus))
      expect(shape(fromBus)).toEqual(shape(await rejection(call(producer))))
      expect(fromBus).toBeInstanceOf(Error)
    }
    expect(bus.published).toEqual([])
  })

  it('sendMessage and sendBatch answer as the producer: a boolean, a count, failures by index', async () => {
    const bus = new TestBus()
    expect(await bus.sendMessage({ topic: 'campaign.created.json', value: created('c-1') })).toBe(true)
    expect(await bus.sendMessage({ topic: 'campaign.created.json', value: { ...created('c-2'), name: '' } })).toBe(false)
    expect(bus.rejected).toMatchObject([{ topic: 'campaign.created.json', error: { code: 'INVALID_PAYLOAD' } }])
    let failures: readonly BatchFailure[] = []
    const count = await bus.sendBatch(
      [
        { topic: 'campaign.created.json', value: created('c-3') },
        { topic: 'campaign.updated.json', value: { ...updated('c-3'), updated_at: 'later' } },
        { topic: 'campaign.updated.json', value: updated('c-3') },
      ],
      { onFailure: (f) => (failures = f) },
    )
    expect(count).toBe(2)
    expect(failures.map((f) => [f.index, f.reason, f.error.code])).toEqual([[1, 'invalid', 'INVALID_PAYLOAD']])
    expect(bus.published.map((e) => `${e.topic}:${e.value.campaign_id}`)).toEqual(['campaign.created.json:c-1', 'campaign.created.json:c-3', 'campaign.updated.json:c-3'])
  })

  it('publishBatch is all or nothing on validation, with $[index] paths', async () => {
    const bus = new TestBus()
    const error = await rejection(bus.publishBatch('campaign.created.json', [created('a'), { ...created('b'), name: '' }]))
    expect(error).toMatchObject({ code: 'INVALID_PAYLOAD', violations: [{ path: '$[1].name' }] })
    expect(bus.published).toEqual([])
    const result = await bus.publishBatch('campaign.created.json', [created('a'), created('b')])
    expect(result).toMatchObject({ count: 2, eventIds: [expect.any(String), expect.any(String)] })
  })

  it('failNext simulates a broker failure: publish rejects, sendBatch reports send-failed, nothing recorded', async () => {
    const bus = new TestBus()
    const down = new KafkaClientError('CONNECTION_REFUSED', 'broker down', { retriable: true })
    bus.failNext(down, 2)
    expect(await rejection(bus.publish('campaign.created.json', created('c-1')))).toBe(down)
    let failures: readonly BatchFailure[] = []
    expect(await bus.sendBatch([{ topic: 'campaign.created.json', value: created('c-2') }], { onFailure: (f) => (failures = f) })).toBe(0)
    expect(failures.map((f) => f.reason)).toEqual(['send-failed'])
    expect(bus.published).toEqual([])
    await bus.publish('campaign.created.json', created('c-3'))
    expect(bus.published).toHaveLength(1)
  })

  it('after close, publishing rejects with CLOSED as the producer does', async () => {
    await using bus = new TestBus()
    await bus.close()
    expect(await rejection(bus.publish('campaign.created.json', created('c-1')))).toMatchObject({ name: 'KafkaClientError', code: 'CLOSED' })
  })
})

describe('delivering', () => {
  it('delivers nothing until drain(), then everything in publish order, with typed messages', async () => {
    const bus = new TestBus()
    const seen: string[] = []
    await bus.publish('campaign.created.json', created('early'))
    bus.subscribe({
      topics: ['campaign.created.json', 'campaign.updated.json'],
      messageHandler: (m) => {
        seen.push(m.topic === 'campaign.created.json' ? `created ${m.value.name}` : `updated ${Object.keys(m.value.changes).join()}`)
      },
    })
    await bus.publish('campaign.updated.json', updated('early'))
    await bus.publish('asset.updated.json', { asset_id: 'a-1', version: 1, updated_at: '2024-01-15T10:00:00Z' })
    expect(seen).toEqual([])
    expect(bus.pending).toBe(2)
    expect(await bus.drain()).toEqual({ handled: 2, deadLettered: 0 })
    expect(seen).toEqual(['created Campaign early', 'updated name'])
    expect(bus.pending).toBe(0)
    expect(await bus.drain()).toEqual({ handled: 0, deadLettered: 0 })
  })

  it('keeps per-partition order across many keys', async () => {
    const bus = new TestBus()
    const byPartition = new Map<number, string[]>()
    bus.subscribe({ handlers: { 'campaign.created.json': (m) => void byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m.offset]) } })
    for (let i = 0; i < 30; i++) await bus.publish('campaign.created.json', created(`k-${i % 7}`))
    await bus.drain()
    for (const offsets of byPartition.values()) expect(offsets).toEqual(offsets.map((_, i) => String(i)))
  })

  it('retries a failing handler as the consumer does and counts it handled once it succeeds', async () => {
    const bus = new TestBus()
    let calls = 0
    bus.subscribe({ handlers: { 'campaign.created.json': () => ++calls >= DEFAULTS.retry.attempts } })
    await bus.publish('campaign.created.json', created('c-1'))
    expect(await bus.drain()).toEqual({ handled: 1, deadLettered: 0 })
    expect(calls).toBe(DEFAULTS.retry.attempts)
    expect(bus.deadLetters).toEqual([])
  })

  it.each<[string, () => HandlerResult | Promise<HandlerResult>, string]>([
    ['returns false', () => false, 'handler returned false'],
    ['throws', () => { throw new Error('database down') }, 'handler threw: database down'],
    ['rejects', () => Promise.reject(new Error('timeout')), 'handler threw: timeout'],
  ])('dead-letters a message whose handler %s on every attempt, with the consumer reason and x-dlq-* headers', async (_, handler, last) => {
    const bus = new TestBus({ topicPrefix: 'test-', now: () => NOW })
    let calls = 0
    bus.subscribe({ groupId: 'campaign-worker', handlers: { 'campaign.created.json': () => (calls++, handler()) } })
    const { partition } = await bus.publish('campaign.created.json', created('c-1'), { headers: { correlation_id: 'req-9' } })
    expect(await bus.drain()).toEqual({ handled: 0, deadLettered: 1 })
    expect(calls).toBe(DEFAULTS.retry.attempts)
    const [dead] = bus.deadLetters
    const error = `offset 0 of campaign.created.json partition ${partition} failed 3 time(s); last: ${last}`
    expect(dead).toMatchObject({
      topic: 'campaign.created.json',
      deadLetterTopic: 'test-campaign.created-dlq.json',
      partition,
      offset: '0',
      key: 'c-1',
      value: created('c-1'),
      reason: 'HANDLER_FAILED',
      error,
      attempts: 3,
      groupId: 'campaign-worker',
    })
    expect(dead?.headers).toMatchObject({
      correlation_id: 'req-9',
      [HEADER.type]: 'campaign.created.json',
      [DLQ_HEADER.originalTopic]: 'test-campaign.created.json',
      [DLQ_HEADER.originalPartition]: String(partition),
      [DLQ_HEADER.originalOffset]: '0',
      [DLQ_HEADER.originalTimestamp]: String(NOW.getTime()),
      [DLQ_HEADER.error]: error,
      [DLQ_HEADER.errorCode]: 'HANDLER_FAILED',
      [DLQ_HEADER.attempts]: '3',
      [DLQ_HEADER.failedAt]: NOW.toISOString(),
      [DLQ_HEADER.consumerGroup]: 'campaign-worker',
    })
    expect(Object.keys(dead?.headers ?? {})).not.toContain(DLQ_HEADER.omitted)
  })

  it('cuts x-dlq-error at 4 KiB as the consumer does, and keeps the whole text in `error`', async () => {
    const bus = new TestBus()
    bus.subscribe({ handlers: { 'campaign.created.json': () => { throw new Error('x'.repeat(10_000)) } } })
    await bus.publish('campaign.created.json', created('c-1'))
    await bus.drain()
    const [dead] = bus.deadLetters
    expect(Buffer.byteLength(dead?.headers[DLQ_HEADER.error] ?? '')).toBeLessThanOrEqual(4_096)
    expect(dead?.headers[DLQ_HEADER.error]).toMatch(/… \[truncated\]$/)
    expect(dead?.error.length).toBeGreaterThan(10_000)
  })

  it('honours retry.attempts, and one dead letter does not stall the messages behind it', async () => {
    const bus = new TestBus()
    const calls: string[] = []
    bus.subscribe({ retry: { attempts: 1 }, handlers: { 'campaign.created.json': (m) => (calls.push(m.value.campaign_id), m.value.campaign_id !== 'bad') } })
    for (const id of ['bad', 'good']) await bus.publish('campaign.created.json', created(id), { key: 'one-partition' })
    expect(await bus.drain()).toEqual({ handled: 1, deadLettered: 1 })
    expect(calls).toEqual(['bad', 'good'])
    expect(bus.deadLetters.map((d) => d.attempts)).toEqual([1])
  })

  it('dead-letters what a foreign producer wrote that is not JSON or not valid, without calling the handler', async () => {
    const bus = new TestBus()
    let calls = 0
    bus.subscribe({ handlers: { 'campaign.created.json': () => void calls++ } })
    bus.inject('campaign.created.json', Buffer.from('not json'), { key: 'k' })
    bus.inject('campaign.created.json', { campaign_id: 'c-1' }, { key: 'k' })
    bus.inject('campaign.created.json', created('c-2'), { key: 'k' })
    expect(await bus.drain()).toEqual({ handled: 1, deadLettered: 2 })
    expect(calls).toBe(1)
    expect(bus.deadLetters.map((d) => [d.reason, d.attempts, d.headers[DLQ_HEADER.errorCode]])).toEqual([
      ['DECODE_FAILED', 0, 'DECODE_FAILED'],
      ['INVALID_PAYLOAD', 0, 'INVALID_PAYLOAD'],
    ])
    expect(bus.deadLetters[0]?.error).toMatch(/^offset 0 of campaign\.created\.json partition \d: value is not valid JSON/)
    expect(bus.deadLetters[1]?.error).toMatch(/does not match schemas\/campaign\.created\.json \(2 violation\(s\)\): \$\.name is required but missing; \$\.created_at is required but missing/)
    expect(bus.deadLetters[0]?.raw.value?.toString()).toBe('not json')
    expect(bus.events('campaign.created.json')).toEqual([])
  })

  it('spreads unkeyed records round-robin over the partitions', () => {
    const bus = new TestBus()
    expect([0, 1, 2, 3].map(() => bus.inject('campaign.created.json', created('x')).partition)).toEqual([0, 1, 2, 0])
  })

  it('with deadLetter: false, a failing message stops its subscription with ConsumerError and stays undelivered', async () => {
    const bus = new TestBus()
    let fail = true
    bus.subscribe({ deadLetter: false, handlers: { 'campaign.created.json': () => !fail } })
    await bus.publish('campaign.created.json', created('c-1'))
    const error = await rejection(bus.drain())
    expect(error).toBeInstanceOf(ConsumerError)
    expect(error).toMatchObject({ code: 'HANDLER_FAILED', topic: 'campaign.created.json', offset: '0' })
    expect((error as Error).message).toMatch(/Dead-lettering is off/)
    expect(bus.deadLetters).toEqual([])
    fail = false
    bus.subscribe({ handlers: { 'campaign.created.json': () => !fail } })
    expect(await bus.drain()).toEqual({ handled: 1, deadLettered: 0 })
  })

  it('deliver() runs one round; drain() also delivers what handlers publish', async () => {
    const bus = new TestBus()
    const log: string[] = []
    bus.subscribe({
      handlers: {
        'campaign.created.json': async (m) => {
          log.push(`created ${m.value.campaign_id}`)
          await bus.publish('campaign.updated.json', { ...updated(m.value.campaign_id), changes: { status: 'active' } })
        },
        'campaign.updated.json': (m) => void log.push(`updated ${m.value.campaign_id}`),
      },
    })
    await bus.publish('campaign.created.json', created('c-1'))
    expect(await bus.deliver()).toEqual({ handled: 1, deadLettered: 0 })
    expect(log).toEqual(['created c-1'])
    expect(bus.pending).toBe(1)
    await bus.drain()
    expect(log).toEqual(['created c-1', 'updated c-1'])
  })

  it('drain() stops a publish loop with an error that says so', async () => {
    const bus = new TestBus()
    bus.subscribe({ handlers: { 'campaign.updated.json': async (m) => void (await bus.publish('campaign.updated.json', m.value)) } })
    await bus.publish('campaign.updated.json', updated('loop'))
    await expect(bus.drain()).rejects.toThrow(/handlers keep publishing/)
  })

  it('gives every subscription every message of its topics; unsubscribe stops delivery', async () => {
    const bus = new TestBus()
    const a: MessageOf<'campaign.created.json'>[] = []
    const b: string[] = []
    bus.subscribe({ groupId: 'a', handlers: { 'campaign.created.json': (m) => void a.push(m) } })
    const sub = bus.subscribe({ groupId: 'b', handlers: { 'campaign.created.json': (m) => void b.push(m.offset) } })
    await bus.publish('campaign.created.json', created('c-1'))
    await bus.drain()
    sub.unsubscribe()
    await bus.publish('campaign.created.json', created('c-1'))
    await bus.drain()
    expect(a.map((m) => m.offset)).toEqual(['0', '1'])
    expect(b).toEqual(['0'])
    expect(Object.keys(a[0] ?? {})).not.toContain('raw')
    expect(a[0]?.raw.headers.find((h) => h.key === HEADER.type)?.value?.toString()).toBe('campaign.created.json')
  })

  it('refuses bad subscriptions as the consumer does', () => {
    const bus = new TestBus()
    expect(() => bus.subscribe({ topics: ['campaign.deleted.json' as TopicName], messageHandler: () => true })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_TOPIC' }),
    )
    expect(() => bus.subscribe({ topics: [], messageHandler: () => true })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    expect(() => bus.subscribe({ retry: { attempts: 0 }, handlers: { 'campaign.created.json': () => true } })).toThrow(/retry.attempts/)
  })
})
