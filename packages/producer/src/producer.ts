import { randomUUID } from 'node:crypto'
import type { Span } from '@opentelemetry/api'
import {
  ContractError,
  invalidPayloadError,
  topicMetadata,
  isTopicName,
  keyReader,
  unknownTopicError,
  validate,
  validators,
  type EventMap,
  type PublishOptions,
  type PublishPayload,
  type TopicName,
  type TypedPublisher,
  type Violation,
} from '@topiq/contracts'
import {
  ATTR,
  KafkaClientError,
  RegistryClient,
  createTransport,
  encodeWire,
  errorMessage,
  errorType,
  failSpan,
  HEADER,
  injectTraceContext,
  isOutcomeUnknown,
  logicalTopic,
  metricsRegistry,
  secondsSince,
  sendPartitionOutcomes,
  sendSpanTemplate,
  startSendSpan,
  outcomeUnknown,
  physicalTopic,
  traceHeaders,
  translateKafkaError,
  type CounterSeries,
  type HistogramSeries,
  type Logger,
  type Message,
  type PUBLISH_OUTCOMES,
  type RecordMetadata,
  type SpanTemplate,
  type TransportName,
  type TransportProducer,
} from '@topiq/kafka-core'
import { Accumulator } from './accumulator.ts'
import { callerTraces, checkUserHeaders, headerTemplate, headersOf, isoNow, type HeaderTemplate } from './headers.ts'
import { resolveProducerOptions, type Acks, type Compression, type ProducerOptions, type ResolvedProducerOptions } from './options.ts'

export interface PublishResult {
  /** Logical topic (what the types know). */
  topic: TopicName
  /** Physical topic: prefix + topic. */
  physicalTopic: string
  partition: number
  offset: string
  /** The `ce_id` header: consumers deduplicate at-least-once deliveries with it. */
  eventId: string
}

export interface PublishBatchResult {
  topic: TopicName
  physicalTopic: string
  count: number
  /** `ce_id` of each payload, in input order. */
  eventIds: string[]
  /** First offset written per partition (messages of one partition keep their input order). */
  partitions: { partition: number; baseOffset: string }[]
}

export interface PublishBatchOptions {
  /** Headers added to every message of the batch. */
  headers?: Readonly<Record<string, string>>
}

/** The Python guide's `send_message` input, typed by topic: `value` must be that topic's payload. */
export type OutgoingMessage<T extends TopicName = TopicName> = {
  [K in T]: {
    topic: K
    value: EventMap[K]
    /** Defaults to the field the topic's metadata names (e.g. `campaign_id`). */
    key?: string
    headers?: Readonly<Record<string, string>>
  }
}[T]

/** Why one message of a `sendBatch` was not sent. */
export interface BatchFailure {
  /** Position in the input array. */
  index: number
  topic: string
  /**
   * `invalid`: rejected before sending (nothing of it left the process); `send-failed`: the request failed, not
   * written; `outcome-unknown`: the broker may have written it (OUTCOME_UNKNOWN): dedupe on `ce_id` if you resend.
   */
  reason: 'invalid' | 'send-failed' | 'outcome-unknown'
  error: ContractError | KafkaClientError
}

export interface SendBatchOptions {
  /** Called once, after the batch, with every message that was not sent (also logged). */
  onFailure?: (failures: readonly BatchFailure[]) => void
}

export type ProducerState = 'idle' | 'connecting' | 'connected' | 'closing' | 'closed'

/**
 * Framing is the topic's contract (`x-kafka.framing`), not this producer's choice: every producer of a topic writes
 * the same wire format, and a configured registry only says where the registry is.
 */
const REGISTRY_FRAMED: ReadonlySet<string> = new Set(Object.values(topicMetadata).filter((m) => m.framing === 'registry').map((m) => m.topic))

/** What every message of a topic shares, hoisted out of the per-message path. */
interface Route {
  schemaId: number | undefined
  physical: string
  template: HeaderTemplate
  check: (payload: unknown) => boolean
  keyOf: (payload: unknown) => string | null
}

/**
 * Plain mode hands kafkajs the JSON string: it writes it as UTF-8 straight into the request buffer — the same bytes
 * as kafka-core's `encodeJson`, without an intermediate Buffer per message. Registry-framed topics: Confluent wire format.
 */
function encodeValue(schemaId: number | undefined, payload: unknown): string | Buffer {
  return schemaId === undefined ? JSON.stringify(payload) : encodeWire(schemaId, payload)
}

interface Prepared {
  topic: TopicName
  physical: string
  message: Message
  eventId: string
}

/** A publish waiting in the linger buffer for its request. */
interface Pending {
  prepared: Prepared
  resolve: (result: PublishResult) => void
  reject: (error: Error) => void
}

/** A partition of a request that was not written: its publishes reject with `error`. */
interface Failed {
  error: KafkaClientError
}

type PublishOutcome = (typeof PUBLISH_OUTCOMES)[number]

