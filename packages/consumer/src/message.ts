import { validate, validators, type MessageOf, type RawRecord, type TopicName, type Violation } from '@topiq/contracts'
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
  // The precompiled validator alone on the hot path; `validate` (which lists every violation) only for a failure.
  if (!validators[topic](value)) {
    const checked = validate(topic, value)
    return { ok: false, reason: 'INVALID_PAYLOAD', error: describeViolations(topic, partition, raw.offset, checked.ok ? [] : checked.violations) }
  }
  // MessageOf<T> distributes over T; for one topic T this object is exactly that member.
  return { ok: true, message: new TypedMessage(topic, partition, raw, value) as unknown as MessageOf<T>, schemaId }
}

/** The record's bytes as written: key, value, every header (repeats and nulls kept). */
export function rawRecord(raw: KafkaMessage): RawRecord {
  return { key: raw.key, value: raw.value, headers: rawHeaderList(raw.headers as RawHeaders | undefined) }
}

/**
 * `headers` is an own, enumerable accessor (spreading the message or JSON.stringify still sees them) that decodes
 * on first read: most handlers never read headers, and decoding seven of them costs about as much as validating.
 * One shared descriptor for every message: no closures per message.
 */
const HEADERS: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: TypedMessage): Record<string, string> {
    return this.decodedHeaders()
  },
  set(this: TypedMessage, value: Record<string, string>) {
    this.replaceHeaders(value)
  },
}

/**
 * A decoded message. A class, not an object literal with `__proto__` and per-message getter closures plus a
 * WeakMap entry for its source: that cost 4.2 µs per message, this 0.5 µs (packages/consumer/bench/decode-cost.ts).
 * The source record lives in a private field and `raw` on the prototype: the bytes stay out of spreads, JSON and
 * `toEqual`, and cost nothing until read.
 */
class TypedMessage {
  // `declare`: no class fields (those would be defined before the constructor runs, headers last); the constructor
  // creates them in MessageOf's order.
  declare readonly topic: TopicName
  declare readonly partition: number
  declare readonly offset: string
  declare readonly key: string | null
  declare readonly value: unknown
  declare headers: Record<string, string>
  declare readonly timestamp: string
  readonly #source: KafkaMessage
  #headers: Record<string, string> | undefined
  #raw: RawRecord | undefined

  constructor(topic: TopicName, partition: number, source: KafkaMessage, value: unknown) {
    this.topic = topic
    this.partition = partition
    this.offset = source.offset
    this.key = source.key === null ? null : source.key.toString('utf8')
    this.value = value
    Object.defineProperty(this, 'headers', HEADERS)
    this.timestamp = source.timestamp
    this.#source = source
  }

  decodedHeaders(): Record<string, string> {
    return (this.#headers ??= decodeHeaders(this.#source.headers as RawHeaders | undefined))
  }

  replaceHeaders(value: Record<string, string>): void {
    this.#headers = value
  }

  get raw(): RawRecord {
    return (this.#raw ??= rawRecord(this.#source))
  }
}
