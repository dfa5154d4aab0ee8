import { validate, type MessageOf, type TopicName, type Violation } from '@topiq/contracts'
import { decodeHeaders, decodeValue, type KafkaMessage } from '@topiq/kafka-core'
import { errorMessage } from './errors.ts'

export type DecodeResult<T extends TopicName> =
  | { readonly ok: true; readonly message: MessageOf<T> }
  | { readonly ok: false; readonly reason: 'DECODE_FAILED' | 'INVALID_PAYLOAD'; readonly error: string }

function where(topic: string, partition: number, offset: string): string {
  return `offset ${offset} of ${topic} partition ${partition}`
}

/** `offset 7 of campaign.created.json partition 0 does not match schemas/…: $.name is required but missing; …` */
export function describeViolations(topic: TopicName, partition: number, offset: string, violations: readonly Violation[]): string {
  const list = violations.map((v) => `${v.path} ${v.message}`).join('; ')
  return `${where(topic, partition, offset)} does not match schemas/${topic} (${violations.length} violation(s)): ${list}`
}

/**
 * Raw Kafka message → typed message: decode (plain JSON or registry wire format, by the magic byte), then validate
 * against the topic's precompiled validator. Never throws: a failure says why, for the dead-letter headers.
 */
export function decodeMessage<T extends TopicName>(topic: T, partition: number, raw: KafkaMessage): DecodeResult<T> {
  let value: unknown
  try {
    value = decodeValue(raw.value).value
  } catch (error) {
    return { ok: false, reason: 'DECODE_FAILED', error: `${where(topic, partition, raw.offset)}: ${errorMessage(error)}` }
  }
  const checked = validate(topic, value)
  if (!checked.ok) return { ok: false, reason: 'INVALID_PAYLOAD', error: describeViolations(topic, partition, raw.offset, checked.violations) }
  // Headers are decoded on first read (most handlers never read them; decoding costs as much as validating), into
  // an own, enumerable accessor: spreading the message or JSON.stringify still sees them.
  let headers: Record<string, string> | undefined
  const message = {
    topic,
    partition,
    offset: raw.offset,
    key: raw.key === null ? null : raw.key.toString('utf8'),
    value: checked.value,
    get headers(): Record<string, string> {
      return (headers ??= decodeHeaders(raw.headers))
    },
    set headers(value: Record<string, string>) {
      headers = value
    },
    timestamp: raw.timestamp,
  } as MessageOf<T> // MessageOf<T> distributes over T; for one topic T this object is exactly that member
  return { ok: true, message }
}
