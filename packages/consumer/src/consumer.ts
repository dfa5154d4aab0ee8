import { setImmediate as yieldToEventLoop, setTimeout as delay } from 'node:timers/promises'
import { context, type Span } from '@opentelemetry/api'
import { isContractError, topicMetadata, type MessageOf, type TopicName } from '@topiq/contracts'
import {
  ATTR,
  createTransport,
  errorType,
  failSpan,
  HEADER,
  headerValue,
  isKafkaClientError,
  metricsRegistry,
  missingTopics,
  physicalTopic,
  processSpanTemplate,
  RegistryClient,
  secondsSince,
  SPAN_EVENT,
  startProcessSpan,
  recordHeaderGetter,
  topicsNotFound,
  translateKafkaError,
  type BatchPayload,
  type CounterSeries,
  type GaugeSample,
  type HistogramSeries,
  type KafkaMessage,
  type Logger,
  type Message,
  type ProcessSpan,
  type RawHeaders,
  type SpanTemplate,
  type Transport,
  type TransportAdmin,
  type TransportConsumer,
  type TransportName,
  type TransportProducer,
} from '@topiq/kafka-core'
import { CommitBatcher, filteredTail, PartitionCommits } from './commits.ts'
import { deadLetterPointer, deadLetterRecord, isTooLarge, type DeadLetterReason } from './dead-letter.ts'
import { ConsumerError, errorMessage, isConsumerError } from './errors.ts'
import { decodeMessage } from './message.ts'
import {
  resolveOptions,
  type AutoOffsetReset,
  type ConsumerOptions,
  type HandlerResult,
  type MessageHandler,
  type ResolvedConsumerOptions,
} from './options.ts'
import { registerShutdown, unregisterShutdown } from './signals.ts'
import { Turns } from './turns.ts'

export type ConsumerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

export interface StartOptions {
  /** `true` (default): resolve once the consumer has stopped. `false`: resolve once it is consuming. */
  blocking?: boolean
}

/** Partitions of each subscribed topic currently assigned to this member (logical topic names). */
export type Assignment<T extends TopicName> = { [K in T]?: number[] }

interface Route {
  logical: TopicName
  physical: string
  deadLetterTopic: string
  /** The dead-letter topic's logical name (what span events name, like messaging.destination.name). */
  deadLetterLogical: string
  handler: MessageHandler<TopicName>
  /** The topic's `process` span name and attributes. */
  span: SpanTemplate
  metrics: RouteMetrics
}

/** The metric series of one topic and group (metric-names.ts), created once: the hot path only adds and records. */
interface RouteMetrics {
  handled: CounterSeries
  retried: CounterSeries
  deadLettered: CounterSeries
  failed: CounterSeries
  handlerDuration: HistogramSeries
  batchRecords: HistogramSeries
}

/**
 * Partitions whose fetched batches the transport hands over at once. They take turns at the handler (Turns: no more
 * than partitionsConsumedConcurrently at a time), so while one partition's commit travels, another's chunk is handled,
 * and the chunks' commits share OffsetCommit requests (CommitBatcher). One partition at a time made every chunk wait
 * for its commit's round trip.
 */
const PARTITIONS_IN_TURN = 16

/** What became of one message: it may be committed (HANDLED, DEAD_LETTERED), or processing of its partition stops here. */
const HANDLED = 0
const ABORTED = 1 // stopping or rebalancing while waiting to retry: left uncommitted, redelivered later
const FATAL = 2 // the consumer is stopping with an error: left uncommitted
const DEAD_LETTERED = 3 // written to the dead-letter topic: committed like a handled one
type Outcome = typeof HANDLED | typeof ABORTED | typeof FATAL | typeof DEAD_LETTERED

/**
 * Lag of one partition: end offset minus the group's committed offset, never negative. No committed offset (or one
 * below the log start, deleted by retention) means the group starts where `autoOffsetReset` says: everything retained
 * is lag under `earliest`; under `latest`, what arrived since `latestStart` (the end offset when this member first
 * sampled the partition, about where it started reading), else nothing.
 */
export function partitionLag(end: string, low: string, committed: string | undefined, reset: AutoOffsetReset, latestStart?: number): number {
  const high = Number(end)
  const from = startOffset(Number(low), committed, reset) ?? latestStart ?? high
  return Math.max(0, high - from)
}

/** Where the group reads a partition from: its committed offset, else the log start under `earliest`; undefined under `latest`. */
function startOffset(low: number, committed: string | undefined, reset: AutoOffsetReset): number | undefined {
  const done = committed === undefined ? -1 : Number(committed)
  if (done >= 0 && done >= low) return done
  return reset === 'earliest' ? low : undefined
}

interface AssignedTopic {
  logical: TopicName
  physical: string
  partitions: readonly number[]
}

interface LagSamplerOptions {
  transport: Transport
  groupId: string
  intervalMs: number
  reset: AutoOffsetReset
  logger: Logger
  /** This member's partitions now; empty while it is not in its group (nothing is sampled then). */
  assigned: () => AssignedTopic[]
}

/**
 * Samples topiq_consumer_lag for the partitions assigned to this member: on a timer and an admin connection of its
 * own, so it goes on while a handler is blocked or the consumer is paused (exactly when lag matters). A failed sample
 * keeps the last values and is logged once until a sample succeeds again.
 */