/** What a topic's publishes record (metric-names.ts), created once per topic: the hot path only adds and records. */
interface TopicTelemetry {
  /** The topic's `send` span name and attributes. */
  span: SpanTemplate
  outcomes: Record<PublishOutcome, CounterSeries>
  duration: HistogramSeries
  requestRecords: HistogramSeries
}

/**
 * The `outcome` of an event that was not sent: `invalid` when the contract or the configuration refused it before
 * anything left the process (as sendBatch reports it), `outcome_unknown` when the broker may have written it.
 */
function publishOutcome(error: unknown): PublishOutcome {
  if (error instanceof ContractError) return 'invalid'
  if (error instanceof KafkaClientError) {
    if (error.code === 'OUTCOME_UNKNOWN') return 'outcome_unknown'
    if (error.code === 'CONFIG_INVALID') return 'invalid'
  }
  return 'failed'
}

const BATCH_OUTCOME: Record<BatchFailure['reason'], PublishOutcome> = { invalid: 'invalid', 'send-failed': 'failed', 'outcome-unknown': 'outcome_unknown' }

/** Bytes a record adds to a request, roughly (value and key as given, headers); what the buffer bounds count. */
function approximateSize(message: Message): number {
  let size = 70 // record overhead: lengths, attributes, deltas, and its share of the batch header
  const { key, value, headers } = message
  if (value !== null && value !== undefined) size += value.length
  if (key !== null && key !== undefined) size += key.length
  for (const name in headers) {
    const v = headers[name]
    size += name.length + (typeof v === 'string' || Buffer.isBuffer(v) ? v.length : 0)
  }
  return size
}

/** Offset of the `rank`-th record of a request's partition that starts at `baseOffset`. */
function offsetAt(baseOffset: string, rank: number): string {
  return rank === 0 ? baseOffset : (BigInt(baseOffset) + BigInt(rank)).toString()
}

/** The client logs each failed attempt at error level, though it retries; what finally fails reaches the caller. */
function transportLogger(logger: Logger): Logger {
  return {
    debug: (message, fields) => logger.debug(message, fields),
    info: (message, fields) => logger.debug(message, fields),
    warn: (message, fields) =>
      // Expected: the guide's `retries: 3` is a bounded retry on purpose (see README, "Options").
      /Limiting retries for the idempotent producer/.test(message) ? logger.debug(message, fields) : logger.warn(message, fields),
    error: (message, fields) => logger.debug(message, fields),
  }
}

/**
 * Typed Kafka producer on kafkajs or @platformatic/kafka (the `transport` option, else `KAFKA_TRANSPORT`). `publish` accepts only the topic's payload type, validates it with the
 * precompiled validator before anything is sent, adds the standard headers and keys the message by the topic's key
 * field. Connects lazily on the first send; `close()` (or `await using`) disconnects.
 */
export class KafkaProducerClient implements TypedPublisher<PublishResult>, AsyncDisposable {
  readonly brokers: readonly string[]
  readonly clientId: string
  readonly topicPrefix: string
  readonly acks: Acks
  readonly idempotent: boolean
  readonly retries: number
  readonly compression: Compression
  /** The Kafka client underneath (`transport` option, else `KAFKA_TRANSPORT`, else kafkajs). */
  readonly transport: TransportName
  /** Set when a registry is configured; used for registry-framed topics only (registers each schema once, caches its id). */
  readonly registry: RegistryClient | undefined

  // Private fields hold the resolved options (with SASL secrets): util.inspect and JSON.stringify never show them.
  readonly #options: ResolvedProducerOptions
  readonly #logger: Logger
  readonly #compression: Compression
  #producer: TransportProducer | undefined
  #connecting: Promise<TransportProducer> | undefined
  #closing: Promise<void> | undefined
  #state: ProducerState = 'idle'
  #connects = 0
  readonly #routes = new Map<TopicName, Route>()
  readonly #schemaIds = new Map<TopicName, number>()
  /** The linger buffer; undefined with lingerMs: 0 (one request per publish). */
  readonly #accumulator: Accumulator<Pending> | undefined
  /** Partition the partitioner chose for each record in flight: a publish resolves with its own partition and offset. */
  readonly #partitionOf = new WeakMap<Message, number>()
  /** Buffered events that failed while close() was delivering them. */
  #lostOnClose = 0
  /** Produce requests sent and not answered yet (topiq_producer_inflight_requests). */
  #inflight = 0
  readonly #telemetry = new Map<string, TopicTelemetry>()
  /** The span of a sendBatch spanning several topics. */
  readonly #multiTopicSpan: SpanTemplate
  /** Removes this producer's gauges from the metrics registry (set while connected). */
  #unobserve: (() => void) | undefined

