import { validate, type MessageOf, type RawRecord, type TopicName, type Violation } from '@topiq/contracts'
import { decodeHeaders, decodeValue, rawHeaderList, type KafkaMessage, type RawHeaders } from '@topiq/kafka-core'
import { errorMessage } from './errors.ts'

export type DecodeResult<T extends TopicName> =
  | { readonly ok: true; readonly message: MessageOf<T>; /** Registry-framed values only. */ readonly schemaId: number | undefined }
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
  let schemaId: number | undefined
  try {
    const decoded = decodeValue(raw.value)
    value = decoded.value
    if (decoded.format === 'registry') schemaId = decoded.schemaId
  } catch (error) {
    return { ok: false, reason: 'DECODE_FAILED', error: `${where(topic, partition, raw.offset)}: ${errorMessage(error)}` }
  }
  const checked = validate(topic, value)
  if (!checked.ok) return { ok: false, reason: 'INVALID_PAYLOAD', error: describeViolations(topic, partition, raw.offset, checked.violations) }
  // Headers are decoded on first read (most handlers never read them; decoding costs as much as validating), into
  // an own, enumerable accessor: spreading the message or JSON.stringify still sees them. `raw` lives on the
  // prototype: the bytes stay out of spreads and JSON, and cost nothing until read.
  let headers: Record<string, string> | undefined
  const message = {
    __proto__: messagePrototype,
    topic,
    partition,
    offset: raw.offset,
    key: raw.key === null ? null : raw.key.toString('utf8'),
    value: checked.value,
    get headers(): Record<string, string> {
      return (headers ??= decodeHeaders(raw.headers as RawHeaders | undefined))
    },
    set headers(value: Record<string, string>) {
      headers = value
    },
    timestamp: raw.timestamp,
  } as unknown as MessageOf<T> // MessageOf<T> distributes over T; for one topic T this object is exactly that member
  sources.set(message, raw)
  return { ok: true, message, schemaId }
}

// Keyed by message, not a property of it: nothing extra shows in spreads, JSON or toEqual.
const sources = new WeakMap<object, KafkaMessage>()
const raws = new WeakMap<object, RawRecord>()

/** The record's bytes as written: key, value, every header (repeats and nulls kept). */
export function rawRecord(raw: KafkaMessage): RawRecord {
  return { key: raw.key, value: raw.value, headers: rawHeaderList(raw.headers as RawHeaders | undefined) }
}

const messagePrototype = {
  get raw(): RawRecord {
    let record = raws.get(this)
    if (record === undefined) {
      const source = sources.get(this)
      if (source === undefined) throw new TypeError('raw is only available on a message the consumer decoded')
      record = rawRecord(source)
      raws.set(this, record)
    }
    return record
  },
}
