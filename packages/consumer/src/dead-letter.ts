import type { IHeaders, KafkaMessage, Message } from '@topiq/kafka-core'

/** Headers added to a dead-lettered message, next to the original headers (which are kept as they were). */
export const DLQ_HEADER = {
  /** Physical topic the message was read from (prefix included), so it can be found and replayed. */
  originalTopic: 'x-dlq-original-topic',
  originalPartition: 'x-dlq-original-partition',
  originalOffset: 'x-dlq-original-offset',
  /** The original message's timestamp (ms since epoch); the dead-letter record carries its own. */
  originalTimestamp: 'x-dlq-original-timestamp',
  /** What went wrong, in words: the JSON paths of a validation failure, the decode error, the handler's error. */
  error: 'x-dlq-error',
  /** One of DEAD_LETTER_REASONS. */
  errorCode: 'x-dlq-error-code',
  /** Handler calls made; 0 when the message never reached the handler (decode or validation failure). */
  attempts: 'x-dlq-attempts',
  /** When it was dead-lettered, RFC 3339. */
  failedAt: 'x-dlq-failed-at',
  /** The consumer group that gave up on it (another group may have handled it fine). */
  consumerGroup: 'x-dlq-consumer-group',
  /**
   * Only on a pointer record: the copy was too large for the dead-letter topic even compressed, so its value and
   * original headers were left out; `<value bytes> value bytes, <header bytes> header bytes` of the original.
   */
  omitted: 'x-dlq-omitted',
} as const

export const DEAD_LETTER_REASONS = [
  /** Not JSON, not the registry wire format, empty, or a tombstone. */
  'DECODE_FAILED',
  /** Registry-framed, but the registry does not know its schema id (another registry, a deleted schema, garbage). */
  'UNKNOWN_SCHEMA_ID',
  /** Decoded, but does not match the topic's schema. */
  'INVALID_PAYLOAD',
  /** The handler returned false or threw on every attempt. */
  'HANDLER_FAILED',
] as const
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number]

export interface DeadLetterFailure {
  reason: DeadLetterReason
  error: string
  attempts: number
}

export interface DeadLetterSource {
  /** Physical topic. */
  topic: string
  partition: number
  message: KafkaMessage
  groupId: string
}

/** Headers are small: a pathological error text (a huge stack, a giant payload echoed back) is cut. */
const MAX_ERROR_BYTES = 4_096

function truncate(text: string): string {
  if (Buffer.byteLength(text) <= MAX_ERROR_BYTES) return text
  return `${Buffer.from(text).subarray(0, MAX_ERROR_BYTES - 20).toString('utf8')}… [truncated]`
}

/**
 * The record written to the dead-letter topic: the ORIGINAL key and value bytes (replayable as they were), the
 * original headers, the `x-dlq-*` headers, and the original partition number (the dead-letter topic is created
 * with as many partitions as its source, so per-key order holds there too).
 */
export function deadLetterRecord(source: DeadLetterSource, failure: DeadLetterFailure, now: Date = new Date()): Message {
  const { message } = source
  const origin = { topic: source.topic, partition: source.partition, offset: message.offset, timestamp: message.timestamp, groupId: source.groupId }
  const headers: IHeaders = { ...message.headers, ...deadLetterHeaders(origin, failure, now) }
  return { key: message.key, value: message.value, partition: source.partition, headers }
}

/** Where a dead letter came from: physical topic, partition, offset, the original timestamp, the group that gave up. */
export interface DeadLetterOrigin {
  topic: string
  partition: number
  offset: string
  timestamp: string
  groupId: string
}

/** The `x-dlq-*` headers of a dead letter (the test bus writes the same ones). */
export function deadLetterHeaders(origin: DeadLetterOrigin, failure: DeadLetterFailure, now: Date = new Date()): Record<string, string> {
  return {
    [DLQ_HEADER.originalTopic]: origin.topic,
    [DLQ_HEADER.originalPartition]: String(origin.partition),
    [DLQ_HEADER.originalOffset]: origin.offset,
    [DLQ_HEADER.originalTimestamp]: origin.timestamp,
    [DLQ_HEADER.error]: truncate(failure.error),
    [DLQ_HEADER.errorCode]: failure.reason,
    [DLQ_HEADER.attempts]: String(failure.attempts),
    [DLQ_HEADER.failedAt]: now.toISOString(),
    [DLQ_HEADER.consumerGroup]: origin.groupId,
  }
}

/** Bytes of a record's headers as kafkajs holds them (names and values; repeats and nulls counted). */
function headerBytes(headers: IHeaders | undefined): number {
  let total = 0
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) total += Buffer.byteLength(name) + (v == null ? 0 : Buffer.byteLength(v))
  }
  return total
}

/**
 * The dead-letter record used when the full copy is refused as too large even compressed (an invalid event close to
 * the broker's max.message.bytes, or one that arrived compressed): the `x-dlq-*` headers, the original key, and a
 * small JSON pointer instead of the value — where the original is (topic, partition, offset) and how large it was.
 * The reason is never lost; the bytes stay in the source topic for as long as its retention keeps them.
 */
export function deadLetterPointer(source: DeadLetterSource, failure: DeadLetterFailure, now: Date = new Date()): Message {
  const full = deadLetterRecord({ ...source, message: { ...source.message, headers: {} } as KafkaMessage }, failure, now)
  const valueBytes = source.message.value?.length ?? 0
  const originalHeaderBytes = headerBytes(source.message.headers)
  const headers: IHeaders = { ...full.headers, [DLQ_HEADER.omitted]: `${valueBytes} value bytes, ${originalHeaderBytes} header bytes` }
  const pointer = {
    omitted: 'the original value and headers: too large for the dead-letter topic even compressed',
    topic: source.topic,
    partition: source.partition,
    offset: source.message.offset,
    valueBytes,
    headerBytes: originalHeaderBytes,
  }
  // A key is small in every sane design; one that is not would make the pointer too large as well.
  const key = source.message.key !== null && source.message.key.length <= MAX_ERROR_BYTES ? source.message.key : null
  return { key, value: Buffer.from(JSON.stringify(pointer)), partition: source.partition, headers }
}

/** Whether a failed send was refused for size (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE), however kafkajs wrapped it. */
export function isTooLarge(error: unknown): boolean {
  const seen = new Set<unknown>()
  const queue: unknown[] = [error]
  while (queue.length > 0) {
    const e = queue.shift()
    if (typeof e !== 'object' || e === null || seen.has(e)) continue
    seen.add(e)
    const { type, cause, originalError, errors } = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown }
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true
    queue.push(cause, originalError, ...(Array.isArray(errors) ? errors : []))
  }
  return false
}
