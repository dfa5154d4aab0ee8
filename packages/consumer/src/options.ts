import { isTopicName, unknownTopicError, type MessageOf, type TopicName } from '@topiq/contracts'
import {
  DEFAULT_ASSIGNORS,
  isAssignorName,
  jsonLogger,
  KafkaClientError,
  resolveConnection,
  resolveRegistry,
  resolveTopicPrefix,
  type AssignorName,
  type ConnectionOptions,
  type Logger,
  type RegistryOptions,
  type ResolvedConnection,
} from '@topiq/kafka-core'

/** `true` or nothing (`void`): handled. `false` or a thrown error: failed, retried, then dead-lettered. */
export type HandlerResult = boolean | void

/** Receives one validated message; `message.topic` tells the payload type apart when several topics share it. */
export type MessageHandler<T extends TopicName> = (message: MessageOf<T>) => HandlerResult | Promise<HandlerResult>

/** One handler per topic; the topics subscribed to are the keys. */
export type TopicHandlers<T extends TopicName> = { readonly [K in T]: MessageHandler<K> }

export interface RetryOptions {
  /** Handler calls per message, the first one included (1 = no retry). */
  attempts: number
  /** Wait before the second call; doubled before each further call. */
  initialBackoffMs: number
  /** Upper bound of one wait. */
  maxBackoffMs: number
}

export type AutoOffsetReset = 'earliest' | 'latest'

/** Settings with the Python guide's defaults (see DEFAULTS); every one may be overridden. */
export interface ConsumerSettings {
  /**
   * `false` (default): after each chunk of at most `maxPollRecords` messages, the handled offsets of that partition
   * are committed, and before the consumer stops. `true`: kafkajs commits the handled offsets after each fetched
   * batch instead. Either way only handled (or dead-lettered) messages are ever committed.
   */
  autoCommit?: boolean
  /** Where a group without a committed offset starts: `earliest` (default) or `latest`. */
  autoOffsetReset?: AutoOffsetReset
  /**
   * Most messages handled between two commits (and stop/rebalance checks are made after every message). kafkajs
   * has no max.poll.records: each fetched batch is processed in chunks of at most this many.
   */
  maxPollRecords?: number
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  /** Longest time the broker holds an empty fetch; bounds how long stop() and rebalances wait for an idle poll. */
  maxWaitTimeMs?: number
  /** Handler retries; the sum of all waits must stay below `sessionTimeoutMs`. */
  retry?: Partial<RetryOptions>
  /**
   * `true` (default): a message that cannot be decoded or validated, or whose handler keeps failing, is written
   * to `topicMetadata[topic].deadLetterTopic` and its offset committed. `false`: such a message stops the consumer
   * with a `ConsumerError` and stays uncommitted; nothing is skipped silently.
   */
  deadLetter?: boolean
  /** On SIGTERM/SIGINT: stop fetching, finish the message in hand, commit, leave the group, exit. */
  handleSignals?: boolean
  /** Bound on a graceful stop; a signal-driven shutdown that exceeds it exits with code 1. */
  shutdownTimeoutMs?: number
  /** Physical topic = prefix + logical topic; default `KAFKA_TOPIC_PREFIX`, else none. */
  topicPrefix?: string
  /**
   * Handlers running at once, on different partitions (order within a partition always holds). Either way the
   * partitions in hand take turns, a chunk of half `maxPollRecords` at a time, and their commits share requests.
   */
  partitionsConsumedConcurrently?: number
  /**
   * Partition assignment strategies offered to the group, most preferred first: Kafka's `range` and `roundrobin`
   * (Java's ConsumerProtocol), so the group can be shared with confluent-kafka, kafka-python and Java consumers.
   */
  partitionAssignors?: readonly AssignorName[]
  /**
   * Static membership (KIP-345): a stable id for this member across restarts (a pod or host name, unique in the
   * group); default `KAFKA_GROUP_INSTANCE_ID`, else none (dynamic membership). A restarted member with the same id takes
   * its partitions back at once, without a rebalance and without waiting for the session timeout; on stop it does not
   * leave the group (its partitions wait up to `sessionTimeoutMs` for it, then move).
   */
  groupInstanceId?: string
  /**
   * Where the schema registry is, to check the schema ids of registry-framed values: a URL or options; else
   * `SCHEMA_REGISTRY_URL` (+ `_USERNAME`/`_PASSWORD`), as for the producer; `false`: none.
   */
  registry?: RegistryOptions | string | false
  /**
   * How often to sample `topiq_consumer_lag` (ms): for the partitions assigned to this member, the partition's end
   * offset minus the group's committed offset, on an admin connection of its own (so it goes on while a handler is
   * blocked). Default `KAFKA_LAG_INTERVAL_MS`, else 15 000; 0 turns sampling off.
   */
  lagIntervalMs?: number
  logger?: Logger
}

