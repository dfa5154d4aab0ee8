import { randomUUID } from 'node:crypto'
import {
  ContractError,
  invalidPayloadError,
  isTopicName,
  keyReader,
  topicMetadata,
  unknownTopicError,
  validate,
  type EventMap,
  type MessageOf,
  type Publish,
  type PublishOptions,
  type PublishPayload,
  type RawRecord,
  type TopicName,
  type TypedPublisher,
  type Violation,
} from '@topiq/contracts'
import {
  ConsumerError,
  DEFAULTS,
  deadLetterHeaders,
  describeViolations,
  type ConsumerSettings,
  type DeadLetterReason,
  type HandlerResult,
  type MessageHandler,
  type TopicHandlers,
} from '@topiq/consumer'
import { HEADER, KafkaClientError, Partitioners, decodeValue, errorMessage, physicalTopic } from '@topiq/kafka-core'
import {
  buildHeaders,
  headerTemplate,
  type BatchFailure,
  type OutgoingMessage,
  type PublishBatchOptions,
  type PublishBatchResult,
  type PublishResult,
  type SendBatchOptions,
} from '@topiq/producer'

export interface TestBusOptions {
  /** The `ce_source` header, as the producer's `clientId`. Default `test-bus`. */
  clientId?: string
  /** Physical topic = prefix + topic (`PublishResult.physicalTopic`, `x-dlq-original-topic`). Default none. */
  topicPrefix?: string
  /** The clock for `ce_time`, record timestamps and `x-dlq-failed-at`; pass a fixed one for snapshot-stable tests. */
  now?: () => Date
  /** Event ids (`ce_id`); default a random UUID per event, as the producer. */
  eventId?: () => string
}

/** Subscription options: the consumer's handler shapes; connection settings are accepted and ignored. */
export type SubscribeOptions<T extends TopicName> = (
  | { topics: readonly T[]; messageHandler: MessageHandler<T>; handlers?: never }
  | { handlers: TopicHandlers<T>; topics?: never; messageHandler?: never }
) &
  Pick<ConsumerSettings, 'retry' | 'deadLetter'> & {
    /** Written to `x-dlq-consumer-group`. Default `test-bus`. */
    groupId?: string
  }

export interface Subscription<T extends TopicName> {
  readonly groupId: string
  readonly topics: readonly T[]
  /** Stops delivery to this subscription; what it has not handled stays undelivered. */
  unsubscribe(): void
}

/** A message the consumer would have written to the topic's dead-letter topic. */
export interface DeadLetter {
  /** Logical topic the message was read from. */
  topic: TopicName
  /** `topicMetadata[topic].deadLetterTopic`, where the consumer writes it. */
  deadLetterTopic: string
  partition: number
  offset: string
  key: string | null
  /** The original value as decoded JSON; `undefined` when it was not JSON (see `raw.value`). */
  value: unknown
  /** The original headers plus the consumer's `x-dlq-*` headers (`DLQ_HEADER`). */
  headers: Record<string, string>
  reason: DeadLetterReason
  /** The same text the consumer writes to `x-dlq-error`. */
  error: string
  /** Handler calls made; 0 when the message never reached the handler. */
  attempts: number
  groupId: string
  raw: RawRecord
}

/** What one `deliver()` or `drain()` did. */
export interface DeliveryReport {
  /** Messages whose handler succeeded (within the retries). */
  handled: number
  deadLettered: number
}

/** A send the bus refused (what the producer would have logged): `sendMessage` returned false, `sendBatch` skipped it. */
export interface Rejection {
  topic: string
  error: ContractError | KafkaClientError
}

export interface InjectOptions {
  key?: string | null
  headers?: Readonly<Record<string, string>>
}

interface StoredRecord {
  topic: TopicName
  partition: number
  offset: string
  key: string | null
  value: Buffer
  headers: Record<string, string>
  timestamp: string
  /** Written by `inject` (as a foreign producer would), not through the typed API. */
  injected: boolean
}