  constructor(options: ProducerOptions = {}) {
    const resolved = resolveProducerOptions(options)
    this.#options = resolved
    this.#logger = resolved.logger
    this.#compression = resolved.compression
    this.brokers = resolved.connection.brokers
    this.clientId = resolved.connection.clientId
    this.topicPrefix = resolved.topicPrefix
    this.acks = resolved.acks
    this.idempotent = resolved.idempotent
    this.retries = resolved.retries
    this.compression = resolved.compression
    this.transport = resolved.connection.transport
    this.registry = resolved.registry === undefined ? undefined : new RegistryClient(resolved.registry, resolved.topicPrefix)
    this.#multiTopicSpan = sendSpanTemplate({ destination: undefined, clientId: this.clientId, broker: this.brokers[0] })
    this.#accumulator =
      resolved.lingerMs === 0
        ? undefined
        : new Accumulator<Pending>({
            lingerMs: resolved.lingerMs,
            batchBytes: resolved.batchBytes,
            maxBufferedBytes: resolved.maxBufferedBytes,
            deliveryTimeoutMs: resolved.deliveryTimeoutMs,
            send: (batch) => this.#sendPending(batch),
          })
  }

  get state(): ProducerState {
    return this.#state
  }

  /** Bytes of published events not yet settled (in the linger buffer or in flight); at most maxBufferedBytes. */
  get bufferedBytes(): number {
    return this.#accumulator?.pendingBytes ?? 0
  }

  /** How many times this client opened a connection (1 for a client reused across calls). */
  get connectCount(): number {
    return this.#connects
  }

  /**
   * Validates, then sends one message and resolves with where it was written. Rejects with `ContractError`
   * (INVALID_PAYLOAD, UNKNOWN_TOPIC — nothing sent) or `KafkaClientError` (TOPIC_NOT_FOUND, CONNECTION_REFUSED,
   * AUTHENTICATION_FAILED, NOT_AUTHORIZED, CLOSED, …).
   */
  async publish<T extends TopicName>(topic: T, payload: PublishPayload<T>, options?: PublishOptions): Promise<PublishResult> {
    const started = performance.now()
    const telemetry = this.#telemetryOf(topic)
    // Every event its own span, also through the linger buffer: it ends when this publish settles.
    const span = startSendSpan(telemetry.span)
    let result: PublishResult
    try {
      this.#assertOpen(topic)
      const schemaId = REGISTRY_FRAMED.has(topic) ? (this.#schemaIds.get(topic) ?? (await this.#schemaId(topic))) : undefined
      const prepared = this.#prepare(topic, payload, options?.key, options?.headers, schemaId, span)
      if (span.isRecording()) {
        if (typeof prepared.message.key === 'string') span.setAttribute(ATTR.key, prepared.message.key)
        span.setAttribute(ATTR.messageId, prepared.eventId)
      }
      result = this.#accumulator === undefined ? await this.#sendOne(topic, prepared) : await this.#enqueue(this.#accumulator, prepared)
    } catch (error) {
      this.#settled(telemetry, span, started, 1, error)
      throw error
    }
    if (span.isRecording()) {
      span.setAttribute(ATTR.partition, String(result.partition))
      if (result.offset !== '-1') span.setAttribute(ATTR.offset, Number(result.offset))
    }
    this.#settled(telemetry, span, started, 1, undefined)
    return result
  }

  /** lingerMs: 0: one request for this event alone. */
  async #sendOne(topic: TopicName, prepared: Prepared): Promise<PublishResult> {
    const [meta] = await this.#send([prepared])
    if (meta === undefined && this.acks !== 0) throw this.#unanswered(prepared.physical, this.#partitionOf.get(prepared.message) ?? -1, prepared.message)
    return {
      topic,
      physicalTopic: prepared.physical,
      partition: meta?.partition ?? -1,
      offset: meta?.baseOffset ?? meta?.offset ?? '-1',
      eventId: prepared.eventId,
    }
  }

  /**
   * Validates every payload, then sends them all in one request (the throughput path). All or nothing on
   * validation: one invalid payload rejects the batch with every violation (paths `$[index]…`), nothing sent.
   */
  async publishBatch<T extends TopicName>(topic: T, payloads: readonly PublishPayload<T>[], options?: PublishBatchOptions): Promise<PublishBatchResult> {
    const started = performance.now()
    const telemetry = this.#telemetryOf(topic)
    // One span for the call; every record of the batch carries its context.
    const span = startSendSpan(telemetry.span)
    const count = Array.isArray(payloads) ? payloads.length : 0
    if (span.isRecording()) span.setAttribute(ATTR.batchCount, count)
    try {
      const result = await this.#publishBatch(topic, payloads, options, span)
      this.#settled(telemetry, span, started, count, undefined)
      return result
    } catch (error) {
      this.#settled(telemetry, span, started, count, error)
      throw error
    }
  }