export interface CommonConsumerOptions extends ConnectionOptions, ConsumerSettings {
  groupId: string
}

export interface TopicsConsumerOptions<T extends TopicName> extends CommonConsumerOptions {
  topics: readonly T[]
  messageHandler: MessageHandler<T>
  handlers?: never
}

export interface HandlersConsumerOptions<T extends TopicName> extends CommonConsumerOptions {
  handlers: TopicHandlers<T>
  topics?: never
  messageHandler?: never
}

export type ConsumerOptions<T extends TopicName> = TopicsConsumerOptions<T> | HandlersConsumerOptions<T>

/** The defaults, each with its reason. The first five are the Python guide's consumer configuration. */
export const DEFAULTS = {
  /** Python guide `enable_auto_commit=False`: commit only what was handled, explicitly, between chunks. */
  autoCommit: false,
  /** Python guide `auto_offset_reset='earliest'`: a new group reads what was produced before it first started. */
  autoOffsetReset: 'earliest',
  /** Python guide `max_poll_records=100`: bounds the work (and the redelivery after a crash) between commits. */
  maxPollRecords: 100,
  /** Python guide `session_timeout_ms=30000`: a member silent this long is removed and its partitions move. */
  sessionTimeoutMs: 30_000,
  /** Python guide `heartbeat_interval_ms=10000`: a third of the session timeout, as Kafka recommends. */
  heartbeatIntervalMs: 10_000,
  /** kafka-python's and Java's fetch.max.wait.ms; kafkajs' own 5 s would delay every stop and rebalance by up to 5 s. */
  maxWaitTimeMs: 500,
  /** Rides out a short blip (≈1.5 s of waiting in total) without holding the partition for long. */
  retry: { attempts: 3, initialBackoffMs: 500, maxBackoffMs: 5_000 },
  /** One bad message must never stall its partition, and nothing may be dropped silently. */
  deadLetter: true,
  /** A worker stopped by its orchestrator commits what it handled and leaves the group at once. */
  handleSignals: true,
  /** Below Kubernetes' default 30 s grace period, so we exit before SIGKILL does it for us. */
  shutdownTimeoutMs: 25_000,
  /** kafkajs default: one handler at a time per consumer; scale out with more consumers in the group. */
  partitionsConsumedConcurrently: 1,
  /** range first, as librdkafka, kafka-python and Java list it: every member votes alike, so mixed groups agree. */
  partitionAssignors: DEFAULT_ASSIGNORS,
  /** Prometheus' usual scrape interval: sampling faster costs two admin requests per tick that nobody reads. */
  lagIntervalMs: 15_000,
} as const

export interface ResolvedConsumerOptions {
  groupId: string
  /** Logical topic names, in subscription order. */
  topics: TopicName[]
  connection: ResolvedConnection
  topicPrefix: string
  autoCommit: boolean
  autoOffsetReset: AutoOffsetReset
  maxPollRecords: number
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  maxWaitTimeMs: number
  retry: RetryOptions
  /** Wait before call n+2 is `backoffMs[n]`; length `retry.attempts - 1`. */
  backoffMs: number[]
  deadLetter: boolean
  handleSignals: boolean
  shutdownTimeoutMs: number
  partitionsConsumedConcurrently: number
  partitionAssignors: AssignorName[]
  groupInstanceId: string | undefined
  registry: RegistryOptions | undefined
  /** 0: no lag sampling. */
  lagIntervalMs: number
  logger: Logger
}