interface SubscriptionState {
  readonly groupId: string
  readonly topics: ReadonlySet<TopicName>
  readonly handler: (message: MessageOf<TopicName>) => HandlerResult | Promise<HandlerResult>
  readonly attempts: number
  readonly deadLetter: boolean
  /** Index of the next record of the log to look at: a subscription starts at the earliest, as the consumer's default. */
  position: number
  active: boolean
}

/** Handlers keep publishing what other handlers consume: a loop, not a test that will ever settle. */
const MAX_DRAIN_ROUNDS = 1_000

type PartitionerArgs = Parameters<ReturnType<typeof Partitioners.DefaultPartitioner>>[0]


function rawOf(record: StoredRecord): RawRecord {
  return {
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value,
    headers: Object.entries(record.headers).map(([key, value]) => ({ key, value: Buffer.from(value) })),
  }
}

function attemptsOf(retry: ConsumerSettings['retry']): number {
  const attempts = retry?.attempts ?? DEFAULTS.retry.attempts
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new KafkaClientError('CONFIG_INVALID', `retry.attempts must be an integer ≥ 1, got ${String(attempts)}`)
  }
  return attempts
}

/**
 * A typed, in-memory stand-in for Kafka in unit tests: the producer's `publish` / `publishBatch` / `sendMessage` /
 * `sendBatch` (same types, same validation, same errors and standard headers) and the consumer's handlers (same
 * `MessageOf<T>`, same true/false/void/throw contract, retried `DEFAULTS.retry.attempts` times, then dead-lettered
 * with the consumer's reason codes and `x-dlq-*` headers). Nothing is delivered until `deliver()` or `drain()`:
 * delivery is in publish order (so per topic and per partition too), one handler call at a time, no timers.
 *
 * ```ts
 * const bus = new TestBus()
 * bus.subscribe({ handlers: { 'campaign.created.json': (m) => { seen.push(m.value.campaign_id) } } })
 * await bus.publish('campaign.created.json', event)
 * await bus.drain()
 * expect(bus.events('campaign.created.json')).toHaveLength(1)
 * ```
 */
export class TestBus implements TypedPublisher<PublishResult>, AsyncDisposable {
  readonly clientId: string
  readonly topicPrefix: string
  readonly #now: () => Date
  readonly #eventId: () => string
  readonly #log: StoredRecord[] = []
  readonly #nextOffset = new Map<string, number>()
  readonly #roundRobin = new Map<TopicName, number>()
  // Same murmur2 as the producer's partitioner (Java- and kafka-python-compatible): same key, same partition.
  readonly #partitioner = Partitioners.DefaultPartitioner()
  readonly #subscriptions: SubscriptionState[] = []
  readonly #deadLetters: DeadLetter[] = []
  readonly #rejected: Rejection[] = []
  readonly #failures: Error[] = []
  #closed = false

  constructor(options: TestBusOptions = {}) {
    this.clientId = options.clientId ?? 'test-bus'
    this.topicPrefix = options.topicPrefix ?? ''
    this.#now = options.now ?? (() => new Date())
    this.#eventId = options.eventId ?? randomUUID
  }

  /**
   * The producer's `publish`: validates, then appends the event to its topic's partition (by key) and resolves
   * with where it was written. Rejects with `ContractError` (INVALID_PAYLOAD, UNKNOWN_TOPIC) or `KafkaClientError`
   * (CONFIG_INVALID for a bad key or header, CLOSED, or what `failNext` queued); nothing is recorded then.
   */
  readonly publish: Publish<PublishResult> = (topic, payload, options) => this.#publish(topic, payload, options)

