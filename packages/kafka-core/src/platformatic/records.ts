// Records of a fetched batch → kafkajs-shaped messages, decoded straight from the batch's (decompressed) bytes.
// platformatic's own decoder builds an object per record, a BigInt timestamp delta and two Buffers and an array per
// header, which the transport then turned into kafkajs' shape: about half of the consumer's CPU on 1 KiB events with
// eight headers, most of it allocation and GC. The patched platformatic (patches/, `lazyRecords`) leaves a data
// batch's records undecoded while the transport's fetch is parsed; this reads them once, into kafkajs' record shape
// (protocol/recordBatch/record/v0/decoder.js), with headers decoded on first read: most handlers never read them.
import type { IHeaders, KafkaMessage } from 'kafkajs'
import { loadSnappyBlocks, xerialAt } from '../codecs.ts'

const LOG_APPEND_TIME = 0x08
const IS_TRANSACTIONAL = 0x10
const SNAPPY = 2

/** A batch header as platformatic decodes it, with the records left as bytes by the patch. */
export interface LazyBatch {
  firstOffset: bigint
  partitionLeaderEpoch: number
  magic: number
  attributes: number
  lastOffsetDelta: number
  firstTimestamp: bigint
  maxTimestamp: bigint
  producerId: bigint
  producerEpoch: number
  firstSequence: number
  /** The records, decompressed (set by the patch for data batches). */
  recordsBuffer?: Buffer
  recordsCount?: number
  /** Set by the patched read_committed filter on aborted transactional batches. */
  aborted?: boolean
}

/**
 * Replaces platformatic's WebAssembly snappy for raw (non-xerial) blocks with the native one kafka-core already uses
 * for kafkajs: the wasm result is copied out byte by byte (`Buffer.from(array)`), ~60 % of its decompression time.
 * undefined → platformatic's own decompressor (other codecs, xerial framing, no native binary).
 */
export function decompress(bitmask: number, data: Buffer): Buffer | undefined {
  if (bitmask !== SNAPPY) return undefined
  const blocks = loadSnappyBlocks()
  // xerial framing (snappy-java's stream) is left to platformatic's decompressor.
  if (blocks.implementation !== 'native' || xerialAt(data, 0)) return undefined
  return blocks.uncompress(data) as Buffer
}

type BatchContext = KafkaMessage extends { batchContext: infer C } ? C : Record<string, unknown>

/** Deltas up to this are added as numbers to a base from `exact` without leaving the exact range. */
const MAX_DELTA = 2 ** 32
const exact = (n: bigint): number | undefined => (n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER) - 2n ** 32n ? Number(n) : undefined)

/** kafkajs' batchContext: one object per batch, shared by its records (as kafkajs does). */
function contextOf(batch: LazyBatch): BatchContext {
  return {
    firstOffset: batch.firstOffset.toString(),
    firstTimestamp: batch.firstTimestamp.toString(),
    partitionLeaderEpoch: batch.partitionLeaderEpoch,
    inTransaction: (batch.attributes & IS_TRANSACTIONAL) !== 0,
    isControlBatch: false,
    lastOffsetDelta: batch.lastOffsetDelta,
    producerId: batch.producerId.toString(),
    producerEpoch: batch.producerEpoch,
    firstSequence: batch.firstSequence,
    maxTimestamp: batch.maxTimestamp.toString(),
    timestampType: (batch.attributes & LOG_APPEND_TIME) !== 0 ? 1 : 0,
    magicByte: batch.magic,
  } as unknown as BatchContext
}

/** A reader over one batch's record bytes: zigzag varints as Kafka's record format v2 writes them. */
class Cursor {
  pos = 0
  readonly buf: Buffer
  constructor(buf: Buffer, pos = 0) {
    this.buf = buf
    this.pos = pos
  }

  /** A zigzag varint of at most 32 bits. */
  varint(): number {
    const buf = this.buf
    let value = 0
    let shift = 0
    let byte: number
    do {
      if (this.pos >= buf.length) throw new RangeError(`record batch ends inside a varint at byte ${this.pos}`)
      byte = buf[this.pos++] as number
      value |= (byte & 0x7f) << shift
      shift += 7
    } while (byte & 0x80 && shift < 35)
    if (byte & 0x80) throw new RangeError(`varint longer than 5 bytes at byte ${this.pos}`)
    return (value >>> 1) ^ -(value & 1)
  }

  /** A zigzag varlong: a number while exact (|v| < 2^52), else a bigint. */
  varlong(): number | bigint {
    const buf = this.buf
    const start = this.pos
    let value = 0
    let scale = 1
    let byte: number
    do {
      if (this.pos >= buf.length) throw new RangeError(`record batch ends inside a varlong at byte ${this.pos}`)
      byte = buf[this.pos++] as number
      value += (byte & 0x7f) * scale
      scale *= 128
    } while (byte & 0x80 && this.pos - start < 10)
    if (this.pos - start <= 7) return value % 2 === 0 ? value / 2 : -(value + 1) / 2
    let big = 0n
    for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt((buf[i] as number) & 0x7f)
    return (big >> 1n) ^ -(big & 1n)
  }

