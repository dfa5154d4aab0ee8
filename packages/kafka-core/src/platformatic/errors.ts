// @platformatic/kafka errors → the kafkajs shapes kafka-core's translateKafkaError / isOutcomeUnknown understand.
// platformatic nests errors two ways — `errors` (MultipleErrors, ResponseError: retries, concurrent requests) and
// `cause` (NetworkError › AuthenticationError › ResponseError …) — and its own findErrorBy walks only `errors`; this
// walks both. The normalised error keeps the original as `cause` and never carries credentials in its message
// (platformatic's messages name hosts and topics only; ours are written here).

import { createRequire } from 'node:module'
import { KafkaClientError } from '../errors.ts'

/** kafkajs' table of Kafka protocol errors (code, type, message): a broker's answer reads the same on both transports. */
const KAFKA_ERRORS = (createRequire(import.meta.url)('kafkajs/src/protocol/error.js') as { errorCodes: { code: number; type: string; message: string }[] }).errorCodes
const KAFKA_ERROR_BY_CODE = new Map(KAFKA_ERRORS.map((e) => [e.code, e]))

/** What we read off a platformatic (or Node) error. */
interface ErrorLike {
  name?: string
  message?: string
  code?: string
  apiId?: string
  apiCode?: number
  canRetry?: boolean
  errors?: unknown[]
  cause?: unknown
}

/** Every error in the tree under `error` (itself first), depth-first over `errors` and `cause`; bounded. */
export function errorTree(error: unknown, limit = 64): ErrorLike[] {
  const out: ErrorLike[] = []
  const seen = new Set<unknown>()
  const visit = (e: unknown): void => {
    if (e === null || typeof e !== 'object' || seen.has(e) || out.length >= limit) return
    seen.add(e)
    const x = e as ErrorLike
    out.push(x)
    if (Array.isArray(x.errors)) for (const child of x.errors) visit(child)
    visit(x.cause)
  }
  visit(error)
  return out
}

/** Whether trying again may help: no error in the tree says canRetry false (platformatic's rule, `cause` included). */
export function isRetriable(error: unknown): boolean {
  const tree = errorTree(error)
  if (tree.some((e) => e.name === 'KafkaJSSASLAuthenticationError' || e.code === 'PLT_KFK_AUTHENTICATION')) return false
  return !tree.some((e) => e.canRetry === false || (e as { retriable?: boolean }).retriable === false)
}

/** kafkajs-shaped error (name / type / code / retriable) standing for a platformatic one, which is its `cause`. */
export class PlatformaticKafkaError extends Error {
  override name: string
  /** The Kafka protocol error name (UNKNOWN_TOPIC_OR_PARTITION, MESSAGE_TOO_LARGE …), as kafkajs' `type`. */
  readonly type: string | undefined
  /** A Node socket error code (ECONNREFUSED …) found in the chain. */
  readonly code: string | undefined
  readonly retriable: boolean

  constructor(name: string, message: string, options: { type?: string; code?: string; retriable: boolean; cause: unknown }) {
    super(message, { cause: options.cause })
    this.name = name
    this.type = options.type
    this.code = options.code
    this.retriable = options.retriable
  }
}

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE'])
const TLS_CODES = /^ERR_SSL_|^ERR_TLS_|CERT|DEPTH_ZERO/

/** The request timed out waiting for its response (platformatic TimeoutError; its `code` says NETWORK, see PLATFORMATIC-4.4.md). */
export function isRequestTimeout(e: ErrorLike): boolean {
  // platformatic's TimeoutError keeps Error's `name` and NetworkError's `code`: its message is what tells it apart.
  return (e.name === 'TimeoutError' || e.code === 'PLT_KFK_NETWORK' || e.code === 'PLT_KFK_TIMEOUT') && /^Request timed out/.test(e.message ?? '')
}

/**
 * The normalised error for anything a platformatic call rejected with. Order matters as in translateKafkaError:
 * authentication, missing topic, a broker's protocol error, then transport failures.
 */