  /** The producer's `publishBatch`: all or nothing on validation (violation paths `$[index]…`). */
  async publishBatch<T extends TopicName>(topic: T, payloads: readonly PublishPayload<T>[], options?: PublishBatchOptions): Promise<PublishBatchResult> {
    this.#assertOpen(topic)
    if (!isTopicName(topic)) throw unknownTopicError(String(topic))
    const violations: Violation[] = []
    payloads.forEach((payload, i) => {
      const result = validate(topic, payload)
      if (!result.ok) for (const v of result.violations) violations.push({ ...v, path: `$[${i}]${v.path.slice(1)}` })
    })
    if (violations.length > 0) throw invalidPayloadError(topic, violations, 'batch')
    const records = payloads.map((payload) => this.#prepare(topic, payload, undefined, options?.headers))
    this.#takeFailure(topic)
    const results = records.map((record) => this.#append(record))
    const firstOffsets = new Map<number, string>()
    for (const r of results) if (!firstOffsets.has(r.partition)) firstOffsets.set(r.partition, r.offset)
    return {
      topic,
      physicalTopic: physicalTopic(this.topicPrefix, topic),
      count: results.length,
      eventIds: results.map((r) => r.eventId),
      partitions: [...firstOffsets].map(([partition, baseOffset]) => ({ partition, baseOffset })),
    }
  }

  /** The producer's `sendMessage`: true when recorded; false (and the reason in `rejected`) otherwise. Never throws. */
  async sendMessage<T extends TopicName>(message: OutgoingMessage<T>): Promise<boolean> {
    try {
      const options: PublishOptions = {}
      if (message.key !== undefined) options.key = message.key
      if (message.headers !== undefined) options.headers = message.headers
      await this.#publish(message.topic, message.value, options)
      return true
    } catch (error) {
      this.#rejected.push({ topic: String(message.topic), error: this.#asClientError(error, String(message.topic)) })
      return false
    }
  }

  /**
   * The producer's `sendBatch`: validates every message, records the valid ones, returns how many; the others go
   * to `onFailure` (`invalid`, or `send-failed` when the bus is closed or `failNext` queued a failure). Never throws.
   */
  async sendBatch<T extends TopicName = TopicName>(messages: readonly OutgoingMessage<T>[], options: SendBatchOptions = {}): Promise<number> {
    const failures: BatchFailure[] = []
    const prepared: { index: number; record: StoredRecord }[] = []
    // Inside the generic, OutgoingMessage<T> is a deferred mapped type: look at it as the union it stands for.
    const list = messages as readonly OutgoingMessage[]
    list.forEach((message, index) => {
      try {
        prepared.push({ index, record: this.#prepare(message.topic, message.value, message.key, message.headers) })
      } catch (error) {
        const refused = error instanceof ContractError || (error instanceof KafkaClientError && error.code === 'CONFIG_INVALID')
        failures.push({ index, topic: String(message.topic), reason: refused ? 'invalid' : 'send-failed', error: this.#asClientError(error, String(message.topic)) })
      }
    })
    let sent = 0
    if (prepared.length > 0) {
      const failure = this.#failures.shift()
      if (failure === undefined) {
        for (const p of prepared) this.#append(p.record)
        sent = prepared.length
      } else {
        for (const p of prepared) failures.push({ index: p.index, topic: p.record.topic, reason: 'send-failed', error: this.#asClientError(failure, p.record.topic) })
      }
    }
    if (failures.length > 0) {
      failures.sort((a, b) => a.index - b.index)
      for (const f of failures) this.#rejected.push({ topic: f.topic, error: f.error })
      try {
        options.onFailure?.(failures)
      } catch {
        // The producer logs a throwing callback and carries on; so does the bus.
      }
    }
    return sent
  }

  /**
   * Writes a record as a foreign producer could, with whatever value (a `Buffer` is taken as the raw bytes, anything else is
   * JSON-encoded), not validated. The consumer's checks apply on delivery: not JSON → DECODE_FAILED, off-schema →
   * INVALID_PAYLOAD, both dead-lettered without calling the handler.
   */
  inject<T extends TopicName>(topic: T, value: unknown, options: InjectOptions = {}): { partition: number; offset: string } {
    if (!isTopicName(topic)) throw unknownTopicError(String(topic))
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value) ?? '')
    const key = options.key ?? null
    const record: StoredRecord = {
      topic,
      partition: this.#partition(topic, key),
      offset: '',
      key,
      value: bytes,
      headers: { ...options.headers },
      timestamp: String(this.#now().getTime()),
      injected: true,
    }
    const { partition, offset } = this.#store(record)
    return { partition, offset }
  }

  /** Queues `error` for the next publish/send (`count` of them): nothing is recorded, as with a broker that refused. */
  failNext(error: Error, count = 1): void {
    for (let i = 0; i < count; i++) this.#failures.push(error)
  }

  /**
   * Registers handlers as a consumer group would, starting from the earliest record (the consumer's default
   * `autoOffsetReset`): what was published before is delivered too. Each subscription reads every partition of its
   * topics (one group, one member). Throws as the consumer's constructor does on an unknown topic or bad options.
   */
  subscribe<T extends TopicName>(options: SubscribeOptions<T>): Subscription<T> {
    const hasHandlers = options.handlers !== undefined
    if (hasHandlers === (options.messageHandler !== undefined)) {
      throw new KafkaClientError('CONFIG_INVALID', 'pass either `topics` with one `messageHandler`, or `handlers` (a handler per topic), not both or neither')
    }
    const names: readonly string[] = hasHandlers ? Object.keys(options.handlers ?? {}) : (options.topics ?? [])
    if (names.length === 0) throw new KafkaClientError('CONFIG_INVALID', 'subscribe to at least one topic (`topics` or the keys of `handlers`)')
    const topics: T[] = []
    for (const name of names) {
      if (!isTopicName(name)) throw unknownTopicError(name)
      if (!topics.includes(name as T)) topics.push(name as T)
    }
    const handlers = options.handlers as Readonly<Record<string, MessageHandler<TopicName>>> | undefined
    const single = options.messageHandler as MessageHandler<TopicName> | undefined
    const state: SubscriptionState = {
      groupId: options.groupId ?? 'test-bus',
      topics: new Set<TopicName>(topics),
      handler: (message) => (handlers === undefined ? (single as MessageHandler<TopicName>)(message) : (handlers[message.topic] as MessageHandler<TopicName>)(message)),
      attempts: attemptsOf(options.retry),
      deadLetter: options.deadLetter ?? DEFAULTS.deadLetter,
      position: 0,
      active: true,
    }
    this.#subscriptions.push(state)
    return {
      groupId: state.groupId,
      topics,
      unsubscribe: () => {
        state.active = false
      },
    }
  }

  /**
   * Delivers every record published so far to every active subscription, in publish order, awaiting each handler.
   * Records that handlers publish meanwhile wait for the next `deliver()` (`drain()` keeps going until none is
   * left). With `deadLetter: false`, a message that keeps failing rejects with the consumer's `ConsumerError`
   * (HANDLER_FAILED, UNPROCESSABLE_MESSAGE) and its subscription stops there, as the consumer would.
   */
  async deliver(): Promise<DeliveryReport> {
    const report: DeliveryReport = { handled: 0, deadLettered: 0 }
    const end = this.#log.length
    for (let index = 0; index < end; index++) {
      const record = this.#log[index] as StoredRecord
      for (const sub of this.#subscriptions) {
        if (!sub.active || sub.position > index) continue
        if (sub.topics.has(record.topic)) {
          const outcome = await this.#process(sub, record)
          if (outcome === 'handled') report.handled++
          else report.deadLettered++
        }
        sub.position = index + 1
      }
    }
    return report
  }

  /** `deliver()` until nothing is pending, so events that handlers publish are handled too. */
  async drain(): Promise<DeliveryReport> {
    const total: DeliveryReport = { handled: 0, deadLettered: 0 }
    for (let round = 0; this.pending > 0; round++) {
      if (round === MAX_DRAIN_ROUNDS) {
        throw new Error(
          `drain(): still ${this.pending} undelivered message(s) after ${MAX_DRAIN_ROUNDS} rounds: handlers keep publishing events that ` +
            'other (or the same) handlers consume. Break the cycle, or call deliver() step by step to look at each round.',
        )
      }
      const report = await this.deliver()
      total.handled += report.handled
      total.deadLettered += report.deadLettered
    }
    return total
  }

  /** Messages published but not yet delivered, summed over the active subscriptions. */
  get pending(): number {
    let pending = 0
    for (const sub of this.#subscriptions) {
      if (!sub.active) continue
      for (let i = sub.position; i < this.#log.length; i++) if (sub.topics.has((this.#log[i] as StoredRecord).topic)) pending++
    }
    return pending
  }

  /** The events published to `topic` through the typed API, in order, exactly as a handler receives them. */
  events<T extends TopicName>(topic: T): MessageOf<T>[] {
    return this.#log.filter((r) => r.topic === topic && !r.injected).map((r) => this.#message(r, JSON.parse(r.value.toString('utf8'))) as MessageOf<T>)
  }

  /** Every event published through the typed API, in publish order; `message.topic` narrows `value`. */
  get published(): MessageOf<TopicName>[] {
    return this.#log.filter((r) => !r.injected).map((r) => this.#message(r, JSON.parse(r.value.toString('utf8'))))
  }

  /** What the consumer would have written to dead-letter topics, in order. */
  get deadLetters(): readonly DeadLetter[] {
    return this.#deadLetters
  }

  /** Sends refused by `sendMessage` / `sendBatch` (which do not throw), in order. */
  get rejected(): readonly Rejection[] {
    return this.#rejected
  }

  /** Afterwards every publish rejects with `KafkaClientError` CLOSED, as the producer's. */
  async close(): Promise<void> {
    this.#closed = true
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #publish(topic: TopicName, payload: unknown, options: PublishOptions | undefined): Promise<PublishResult> {
    const record = this.#prepare(topic, payload, options?.key, options?.headers)
    this.#takeFailure(topic)
    return this.#append(record)
  }

  #assertOpen(topic: string): void {
    if (this.#closed) {
      throw new KafkaClientError('CLOSED', `producer is closed; cannot publish to "${topic}". Create a new KafkaProducerClient or use getProducer().`, { topic })
    }
  }

  #takeFailure(topic: string): void {
    const failure = this.#failures.shift()
    if (failure !== undefined) throw this.#asClientError(failure, topic)
  }

  #asClientError(error: unknown, topic: string): ContractError | KafkaClientError {
    if (error instanceof ContractError || error instanceof KafkaClientError) return error
    return new KafkaClientError('SEND_FAILED', `send to "${topic}" failed: ${errorMessage(error)}`, { topic, cause: error })
  }

  /** Everything the producer does before the network, in its order. Throws ContractError / KafkaClientError. */
  #prepare(topic: TopicName, payload: unknown, key: string | undefined, userHeaders: Readonly<Record<string, string>> | undefined): StoredRecord {
    this.#assertOpen(String(topic))
    if (!isTopicName(topic)) throw unknownTopicError(String(topic))
    const checked = validate(topic, payload)
    if (!checked.ok) throw invalidPayloadError(topic, checked.violations)
    if (key !== undefined && typeof key !== 'string') throw new KafkaClientError('CONFIG_INVALID', `key for topic "${topic}" must be a string`, { topic })
    const now = this.#now()
    const headers = buildHeaders(headerTemplate(topic, this.clientId), userHeaders, this.#eventId(), now.toISOString())
    const recordKey = key ?? keyReader(topic)(payload as EventMap[typeof topic])
    return {
      topic,
      partition: this.#partition(topic, recordKey),
      offset: '',
      key: recordKey,
      // The bytes a handler's value is decoded from: later changes to the caller's object do not leak in.
      value: Buffer.from(JSON.stringify(payload)),
      headers,
      timestamp: String(now.getTime()),
      injected: false,
    }
  }

  #append(record: StoredRecord): PublishResult {
    const stored = this.#store(record)
    return {
      topic: stored.topic,
      physicalTopic: physicalTopic(this.topicPrefix, stored.topic),
      partition: stored.partition,
      offset: stored.offset,
      eventId: stored.headers[HEADER.id] ?? '',
    }
  }

  #store(record: StoredRecord): StoredRecord {
    const slot = `${record.topic}/${record.partition}`
    const offset = this.#nextOffset.get(slot) ?? 0
    this.#nextOffset.set(slot, offset + 1)
    const stored = { ...record, offset: String(offset) }
    this.#log.push(stored)
    return stored
  }

  /** Keyed: murmur2 over the key's bytes, as the producer. Unkeyed: round-robin per topic from partition 0. */
  #partition(topic: TopicName, key: string | null): number {
    const count: number = topicMetadata[topic].partitions
    if (key === null) {
      const next = this.#roundRobin.get(topic) ?? 0
      this.#roundRobin.set(topic, next + 1)
      return next % count
    }
    const partitionMetadata: PartitionerArgs['partitionMetadata'] = Array.from({ length: count }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }))
    return this.#partitioner({ topic, partitionMetadata, message: { key, value: null } })
  }

