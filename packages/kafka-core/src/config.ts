import { existsSync, readFileSync } from 'node:fs'
import type { ConnectionOptions as TlsOptions } from 'node:tls'
import { KafkaClientError } from './errors.ts'

/** The Kafka clients topiq can run on (kafka-core's transport seam). */
export const TRANSPORTS = ['kafkajs', 'platformatic'] as const
export type TransportName = (typeof TRANSPORTS)[number]

function parseTransport(value: string | undefined, source: string): TransportName {
  if (value === undefined || value.trim() === '') return 'kafkajs'
  const name = value.trim().toLowerCase()
  if ((TRANSPORTS as readonly string[]).includes(name)) return name as TransportName
  throw new KafkaClientError('CONFIG_INVALID', `${source}="${value}" is not a transport: use one of ${TRANSPORTS.join(', ')}`)
}

/** The Python guide's listeners: INTERNAL for containers on the compose network, EXTERNAL for the host and CI. */
export const INTERNAL_LISTENER = 'kafka:9092'
export const EXTERNAL_LISTENER = 'localhost:29092'

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const
export type SaslMechanism = (typeof SASL_MECHANISMS)[number]

export interface SaslOptions {
  mechanism: SaslMechanism
  username: string
  password: string
}

export interface ConnectionOptions {
  /** Broker list; else `KAFKA_BROKER` (comma-separated); else the listener for where the process runs. */
  brokers?: string | readonly string[]
  clientId?: string
  /** SASL credentials; else `KAFKA_SASL_MECHANISM` / `KAFKA_SASL_USERNAME` / `KAFKA_SASL_PASSWORD`. */
  sasl?: SaslOptions
  /**
   * TLS; else `KAFKA_SSL=true` (with `KAFKA_SSL_CA_FILE` for a private CA). Certificates are always verified unless
   * you pass `{ rejectUnauthorized: false }` here yourself: it is never turned off by default or by env.
   */
  ssl?: boolean | TlsOptions
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
  /**
   * The Kafka client underneath: `kafkajs` (default) or `platformatic` (@platformatic/kafka); else `KAFKA_TRANSPORT`.
   * The typed API, errors, headers, wire format and defaults are the same on both (see kafka-core's README).
   */
  transport?: TransportName
  /** Environment to read from (tests); defaults to `process.env`. */
  env?: Readonly<Record<string, string | undefined>>
}

export interface ResolvedConnection {
  brokers: string[]
  /** Where `brokers` came from: `options`, `KAFKA_BROKER`, or which default and why. */
  brokerSource: string
  clientId: string
  sasl: SaslOptions | undefined
  ssl: boolean | TlsOptions | undefined
  connectionTimeoutMs: number
  requestTimeoutMs: number
  transport: TransportName
}

const DEFAULTS = {
  clientId: 'topiq',
  connectionTimeoutMs: 3_000, // fail fast on a wrong address instead of kafkajs' 1 s × retries blur
  requestTimeoutMs: 30_000,
} as const

/**
 * A process is taken to run in a container when `KAFKA_IN_CONTAINER` says so (`true`/`false`), else when
 * `/.dockerenv` (Docker) or `/run/.containerenv` (Podman) exists.
 */
export function runningInContainer(env: Readonly<Record<string, string | undefined>> = process.env, exists: (path: string) => boolean = existsSync): boolean {
  const flag = env['KAFKA_IN_CONTAINER']?.toLowerCase()
  if (flag === 'true' || flag === '1') return true
  if (flag === 'false' || flag === '0') return false
  return exists('/.dockerenv') || exists('/run/.containerenv')
}

function parseBrokers(value: string | readonly string[], source: string): string[] {
  const list = (typeof value === 'string' ? value.split(',') : [...value]).map((b) => b.trim()).filter(Boolean)
  if (list.length === 0) throw new KafkaClientError('CONFIG_INVALID', `no broker address in ${source}`)
  for (const broker of list) {
    if (!/^[^\s:/]+:\d{1,5}$/.test(broker)) {
      throw new KafkaClientError('CONFIG_INVALID', `broker address "${broker}" from ${source} is not host:port (e.g. localhost:29092)`)
    }
  }
  return list
}