class LagSampler {
  readonly #options: LagSamplerOptions
  /** Last sampled lag per `${logical}\0${partition}`, with its gauge labels. */
  #lag = new Map<string, GaugeSample<'consumerLag'>>()
  /** `latest` reset, nothing committed yet: the end offset when the partition was first sampled (see partitionLag). */
  readonly #latestStart = new Map<string, number>()
  #admin: TransportAdmin | undefined
  #connecting: Promise<TransportAdmin> | undefined
  #timer: NodeJS.Timeout | undefined
  #sampling: Promise<void> | undefined
  #failing = false
  #stopped = false

  constructor(options: LagSamplerOptions) {
    this.#options = options
  }

  start(): void {
    if (this.#stopped || this.#timer !== undefined) return
    this.#timer = setInterval(() => this.sampleNow(), this.#options.intervalMs)
    this.#timer.unref() // never what keeps a process alive
    this.sampleNow()
  }

  /** Starts a sample unless one is running. */
  sampleNow(): void {
    if (this.#stopped || this.#timer === undefined) return
    this.#sampling ??= this.#sample().finally(() => {
      this.#sampling = undefined
    })
  }

  /** Drops partitions this member no longer owns (called on every assignment). */
  prune(): void {
    const owned = new Set(this.#options.assigned().flatMap((t) => t.partitions.map((p) => `${t.logical}\0${p}`)))
    for (const key of this.#lag.keys()) if (!owned.has(key)) this.#lag.delete(key)
    for (const key of this.#latestStart.keys()) if (!owned.has(key)) this.#latestStart.delete(key)
  }

  samples(): Iterable<GaugeSample<'consumerLag'>> {
    return this.#lag.values()
  }

  /** Stops sampling, forgets the values, closes the admin connection (not waiting for a sample in flight). */
  async stop(): Promise<void> {
    this.#stopped = true
    clearInterval(this.#timer)
    this.#lag.clear()
    const admin = this.#admin ?? (await this.#connecting?.catch(() => undefined))
    this.#admin = undefined
    await admin?.disconnect().catch(() => undefined)
  }

  async #connect(): Promise<TransportAdmin> {
    if (this.#admin !== undefined) return this.#admin
    this.#connecting ??= (async () => {
      const admin = this.#options.transport.admin()
      try {
        await admin.connect()
      } catch (error) {
        this.#connecting = undefined // the next tick tries again
        await admin.disconnect().catch(() => undefined)
        throw error
      }
      this.#admin = admin
      return admin
    })()
    return this.#connecting
  }

  async #sample(): Promise<void> {
    const { groupId, reset, logger } = this.#options
    const assigned = this.#options.assigned()
    if (assigned.length === 0) return
    try {
      const admin = await this.#connect()
      const [ends, committed] = await Promise.all([
        Promise.all(assigned.map((t) => admin.fetchTopicOffsets(t.physical))),
        admin.fetchOffsets({ groupId, topics: assigned.map((t) => t.physical) }),
      ])
      if (this.#stopped) return
      const next = new Map<string, GaugeSample<'consumerLag'>>()
      assigned.forEach((t, i) => {
        const offsets = new Map((ends[i] ?? []).map((o) => [o.partition, o]))
        const done = new Map((committed.find((c) => c.topic === t.physical)?.partitions ?? []).map((p) => [p.partition, p.offset]))
        for (const partition of t.partitions) {
          const end = offsets.get(partition)
          if (end === undefined) continue
          const key = `${t.logical}\0${partition}`
          const committedOffset = done.get(partition)
          let latestStart: number | undefined
          if (startOffset(Number(end.low), committedOffset, reset) === undefined) {
            latestStart = this.#latestStart.get(key) ?? Number(end.high)
            this.#latestStart.set(key, latestStart)
          } else this.#latestStart.delete(key)
          const lag = partitionLag(end.high, end.low, committedOffset, reset, latestStart)
          next.set(key, [{ group: groupId, topic: t.logical, partition: String(partition) }, lag])
        }
      })
      this.#lag = next
      this.prune() // the assignment may have changed while the admin answered
      if (this.#failing) logger.info('consumer lag sampling works again', { groupId })
      this.#failing = false
    } catch (error) {
      if (this.#stopped) return
      const fields = { groupId, error: errorMessage(error), keepingLastValues: true }
      if (this.#failing) logger.debug('consumer lag sample failed', fields)
      else logger.warn('consumer lag sample failed; topiq_consumer_lag keeps its last values until a sample succeeds', fields)
      this.#failing = true
    }
  }
}

function routeMetrics(topic: TopicName, group: string): RouteMetrics {
  const outcome = (o: 'handled' | 'retried' | 'dead_lettered' | 'failed') => metricsRegistry.counter('consumeMessages', { topic, group, outcome: o })
  return {
    // Every outcome from the start at 0, so rate() and alerts see a series before its first failure.
    handled: outcome('handled'),
    retried: outcome('retried'),
    deadLettered: outcome('dead_lettered'),
    failed: outcome('failed'),
    handlerDuration: metricsRegistry.histogram('handlerDuration', { topic, group }),
    batchRecords: metricsRegistry.histogram('consumeBatchRecords', { topic, group }),
  }
}

/** The per-record attributes of a recording `process` span (the per-topic ones come from its template). */
function describeRecord(span: Span, partition: number, raw: KafkaMessage): void {
  span.setAttribute(ATTR.partition, String(partition))
  span.setAttribute(ATTR.offset, Number(raw.offset))
  if (raw.key !== null) span.setAttribute(ATTR.key, raw.key.toString('utf8'))
  if (raw.value === null) span.setAttribute(ATTR.tombstone, true)
  const id = headerValue(raw.headers as RawHeaders | undefined, HEADER.id)
  if (id !== undefined) span.setAttribute(ATTR.messageId, id)
}

/** Why a handler call failed (returned false, threw, rejected), or undefined when it succeeded. */
async function failureOf(call: () => HandlerResult | Promise<HandlerResult>): Promise<string | undefined> {
  try {
    return (await call()) === false ? 'handler returned false' : undefined
  } catch (error) {
    return `handler threw: ${errorMessage(error)}`
  }
}

/**
 * Typed Kafka consumer (the Python guide's `KafkaConsumerClient`). At-least-once: an offset is committed only after
 * its message was handled or written to the dead-letter topic.
 *
 * ```ts
 * const consumer = new KafkaConsumerClient({
 *   topics: ['campaign.created.json', 'campaign.updated.json'],
 *   groupId: 'campaign-processor',
 *   messageHandler: async (message) => {
 *     switch (message.topic) {
 *       case 'campaign.created.json': … message.value.name …; break
 *       case 'campaign.updated.json': …; break
 *     }
 *   },
 * })
 * await consumer.start() // blocks until stopped (SIGTERM/SIGINT or stop())
 * ```
 */
export class KafkaConsumerClient<T extends TopicName> {
  readonly groupId: string
  /** Logical topic names subscribed to. */
  readonly topics: readonly T[]
  readonly shutdownTimeoutMs: number
  readonly logger: Logger
  /** The Kafka client underneath (`transport` option, else `KAFKA_TRANSPORT`, else kafkajs). */
  readonly transport: TransportName

  private readonly options: ResolvedConsumerOptions
  private readonly routes = new Map<string, Route>()
  /** Registry mode: checks the schema id of each registry-framed value (cached per id). */
  private readonly registry: RegistryClient | undefined
  private readonly stopRequested = new AbortController()
  private readonly finished: Promise<void>
  private settle!: (error?: Error) => void
  private state: ConsumerState = 'idle'
  private starting: Promise<void> | undefined
  private stopping: Promise<void> | undefined
  private consumer: TransportConsumer | undefined
  private producer: TransportProducer | undefined
  private fatal: Error | undefined
  private lastHeartbeat = 0
  /** The partitions in hand take turns at the handler, a chunk at a time (see eachBatch). */
  private readonly turns: Turns
  /** Their chunks' commits travel together. */
  private readonly commitBatcher = new CommitBatcher()
  private currentAssignment: Assignment<T> = {}
  private readonly assignmentListeners = new Set<(assignment: Assignment<T>) => void>()
  /** Between a group join and the next rebalance, crash or stop. */
  private joined = false
  private lag: LagSampler | undefined
  /** Removes this member's gauges (in_group, lag) from the metrics registry. */
  private unobserve: (() => void) | undefined

  constructor(options: ConsumerOptions<T>) {
    const resolved = resolveOptions(options)
    this.options = resolved
    this.turns = new Turns(resolved.partitionsConsumedConcurrently)
    // Holds the SASL password: keep it out of util.inspect and JSON.stringify (a non-enumerable own property).
    Object.defineProperty(this, 'options', { enumerable: false })
    this.groupId = resolved.groupId
    this.topics = resolved.topics as T[]
    this.shutdownTimeoutMs = resolved.shutdownTimeoutMs
    this.logger = resolved.logger
    this.transport = resolved.connection.transport
    this.registry = resolved.registry === undefined ? undefined : new RegistryClient(resolved.registry, resolved.topicPrefix)
    for (const logical of resolved.topics) {
      // Handlers are typed per topic for the caller; each is only ever called with messages of the topic it is
      // routed by, which is what its MessageHandler<K> expects.
      const handler = (options.handlers?.[logical as T] ?? options.messageHandler) as unknown as MessageHandler<TopicName>
      const physical = physicalTopic(resolved.topicPrefix, logical)
      const deadLetterLogical = topicMetadata[logical].deadLetterTopic
      const deadLetterTopic = physicalTopic(resolved.topicPrefix, deadLetterLogical)
      const span = processSpanTemplate({ destination: logical, group: resolved.groupId, clientId: resolved.connection.clientId })
      this.routes.set(physical, { logical, physical, deadLetterTopic, deadLetterLogical, handler, span, metrics: routeMetrics(logical, resolved.groupId) })
    }
    this.finished = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error))
    })
    // A stop caused by an error is reported through start({blocking: true}) / wait(); never as an unhandled rejection.
    this.finished.catch(() => undefined)
  }

  get status(): ConsumerState {
    return this.state
  }

  /** The error that stopped the consumer (a failing message with dead-lettering off, a dead-letter write), if any. */
  get error(): Error | undefined {
    return this.fatal
  }

  /**
   * True while the consumer runs as a member of its group with its assignment received (possibly empty: an idle member
   * of a group with more members than partitions is healthy); false while starting, rebalancing, after a crash and
   * once stopping. What a readiness probe should ask; exported as topiq_consumer_in_group.
   */
  get inGroup(): boolean {
    return this.joined && this.state === 'running' && this.fatal === undefined
  }

  /**
   * Stops fetching new records of every subscribed topic (the batch in hand is finished); the member stays in its
   * group, heartbeats, and lag is still sampled. `resume()` goes on where it stopped. Only while running.
   */
  pause(): void {
    this.runningConsumer('pause').pause(this.topicPartitions())
  }

  resume(): void {
    this.runningConsumer('resume').resume(this.topicPartitions())
  }

  /**
   * Connects, checks that the topics (and dead-letter topics) exist, joins the group and starts consuming.
   * `{blocking: true}` (default) resolves when the consumer has stopped and rejects with the error that stopped it;
   * `{blocking: false}` resolves once it is consuming (then use `wait()`).
   */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.state !== 'idle') {
      throw new ConsumerError('INVALID_STATE', `start() on a ${this.state} consumer: a KafkaConsumerClient runs once; create a new one to consume again`)
    }
    this.state = 'starting'
    this.unobserve = this.observeGauges()
    this.starting = this.connect()
    try {
      await this.starting
    } catch (error) {
      const failure = this.translate(error)
      await this.teardown()
      this.state = 'stopped'
      this.removeGauges()
      this.settle(failure)
      throw failure
    }
    if (this.state === 'starting') {
      this.state = 'running'
      this.lag?.start() // now that inGroup can be true: its first sample has partitions to look at
      if (this.options.handleSignals) registerShutdown(this)
      this.logger.info('consumer running', { groupId: this.groupId, topics: this.topics, prefix: this.options.topicPrefix })
    }
    if (options.blocking ?? true) await this.wait()
  }

  /** Resolves when the consumer has stopped; rejects with the error that stopped it, if one did. */
  wait(): Promise<void> {
    return this.finished
  }

  /**
   * Stops fetching, lets the message in hand finish (a pending retry is abandoned: that message stays uncommitted),
   * commits what was handled and leaves the group. Idempotent. Rejects with `SHUTDOWN_TIMEOUT` after
   * `shutdownTimeoutMs`.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown()
    return this.stopping
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop()
  }

  /** Partitions currently assigned to this member, by logical topic. */
  assignment(): Assignment<T> {
    return structuredClone(this.currentAssignment)
  }

  /** Called after every group join (start and each rebalance) with the new assignment. Returns an unsubscribe. */
  onAssignment(listener: (assignment: Assignment<T>) => void): () => void {
    this.assignmentListeners.add(listener)
    return () => this.assignmentListeners.delete(listener)
  }

  private runningConsumer(action: string): TransportConsumer {
    if (this.state !== 'running' || this.consumer === undefined) {
      throw new ConsumerError('INVALID_STATE', `${action}() on a ${this.state} consumer: only a running consumer can ${action}`)
    }
    return this.consumer
  }

  private topicPartitions(): { topic: string }[] {
    return [...this.routes.keys()].map((topic) => ({ topic }))
  }

  /** in_group and lag, read when /metrics renders or an OpenTelemetry reader collects; removed when the consumer stops. */
  private observeGauges(): () => void {
    const group = { group: this.groupId }
    const inGroup = metricsRegistry.observe('consumerInGroup', () => [[group, this.inGroup ? 1 : 0]])
    const lag = metricsRegistry.observe('consumerLag', () => this.lag?.samples() ?? [])
    return () => {
      inGroup()
      lag()
    }
  }

  /** This member's partitions by topic, for the lag sampler; none while it is not in its group. */
  private assignedTopics(): AssignedTopic[] {
    if (!this.inGroup) return []
    const out: AssignedTopic[] = []
    for (const route of this.routes.values()) {
      const partitions = this.currentAssignment[route.logical as T]
      if (partitions !== undefined && partitions.length > 0) out.push({ logical: route.logical, physical: route.physical, partitions })
    }
    return out
  }

  private async connect(): Promise<void> {
    const o = this.options
    const transport = await createTransport(o.connection, this.logger)
    await this.checkTopics(transport)
    if (o.lagIntervalMs > 0) {
      this.lag = new LagSampler({
        transport,
        groupId: o.groupId,
        intervalMs: o.lagIntervalMs,
        reset: o.autoOffsetReset,
        logger: this.logger,
        assigned: () => this.assignedTopics(),
      })
    }
    const consumer = transport.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxWaitTimeInMs: o.maxWaitTimeMs,
      // Kafka's own protocol names (range, roundrobin): without them a Python or Java member in the group makes the
      // join fail.
      partitionAssigners: o.partitionAssignors,
      ...(o.groupInstanceId === undefined ? {} : { groupInstanceId: o.groupInstanceId }),
    })
    this.consumer = consumer
    consumer.on('groupJoin', (assignment) => this.onGroupJoin(assignment))
    // Out of the group until the next join: a rebalance under way, a crash (the transport may rejoin), a stop.
    consumer.on('rebalancing', () => {
      this.joined = false
    })
    consumer.on('stop', () => {
      this.joined = false
    })
    consumer.on('crash', (error, restart) => {
      this.joined = false
      if (restart) return // the transport restarts on its own after a retriable error
      const cause = this.translate(error)
      this.fail(new ConsumerError('CRASHED', `consumer group "${o.groupId}" crashed and ${transport.name} will not restart it: ${cause.message}`, { cause }))
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [...this.routes.keys()], fromBeginning: o.autoOffsetReset === 'earliest' })
    if (o.deadLetter) {
      // Same partition number as the source message: the dead-letter topic has as many partitions as its source.
      const producer = transport.producer({ idempotent: false, retries: 3, partitioner: 'source' })
      this.producer = producer
      await producer.connect()
    }
    await consumer.run({
      autoCommit: o.autoCommit,
      // The transport hands over up to this many partitions' batches at once; `turns` lets partitionsConsumedConcurrently
      // of them at the handler at a time, a chunk each in turn, so one partition's commit travels while the others run.
      partitionsConsumedConcurrently: Math.max(o.partitionsConsumedConcurrently, PARTITIONS_IN_TURN),
      eachBatch: (payload) => this.eachBatch(payload),
    })
  }

  /** Auto topic creation is off: name every missing topic now instead of failing on the first message. */
  private async checkTopics(transport: Transport): Promise<void> {
    const needed = [...this.routes.values()].flatMap((r) => (this.options.deadLetter ? [r.physical, r.deadLetterTopic] : [r.physical]))
    const admin = transport.admin()
    await admin.connect()
    const missing = await missingTopics(admin, needed).finally(() => admin.disconnect())
    if (missing.length > 0) throw topicsNotFound(missing, this.options.connection.brokers, { topicPrefix: this.options.topicPrefix })
  }

  private onGroupJoin(memberAssignment: Record<string, number[]>): void {
    const next: Assignment<T> = {}
    for (const [physical, partitions] of Object.entries(memberAssignment)) {
      const route = this.routes.get(physical)
      if (route !== undefined) next[route.logical as T] = [...partitions].sort((a, b) => a - b)
    }
    this.currentAssignment = next
    this.joined = true
    this.lag?.prune()
    this.lag?.sampleNow()
    this.logger.info('joined group', { groupId: this.groupId, assignment: next })
    for (const listener of this.assignmentListeners) listener(structuredClone(next))
  }

  private async eachBatch(payload: BatchPayload): Promise<void> {
    const { batch } = payload
    const route = this.routes.get(batch.topic)
    if (route === undefined || this.fatal !== undefined) return
    const { partition, messages } = batch
    if (messages.length > 0) route.metrics.batchRecords.record(messages.length)
    const { maxPollRecords, heartbeatIntervalMs, sessionTimeoutMs } = this.options
    const commits = this.options.autoCommit ? undefined : new PartitionCommits(this.commitBatcher, payload, batch.topic, partition, maxPollRecords, sessionTimeoutMs)
    // A turn is half a poll batch: its commit travels while the other partitions' turns and this one's next are
    // handled, and PartitionCommits holds a turn back until what is handled and not confirmed committed fits in one
    // poll batch. (Turns of a whole poll batch would have to wait for every earlier commit: measured slower.)
    const chunk = Math.max(1, Math.floor(maxPollRecords / 2))
    let inChunk = 0
    let complete = true
    // A turn at the handler is held from a chunk's first message to its end (see Turns).
    let turn = false
    const giveTurn = () => {
      if (!turn) return
      turn = false
      this.turns.give()
    }
    try {
      for (const message of messages) {
        if (!turn) {
          const waiting = this.turns.take()
          if (waiting !== undefined) await waiting
          turn = true
          // Checked at the start of each chunk, after any wait for the turn. Only consumer.seek() makes a kafkajs
          // batch stale, which this client never calls; on platformatic a rebalance does (the partition may be gone).
          if (payload.isStale()) {
            complete = false
            break
          }
        }
        if (!payload.isRunning() || this.fatal !== undefined) {
          complete = false
          break
        }
        const pending = this.processTraced(route, partition, message, payload)
        const outcome = pending === HANDLED ? pending : await pending
        if (outcome === HANDLED) route.metrics.handled.add()
        else if (outcome === DEAD_LETTERED) route.metrics.deadLettered.add()
        else {
          if (outcome === FATAL) route.metrics.failed.add()
          complete = false
          break
        }
        payload.resolveOffset(message.offset)
        if (++inChunk >= chunk) {
          inChunk = 0
          commits?.commit(message.offset)
          giveTurn()
          // Between chunks, let pending I/O in (commit responses, signals) and the other partitions in hand have their
          // turn: a synchronous handler would otherwise run the whole batch in one turn of the event loop.
          await yieldToEventLoop()
          const earlier = commits?.ready(chunk)
          if (earlier !== undefined) await earlier
        } else commits?.handled(message.offset)
        if (Date.now() - this.lastHeartbeat >= heartbeatIntervalMs) {
          this.lastHeartbeat = Date.now()
          await payload.heartbeat()
        }
      }
    } catch (error) {
      giveTurn()
      // Typically a rebalance noticed by a heartbeat: commit what was handled while the generation still accepts
      // it, then let kafkajs rejoin. Anything not committed is redelivered: at-least-once.
      await commits?.flush().catch((e: unknown) =>
        this.logger.warn('commit before rebalance failed; those messages will be redelivered', { topic: route.logical, partition, error: errorMessage(e) }),
      )
      throw error
    }
    giveTurn()
    const skipTo = complete ? filteredTail(batch) : undefined
    if (skipTo !== undefined) {
      if (commits === undefined) payload.resolveOffset(skipTo)
      else commits.handled(skipTo)
    }
    await commits?.flush()
  }

  /**
   * One message in its `process` span: the span continues the producer's trace from the record's headers, the handler
   * runs in its context (spans the handler starts are its children), and it ends with the message's outcome. Without
   * an SDK the span is a no-op and the handler is called directly.
   */
  private processTraced(route: Route, partition: number, raw: KafkaMessage, payload: BatchPayload): Outcome | Promise<Outcome> {
    const trace = startProcessSpan(route.span, raw, recordHeaderGetter)
    const { span } = trace
    if (span.isRecording()) describeRecord(span, partition, raw)
    let pending: Outcome | Promise<Outcome>
    try {
      pending = this.process(route, partition, raw, payload, trace)
    } catch (error) {
      this.endProcess(span, FATAL, error)
      throw error
    }
    if (typeof pending === 'number') {
      this.endProcess(span, pending)
      return pending
    }
    if (!span.isRecording()) return pending
    return pending.then(
      (outcome) => {
        this.endProcess(span, outcome)
        return outcome
      },
      (error: unknown) => {
        this.endProcess(span, FATAL, error)
        throw error
      },
    )
  }

  /** Ends a `process` span; a message left uncommitted (stop, rebalance, fatal error) marks it failed. */
  private endProcess(span: Span, outcome: Outcome, error?: unknown): void {
    if (outcome === FATAL) {
      const cause = error ?? this.fatal
      failSpan(span, cause === undefined ? 'FATAL' : errorType(cause), cause === undefined ? 'the consumer stopped on this record' : errorMessage(cause))
    } else if (outcome === ABORTED) {
      failSpan(span, 'ABORTED', 'abandoned while waiting to retry (the consumer is stopping or the partition moved); left uncommitted, it is delivered again')
    }
    span.end()
  }

  /**
   * One message: decode, validate, call the handler; retry, dead-letter. Returns HANDLED synchronously when a
   * synchronous handler succeeds at once, so the common path costs no promise.
   */
  private process(route: Route, partition: number, raw: KafkaMessage, payload: BatchPayload, trace: ProcessSpan): Outcome | Promise<Outcome> {
    const decoded = decodeMessage(route.logical, partition, raw)
    if (!decoded.ok) return this.deadLetter(route, partition, raw, decoded.reason, decoded.error, 0, trace)
    const message = decoded.message as MessageOf<TopicName>
    if (decoded.schemaId !== undefined && this.registry !== undefined) {
      const known = this.registry.verifier.cached(decoded.schemaId)
      if (known === undefined) return this.verifyThenHandle(route, partition, raw, message, decoded.schemaId, payload, trace)
      if (!known.found) return this.deadLetter(route, partition, raw, 'UNKNOWN_SCHEMA_ID', this.unknownSchemaId(route, partition, raw, known), 0, trace)
    }
    return this.handle(route, partition, raw, message, payload, trace)
  }

  /** One handler call, in the `process` span's context when there is one. */
  private call(route: Route, message: MessageOf<TopicName>, trace: ProcessSpan): HandlerResult | Promise<HandlerResult> {
    const ctx = trace.context
    return ctx === undefined ? route.handler(message) : context.with(ctx, route.handler, undefined, message)
  }

  /** Calls the handler; HANDLED synchronously when a synchronous handler succeeds at once. */
  private handle(route: Route, partition: number, raw: KafkaMessage, message: MessageOf<TopicName>, payload: BatchPayload, trace: ProcessSpan): Outcome | Promise<Outcome> {
    const started = performance.now()
    let result: HandlerResult | Promise<HandlerResult>
    try {
      result = this.call(route, message, trace)
    } catch (error) {
      route.metrics.handlerDuration.record(secondsSince(started))
      return this.retry(route, partition, raw, message, `handler threw: ${errorMessage(error)}`, payload, trace)
    }
    if (result === undefined || result === true) {
      route.metrics.handlerDuration.record(secondsSince(started))
      return HANDLED
    }
    if (result === false) {
      route.metrics.handlerDuration.record(secondsSince(started))
      return this.retry(route, partition, raw, message, 'handler returned false', payload, trace)
    }
    return this.afterAsyncHandler(result, started, route, partition, raw, message, payload, trace)
  }

  private async afterAsyncHandler(
    result: Promise<HandlerResult>,
    started: number,
    route: Route,
    partition: number,
    raw: KafkaMessage,
    message: MessageOf<TopicName>,
    payload: BatchPayload,
    trace: ProcessSpan,
  ): Promise<Outcome> {
    const failure = await failureOf(() => result)
    route.metrics.handlerDuration.record(secondsSince(started))
    return failure === undefined ? HANDLED : this.retry(route, partition, raw, message, failure, payload, trace)
  }

  /**
   * A registry-framed value whose schema id is not cached yet: ask the registry (once per id; then cached). An id the
   * registry does not know is dead-lettered (UNKNOWN_SCHEMA_ID); a registry that cannot answer is asked again after
   * each backoff, then the consumer stops with REGISTRY_UNAVAILABLE, uncommitted — never a valid event dead-lettered
   * because the registry was briefly down.
   */
  private async verifyThenHandle(
    route: Route,
    partition: number,
    raw: KafkaMessage,
    message: MessageOf<TopicName>,
    schemaId: number,
    payload: BatchPayload,
    trace: ProcessSpan,
  ): Promise<Outcome> {
    const registry = this.registry as RegistryClient
    for (let attempt = 0; ; attempt++) {
      try {
        const known = await registry.verifier.verify(schemaId)
        if (!known.found) return this.deadLetter(route, partition, raw, 'UNKNOWN_SCHEMA_ID', this.unknownSchemaId(route, partition, raw, known), 0, trace)
        return this.handle(route, partition, raw, message, payload, trace)
      } catch (error) {
        const wait = this.options.backoffMs[attempt]
        const where = { topic: route.logical, partition, offset: raw.offset }
        if (wait === undefined) {
          this.fail(
            new ConsumerError(
              'REGISTRY_UNAVAILABLE',
              `could not look up schema id ${schemaId} of offset ${raw.offset} of ${route.logical} partition ${partition} in the schema registry at ${registry.url}: ` +
                `${errorMessage(error)} The offset was not committed; the consumer stops and the message is read again after a restart.`,
              { ...where, cause: error },
            ),
          )
          return FATAL
        }
        this.logger.warn('schema registry lookup failed; retrying', { ...where, schemaId, retryInMs: wait, error: errorMessage(error) })
        if (!(await this.backoff(wait, payload))) return ABORTED
      }
    }
  }

  private unknownSchemaId(route: Route, partition: number, raw: KafkaMessage, lookup: { id: number; message: string }): string {
    return (
      `offset ${raw.offset} of ${route.logical} partition ${partition} is framed with schema id ${lookup.id}, which the schema registry ` +
      `at ${this.registry?.url ?? '?'} does not know (${lookup.message}): written against another registry, or its schema was deleted`
    )
  }

  /**
   * After the first call failed: back off, call again, …, then dead-letter once `retry.attempts` calls failed. Each
   * failed call that is retried is a `messaging.kafka.retry` event on the message's one `process` span.
   */
  private async retry(
    route: Route,
    partition: number,
    raw: KafkaMessage,
    message: MessageOf<TopicName>,
    firstFailure: string,
    payload: BatchPayload,
    trace: ProcessSpan,
  ): Promise<Outcome> {
    const { backoffMs } = this.options
    const { span } = trace
    let failure = firstFailure
    for (let attempt = 1; ; attempt++) {
      const wait = backoffMs[attempt - 1]
      if (wait === undefined) {
        const text = `offset ${raw.offset} of ${route.logical} partition ${partition} failed ${attempt} time(s); last: ${failure}`
        return this.deadLetter(route, partition, raw, 'HANDLER_FAILED', text, attempt, trace)
      }
      route.metrics.retried.add()
      if (span.isRecording()) span.addEvent(SPAN_EVENT.retry, { [ATTR.retryAttempt]: attempt, [ATTR.retryDelayMs]: wait, [ATTR.retryError]: failure })
      this.logger.warn('handler failed; retrying', { topic: route.logical, partition, offset: raw.offset, attempt, retryInMs: wait, error: failure })
      if (!(await this.backoff(wait, payload))) return ABORTED
      const started = performance.now()
      const next = await failureOf(() => this.call(route, message, trace))
      route.metrics.handlerDuration.record(secondsSince(started))
      if (next === undefined) return HANDLED
      failure = next
    }
  }

  /** Waits `ms`, heartbeating so the group keeps us; false if the consumer stops or the partition moves meanwhile. */
  private async backoff(ms: number, payload: BatchPayload): Promise<boolean> {
    const deadline = Date.now() + ms
    for (;;) {
      if (this.stopRequested.signal.aborted || !payload.isRunning() || payload.isStale()) return false
      const left = deadline - Date.now()
      if (left <= 0) return true
      try {
        await delay(Math.min(left, this.options.heartbeatIntervalMs), undefined, { signal: this.stopRequested.signal })
      } catch {
        return false // stop() aborted the wait
      }
      await payload.heartbeat() // throws when the group rebalances: eachBatch commits what it can and rejoins
      this.lastHeartbeat = Date.now()
    }
  }

  private async deadLetter(
    route: Route,
    partition: number,
    raw: KafkaMessage,
    reason: DeadLetterReason,
    error: string,
    attempts: number,
    trace: ProcessSpan,
  ): Promise<Outcome> {
    const where = { topic: route.logical, partition, offset: raw.offset }
    if (this.producer === undefined) {
      this.fail(
        new ConsumerError(
          reason === 'HANDLER_FAILED' ? 'HANDLER_FAILED' : 'UNPROCESSABLE_MESSAGE',
          `${error}. Dead-lettering is off (deadLetter: false): the consumer stops and the offset stays uncommitted, ` +
            'so the message is read again after a restart. Fix the cause, or turn dead-lettering on.',
          where,
        ),
      )
      return FATAL
    }
    const source = { topic: route.physical, partition, message: raw, groupId: this.groupId }
    const failure = { reason, error, attempts }
    let pointer = false
    try {
      try {
        await this.sendDeadLetter(route, deadLetterRecord(source, failure))
      } catch (cause) {
        if (!isTooLarge(cause)) throw cause
        // Too large even compressed: keep the reason and where the original is, not its bytes (never a stall).
        pointer = true
        await this.sendDeadLetter(route, deadLetterPointer(source, failure))
      }
    } catch (cause) {
      const translated = translateKafkaError(cause, { ...this.connectionContext(), topic: route.deadLetterTopic })
      this.fail(
        new ConsumerError(
          'DEAD_LETTER_FAILED',
          `could not write offset ${raw.offset} of ${route.logical} partition ${partition} to dead-letter topic "${route.deadLetterTopic}": ` +
            `${translated.message} The offset was not committed; the consumer stops and the message is read again after a restart.`,
          { ...where, cause: translated },
        ),
      )
      return FATAL
    }
    this.logger.warn(pointer ? 'message dead-lettered as a pointer: too large for the dead-letter topic' : 'message dead-lettered', {
      ...where,
      deadLetterTopic: route.deadLetterTopic,
      reason,
      attempts,
      error,
      ...(pointer ? { valueBytes: raw.value?.length ?? 0 } : {}),
    })
    const { span } = trace
    if (span.isRecording()) {
      span.addEvent(SPAN_EVENT.deadLetter, {
        [ATTR.deadLetterReason]: reason,
        [ATTR.deadLetterTopic]: route.deadLetterLogical,
        [ATTR.deadLetterAttempts]: attempts,
      })
      failSpan(span, reason, error)
    }
    return DEAD_LETTERED
  }

  private async sendDeadLetter(route: Route, message: Message): Promise<void> {
    await this.producer?.send({
      topic: route.deadLetterTopic,
      acks: -1, // all in-sync replicas: the dead letter must be durable before the original offset is committed
      // The copy carries the original plus x-dlq-* headers: compressed, one that arrived compressed still fits.
      compression: 'gzip',
      messages: [message],
    })
  }

  /** Stops the consumer with `error` (reported by wait()/start()); the message in hand is not committed. */
  private fail(error: Error): void {
    if (this.fatal !== undefined) return
    this.fatal = error
    this.logger.error('consumer stopping on error', { error: error.message, code: isConsumerError(error) ? error.code : undefined })
    // Not awaited: kafkajs' stop waits for the running eachBatch, which is what called us.
    void this.stop().catch(() => undefined)
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped'
      this.removeGauges()
      this.settle()
      return
    }
    await this.starting?.catch(() => undefined)
    if (this.state === 'stopped') return // start() failed and cleaned up already
    this.state = 'stopping'
    this.stopRequested.abort()
    this.logger.info('stopping consumer: finishing in-flight messages, committing, leaving the group', { groupId: this.groupId })
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ConsumerError(
              'SHUTDOWN_TIMEOUT',
              `consumer group "${this.groupId}" did not stop within shutdownTimeoutMs (${this.shutdownTimeoutMs} ms): a handler is still running. ` +
                'Messages handled but not committed will be redelivered.',
            ),
          ),
        this.shutdownTimeoutMs,
      )
    })
    try {
      await Promise.race([this.teardown(), timeout])
    } catch (error) {
      this.state = 'stopped'
      unregisterShutdown(this)
      this.removeGauges()
      this.settle(error as Error)
      throw error
    } finally {
      clearTimeout(timer)
    }
    this.state = 'stopped'
    unregisterShutdown(this)
    this.removeGauges()
    this.logger.info('consumer stopped', { groupId: this.groupId })
    this.settle(this.fatal)
  }

  /** A stopped member's series leave /metrics (its lag is no longer this process's to report). */
  private removeGauges(): void {
    this.unobserve?.()
    this.unobserve = undefined
  }

  /** Consumer first (waits for the batch in hand and its commits, leaves the group), then the dead-letter producer. */
  private async teardown(): Promise<void> {
    await this.lag?.stop()
    for (const client of [this.consumer, this.producer]) {
      try {
        await client?.disconnect()
      } catch (error) {
        this.logger.warn('disconnect failed', { groupId: this.groupId, error: errorMessage(error) })
      }
    }
  }

  /** What error messages may name: brokers, where they came from, TLS on or off (never credentials). */
  private connectionContext(): { brokers: readonly string[]; brokerSource: string; ssl: boolean } {
    const { brokers, brokerSource, ssl } = this.options.connection
    return { brokers, brokerSource, ssl: ssl !== undefined && ssl !== false }
  }

  private translate(error: unknown): Error {
    if (isConsumerError(error) || isKafkaClientError(error) || isContractError(error)) return error
    return translateKafkaError(error, this.connectionContext())
  }
}
