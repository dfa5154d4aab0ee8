import { KafkaClientError } from './errors.ts'

/** Standard headers on every message, CloudEvents Kafka binding names (binary mode). */
export const HEADER = {
  specVersion: 'ce_specversion',
  /** Event id: a UUID per event; consumers use it to deduplicate at-least-once deliveries. */
  id: 'ce_id',
  /** Producing application (the client id). */
  source: 'ce_source',
  /** Event type: the topic name. */
  type: 'ce_type',
  /** Produced-at time, RFC 3339. */
  time: 'ce_time',
  contentType: 'content-type',
  /** Schema identity: `schemas/<topic>#<fingerprint>`, plus the registry id in registry mode. */
  dataSchema: 'ce_dataschema',
} as const

export const CONTENT_TYPE = {
  json: 'application/json',
  /** Confluent wire format: magic byte 0, 4-byte big-endian schema id, then the JSON document. */
  registryJson: 'application/vnd.schemaregistry.v1+json',
} as const

export const MAGIC_BYTE = 0
const WIRE_HEADER_BYTES = 5

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

export function encodeWire(schemaId: number, value: unknown): Buffer {
  const json = JSON.stringify(value)
  const buffer = Buffer.allocUnsafe(WIRE_HEADER_BYTES + Buffer.byteLength(json))
  buffer.writeUInt8(MAGIC_BYTE, 0)
  buffer.writeInt32BE(schemaId, 1)
  buffer.write(json, WIRE_HEADER_BYTES)
  return buffer
}

export type DecodedValue =
  | { readonly format: 'json'; readonly value: unknown }
  | { readonly format: 'registry'; readonly schemaId: number; readonly value: unknown }

/** Decodes plain JSON or the registry wire format, told apart by the magic byte. Throws DECODE_FAILED. */
export function decodeValue(buffer: Buffer | null): DecodedValue {
  if (buffer === null || buffer.length === 0) {
    throw new KafkaClientError('DECODE_FAILED', 'message has no value (a tombstone or an empty payload); a JSON document was expected')
  }
  const framed = buffer[0] === MAGIC_BYTE
  if (framed && buffer.length < WIRE_HEADER_BYTES) {
    throw new KafkaClientError('DECODE_FAILED', `registry-framed message is ${buffer.length} bytes, shorter than its 5-byte header`)
  }
  const body = framed ? buffer.subarray(WIRE_HEADER_BYTES) : buffer
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch (cause) {
    const preview = JSON.stringify(body.subarray(0, 40).toString('utf8'))
    throw new KafkaClientError('DECODE_FAILED', `value is not valid JSON (${(cause as Error).message}); starts with ${preview}`, { cause })
  }
  return framed ? { format: 'registry', schemaId: buffer.readInt32BE(1), value } : { format: 'json', value }
}

/** A header value as kafkajs hands it over: null when the record carries length -1, an array when a name repeats. */
type HeaderValue = Buffer | string | null | undefined
export type RawHeaders = Readonly<Record<string, HeaderValue | readonly HeaderValue[]>>

/**
 * kafkajs header values are Buffers, strings, null, or arrays of them (a repeated name); handlers get plain strings:
 * the last non-null value of each name. A header whose values are all null is absent (`raw.headers` still has it).
 */
export function decodeHeaders(headers: RawHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (headers === undefined) return out
  for (const name of Object.keys(headers)) {
    const raw = headers[name]
    let last: HeaderValue
    if (Array.isArray(raw)) {
      for (let i = raw.length - 1; i >= 0 && last == null; i--) last = raw[i] as HeaderValue
    } else last = raw as HeaderValue
    if (last != null) out[name] = typeof last === 'string' ? last : last.toString('utf8')
  }
  return out
}

/** Every header as written, repeats and nulls kept (record order within a name; names in order of first appearance). */
export function rawHeaderList(headers: RawHeaders | undefined): { key: string; value: Buffer | null }[] {
  const out: { key: string; value: Buffer | null }[] = []
  if (headers === undefined) return out
  for (const name of Object.keys(headers)) {
    const raw = headers[name]
    const values: readonly HeaderValue[] = Array.isArray(raw) ? (raw as readonly HeaderValue[]) : [raw as HeaderValue]
    for (const value of values) {
      if (value === undefined) continue
      out.push({ key: name, value: value === null ? null : typeof value === 'string' ? Buffer.from(value) : value })
    }
  }
  return out
}