function invalid(message: string): KafkaClientError {
  return new KafkaClientError('CONFIG_INVALID', message)
}

function integer(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw invalid(`${name} must be an integer ≥ ${min}, got ${String(value)}`)
  return value
}

function assignors(names: readonly unknown[]): AssignorName[] {
  if (!Array.isArray(names) || names.length === 0) throw invalid("partitionAssignors must list at least one of 'range', 'roundrobin'")
  const out: AssignorName[] = []
  for (const name of names) {
    if (!isAssignorName(name)) {
      throw invalid(
        `partitionAssignors: unknown assignor ${JSON.stringify(name)}; use 'range' and/or 'roundrobin' ` +
          "(cooperative-sticky and sticky are not supported: they need incremental rebalancing, which kafkajs lacks)",
      )
    }
    if (out.includes(name)) throw invalid(`partitionAssignors lists ${JSON.stringify(name)} twice`)
    out.push(name)
  }
  return out
}

/** Exponential backoff: initial, 2×initial, … each capped at max; one wait per retry. */
export function backoffSchedule(retry: RetryOptions): number[] {
  const waits: number[] = []
  for (let n = 0; n < retry.attempts - 1; n++) waits.push(Math.min(retry.initialBackoffMs * 2 ** n, retry.maxBackoffMs))
  return waits
}

function topicsOf<T extends TopicName>(options: ConsumerOptions<T>): TopicName[] {
  const hasHandlers = options.handlers !== undefined
  const hasHandler = options.messageHandler !== undefined
  if (hasHandlers === hasHandler) {
    throw invalid('pass either `topics` with one `messageHandler`, or `handlers` (a handler per topic), not both or neither')
  }
  const names: readonly string[] = hasHandlers ? Object.keys(options.handlers ?? {}) : (options.topics ?? [])
  if (!hasHandlers && typeof options.messageHandler !== 'function') throw invalid('messageHandler must be a function')
  if (!Array.isArray(names) || names.length === 0) throw invalid('subscribe to at least one topic (`topics` or the keys of `handlers`)')
  const topics: TopicName[] = []
  for (const name of names) {
    if (!isTopicName(name)) throw unknownTopicError(name)
    if (hasHandlers && typeof (options.handlers as Record<string, unknown> | undefined)?.[name] !== 'function') throw invalid(`handlers["${name}"] must be a function`)
    if (!topics.includes(name)) topics.push(name)
  }
  return topics
}

function groupInstanceIdOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined
  // Kafka's own limit for group ids and instance ids alike, and the characters a topic name may use.
  if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(value)) {
    throw invalid(`groupInstanceId (or KAFKA_GROUP_INSTANCE_ID) must be 1-249 characters of A-Z a-z 0-9 . _ -, got ${JSON.stringify(value)}`)
  }
  return value
}

/** setInterval's longest delay; anything longer fires at once. */
const MAX_INTERVAL_MS = 2_147_483_647

function lagIntervalOf(option: number | undefined, env: Readonly<Record<string, string | undefined>>): number {
  const check = (name: string, value: number, shown: string): number => {
    if (!Number.isInteger(value) || value < 0 || value > MAX_INTERVAL_MS) {
      throw invalid(`${name} must be an integer from 0 (no lag sampling) to ${MAX_INTERVAL_MS} milliseconds, got ${shown}`)
    }
    return value
  }
  if (option !== undefined) return check('lagIntervalMs', option, String(option))
  const raw = env['KAFKA_LAG_INTERVAL_MS']
  if (raw === undefined || raw.trim() === '') return DEFAULTS.lagIntervalMs
  return check('KAFKA_LAG_INTERVAL_MS', Number(raw.trim()), JSON.stringify(raw))
}

