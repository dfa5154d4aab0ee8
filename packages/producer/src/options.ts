import {
  KafkaClientError,
  jsonLogger,
  resolveConnection,
  resolveRegistry,
  resolveTopicPrefix,
  type ConnectionOptions,
  type Logger,
  type RegistryOptions,
  type ResolvedConnection,
  type SaslOptions,
  type TransportName,
} from '@topiq/kafka-core'

// Every codec Kafka defines; lz4 and zstd come from kafka-core's registerCodecs (kafkajs ships gzip only).
export const COMPRESSIONS = ['snappy', 'gzip', 'lz4', 'zstd', 'none'] as const
export type Compression = (typeof COMPRESSIONS)[number]

/** -1: all in-sync replicas; 1: the partition leader only; 0: no acknowledgement. */
export type Acks = -1 | 0 | 1
const ACKS: readonly number[] = [-1, 0, 1]

export interface ProducerOptions {
  /** Broker list; else `KAFKA_BROKER`; else `kafka:9092` in a container, `localhost:29092` on a host. */
  brokers?: string | readonly string[]
  /** Sent to the broker and as the `ce_source` header; else `KAFKA_CLIENT_ID`; else `topiq`. */
  clientId?: string
  /** Else `KAFKA_SASL_MECHANISM` / `KAFKA_SASL_USERNAME` / `KAFKA_SASL_PASSWORD`. */
  sasl?: SaslOptions
  /** Else `KAFKA_SSL=true` (+ `KAFKA_SSL_CA_FILE`). */
  ssl?: ConnectionOptions['ssl']
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
  /** How long a send whose outcome is unknown (broker crash, lost connection) is retried as the same batch before it rejects with OUTCOME_UNKNOWN. */
  deliveryTimeoutMs?: number
  /**
   * Concurrent `publish`/`sendMessage` calls share requests: records wait while a request is in flight and go out
   * together when it completes, or after `lingerMs` at most (Kafka's linger.ms). A lone caller never waits. `0`: one
   * request per call, as kafkajs does.
   */
  lingerMs?: number
  /** A buffer of this many bytes is sent at once, without waiting (Kafka's batch.size, per request here). */
  batchBytes?: number
  /** Buffered plus in-flight bytes; past it `publish` waits for room, then rejects with BUFFER_FULL after deliveryTimeoutMs (Kafka's buffer.memory). */
  maxBufferedBytes?: number
  acks?: Acks
  /** Default: on when `acks` is -1 (Kafka's idempotent producer requires acks=all). */
  idempotent?: boolean
  /** Retries of a failed send (and of connecting) before giving up. */
  retries?: number
  compression?: Compression
  /** Where the schema registry is, for topics with `x-kafka.framing: "registry"`: a URL or options; else `SCHEMA_REGISTRY_URL`; `false`: none. */
  registry?: RegistryOptions | string | false
  /** Physical topic = prefix + topic; else `KAFKA_TOPIC_PREFIX`; else none. */
  topicPrefix?: string
  /** Else JSON lines on stderr at `TOPIQ_LOG_LEVEL` (default info). */
  logger?: Logger
  /** The Kafka client underneath: `kafkajs` (default) or `platformatic` (@platformatic/kafka); else `KAFKA_TRANSPORT`. */
  transport?: TransportName
  /** Environment to read from instead of `process.env` (tests). */
  env?: Readonly<Record<string, string | undefined>>
}

// Defaults in one place, each with its reason (the Python guide's producer configuration).
export const PRODUCER_DEFAULTS = {
  acks: -1, // all in-sync replicas acknowledge: durability (Python: acks='all')
  // idempotent: true whenever acks is -1 — prevents duplicates on retry (Python: enable_idempotence=True)
  retries: 3, // bounded, so a send fails and sendMessage returns false instead of retrying forever (Python: retries=3)
  deliveryTimeoutMs: 120_000, // as Java's delivery.timeout.ms: long enough for a broker restart, so a crash rarely leaves an outcome unknown
  compression: 'snappy', // less bandwidth at little CPU; pure-JS codec registered by kafka-core (Python: compression_type='snappy')
  lingerMs: 5, // Kafka 4's linger.ms default: an upper bound here, a lone caller never waits for it
  batchBytes: 1_048_576, // librdkafka's batch.size: one request's worth; beyond it waiting gains nothing
  maxBufferedBytes: 33_554_432, // Kafka's buffer.memory (32 MiB): bounds what a down cluster can pile up in memory
} as const satisfies { acks: Acks; retries: number; deliveryTimeoutMs: number; compression: Compression; lingerMs: number; batchBytes: number; maxBufferedBytes: number }

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'brokers',
  'clientId',
  'sasl',
  'ssl',
  'connectionTimeoutMs',
  'requestTimeoutMs',
  'deliveryTimeoutMs',
  'lingerMs',
  'batchBytes',
  'maxBufferedBytes',
  'acks',
  'idempotent',
  'retries',
  'compression',
  'registry',
  'topicPrefix',
  'logger',
  'transport',
  'env',
])

