export const CONSUMER_ERROR_CODES = [
  /** A handler kept failing and dead-lettering is off: the consumer stops instead of skipping the message. */
  'HANDLER_FAILED',
  /** A message could not be decoded or validated and dead-lettering is off. */
  'UNPROCESSABLE_MESSAGE',
  /** Writing a message to its dead-letter topic failed; its offset was not committed. */
  'DEAD_LETTER_FAILED',
  /** The schema registry could not say whether a framed value's schema id exists (after retries); not committed. */
  'REGISTRY_UNAVAILABLE',
  /** Shutdown did not finish within `shutdownTimeoutMs`. */
  'SHUTDOWN_TIMEOUT',
  /** kafkajs gave up (non-retriable error or retries exhausted) and did not restart the consumer. */
  'CRASHED',
  /** `start()` on a client that is running or was stopped: create a new client instead. */
  'INVALID_STATE',
] as const
export type ConsumerErrorCode = (typeof CONSUMER_ERROR_CODES)[number]

export interface ConsumerErrorContext {
  topic?: string
  partition?: number
  offset?: string
  cause?: unknown
}

export class ConsumerError extends Error {
  override readonly name = 'ConsumerError'
  readonly code: ConsumerErrorCode
  readonly topic: string | undefined
  readonly partition: number | undefined
  readonly offset: string | undefined

  constructor(code: ConsumerErrorCode, message: string, context: ConsumerErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause })
    this.code = code
    this.topic = context.topic
    this.partition = context.partition
    this.offset = context.offset
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, topic: this.topic, partition: this.partition, offset: this.offset }
  }
}

export function isConsumerError(error: unknown, code?: ConsumerErrorCode): error is ConsumerError {
  return error instanceof ConsumerError && (code === undefined || error.code === code)
}

export { errorMessage } from '@topiq/kafka-core'