export function normalizeError(error: unknown): Error {
  if (error instanceof PlatformaticKafkaError || error instanceof KafkaClientError) return error
  if (error !== null && typeof error === 'object' && typeof (error as ErrorLike).name === 'string' && (error as ErrorLike).name?.startsWith('KafkaJS')) {
    return error as Error
  }
  const tree = errorTree(error)
  const auth = tree.find((e) => e.code === 'PLT_KFK_AUTHENTICATION' || e.apiId === 'SASL_AUTHENTICATION_FAILED')
  if (auth !== undefined) {
    return new PlatformaticKafkaError('KafkaJSSASLAuthenticationError', 'SASL authentication failed', {
      type: 'SASL_AUTHENTICATION_FAILED',
      retriable: false,
      cause: error,
    })
  }
  const unknownTopic = tree.find((e) => e.code === 'PLT_KFK_USER' && /^Unknown topic /.test(e.message ?? ''))
  if (unknownTopic !== undefined) {
    return new PlatformaticKafkaError('KafkaJSProtocolError', `${unknownTopic.message ?? 'Unknown topic.'} This server does not host this topic-partition`, {
      type: 'UNKNOWN_TOPIC_OR_PARTITION',
      retriable: false,
      cause: error,
    })
  }
  // A broker answer: the first non-retriable protocol error, else the first one.
  const protocol = tree.filter((e) => e.code === 'PLT_KFK_PROTOCOL' && typeof e.apiId === 'string')
  const chosen = protocol.find((e) => e.canRetry === false) ?? protocol[0]
  if (chosen !== undefined) {
    // kafkajs' type and message for the code (e.g. code 6: NOT_LEADER_FOR_PARTITION, platformatic's NOT_LEADER_OR_FOLLOWER).
    const known = chosen.apiCode === undefined ? undefined : KAFKA_ERROR_BY_CODE.get(chosen.apiCode)
    return new PlatformaticKafkaError('KafkaJSProtocolError', known?.message ?? chosen.message ?? String(chosen.apiId), {
      type: known?.type ?? (chosen.apiId as string),
      retriable: chosen.canRetry !== false,
      cause: error,
    })
  }
  const socket = tree.find((e) => e.code !== undefined && SOCKET_CODES.has(e.code))
  const tls = tree.find((e) => e.code !== undefined && TLS_CODES.test(e.code))
  if (tls !== undefined) {
    return new PlatformaticKafkaError('KafkaJSConnectionError', `TLS error: ${tls.message ?? tls.code}`, { code: tls.code as string, retriable: false, cause: error })
  }
  if (tree.some(isRequestTimeout)) {
    return new PlatformaticKafkaError('KafkaJSRequestTimeoutError', 'Request timed out', { retriable: true, cause: error })
  }
  if (socket !== undefined) {
    const failed = tree.find((e) => /^Connection to .* failed\.$/.test(e.message ?? ''))
    return new PlatformaticKafkaError('KafkaJSConnectionError', `${failed?.message ?? 'Connection error'} (${socket.code}: ${socket.message ?? ''})`, {
      code: socket.code as string,
      retriable: true,
      cause: error,
    })
  }
  const network = tree.find((e) => e.code === 'PLT_KFK_NETWORK')
  if (network !== undefined) {
    const closed = network.message === 'Connection closed'
    return new PlatformaticKafkaError(closed ? 'KafkaJSConnectionClosedError' : 'KafkaJSConnectionError', network.message ?? 'Connection error', {
      retriable: isRetriable(error),
      cause: error,
    })
  }
  const leaf = tree.filter((e) => !Array.isArray(e.errors) || e.errors.length === 0).at(-1) ?? tree[0]
  return new PlatformaticKafkaError('KafkaJSError', leaf?.message ?? String(error), { retriable: isRetriable(error), cause: error })
}

/** Awaits a platformatic call, rejecting with the normalised error. */
export async function normalized<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw normalizeError(error)
  }
}

/**
 * A produce request whose outcome is unknown (or that was written only in part): the kafkajs patch's
 * KafkaJSOutcomeUnknownError, the shape kafka-core's isOutcomeUnknown / sendPartitionOutcomes read.
 */
export class OutcomeUnknownError extends Error {
  override readonly name = 'KafkaJSOutcomeUnknownError'
  readonly retriable = false
  readonly partitions: { topic: string; partition: number; written: boolean; result?: { baseOffset: string } }[]

  constructor(cause: Error, partitions: OutcomeUnknownError['partitions']) {
    const unknown = partitions.filter((p) => !p.written).map((p) => `${p.topic}[${p.partition}]`)
    const written = partitions.filter((p) => p.written).map((p) => `${p.topic}[${p.partition}]`)
    super(
      unknown.length > 0
        ? `The outcome of the produce request is unknown: its records may have been written to ${unknown.join(', ')} (${cause.message})`
        : `The produce request was written only in part: to ${written.join(', ')}; its other partitions were not written (${cause.message})`,
      { cause },
    )
    this.partitions = partitions
  }
}