function saslFromEnv(env: Readonly<Record<string, string | undefined>>): SaslOptions | undefined {
  const mechanism = env['KAFKA_SASL_MECHANISM']?.toLowerCase()
  if (mechanism === undefined || mechanism === '') return undefined
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanism)) {
    throw new KafkaClientError('CONFIG_INVALID', `KAFKA_SASL_MECHANISM="${mechanism}" is not one of ${SASL_MECHANISMS.join(', ')}`)
  }
  const username = env['KAFKA_SASL_USERNAME']
  const password = env['KAFKA_SASL_PASSWORD']
  // Name the missing variable, never a value.
  if (!username) throw new KafkaClientError('CONFIG_INVALID', 'KAFKA_SASL_MECHANISM is set but KAFKA_SASL_USERNAME is empty')
  if (!password) throw new KafkaClientError('CONFIG_INVALID', 'KAFKA_SASL_MECHANISM is set but KAFKA_SASL_PASSWORD is empty')
  return { mechanism: mechanism as SaslMechanism, username, password }
}

function sslFromEnv(env: Readonly<Record<string, string | undefined>>): boolean | TlsOptions | undefined {
  const flag = env['KAFKA_SSL']?.toLowerCase()
  if (flag !== 'true' && flag !== '1') return undefined
  const caFile = env['KAFKA_SSL_CA_FILE']
  if (caFile === undefined || caFile === '') return true
  try {
    return { ca: [readFileSync(caFile, 'utf8')] }
  } catch (cause) {
    throw new KafkaClientError('CONFIG_INVALID', `KAFKA_SSL_CA_FILE=${caFile} cannot be read: ${(cause as Error).message}`, { cause })
  }
}

/** Options first, then environment, then defaults — validated once, here. */
export function resolveConnection(options: ConnectionOptions = {}): ResolvedConnection {
  const env = options.env ?? process.env
  let brokers: string[]
  let brokerSource: string
  const fromEnv = env['KAFKA_BROKER']
  if (options.brokers !== undefined) {
    brokers = parseBrokers(options.brokers, 'the brokers option')
    brokerSource = 'the brokers option'
  } else if (fromEnv !== undefined && fromEnv.trim() !== '') {
    brokers = parseBrokers(fromEnv, 'KAFKA_BROKER')
    brokerSource = 'KAFKA_BROKER'
  } else if (runningInContainer(env)) {
    brokers = [INTERNAL_LISTENER]
    brokerSource = 'the default for containers (INTERNAL listener; KAFKA_BROKER unset)'
  } else {
    brokers = [EXTERNAL_LISTENER]
    brokerSource = 'the default for a host (EXTERNAL listener; KAFKA_BROKER unset)'
  }
  return {
    brokers,
    brokerSource,
    clientId: options.clientId ?? env['KAFKA_CLIENT_ID'] ?? DEFAULTS.clientId,
    sasl: options.sasl ?? saslFromEnv(env),
    ssl: options.ssl ?? sslFromEnv(env),
    connectionTimeoutMs: options.connectionTimeoutMs ?? DEFAULTS.connectionTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    transport: options.transport === undefined ? parseTransport(env['KAFKA_TRANSPORT'], 'KAFKA_TRANSPORT') : parseTransport(options.transport, 'the transport option'),
  }
}

export interface RegistryOptions {
  /** Base URL of the Confluent-compatible API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 */
  url: string
  username?: string
  password?: string
}

/**
 * Where the schema registry is: the option, else `SCHEMA_REGISTRY_URL` (+ `SCHEMA_REGISTRY_USERNAME`/`_PASSWORD`).
 * It never decides the wire format: a topic's `x-kafka.framing` does.
 */
export function resolveRegistry(
  option: RegistryOptions | string | false | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RegistryOptions | undefined {
  if (option === false) return undefined
  if (typeof option === 'string') return { url: option }
  if (option !== undefined) return option
  const url = env['SCHEMA_REGISTRY_URL']
  if (url === undefined || url === '') return undefined
  const username = env['SCHEMA_REGISTRY_USERNAME']
  const password = env['SCHEMA_REGISTRY_PASSWORD']
  return { url, ...(username ? { username } : {}), ...(password ? { password } : {}) }
}