  async #publishBatch<T extends TopicName>(topic: T, payloads: readonly PublishPayload<T>[], options: PublishBatchOptions | undefined, span: Span): Promise<PublishBatchResult> {
    this.#assertOpen(topic)
    const schemaId = REGISTRY_FRAMED.has(topic) ? (this.#schemaIds.get(topic) ?? (await this.#schemaId(topic))) : undefined
    const route = this.#route(topic, schemaId)
    const userHeaders = options?.headers
    checkUserHeaders(userHeaders)
    const violations: Violation[] = []
    for (let i = 0; i < payloads.length; i++) {
      if (!route.check(payloads[i])) {
        for (const v of this.#violations(topic, payloads[i])) violations.push({ ...v, path: `$[${i}]${v.path.slice(1)}` })
      }
    }
    if (violations.length > 0) throw invalidPayloadError(topic, violations, 'batch')
    if (payloads.length === 0) return { topic, physicalTopic: route.physical, count: 0, eventIds: [], partitions: [] }
    // Calls keep their order per partition: what earlier publish calls buffered goes first.
    await this.#accumulator?.sendBuffered()
    // The hot loop: per-topic work (template, key field, physical name) was hoisted into `route`.
    const messages: Message[] = new Array<Message>(payloads.length)
    const eventIds: string[] = new Array<string>(payloads.length)
    const time = isoNow()
    const trace = callerTraces(userHeaders) ? undefined : traceHeaders(span)
    for (let i = 0; i < payloads.length; i++) {
      const payload = payloads[i]
      const eventId = randomUUID()
      eventIds[i] = eventId
      const headers = headersOf(route.template, userHeaders, eventId, time)
      if (trace !== undefined) Object.assign(headers, trace)
      messages[i] = { key: route.keyOf(payload), value: encodeValue(schemaId, payload), headers }
    }
    const metas = await this.#sendTo(route.physical, messages)
    return {
      topic,
      physicalTopic: route.physical,
      count: payloads.length,
      eventIds,
      partitions: metas.map((m) => ({ partition: m.partition, baseOffset: m.baseOffset ?? m.offset ?? '-1' })),
    }
  }

  /**
   * The Python guide's `send_message`: true when the broker acknowledged, false otherwise (invalid payload,
   * failure after the retries, closed client) with the reason logged. Never throws.
   */
  async sendMessage<T extends TopicName>(message: OutgoingMessage<T>): Promise<boolean> {
    try {
      const options: PublishOptions = {}
      if (message.key !== undefined) options.key = message.key
      if (message.headers !== undefined) options.headers = message.headers
      await this.publish(message.topic, message.value, options)
      return true
    } catch (error) {
      // "Not sent" would be a lie when the broker may have written it: say so, with the event id.
      if (error instanceof KafkaClientError && error.code === 'OUTCOME_UNKNOWN') this.#logFailure('kafka message outcome unknown (may have been written)', message.topic, error)
      else this.#logFailure('kafka message not sent', message.topic, error)
      return false
    }
  }

  /**
   * The Python guide's `send_batch`: validates every message first, sends the valid ones in one request, and
   * returns how many were sent. Invalid messages are skipped, logged and passed to `onFailure` with their index and
   * violations; if the request itself fails, 0 is returned and every valid message is reported `send-failed`.
   * Never throws.
   */
  async sendBatch<T extends TopicName = TopicName>(messages: readonly OutgoingMessage<T>[], options: SendBatchOptions = {}): Promise<number> {
    const started = performance.now()
    const failures: BatchFailure[] = []
    const prepared: { index: number; prepared: Prepared }[] = []
    // One span for the call (as publishBatch); every record carries its context.
    const span = messages.length === 0 ? undefined : startSendSpan(this.#batchSpan(messages))
    if (span?.isRecording()) span.setAttribute(ATTR.batchCount, messages.length)
    const trace = span === undefined ? undefined : traceHeaders(span)
    try {
      this.#assertOpen(String(messages[0]?.topic ?? ''))
    } catch (error) {
      // One log line for the whole batch, not one per message.
      this.#logFailure(`batch of ${messages.length} message(s) not sent`, String(messages[0]?.topic ?? ''), error)
      failures.push(...messages.map((m, index) => this.#failure(index, String(m.topic), 'send-failed', error)))
      this.#reportFailures(failures, options)
      this.#batchSettled(span, started, [], false, failures)
      return 0
    }
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index] as OutgoingMessage
      try {
        const schemaId = REGISTRY_FRAMED.has(message.topic) ? (this.#schemaIds.get(message.topic) ?? (await this.#schemaId(message.topic))) : undefined
        prepared.push({ index, prepared: this.#prepare(message.topic, message.value, message.key, message.headers, schemaId, undefined, trace) })
      } catch (error) {
        // Rejected before sending: a payload or header the contract refuses is `invalid`; a closed client or an
        // unreachable registry is `send-failed`.
        const refused = error instanceof ContractError || (error instanceof KafkaClientError && error.code === 'CONFIG_INVALID')
        const failure = this.#failure(index, String(message.topic), refused ? 'invalid' : 'send-failed', error)
        failures.push(failure)
        this.#logFailure(`batch message ${index} not sent`, String(message.topic), failure.error)
      }
    }
    let sent = 0
    if (prepared.length > 0) {
      await this.#accumulator?.sendBuffered() // calls keep their order per partition, as in publishBatch
      try {
        await this.#send(prepared.map((p) => p.prepared))
        sent = prepared.length
      } catch (error) {
        // Only what is known sent is counted: an unknown outcome is neither sent nor "not sent".
        const first = prepared[0] as { index: number; prepared: Prepared }
        const unknown = error instanceof KafkaClientError && error.code === 'OUTCOME_UNKNOWN'
        this.#logFailure(unknown ? `batch of ${prepared.length} message(s): outcome unknown (may have been written)` : `batch of ${prepared.length} message(s) not sent`, first.prepared.topic, error)
        for (const p of prepared) failures.push(this.#failure(p.index, p.prepared.topic, unknown ? 'outcome-unknown' : 'send-failed', error))
      }
    }
    this.#reportFailures(failures, options)
    this.#batchSettled(span, started, prepared, sent > 0, failures)
    return sent
  }

  /** A sendBatch's span: named after its topic, or plain `send` when it spans several. */
  #batchSpan(messages: readonly { topic: string }[]): SpanTemplate {
    const topic = String(messages[0]?.topic)
    return messages.every((m) => m.topic === topic) ? this.#telemetryOf(topic).span : this.#multiTopicSpan
  }

  /** Counts every message of a sendBatch by outcome and topic, records the call's duration per topic sent to, ends its span. */
  #batchSettled(span: Span | undefined, started: number, prepared: readonly { prepared: Prepared }[], sent: boolean, failures: readonly BatchFailure[]): void {
    for (const f of failures) this.#telemetryOf(f.topic).outcomes[BATCH_OUTCOME[f.reason]].add()
    const seconds = secondsSince(started)
    const topics = new Set<string>()
    for (const { prepared: p } of prepared) {
      const telemetry = this.#telemetryOf(p.topic)
      if (sent) telemetry.outcomes.sent.add()
      if (!topics.has(p.topic)) telemetry.duration.record(seconds)
      topics.add(p.topic)
    }
    if (span === undefined) return
    // failures were sorted by index (#reportFailures): the first says why.
    const first = failures[0]
    if (first !== undefined) failSpan(span, errorType(first.error), `${failures.length} of ${failures.length + (sent ? prepared.length : 0)} message(s) not sent: ${first.error.message}`)
    span.end()
  }

  /** The metric series and span template of a topic; unknown topic names share one label (no unbounded series). */
  #telemetryOf(topic: string): TopicTelemetry {
    let telemetry = this.#telemetry.get(topic)
    if (telemetry !== undefined) return telemetry
    const known = isTopicName(topic)
    const label = known ? topic : 'unknown'
    const outcome = (o: PublishOutcome) => metricsRegistry.counter('publishMessages', { topic: label, outcome: o })
    telemetry = {
      span: sendSpanTemplate({ destination: String(topic), clientId: this.clientId, broker: this.brokers[0] }),
      // Every outcome from the start at 0, so rate() and alerts see a series before its first failure.
      outcomes: { sent: outcome('sent'), failed: outcome('failed'), invalid: outcome('invalid'), outcome_unknown: outcome('outcome_unknown') },
      duration: metricsRegistry.histogram('publishDuration', { topic: label }),
      requestRecords: metricsRegistry.histogram('publishBatchRecords', { topic: label }),
    }
    if (known) this.#telemetry.set(topic, telemetry)
    return telemetry
  }

  /**
   * A publish or publishBatch call settled: counts its `count` events by outcome, records the call's duration (not for
   * an event refused before sending: it never waited for anything), ends its span (error.type: our error code).
   */
  #settled(telemetry: TopicTelemetry, span: Span, started: number, count: number, error: unknown): void {
    const outcome = error === undefined ? 'sent' : publishOutcome(error)
    telemetry.outcomes[outcome].add(count)
    if (outcome !== 'invalid' && count > 0) telemetry.duration.record(secondsSince(started))
    if (error !== undefined) failSpan(span, errorType(error), errorMessage(error))
    span.end()
  }

  /** Hands the failures to `onFailure`; a throwing callback is logged, never propagated. */
  #reportFailures(failures: BatchFailure[], options: SendBatchOptions): void {
    if (failures.length === 0) return
    failures.sort((a, b) => a.index - b.index)
    try {
      options.onFailure?.(failures)
    } catch (error) {
      this.#logger.error('sendBatch onFailure callback threw', { error: (error as Error).message })
    }
  }

  /**
   * Resolves once every event published before the call has been sent or has failed (each `publish` reports its own
   * outcome). Nothing to do with lingerMs: 0.
   */
  async flush(): Promise<void> {
    await this.#accumulator?.flush()
  }

  /**
   * Delivers what is buffered (each publish still resolves or rejects on its own; the count of those that could not
   * be delivered is logged), then disconnects. Idempotent; waits for a connect in progress. A publish after close
   * rejects with CLOSED.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  async #close(): Promise<void> {
    this.#state = 'closing'
    if (this.#accumulator !== undefined && this.#accumulator.pendingBytes > 0) {
      await this.#accumulator.flush()
      if (this.#lostOnClose > 0) {
        this.#logger.error('events published before close() could not be delivered; each publish was rejected with the reason', {
          lost: this.#lostOnClose,
          brokers: this.brokers,
        })
      }
    }
    const producer = this.#producer ?? (await this.#connecting?.catch(() => undefined))
    try {
      await producer?.disconnect()
    } catch (error) {
      this.#logger.warn('error while disconnecting the Kafka producer', { error: (error as Error).message })
    } finally {
      this.#producer = undefined
      this.#connecting = undefined
      this.#state = 'closed'
      this.#unobserve?.()
      this.#unobserve = undefined
      if (producer !== undefined) this.#logger.info('kafka producer closed', { clientId: this.clientId, brokers: this.brokers })
    }
  }

  #assertOpen(topic: string): void {
    if (this.#state === 'closing' || this.#state === 'closed') {
      throw new KafkaClientError('CLOSED', `producer is closed; cannot publish to "${topic}". Create a new KafkaProducerClient or use getProducer().`, {
        topic,
      })
    }
  }

  /** Every violation with its JSON path (contracts' validate); called only once the precompiled validator said no. */
  #violations(topic: TopicName, payload: unknown): readonly Violation[] {
    const result = validate(topic, payload)
    return result.ok ? [] : result.violations
  }

