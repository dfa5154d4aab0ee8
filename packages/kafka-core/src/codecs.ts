/// <reference path="./kafkajs-snappy.d.ts" />
// Compression codecs for kafkajs, which ships only gzip. Kafka clients may legally write any of gzip, snappy, lz4 and
// zstd (confluent-kafka, kafka-python and the Java client all can), and a batch in a codec we lack would stop our
// consumer at that offset, so every one of them is registered before a kafkajs client is created.
import { promisify } from 'node:util'
import { zstdCompress, zstdDecompress } from 'node:zlib'
import kafkajs, { CompressionTypes } from 'kafkajs'
import SnappyCodec from 'kafkajs-snappy'
import { KafkaClientError } from './errors.ts'

/** kafkajs' codec contract (src/protocol/message/compression): `compress` gets the encoder holding the records. */
export interface Codec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}
export type CodecFactory = () => Codec

export type CodecName = 'snappy' | 'lz4' | 'zstd'

function decodeFailed(codec: CodecName, buffer: Buffer, cause: unknown): KafkaClientError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new KafkaClientError(
    'DECODE_FAILED',
    `${codec}: cannot decompress a record batch of ${buffer.length} bytes (${reason}). The producer that wrote it sent ` +
      `bytes that are not a valid ${codec} ${codec === 'lz4' ? 'frame' : 'stream'}; read the partition with another ` +
      'client to confirm, then skip the batch by resetting the group offset past it (`kafka-consumer-groups --reset-offsets`).',
    { cause },
  )
}

function encodeFailed(codec: CodecName, buffer: Buffer, cause: unknown): KafkaClientError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new KafkaClientError('SEND_FAILED', `${codec}: cannot compress a batch of ${buffer.length} bytes (${reason}); choose another compression.`, { cause })
}

type Lz4 = typeof import('lz4-napi')
let lz4Module: Promise<Lz4> | undefined
/**
 * lz4-napi (napi-rs over the lz4_flex crate): maintained, speaks the LZ4 *frame* format that Kafka's record batches
 * v2 carry (Java's Lz4BlockOutputStream and librdkafka both write standard frames), and ships its native binary as an
 * npm optional dependency, so nothing is compiled or downloaded at install. Loaded on first use: a platform without a
 * prebuilt binary then loses only lz4, not the whole client.
 */
