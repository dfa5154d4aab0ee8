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
  /** Environment to read from instead of `process.env` (tests). */
  env?: Readonly<Record<string, string | undefined>>
}

// Defaults in one place, each with its reason (the Python guide's producer configuration).
export const PRODUCER_DEFAULTS = {
  acks: -1, // all in-sync replicas acknowledge: durability (Python: acks='all')
  // idempotent: true whenever acks is -1 — prevents duplicates on retry (Python: enable_idempotence=True)
  retries: 3, // bounded, so a send fails and sendMessage returns false instead of retrying forever (Python: retries=3)
  compression: 'snappy', // less bandwidth at little CPU; pure-JS codec registered by kafka-core (Python: compression_type='snappy')
} as const satisfies { acks: Acks; retries: number; compression: Compression }

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'brokers',
  'clientId',
  'sasl',
  'ssl',
  'connectionTimeoutMs',
  'requestTimeoutMs',
  'acks',
  'idempotent',
  'retries',
  'compression',
  'registry',
  'topicPrefix',
  'logger',
  'env',
])

export interface ResolvedProducerOptions {
  connection: ResolvedConnection
  acks: Acks
  idempotent: boolean
  retries: number
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
  for (const key of ['connectionTimeoutMs', 'requestTimeoutMs'] as const) {
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

  return {
    connection: resolveConnection(connectionOptions),
    acks,
    idempotent,
    retries,
    compression,
    registry: resolveRegistry(options.registry, env),
    topicPrefix: resolveTopicPrefix(options.topicPrefix, env),
    logger: options.logger ?? jsonLogger({ name: 'topiq.producer' }),
  }
}