  /** Per-topic constants, computed on first use (and again when the registry id changes). */
  #route(topic: TopicName, schemaId: number | undefined): Route {
    let route = this.#routes.get(topic)
    if (route === undefined || route.schemaId !== schemaId) {
      route = {
        schemaId,
        physical: physicalTopic(this.topicPrefix, topic),
        template: headerTemplate(topic, this.clientId, schemaId),
        check: validators[topic],
        keyOf: keyReader(topic) as (payload: unknown) => string | null,
      }
      this.#routes.set(topic, route)
    }
    return route
  }

  /** Validation, key, value and headers: everything before the network. Throws ContractError / KafkaClientError. */
  #prepare(
    topic: TopicName,
    payload: unknown,
    key: string | undefined,
    userHeaders: Readonly<Record<string, string>> | undefined,
    schemaId: number | undefined,
    /** The event's own `send` span, whose context goes into its headers. */
    span: Span | undefined,
    /** Or the trace headers of a batch's span, shared by its records. */
    trace?: Readonly<Record<string, string>>,
  ): Prepared {
    if (!isTopicName(topic)) throw unknownTopicError(String(topic))
    const route = this.#route(topic, schemaId)
    if (!route.check(payload)) throw invalidPayloadError(topic, this.#violations(topic, payload))
    if (key !== undefined && typeof key !== 'string') throw new KafkaClientError('CONFIG_INVALID', `key for topic "${topic}" must be a string`, { topic })
    checkUserHeaders(userHeaders)
    const eventId = randomUUID()
    const headers = headersOf(route.template, userHeaders, eventId, isoNow())
    // A caller's own traceparent/tracestate wins (headers.ts, callerTraces).
    if (!callerTraces(userHeaders)) {
      if (trace !== undefined) Object.assign(headers, trace)
      else if (span !== undefined) injectTraceContext(span, headers)
    }
    const message: Message = { key: key ?? route.keyOf(payload), value: encodeValue(schemaId, payload), headers }
    return { topic, physical: route.physical, message, eventId }
  }

  /** A registry-framed topic's schema id, registered once. Throws CONFIG_INVALID when no registry is configured. */
  async #schemaId(topic: TopicName): Promise<number> {
    if (this.registry === undefined) {
      throw new KafkaClientError(
        'CONFIG_INVALID',
        `topic "${topic}" is registry-framed (x-kafka.framing in schemas/${topic}) but no schema registry is configured: ` +
          'set SCHEMA_REGISTRY_URL (e.g. http://127.0.0.1:8081/apis/ccompat/v7) or pass the `registry` option. Nothing was sent.',
        { topic },
      )
    }
    const id = await this.registry.schemaIdFor(topic)
    this.#schemaIds.set(topic, id)
    return id
  }

  /** Queues a validated record in the linger buffer; resolves with its own partition and offset. */
  #enqueue(accumulator: Accumulator<Pending>, prepared: Prepared): Promise<PublishResult> {
    return new Promise<PublishResult>((resolve, reject) => {
      accumulator.append({ prepared, resolve, reject }, approximateSize(prepared.message))?.catch(reject)
    })
  }

  /**
   * One drained buffer: a request per physical topic (so an unknown or forbidden topic fails alone), sent together.
   * Each publish settles with its own record's partition and offset, or with the error of its topic's request.
   */
  async #sendPending(batch: readonly Pending[]): Promise<void> {
    const byTopic = new Map<string, Pending[]>()
    for (const p of batch) {
      const list = byTopic.get(p.prepared.physical)
      if (list === undefined) byTopic.set(p.prepared.physical, [p])
      else list.push(p)
    }
    await Promise.all([...byTopic].map(([topic, pendings]) => this.#sendTopic(topic, pendings)))
  }

  async #sendTopic(topic: string, pendings: readonly Pending[]): Promise<void> {
    const messages = pendings.map((p) => p.prepared.message)
    let metas: RecordMetadata[]
    try {
      // close() delivers what was buffered before it: connecting while closing is allowed here, and only here.
      const producer = this.#producer ?? (await this.#connect(true))
      metas = await this.#request(() => producer.send({ topic, messages, acks: this.acks, compression: this.#compression }), pendings[0]?.prepared.topic ?? topic, messages.length)
    } catch (error) {
      const outcomes = sendPartitionOutcomes(error, topic)
      if (outcomes !== undefined) {
        // The request spanned partitions and ended with some written and others not, or unknown: each publish gets
        // its own partition's outcome (a record on a written partition is acknowledged, not "outcome unknown").
        const cause = (error as { cause?: unknown }).cause ?? error
        this.#settle(topic, pendings, (partition) => {
          const outcome = outcomes.get(partition)
          if (outcome === undefined) return { error: this.#translate(cause, topic) }
          if (outcome.written && (outcome.baseOffset !== undefined || this.acks === 0)) return outcome.baseOffset ?? '-1'
          return undefined
        }, error)
        return
      }
      if (this.#state === 'closing') this.#lostOnClose += pendings.length
      const shared = this.#translate(error, topic)
      for (const p of pendings) {
        // An unknown outcome names the event it is about; every other failure is the same for the whole request.
        p.reject(shared.code === 'OUTCOME_UNKNOWN' || isOutcomeUnknown(error) ? this.#translate(error, topic, [p.prepared.message]) : shared)
      }
      return
    }
    const base = new Map<number, string>()
    for (const m of metas) base.set(m.partition, m.baseOffset ?? m.offset ?? '-1')
    this.#settle(topic, pendings, (partition) => base.get(partition) ?? (this.acks === 0 ? '-1' : undefined))
  }

  /**
   * Settles each publish of a request by its own partition: `outcome(partition)` is the partition's base offset
   * (resolve; '-1' with acks=0), a failure (reject with it), or undefined: no word from the broker for that partition,
   * so the record's outcome is unknown (`cause`: the request's error, if any). Never reports success without the
   * broker's answer for the record's partition.
   */
  #settle(topic: string, pendings: readonly Pending[], outcome: (partition: number) => string | Failed | undefined, cause?: unknown): void {
    const rank = new Map<number, number>()
    for (const p of pendings) {
      const partition = this.#partitionOf.get(p.prepared.message) ?? -1
      const n = rank.get(partition) ?? 0
      rank.set(partition, n + 1)
      const baseOffset = outcome(partition)
      if (baseOffset === undefined) {
        p.reject(cause === undefined ? this.#unanswered(topic, partition, p.prepared.message) : this.#translate(cause, topic, [p.prepared.message]))
        continue
      }
      if (typeof baseOffset !== 'string') {
        if (this.#state === 'closing') this.#lostOnClose++
        p.reject(baseOffset.error)
        continue
      }
      p.resolve({
        topic: p.prepared.topic,
        physicalTopic: topic,
        partition,
        offset: baseOffset === '-1' ? '-1' : offsetAt(baseOffset, n),
        eventId: p.prepared.eventId,
      })
    }
  }

  async #send(prepared: readonly Prepared[]): Promise<RecordMetadata[]> {
    const first = prepared[0]
    if (first === undefined) return []
    const byTopic = new Map<string, Message[]>()
    for (const p of prepared) {
      const list = byTopic.get(p.physical)
      if (list === undefined) byTopic.set(p.physical, [p.message])
      else list.push(p.message)
    }
    if (byTopic.size === 1) return this.#sendTo(first.physical, byTopic.get(first.physical) ?? [])
    const topics = [...byTopic.keys()].join(', ')
    const producer = await this.#producerFor(topics)
    try {
      for (const [topic, messages] of byTopic) this.#telemetryOf(logicalTopic(this.topicPrefix, topic)).requestRecords.record(messages.length)
      return await this.#request(() =>
        producer.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          acks: this.acks,
          compression: this.#compression,
        }),
      )
    } catch (error) {
      throw this.#translate(error, topics, [...byTopic.values()].flat())
    }
  }

  /** One request to one physical topic. */
  async #sendTo(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    const producer = this.#producer ?? (await this.#producerFor(topic))
    try {
      return await this.#request(() => producer.send({ topic, messages, acks: this.acks, compression: this.#compression }), logicalTopic(this.topicPrefix, topic), messages.length)
    } catch (error) {
      throw this.#translate(error, topic, messages)
    }
  }

  /** One produce call: counted in flight until answered; `logical`/`records`: its size, for one-topic requests. */
  async #request<R>(send: () => Promise<R>, logical?: string, records?: number): Promise<R> {
    if (logical !== undefined && records !== undefined) this.#telemetryOf(logical).requestRecords.record(records)
    this.#inflight++
    try {
      return await send()
    } finally {
      this.#inflight--
    }
  }

  async #producerFor(topic: string): Promise<TransportProducer> {
    try {
      return this.#producer ?? (await this.#connect())
    } catch (error) {
      throw this.#translate(error, topic)
    }
  }

  /** One connect shared by concurrent first sends; a failed connect is retried by the next send. */
  #connect(whileClosing = false): Promise<TransportProducer> {
    if (this.#state === 'closed' || (this.#state === 'closing' && !whileClosing)) return Promise.reject(new KafkaClientError('CLOSED', 'producer is closed'))
    this.#connecting ??= (async () => {
      this.#state = 'connecting'
      const { connection, idempotent, retries } = this.#options
      const producer = (await createTransport(connection, transportLogger(this.#logger), { retries })).producer({
        idempotent,
        retries,
        // Java-compatible murmur2 partitioning, as the Python (kafka-python) producer: same key, same partition.
        // Each choice is remembered, so a publish that shared a request knows which partition (and offset) is its own.
        partitioner: 'murmur2',
        onPartition: (message, partition) => this.#partitionOf.set(message, partition),
        // A send whose outcome is unknown is retried as the same batch (same sequence numbers) this long, then
        // rejects with OUTCOME_UNKNOWN and the producer id is replaced.
        deliveryTimeoutMs: this.#options.deliveryTimeoutMs,
      })
      try {
        await producer.connect()
      } catch (error) {
        this.#connecting = undefined
        if (this.#state === 'connecting') this.#state = 'idle'
        await producer.disconnect().catch(() => undefined)
        throw error
      }
      this.#connects++
      this.#producer = producer
      this.#unobserve ??= this.#observeGauges()
      if (this.#state === 'connecting') this.#state = 'connected'
      this.#logger.debug('kafka producer connected', { clientId: connection.clientId, brokers: connection.brokers })
      return producer
    })()
    return this.#connecting
  }

  /** Buffered bytes and requests in flight, read when /metrics renders or an OpenTelemetry reader collects. */
  #observeGauges(): () => void {
    const labels = { client_id: this.clientId }
    const buffered = metricsRegistry.observe('producerBufferedBytes', () => [[labels, this.bufferedBytes]])
    const inflight = metricsRegistry.observe('producerInflightRequests', () => [[labels, this.#inflight]])
    return () => {
      buffered()
      inflight()
    }
  }

  /** A send that resolved without a result for the record's partition: what became of the record is not known. */
  #unanswered(topic: string, partition: number, message: Message): KafkaClientError {
    const eventId = (message.headers as Record<string, string> | undefined)?.[HEADER.id]
    return outcomeUnknown(eventId === undefined ? [] : [eventId], {
      brokers: this.brokers,
      brokerSource: this.#options.connection.brokerSource,
      topic,
      cause: new Error(`the produce request succeeded but its answer has no result for partition ${partition}`),
    })
  }

  /** `messages`: what the failed request carried, named by `ce_id` when its outcome is unknown. */
  #translate(error: unknown, topic: string | undefined, messages?: readonly Message[]): KafkaClientError {
    const { brokers, brokerSource, ssl } = this.#options.connection
    const context = { brokers, brokerSource, ssl: ssl !== undefined && ssl !== false, ...(topic === undefined ? {} : { topic }) }
    if (messages !== undefined && isOutcomeUnknown(error)) {
      const eventIds = messages.map((m) => (m.headers as Record<string, string> | undefined)?.[HEADER.id]).filter((id): id is string => id !== undefined)
      return outcomeUnknown(eventIds, { ...context, cause: error })
    }
    return translateKafkaError(error, context)
  }

  #failure(index: number, topic: string, reason: BatchFailure['reason'], error: unknown): BatchFailure {
    const err = error instanceof ContractError || error instanceof KafkaClientError ? error : this.#translate(error, topic)
    return { index, topic, reason, error: err }
  }

  #logFailure(message: string, topic: string, error: unknown): void {
    if (error instanceof ContractError) {
      this.#logger.error(message, { topic, code: error.code, error: error.message, violations: error.violations })
    } else {
      const err = error instanceof KafkaClientError ? error : this.#translate(error, topic)
      this.#logger.error(message, {
        topic,
        code: err.code,
        error: err.message,
        retriable: err.retriable,
        ...(err.eventIds === undefined ? {} : { eventIds: err.eventIds }),
      })
    }
  }
}