function loadLz4(): Promise<Lz4> {
  lz4Module ??= import('lz4-napi').catch((cause: unknown) => {
    lz4Module = undefined
    throw new KafkaClientError(
      'CONFIG_INVALID',
      `lz4: the lz4-napi native binary for ${process.platform}-${process.arch} is not installed (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Reinstall with optional dependencies enabled (pnpm install without --no-optional), or use another compression.',
      { cause },
    )
  })
  return lz4Module
}

/** Where the frame starting at `start` ends, and whether it holds data (a skippable frame does not). Throws on a bad frame. */
type FrameEnd = (buffer: Buffer, start: number) => { end: number; data: boolean }

const SKIPPABLE_MAGIC_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50 // same for lz4 and zstd: magic, 4-byte size, user data
const LZ4_MAGIC = 0x184d2204
const ZSTD_MAGIC = 0xfd2fb528

function skippable(buffer: Buffer, start: number): { end: number; data: boolean } | undefined {
  if ((buffer.readUInt32LE(start) & SKIPPABLE_MAGIC_MASK) !== SKIPPABLE_MAGIC) return undefined
  return { end: start + 8 + buffer.readUInt32LE(start + 4), data: false }
}

/** LZ4 frame format: magic, FLG, BD, [content size], HC, blocks (4-byte size, high bit = stored), end mark, [checksum]. */
export const lz4FrameEnd: FrameEnd = (buffer, start) => {
  const skip = skippable(buffer, start)
  if (skip) return skip
  const magic = buffer.readUInt32LE(start)
  if (magic !== LZ4_MAGIC) throw new Error(`no LZ4 frame magic at byte ${start} (0x${magic.toString(16)})`)
  const flg = buffer.readUInt8(start + 4)
  const blockChecksum = (flg & 0x10) !== 0
  let position = start + 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1
  for (;;) {
    const size = buffer.readUInt32LE(position) & 0x7fffffff
    position += 4
    if (size === 0) break
    position += size + (blockChecksum ? 4 : 0)
  }
  return { end: position + ((flg & 0x04) !== 0 ? 4 : 0), data: true }
}

const ZSTD_DICT_ID_BYTES = [0, 1, 2, 4] as const
const ZSTD_BLOCK_RESERVED = 3
const ZSTD_BLOCK_RLE = 1
/** zstd frame format (RFC 8878 §3.1.1): magic, header descriptor, header fields, blocks with 3-byte headers, [checksum]. */
export const zstdFrameEnd: FrameEnd = (buffer, start) => {
  const skip = skippable(buffer, start)
  if (skip) return skip
  const magic = buffer.readUInt32LE(start)
  if (magic !== ZSTD_MAGIC) throw new Error(`no zstd frame magic at byte ${start} (0x${magic.toString(16)})`)
  const descriptor = buffer.readUInt8(start + 4)
  const singleSegment = (descriptor & 0x20) !== 0
  const contentSizeFlag = descriptor >> 6
  const contentSizeBytes = contentSizeFlag === 0 ? (singleSegment ? 1 : 0) : 1 << contentSizeFlag
  let position = start + 5 + (singleSegment ? 0 : 1) + ZSTD_DICT_ID_BYTES[descriptor & 0x03]! + contentSizeBytes
  for (;;) {
    const header = buffer.readUIntLE(position, 3)
    const type = (header >> 1) & 0x03
    if (type === ZSTD_BLOCK_RESERVED) throw new Error(`reserved zstd block type at byte ${position}`)
    position += 3 + (type === ZSTD_BLOCK_RLE ? 1 : header >>> 3)
    if ((header & 0x01) !== 0) break
  }
  return { end: position + ((descriptor & 0x04) !== 0 ? 4 : 0), data: true }
}

/**
 * Both formats allow several frames back to back (the decoded data is their concatenation), but the one-shot
 * decoders we use return the first frame only and drop the rest without an error: walk the frame boundaries.
 */
async function decodeFrames(buffer: Buffer, frameEnd: FrameEnd, decode: (frame: Buffer) => Promise<Buffer>): Promise<Buffer> {
  const frames: Buffer[] = []
  for (let start = 0; start < buffer.length; ) {
    let frame: { end: number; data: boolean }
    try {
      frame = frameEnd(buffer, start)
    } catch (cause) {
      if (cause instanceof RangeError) throw new Error(`frame starting at byte ${start} is truncated`, { cause })
      throw cause
    }
    if (frame.end > buffer.length) throw new Error(`frame starting at byte ${start} is truncated (needs ${frame.end} bytes)`)
    if (frame.data) frames.push(buffer.subarray(start, frame.end))
    start = frame.end
  }
  if (frames.length === 1 && frames[0]!.length === buffer.length) return decode(buffer)
  return Buffer.concat(await Promise.all(frames.map(decode)))
}

const lz4Codec: Codec = {
  async compress(encoder) {
    const { compressFrame } = await loadLz4()
    // Independent 64 KiB blocks without checksums: the frame Java's Lz4BlockOutputStream writes, which every
    // Kafka client and the broker's own validator read.
    try {
      return await compressFrame(encoder.buffer)
    } catch (cause) {
      throw encodeFailed('lz4', encoder.buffer, cause)
    }
  },
  async decompress(buffer) {
    const { decompressFrame } = await loadLz4()
    try {
      // Linked or independent blocks; block and content checksums are verified when the frame carries them.
      // decompressFrame stops after the first frame, so each frame is handed over on its own.
      return await decodeFrames(buffer, lz4FrameEnd, (frame) => decompressFrame(frame))
    } catch (cause) {
      throw decodeFailed('lz4', buffer, cause)
    }
  },
}

const zstdCompressAsync = promisify(zstdCompress)
const zstdDecompressAsync = promisify(zstdDecompress)
/**
 * Node's own zstd (zlib, Node ≥ 22.15): no dependency. Level 3 is both zstd's and Kafka's default
 * (compression.zstd.level). Decompression streams, so frames without a content size (zstd-jni's ZstdOutputStream,
 * which the Java client uses) and several concatenated frames decode as well as librdkafka's sized single frame.
 */
const zstdCodec: Codec = {
  async compress(encoder) {
    try {
      return await zstdCompressAsync(encoder.buffer)
    } catch (cause) {
      throw encodeFailed('zstd', encoder.buffer, cause)
    }
  },
  async decompress(buffer) {
    try {
      // Node's one-shot zstdDecompress silently stops after the first frame: split concatenated frames first.
      return await decodeFrames(buffer, zstdFrameEnd, (frame) => zstdDecompressAsync(frame))
    } catch (cause) {
      throw decodeFailed('zstd', buffer, cause)
    }
  },
}

/** The codecs topiq adds to kafkajs, by kafkajs compression type. */
export const CODECS = {
  [CompressionTypes.Snappy]: SnappyCodec,
  [CompressionTypes.LZ4]: () => lz4Codec,
  [CompressionTypes.ZSTD]: () => zstdCodec,
} as const satisfies Partial<Record<CompressionTypes, CodecFactory>>

let registered = false
/** Registers snappy (pure-JS kafkajs-snappy), lz4 and zstd in kafkajs, once per process. */
export function registerCodecs(): void {
  if (registered) return
  // Node's ESM loader cannot see CompressionCodecs as a named export of the CommonJS kafkajs: use module.exports.
  const codecs = kafkajs.CompressionCodecs as Record<number, CodecFactory>
  for (const [type, factory] of Object.entries(CODECS)) codecs[Number(type)] = factory
  registered = true
}

/** @deprecated Since lz4 and zstd: use `registerCodecs`, which registers snappy too. */
export const registerSnappy: () => void = registerCodecs