  #message(record: StoredRecord, value: unknown): MessageOf<TopicName> {
    const message = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: record.key,
      value,
      headers: { ...record.headers },
      timestamp: record.timestamp,
    }
    // Not enumerable, as on the consumer's messages: kept out of spreads, JSON and toEqual.
    Object.defineProperty(message, 'raw', { value: rawOf(record), enumerable: false })
    return message as MessageOf<TopicName>
  }

  /** The consumer's per-message path: decode, validate, call the handler with retries, else dead-letter. */
  async #process(sub: SubscriptionState, record: StoredRecord): Promise<'handled' | 'dead-lettered'> {
    const where = `offset ${record.offset} of ${record.topic} partition ${record.partition}`
    let value: unknown
    try {
      value = decodeValue(record.value).value
    } catch (error) {
      return this.#deadLetter(sub, record, undefined, 'DECODE_FAILED', `${where}: ${errorMessage(error)}`, 0)
    }
    const checked = validate(record.topic, value)
    if (!checked.ok) {
      return this.#deadLetter(sub, record, value, 'INVALID_PAYLOAD', describeViolations(record.topic, record.partition, record.offset, checked.violations), 0)
    }
    const message = this.#message(record, checked.value)
    let failure = ''
    for (let attempt = 1; attempt <= sub.attempts; attempt++) {
      try {
        if ((await sub.handler(message)) !== false) return 'handled'
        failure = 'handler returned false'
      } catch (error) {
        failure = `handler threw: ${errorMessage(error)}`
      }
    }
    return this.#deadLetter(sub, record, value, 'HANDLER_FAILED', `${where} failed ${sub.attempts} time(s); last: ${failure}`, sub.attempts)
  }

  #deadLetter(sub: SubscriptionState, record: StoredRecord, value: unknown, reason: DeadLetterReason, error: string, attempts: number): 'dead-lettered' {
    const physical = physicalTopic(this.topicPrefix, record.topic)
    if (!sub.deadLetter) {
      sub.active = false
      throw new ConsumerError(
        reason === 'HANDLER_FAILED' ? 'HANDLER_FAILED' : 'UNPROCESSABLE_MESSAGE',
        `${error}. Dead-lettering is off (deadLetter: false): the consumer stops and the offset stays uncommitted, ` +
          'so the message is read again after a restart. Fix the cause, or turn dead-lettering on.',
        { topic: record.topic, partition: record.partition, offset: record.offset },
      )
    }
    const now = this.#now()
    this.#deadLetters.push({
      topic: record.topic,
      deadLetterTopic: physicalTopic(this.topicPrefix, topicMetadata[record.topic].deadLetterTopic),
      partition: record.partition,
      offset: record.offset,
      key: record.key,
      value,
      headers: {
        ...record.headers,
        ...deadLetterHeaders(
          { topic: physical, partition: record.partition, offset: record.offset, timestamp: record.timestamp, groupId: sub.groupId },
          { reason, error, attempts },
          now,
        ),
      },
      reason,
      error,
      attempts,
      groupId: sub.groupId,
      raw: rawOf(record),
    })
    return 'dead-lettered'
  }
}