export interface ResolvedProducerOptions {
  connection: ResolvedConnection
  acks: Acks
  idempotent: boolean
  retries: number
  deliveryTimeoutMs: number
  lingerMs: number
  batchBytes: number
  maxBufferedBytes: number
  compression: Compression
  registry: RegistryOptions | undefined
  topicPrefix: string
  logger: Logger
}

function invalid(message: string): KafkaClientError {
  return new KafkaClientError('CONFIG_INVALID', `KafkaProducerClient: ${message}`)
}

/** Options first, then environment, then defaults; validated once, here. Throws `KafkaClientError` CONFIG_INVALID. */
export function resolveProducerOptions(options: ProducerOptions = {}): ResolvedProducerOptions {
  // Plain-JS callers get a typo (`ack: 1`) reported instead of silently ignored.
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) throw invalid(`unknown option "${key}"; known options: ${[...KNOWN_OPTIONS].join(', ')}`)
  }
  const env = options.env ?? process.env
  const acks = options.acks ?? PRODUCER_DEFAULTS.acks
  if (!ACKS.includes(acks)) throw invalid(`acks must be -1 (all in-sync replicas), 1 (leader) or 0 (none), not ${String(acks)}`)
  const idempotent = options.idempotent ?? acks === -1
  if (typeof idempotent !== 'boolean') throw invalid(`idempotent must be a boolean, not ${String(idempotent)}`)
  if (idempotent && acks !== -1) {
    throw invalid(`idempotent: true needs acks: -1 (Kafka's idempotent producer requires acks=all); got acks: ${acks}. Set idempotent: false to use acks: ${acks}`)
  }
  const retries = options.retries ?? PRODUCER_DEFAULTS.retries
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) throw invalid(`retries must be an integer from 0 to 100, not ${String(retries)}`)
  if (idempotent && retries < 1) throw invalid('retries must be at least 1 with idempotent: true (the idempotent producer relies on retrying)')
  const compression = options.compression ?? PRODUCER_DEFAULTS.compression
  if (!(COMPRESSIONS as readonly string[]).includes(compression)) throw invalid(`compression must be one of ${COMPRESSIONS.join(', ')}, not ${String(compression)}`)
  const deliveryTimeoutMs = options.deliveryTimeoutMs ?? PRODUCER_DEFAULTS.deliveryTimeoutMs
  const lingerMs = options.lingerMs ?? PRODUCER_DEFAULTS.lingerMs
  if (!Number.isFinite(lingerMs) || lingerMs < 0) throw invalid(`lingerMs must be 0 (one request per call) or a positive number of milliseconds, not ${String(lingerMs)}`)
  const batchBytes = options.batchBytes ?? PRODUCER_DEFAULTS.batchBytes
  const maxBufferedBytes = options.maxBufferedBytes ?? PRODUCER_DEFAULTS.maxBufferedBytes
  for (const [key, value] of [['batchBytes', batchBytes], ['maxBufferedBytes', maxBufferedBytes]] as const) {
    if (!Number.isInteger(value) || value < 1) throw invalid(`${key} must be a positive integer number of bytes, not ${String(value)}`)
  }
  if (maxBufferedBytes < batchBytes) throw invalid(`maxBufferedBytes (${maxBufferedBytes}) must be at least batchBytes (${batchBytes})`)
  for (const key of ['connectionTimeoutMs', 'requestTimeoutMs', 'deliveryTimeoutMs'] as const) {
    const value = options[key]
    if (value !== undefined && (!Number.isFinite(value) || value <= 0)) throw invalid(`${key} must be a positive number of milliseconds`)
  }

  const connectionOptions: ConnectionOptions = { env }
  if (options.brokers !== undefined) connectionOptions.brokers = options.brokers
  if (options.clientId !== undefined) connectionOptions.clientId = options.clientId
  if (options.sasl !== undefined) connectionOptions.sasl = options.sasl
  if (options.ssl !== undefined) connectionOptions.ssl = options.ssl
  if (options.connectionTimeoutMs !== undefined) connectionOptions.connectionTimeoutMs = options.connectionTimeoutMs
  if (options.requestTimeoutMs !== undefined) connectionOptions.requestTimeoutMs = options.requestTimeoutMs
  if (options.transport !== undefined) connectionOptions.transport = options.transport

  return {
    connection: resolveConnection(connectionOptions),
    acks,
    idempotent,
    retries,
    deliveryTimeoutMs,
    lingerMs,
    batchBytes,
    maxBufferedBytes,
    compression,
    registry: resolveRegistry(options.registry, env),
    topicPrefix: resolveTopicPrefix(options.topicPrefix, env),
    logger: options.logger ?? jsonLogger({ name: 'topiq.producer' }),
  }
}