  /** Length-prefixed bytes: [start, end) in the buffer, or null for length -1. */
  bytes(): Buffer | null {
    const length = this.varint()
    if (length < 0) return null
    const start = this.pos
    const end = start + length
    if (end > this.buf.length) throw new RangeError(`record field of ${length} bytes at byte ${start} runs past the batch (${this.buf.length} bytes)`)
    this.pos = end
    return this.buf.subarray(start, end)
  }
}

/** kafkajs' headers of a record: a name's values in record order (an array when it repeats); null values kept. */
function readHeaders(buf: Buffer, pos: number): IHeaders {
  const cursor = new Cursor(buf, pos)
  const count = cursor.varint()
  const headers: IHeaders = {}
  for (let i = 0; i < count; i++) {
    const name = cursor.bytes()
    const k = name === null ? 'null' : name.toString('utf8')
    const v = cursor.bytes() as Buffer // IHeaders' type has no null; kafkajs delivers null values as null
    const existing = headers[k]
    headers[k] = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v]
  }
  return headers
}

/**
 * `headers` is an own, enumerable accessor (spreads, JSON and `toEqual` see it as kafkajs' plain property) that
 * decodes on first read. One descriptor shared by every record: no closure per record.
 */
const HEADERS: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: LazyRecord) {
    return this.decodedHeaders()
  },
  set(this: LazyRecord, value: IHeaders) {
    this.replaceHeaders(value)
  },
}

/** One record in kafkajs' shape, field for field and in kafkajs' order. */
class LazyRecord {
  declare readonly magicByte: number
  declare readonly attributes: number
  declare readonly timestamp: string
  declare readonly offset: string
  declare readonly key: Buffer | null
  declare readonly value: Buffer | null
  declare headers: IHeaders
  declare readonly isControlRecord: boolean
  declare readonly batchContext: BatchContext
  readonly #buf: Buffer
  readonly #headersAt: number
  #headers: IHeaders | undefined

  constructor(magicByte: number, attributes: number, timestamp: string, offset: string, key: Buffer | null, value: Buffer | null, buf: Buffer, headersAt: number, context: BatchContext) {
    this.magicByte = magicByte
    this.attributes = attributes
    this.timestamp = timestamp
    this.offset = offset
    this.key = key
    this.value = value
    Object.defineProperty(this, 'headers', HEADERS)
    this.isControlRecord = false
    this.batchContext = context
    this.#buf = buf
    this.#headersAt = headersAt
  }

  decodedHeaders(): IHeaders {
    return (this.#headers ??= readHeaders(this.#buf, this.#headersAt))
  }

  replaceHeaders(value: IHeaders): void {
    this.#headers = value
  }
}

/**
 * Appends the batch's records at or past `fetchOffset` to `out` (a compressed batch may start before the fetched
 * offset: those are dropped, as in kafkajs and Java). Aborted batches deliver nothing. A record that runs past its
 * batch is an error naming the offset.
 */
export function decodeBatch(batch: LazyBatch, fetchOffset: bigint, out: KafkaMessage[]): void {
  const buf = batch.recordsBuffer
  const count = batch.recordsCount ?? 0
  if (buf === undefined || batch.aborted === true || count === 0) return
  const context = contextOf(batch)
  const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0
  const baseOffset = exact(batch.firstOffset)
  const baseTimestamp = exact(batch.firstTimestamp)
  const minDelta = fetchOffset > batch.firstOffset ? Number(fetchOffset - batch.firstOffset) : 0
  const maxTimestamp = logAppendTime && batch.maxTimestamp ? batch.maxTimestamp.toString() : undefined
  const cursor = new Cursor(buf)
  for (let i = 0; i < count; i++) {
    const length = cursor.varint()
    const end = cursor.pos + length
    if (length < 0 || end > buf.length) throw new RangeError(`record ${i} of the batch at offset ${batch.firstOffset} claims ${length} bytes; ${buf.length - cursor.pos} are left`)
    const attributes = buf.readInt8(cursor.pos++)
    const timestampDelta = cursor.varlong()
    const offsetDelta = cursor.varint()
    if (offsetDelta < minDelta) {
      cursor.pos = end
      continue
    }
    const key = cursor.bytes()
    const value = cursor.bytes()
    const headersAt = cursor.pos
    cursor.pos = end
    const timestamp =
      maxTimestamp ??
      (baseTimestamp !== undefined && typeof timestampDelta === 'number' && timestampDelta <= MAX_DELTA && timestampDelta >= -MAX_DELTA
        ? String(baseTimestamp + timestampDelta)
        : (batch.firstTimestamp + BigInt(timestampDelta)).toString())
    const offset = baseOffset === undefined ? (batch.firstOffset + BigInt(offsetDelta)).toString() : String(baseOffset + offsetDelta)
    out.push(new LazyRecord(batch.magic, attributes, timestamp, offset, key, value, buf, headersAt, context) as unknown as KafkaMessage)
  }
}
