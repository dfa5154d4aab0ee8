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
  /** The request may or may not have been written (broker crashed or connection lost before the answer). */
  'OUTCOME_UNKNOWN',
  'TLS_HANDSHAKE_FAILED',
  /** The producer's linger buffer stayed full past the delivery timeout: brokers slower than publishers. */
  'BUFFER_FULL',
  'CLOSED',
] as const
export type KafkaClientErrorCode = (typeof KAFKA_CLIENT_ERROR_CODES)[number]

export class KafkaClientError extends Error {
  override readonly name = 'KafkaClientError'
  readonly code: KafkaClientErrorCode
  readonly topic: string | undefined
  /** Whether trying again later may succeed (broker down, timeout) as opposed to needing a fix (auth, missing topic). */
  readonly retriable: boolean
  /** OUTCOME_UNKNOWN: the `ce_id` of every event that may have been written. */
  readonly eventIds: readonly string[] | undefined

  constructor(
    code: KafkaClientErrorCode,
    message: string,
    options: { topic?: string; retriable?: boolean; cause?: unknown; eventIds?: readonly string[] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.topic = options.topic
    this.retriable = options.retriable ?? false
    this.eventIds = options.eventIds
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      topic: this.topic,
      retriable: this.retriable,
      ...(this.eventIds === undefined ? {} : { eventIds: this.eventIds }),
    }
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

/** kafkajs' (topiq-patched) error for a produce request whose outcome is unknown. */
export function isOutcomeUnknown(error: unknown): boolean {
  return chain(error).some((e) => e.name === 'KafkaJSOutcomeUnknownError')
}

/** One partition of a produce request that ended without a full answer (the patched KafkaJSOutcomeUnknownError). */
export interface SendPartitionOutcome {
  partition: number
  /** true: known written (`baseOffset` when acks != 0); false: may have been written. */
  written: boolean
  baseOffset?: string
}

/**
 * Per partition, what a failed produce request to `topic` did: a partition that is absent was not written; one that
 * is present was written (`written`) or may have been. undefined when the error says nothing per partition.
 */
export function sendPartitionOutcomes(error: unknown, topic: string): Map<number, SendPartitionOutcome> | undefined {
  const e = chain(error).find((x) => x.name === 'KafkaJSOutcomeUnknownError') as
    | (Error & { partitions?: { topic: string; partition: number; written: boolean; result?: { baseOffset?: string } }[] })
    | undefined
  if (e === undefined || !Array.isArray(e.partitions)) return undefined
  const outcomes = new Map<number, SendPartitionOutcome>()
  for (const p of e.partitions) {
    if (p.topic !== topic) continue
    const baseOffset = p.result?.baseOffset
    outcomes.set(p.partition, { partition: p.partition, written: p.written, ...(baseOffset === undefined ? {} : { baseOffset }) })
  }
  return outcomes
}

/** How many event ids an OUTCOME_UNKNOWN message lists before "… and N more" (all are in `eventIds`). */
const LISTED_EVENT_IDS = 5

/**
 * OUTCOME_UNKNOWN: the broker may have written the events (it crashed, or the connection dropped, before it
 * answered) and the retries within the delivery timeout never learned which. Never "not sent": a retry by the
 * caller may duplicate them, so consumers dedupe on `ce_id`.
 */
export function outcomeUnknown(eventIds: readonly string[], context: ErrorContext & { cause?: unknown }): KafkaClientError {
  const where = context.topic === undefined ? '' : ` to topic "${context.topic}"`
  const listed = eventIds.slice(0, LISTED_EVENT_IDS).join(', ')
  const more = eventIds.length > LISTED_EVENT_IDS ? ` and ${eventIds.length - LISTED_EVENT_IDS} more (error.eventIds)` : ''
  return new KafkaClientError(
    'OUTCOME_UNKNOWN',
    `outcome unknown: ${eventIds.length} event(s)${where} on ${context.brokers.join(',')} may have been written — the broker did not answer ` +
      `before the delivery timeout (ce_id ${listed}${more}). If you send them again, consumers must dedupe on ce_id; ` +
      'or check the topic for these ce_id values before resending.',
    {
      retriable: false,
      eventIds,
      ...(context.topic === undefined ? {} : { topic: context.topic }),
      ...(context.cause === undefined ? {} : { cause: context.cause }),
    },
  )
}

export interface ErrorContext {
  brokers: readonly string[]
  /** Where the broker list came from, to point the user at the right knob. */
  brokerSource: string
  topic?: string
  /** TLS is on: a handshake failure is then told apart from a broker that is down. */
  ssl?: boolean
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

  if (names.has('KafkaJSOutcomeUnknownError')) return outcomeUnknown([], { ...context, cause: error })
  // A TLS client hello answered by a PLAINTEXT listener: the broker closes the socket or sends bytes that are no
  // TLS record, which Node reports as one of these (before any Kafka request).
  const tlsCodes = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ECONNRESET'])
  const tlsBroken =
    context.ssl === true &&
    (links.some((e) => e.code !== undefined && tlsCodes.has(e.code)) ||
      /wrong version number|packet length too long|socket disconnected before secure TLS connection|Client network socket disconnected/i.test(text))
  if (tlsBroken) {
    return new KafkaClientError(
      'TLS_HANDSHAKE_FAILED',
      `TLS handshake with the broker at ${brokers} failed${where}: it did not speak TLS — is this a PLAINTEXT listener? ` +
        'Unset KAFKA_SSL (or the ssl option), or point KAFKA_BROKER at the TLS listener.',
      base,
    )
  }
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
  // The innermost kafkajs-shaped error says it best (on the platformatic transport its `cause` is platformatic's own
  // wrapper, e.g. "Received response with error while executing API Produce(v11)", which names no reason).
  const summary = (links.findLast((e) => e.name?.startsWith('KafkaJS') === true) ?? links[links.length - 1])?.message ?? String(error)
  return new KafkaClientError('SEND_FAILED', `Kafka request failed${where}: ${summary}`, { ...base, retriable: links[0]?.retriable ?? false })
}

/** The text of anything thrown (an Error's message, a string, else its JSON), for logs and dead-letter headers. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}
