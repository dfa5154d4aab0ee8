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

/** kafkajs header values are Buffers, strings or arrays of them; handlers get plain strings. */
export function decodeHeaders(headers: Readonly<Record<string, Buffer | string | (Buffer | string)[] | undefined>> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (headers === undefined) return out
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue
    const last = Array.isArray(raw) ? raw[raw.length - 1] : raw
    if (last !== undefined) out[name] = typeof last === 'string' ? last : last.toString('utf8')
  }
  return out
}
