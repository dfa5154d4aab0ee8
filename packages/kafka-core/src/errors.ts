export const KAFKA_CLIENT_ERROR_CODES = [
  'CONFIG_INVALID',
  'CONNECTION_REFUSED',
  'TOPIC_NOT_FOUND',
  'NOT_AUTHORIZED',
  'AUTHENTICATION_FAILED',
  'REQUEST_TIMEOUT',
  'DECODE_FAILED',
  'REGISTRY_ERROR',
  'SEND_FAILED',
  'CLOSED',
] as const
export type KafkaClientErrorCode = (typeof KAFKA_CLIENT_ERROR_CODES)[number]

export class KafkaClientError extends Error {
  override readonly name = 'KafkaClientError'
  readonly code: KafkaClientErrorCode
  readonly topic: string | undefined
  /** Whether trying again later may succeed (broker down, timeout) as opposed to needing a fix (auth, missing topic). */
  readonly retriable: boolean

  constructor(code: KafkaClientErrorCode, message: string, options: { topic?: string; retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.topic = options.topic
    this.retriable = options.retriable ?? false
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, topic: this.topic, retriable: this.retriable }
  }
}

export function isKafkaClientError(error: unknown, code?: KafkaClientErrorCode): error is KafkaClientError {
  return error instanceof KafkaClientError && (code === undefined || error.code === code)
}

/**
 * TOPIC_NOT_FOUND for one or more physical topics, naming each and the provisioning command. Auto-creation is off
 * on purpose: topics get their partitions and config from schemas/.
 */
export function topicsNotFound(missing: readonly string[], brokers: readonly string[], options: { topicPrefix?: string; cause?: unknown } = {}): KafkaClientError {
  const names = missing.map((t) => `"${t}"`).join(', ')
  const what = missing.length === 1 ? `topic ${names} does not exist` : `topic(s) ${names} do not exist`
  const prefix = options.topicPrefix ? ` (with KAFKA_TOPIC_PREFIX=${options.topicPrefix})` : ''
  return new KafkaClientError(
    'TOPIC_NOT_FOUND',
    `${what} on ${brokers.join(',')}. Create ${missing.length === 1 ? 'it' : 'them'} first${prefix}: \`pnpm topiq topics create\` ` +
      "creates every topic in schemas/ and its dead-letter topic (the Python guide's create-topics.sh).",
    { ...(missing[0] === undefined ? {} : { topic: missing[0] }), ...(options.cause === undefined ? {} : { cause: options.cause }) },
  )
}

export interface ErrorContext {
  brokers: readonly string[]
  /** Where the broker list came from, to point the user at the right knob. */
  brokerSource: string
  topic?: string
}

interface KafkaJsLike {
  name?: string
  message?: string
  type?: string
  code?: string
  broker?: string
  retriable?: boolean
  cause?: unknown
  originalError?: unknown
}

/** Walks `cause` / `originalError` chains (kafkajs wraps errors in retry errors). */
function chain(error: unknown): KafkaJsLike[] {
  const out: KafkaJsLike[] = []
  let current: unknown = error
  while (current !== null && typeof current === 'object' && out.length < 8) {
    const e = current as KafkaJsLike
    out.push(e)
    current = e.cause ?? e.originalError
    if (current === e) break
  }
  return out
}

const TOPIC_MISSING = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID'])
const NOT_AUTHORIZED = new Set(['TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED'])

/**
 * Maps kafkajs errors to the Python guide's troubleshooting cases, with what to do. Messages name brokers and
 * topics, never credentials.
 */
export function translateKafkaError(error: unknown, context: ErrorContext): KafkaClientError {
  if (error instanceof KafkaClientError) return error
  const links = chain(error)
  const topic = context.topic
  const where = topic === undefined ? '' : ` (topic "${topic}")`
  const brokers = context.brokers.join(',')
  const types = new Set(links.map((e) => e.type).filter((t): t is string => t !== undefined))
  const names = new Set(links.map((e) => e.name))
  const text = links.map((e) => e.message ?? '').join(' | ')
  const base = { cause: error, ...(topic === undefined ? {} : { topic }) }

  if ([...types].some((t) => TOPIC_MISSING.has(t)) || /does not host this topic-partition|This server does not host/.test(text)) {
    return topicsNotFound([topic ?? '?'], context.brokers, { cause: error })
  }
  if ([...types].some((t) => NOT_AUTHORIZED.has(t))) {
    return new KafkaClientError(
      'NOT_AUTHORIZED',
      `not authorized${where} on ${brokers}: the authenticated user lacks an ACL for this operation. Ask for access, or check KAFKA_SASL_USERNAME.`,
      base,
    )
  }
  if (names.has('KafkaJSSASLAuthenticationError') || types.has('SASL_AUTHENTICATION_FAILED') || /SASL .*authentication failed/i.test(text)) {
    return new KafkaClientError(
      'AUTHENTICATION_FAILED',
      `authentication failed on ${brokers}: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or the sasl option).`,
      base,
    )
  }
  const refused = links.some((e) => e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') || /ECONNREFUSED|getaddrinfo|Connection error|Failed to connect/.test(text)
  if (refused || names.has('KafkaJSConnectionError') || names.has('KafkaJSNoBrokerAvailableError') || names.has('KafkaJSBrokerNotFound')) {
    return new KafkaClientError(
      'CONNECTION_REFUSED',
      `cannot connect to Kafka at ${brokers} (brokers from ${context.brokerSource})${where}. Is Kafka running? ` +
        'Set KAFKA_BROKER: localhost:29092 (EXTERNAL listener) on a host, kafka:9092 (INTERNAL) inside containers; ' +
        'for the local stack run `pnpm stack up`.',
      { ...base, retriable: true },
    )
  }
  if (names.has('KafkaJSRequestTimeoutError') || names.has('KafkaJSTimeout') || types.has('REQUEST_TIMED_OUT')) {
    return new KafkaClientError('REQUEST_TIMEOUT', `request to ${brokers} timed out${where}; the broker may be overloaded or unreachable.`, {
      ...base,
      retriable: true,
    })
  }
  const summary = links[links.length - 1]?.message ?? String(error)
  return new KafkaClientError('SEND_FAILED', `Kafka request failed${where}: ${summary}`, { ...base, retriable: links[0]?.retriable ?? false })
}