/** Validates every option once and fills in the defaults. Throws `KafkaClientError` (`CONFIG_INVALID`). */
export function resolveOptions<T extends TopicName>(options: ConsumerOptions<T>): ResolvedConsumerOptions {
  if (typeof options.groupId !== 'string' || options.groupId.trim() === '') throw invalid('groupId must be a non-empty string')
  const topics = topicsOf(options)
  const autoOffsetReset = options.autoOffsetReset ?? DEFAULTS.autoOffsetReset
  if (autoOffsetReset !== 'earliest' && autoOffsetReset !== 'latest') {
    throw invalid(`autoOffsetReset must be 'earliest' or 'latest', got ${JSON.stringify(autoOffsetReset)}`)
  }
  const sessionTimeoutMs = integer('sessionTimeoutMs', options.sessionTimeoutMs ?? DEFAULTS.sessionTimeoutMs, 1)
  const heartbeatIntervalMs = integer('heartbeatIntervalMs', options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs, 1)
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw invalid(`heartbeatIntervalMs (${heartbeatIntervalMs}) must be below sessionTimeoutMs (${sessionTimeoutMs}); about a third of it is usual`)
  }
  const retry: RetryOptions = {
    attempts: integer('retry.attempts', options.retry?.attempts ?? DEFAULTS.retry.attempts, 1),
    initialBackoffMs: integer('retry.initialBackoffMs', options.retry?.initialBackoffMs ?? DEFAULTS.retry.initialBackoffMs, 0),
    maxBackoffMs: integer('retry.maxBackoffMs', options.retry?.maxBackoffMs ?? DEFAULTS.retry.maxBackoffMs, 0),
  }
  if (retry.maxBackoffMs < retry.initialBackoffMs) {
    throw invalid(`retry.maxBackoffMs (${retry.maxBackoffMs}) must not be below retry.initialBackoffMs (${retry.initialBackoffMs})`)
  }
  const backoffMs = backoffSchedule(retry)
  const totalBackoff = backoffMs.reduce((sum, ms) => sum + ms, 0)
  if (totalBackoff >= sessionTimeoutMs) {
    throw invalid(
      `retries would wait ${totalBackoff} ms in total (${backoffMs.join(' + ')}), not below sessionTimeoutMs (${sessionTimeoutMs}): ` +
        'one failing message would hold its partition for longer than a session. Lower retry.attempts or the backoffs.',
    )
  }
  return {
    groupId: options.groupId,
    topics,
    connection: resolveConnection(options),
    topicPrefix: resolveTopicPrefix(options.topicPrefix, options.env),
    autoCommit: options.autoCommit ?? DEFAULTS.autoCommit,
    autoOffsetReset,
    maxPollRecords: integer('maxPollRecords', options.maxPollRecords ?? DEFAULTS.maxPollRecords, 1),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    maxWaitTimeMs: integer('maxWaitTimeMs', options.maxWaitTimeMs ?? DEFAULTS.maxWaitTimeMs, 0),
    retry,
    backoffMs,
    deadLetter: options.deadLetter ?? DEFAULTS.deadLetter,
    handleSignals: options.handleSignals ?? DEFAULTS.handleSignals,
    shutdownTimeoutMs: integer('shutdownTimeoutMs', options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs, 1),
    partitionsConsumedConcurrently: integer(
      'partitionsConsumedConcurrently',
      options.partitionsConsumedConcurrently ?? DEFAULTS.partitionsConsumedConcurrently,
      1,
    ),
    partitionAssignors: assignors(options.partitionAssignors ?? DEFAULTS.partitionAssignors),
    groupInstanceId: groupInstanceIdOf(options.groupInstanceId ?? (options.env ?? process.env)['KAFKA_GROUP_INSTANCE_ID']),
    registry: resolveRegistry(options.registry, options.env),
    lagIntervalMs: lagIntervalOf(options.lagIntervalMs, options.env ?? process.env),
    logger: options.logger ?? jsonLogger({ name: 'topiq-consumer' }),
  }
}
