/// <reference path="./kafkajs-snappy.d.ts" />
// Compression codecs for kafkajs, which ships only gzip. Kafka clients may legally write any of gzip, snappy, lz4 and
// zstd (confluent-kafka, kafka-python and the Java client all can), and a batch in a codec we lack would stop our
// consumer at that offset, so every one of them is registered before a kafkajs client is created.
import { createRequire } from 'node:module'
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

/** One raw snappy block in, one out (no framing): what the native binding and the pure-JS fallback both provide. */
export interface SnappyBlocks {
  readonly implementation: 'native' | 'js'
  compress(input: Buffer): Buffer | Promise<Buffer>
  uncompress(block: Buffer): Buffer | Promise<Buffer>
}

/** kafkajs-snappy (snappyjs, pure JS): its decompress of bytes without the xerial header is one raw block. */
export function jsSnappyBlocks(): SnappyBlocks {
  const codec = SnappyCodec()
  return { implementation: 'js', compress: (input) => codec.compress({ buffer: input }), uncompress: (block) => codec.decompress(block) }
}

type NativeSnappy = typeof import('snappy')
let snappyBlocks: SnappyBlocks | undefined
/**
 * napi-rs `snappy` (the Rust snap crate; its binary comes as an npm optional dependency, nothing compiled at
 * install): 3-4× the pure-JS codec on record batches of 1 KiB JSON events, where pure-JS snappy was 12-14 % of a
 * client's CPU. Loaded synchronously on first use (a native addon loads synchronously anyway); without a binary for
 * this platform the pure-JS kafkajs-snappy takes over, same bytes on the wire.
 */
export function loadSnappyBlocks(): SnappyBlocks {
  if (snappyBlocks !== undefined) return snappyBlocks
  try {
    const native = createRequire(import.meta.url)('snappy') as NativeSnappy
    // Probe once: an installed package whose binary cannot load throws here, not on the first record batch.
    native.uncompressSync(native.compressSync(Buffer.from('topiq')), { asBuffer: true })
    // copyOutputData: a plain Buffer copy of the result instead of an external buffer over Rust memory. Measured on
    // Node 24 with a 200 KB batch of JSON events: uncompress 110 µs with the copy, 680 µs without (pure JS: 420 µs);
    // compress 180 µs vs 790 µs (pure JS: 590 µs). Creating and finalizing external buffers costs more than copying.
    snappyBlocks = {
      implementation: 'native',
      compress: (input) => native.compressSync(input, { copyOutputData: true }),
      uncompress: (block) => native.uncompressSync(block, { asBuffer: true, copyOutputData: true }) as Buffer,
    }
  } catch {
    snappyBlocks = jsSnappyBlocks()
  }
  return snappyBlocks
}

/** snappy-java's stream header (SnappyOutputStream): magic `\x82SNAPPY\0`, then version and compatible version (4 bytes each). */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const XERIAL_HEADER_BYTES = 16

/** A xerial (snappy-java) stream header at `start`. */
export function xerialAt(buffer: Buffer, start: number): boolean {
  return buffer.length - start >= XERIAL_MAGIC.length && buffer.compare(XERIAL_MAGIC, 0, XERIAL_MAGIC.length, start, start + XERIAL_MAGIC.length) === 0
}

/**
 * Kafka's snappy is two formats: the Java client (snappy-java's SnappyOutputStream) writes xerial framing — the
 * header, then blocks of a 4-byte big-endian length and one raw snappy block (32 KiB of input each) — and librdkafka,
 * kafkajs and we write one raw block, which every client reads. A xerial stream is walked block by block, bounds
 * checked (a truncated block is an error, never a silently short batch); a header in the middle starts a
 * concatenated stream, as snappy-java reads it.
 */
async function xerialDecode(buffer: Buffer, blocks: SnappyBlocks): Promise<Buffer> {
  const out: Buffer[] = []
  let position = 0
  while (position < buffer.length) {
    if (xerialAt(buffer, position)) {
      if (buffer.length - position < XERIAL_HEADER_BYTES) throw new Error(`xerial header at byte ${position} is truncated`)
      position += XERIAL_HEADER_BYTES
      continue
    }
    if (buffer.length - position < 4) throw new Error(`xerial block length at byte ${position} is truncated`)
    const size = buffer.readInt32BE(position)
    position += 4
    if (size < 0 || position + size > buffer.length) throw new Error(`xerial block at byte ${position - 4} is truncated (needs ${size} bytes, ${buffer.length - position} left)`)
    out.push(await blocks.uncompress(buffer.subarray(position, position + size)))
    position += size
  }
  return out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out)
}

/** The snappy codec over a block implementation (exported for tests: the pure-JS fallback is tested on the same fixtures). */
export function snappyCodec(blocks: () => SnappyBlocks = loadSnappyBlocks): Codec {
  return {
    async compress(encoder) {
      try {
        return await blocks().compress(encoder.buffer)
      } catch (cause) {
        throw encodeFailed('snappy', encoder.buffer, cause)
      }
    },
    async decompress(buffer) {
      const impl = blocks()
      try {
        return xerialAt(buffer, 0) ? await xerialDecode(buffer, impl) : await impl.uncompress(buffer)
      } catch (cause) {
        throw decodeFailed('snappy', buffer, cause)
      }
    },
  }
}

const nativeOrJsSnappy = snappyCodec()

/** The codecs topiq adds to kafkajs, by kafkajs compression type. */
export const CODECS = {
  [CompressionTypes.Snappy]: () => nativeOrJsSnappy,
  [CompressionTypes.LZ4]: () => lz4Codec,
  [CompressionTypes.ZSTD]: () => zstdCodec,
} as const satisfies Partial<Record<CompressionTypes, CodecFactory>>

let registered = false
/** Registers snappy (native, pure-JS fallback), lz4 and zstd in kafkajs, once per process. */
export function registerCodecs(): void {
  if (registered) return
  // Node's ESM loader cannot see CompressionCodecs as a named export of the CommonJS kafkajs: use module.exports.
  const codecs = kafkajs.CompressionCodecs as Record<number, CodecFactory>
  for (const [type, factory] of Object.entries(CODECS)) codecs[Number(type)] = factory
  registered = true
}

/** @deprecated Since lz4 and zstd: use `registerCodecs`, which registers snappy too. */
export const registerSnappy: () => void = registerCodecs
