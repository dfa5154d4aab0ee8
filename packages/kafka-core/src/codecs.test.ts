import { createRequire } from 'node:module'
import kafkajs, { CompressionTypes } from 'kafkajs'
import { beforeAll, describe, expect, it } from 'vitest'
import { CODECS, jsSnappyBlocks, loadSnappyBlocks, registerCodecs, registerSnappy, snappyCodec, type Codec } from './codecs.ts'
import { isKafkaClientError } from './errors.ts'

// Fixture bytes made once by other implementations, so a passing test proves that foreign frames decode:
// - python*: Python 3.13, PyPI lz4 4.4.5 (liblz4 1.9.4, the library librdkafka uses) and zstandard 0.25.0 (zstd 1.5.7):
//     data = (HEAD + LINE * 2000).encode()
//     lz4.frame.compress(data, block_linked=True, block_checksum=False, content_checksum=False, store_size=False)
//     lz4.frame.compress(data, block_linked=False, block_checksum=True, content_checksum=True, store_size=True, block_size=lz4.frame.BLOCKSIZE_MAX64KB)
//     zstandard.ZstdCompressor(level=3, write_content_size=True).compress(data)
//     c = zstandard.ZstdCompressor(level=3).compressobj(); c.compress(data) + c.flush()   # streaming: no content size
// - java*: Kafka 4.4.0's own classes (kafka-clients, lz4-java 1.11.2, zstd-jni 1.5.7-17), run with `java -cp 'libs/*'`:
//     Compression.lz4().build().wrapForOutput(new ByteBufferOutputStream(1024), RecordBatch.MAGIC_VALUE_V2).write(data)
//     (likewise Compression.zstd()), and for BATCHES a whole record batch as the Java producer sends it:
//     MemoryRecords.withRecords(Compression.lz4().build(), new SimpleRecord(1700000000000L + i, "cmp-<i>", "{…}") for i in 0..2)
//   javaSnappy: Compression.snappy() of the same Kafka 4.4.0 (snappy-java 1.1.10.7 from the broker's libs/, whose
//     SnappyOutputStream writes xerial framing: header, then 32 KiB blocks each with a 4-byte length), package
//     org.apache.kafka.common.record.internal in 4.4; likewise the snappy BATCHES entry.
const HEAD = 'topiq codec fixture: lz4 and zstd frames from Python and Java\n'
const LINE = '{"campaign_id":"cmp-1","name":"Summer"}\n'
const DATA = Buffer.from(HEAD + LINE.repeat(2000))

function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join(''), 'hex')
}

const FRAMES = {
  pythonLz4Linked: hex(
    '04224d184040c06f010000f125746f70697120636f64656320666978747572653a206c7a3420616e64207a737464206672616d6573206672',
    '6f6d20507974686f6e1c00ff1d4a6176610a7b2263616d706169676e5f6964223a22636d702d31222c226e616d65223a2253756d6d657222',
    '7d2800ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff83503a2253756d420000000fa0ffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffde506572227d0a',
    '00000000',
  ),
  pythonLz4IndependentChecksums: hex(
    '04224d187c40be38010000000000136f010000f125746f70697120636f64656320666978747572653a206c7a3420616e64207a7374642066',
    '72616d65732066726f6d20507974686f6e1c00ff1d4a6176610a7b2263616d706169676e5f6964223a22636d702d31222c226e616d65223a',
    '2253756d6d6572227d2800ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff83503a2253756d96e6aff76b00',
    '0000ff196d6572227d0a7b2263616d706169676e5f6964223a22636d702d31222c226e616d65223a2253756d2800ffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb6506572227d0ab35959',
    '5300000000de759859',
  ),
  pythonZstdWithSize: hex(
    '28b52ffda0be3801002503000286151b804b73009d606dbbb17bca18684b52494e82c0222d42c951033b019133dd550e37d7bdf4c00782b5',
    '78f344889440b7f6f010c035ae9094a23d0c5ec58e13dd63c7d992c599ce846561a34c690e748c9a0acd404bb50200b4c2592a177a61ee01',
  ),
  pythonZstdStreaming: hex(
    '28b52ffd00582503000286151b804b73009d606dbbb17bca18684b52494e82c0222d42c951033b019133dd550e37d7bdf4c00782b578f344',
    '889440b7f6f010c035ae9094a23d0c5ec58e13dd63c7d992c599ce846561a34c690e748c9a0acd404bb50200b4c2592a177a61ee01',
  ),
  javaLz4: hex(
    '04224d186040826f010000f125746f70697120636f64656320666978747572653a206c7a3420616e64207a737464206672616d6573206672',
    '6f6d20507974686f6e1c00ff1d4a6176610a7b2263616d706169676e5f6964223a22636d702d31222c226e616d65223a2253756d6d657222',
    '7d2800ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff83503a2253756d6b000000ff196d6572227d0a7b22',
    '63616d706169676e5f6964223a22636d702d31222c226e616d65223a2253756d2800ffffffffffffffffffffffffffffffffffffffffffff',
    'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb6506572227d0a00000000',
  ),
  javaSnappy: hex(
    '82534e4150505900000000010000000100000666808002d0746f70697120636f64656320666978747572653a206c7a3420616e64207a7374',
    '64206672616d65732066726f6d20507974686f6e20011cb04a6176610a7b2263616d706169676e5f6964223a22636d702d31222c226e616d',
    '65223a2253756d6d6572227d0afe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28006628000000062d808002a06d65223a2253756d6d6572227d0a',
    '7b2263616d706169676e5f6964223a22636d702d31222c226e616dfe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28005a2800000002d5be',
    '71a06d6572227d0a7b2263616d706169676e5f6964223a22636d702d31222c226e616d65223a2253756d6dfe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe',
    '2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800',
    'fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe28',
    '00fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800fe2800522800',
  ),
  javaZstd: hex(
    '28b52ffd00582403000286151b804b73009d606dbbb17bca18684b52494e82c0222d42c951033b019133dd550e37d7bdf4c00782b578f344',
    '889440b7f6f010c035ae9094a23d0c5ec58e13dd63c7d992c599ce846561a34c690e748c9a0acd404bb50200b4c2592a177a61ee01010000',
  ),
} as const

const BATCHES = {
  javaSnappy: hex(
    '000000000000000000000098ffffffff026f37ab820002000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffff',
    'ff0000000382534e4150505900000000010000000100000053990168640000000a636d702d304e7b2263616d706169676e5f6964223a2205',
    '1658222c226e616d65223a2253756d6d6572227d00640002020533003152330000315233000404040533003252330000324a3300',
  ),
  javaLz4: hex(
    '000000000000000000000098ffffffff02a53ecdc60003000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffff',
    'ff0000000304224d1860408258000000f10c640000000a636d702d304e7b2263616d706169676e5f6964223a221600f108222c226e616d65',
    '223a2253756d6d6572227d006400020233001f313300021f3133000221040433001f323300021a323300506572227d0000000000',
  ),
  javaZstd: hex(
    '000000000000000000000088ffffffff02d417b4f90004000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffff',
    'ff0000000328b52ffd00585c02008403640000000a636d702d304e7b2263616d706169676e5f6964223a22222c226e616d65223a2253756d',
    '6d6572227d006400020231310404323207002011f017b4083e065eb4aab5539863010000',
  ),
} as const

// kafkajs internals (no exports map): the record batch encoder and decoder the producer and consumer really use.
const requireKafkajs = createRequire(import.meta.url)
interface KafkajsDecoder {
  buffer: Buffer
}
type DecoderClass = new (buffer: Buffer) => KafkajsDecoder
interface DecodedBatch {
  firstOffset: string
  records: { key: Buffer | null; value: Buffer | null; timestamp: string; offset: string }[]
}
const Decoder = requireKafkajs('kafkajs/src/protocol/decoder.js') as DecoderClass
const decodeRecordBatch = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: KafkajsDecoder) => Promise<DecodedBatch>
const { RecordBatch } = requireKafkajs('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (batch: { compression: number; records: unknown[]; lastOffsetDelta: number }) => Promise<{ buffer: Buffer }>
}
const Record = requireKafkajs('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: { offsetDelta: number; key: Buffer; value: Buffer }) => unknown
const { lookupCodecByAttributes } = requireKafkajs('kafkajs/src/protocol/message/compression/index.js') as {
  lookupCodecByAttributes: (attributes: number) => Codec | null
}

const lz4 = CODECS[CompressionTypes.LZ4]()
const zstd = CODECS[CompressionTypes.ZSTD]()
const snappy = CODECS[CompressionTypes.Snappy]()
const encoder = (buffer: Buffer) => ({ buffer })

// LZ4 frame descriptor: magic (4 bytes), then FLG. FLG bits: 5 block independence, 4 block checksum, 3 content size,
// 2 content checksum. Checked so each fixture is known to cover what its name claims.
const flg = (frame: Buffer) => ({
  independent: (frame[4]! & 0x20) !== 0,
  blockChecksum: (frame[4]! & 0x10) !== 0,
  contentSize: (frame[4]! & 0x08) !== 0,
  contentChecksum: (frame[4]! & 0x04) !== 0,
})
// zstd frame header descriptor (byte 4): bits 7-6 give the Frame_Content_Size field size; 0 without single-segment = absent.
const zstdHasContentSize = (frame: Buffer) => (frame[4]! & 0xc0) !== 0 || (frame[4]! & 0x20) !== 0

describe('registerCodecs', () => {
  beforeAll(() => registerCodecs())

  it('puts snappy, lz4 and zstd where kafkajs looks codecs up by batch attributes, once', () => {
    registerCodecs()
    registerSnappy()
    expect(lookupCodecByAttributes(CompressionTypes.LZ4)).toBe(lz4)
    expect(lookupCodecByAttributes(CompressionTypes.ZSTD)).toBe(zstd)
    expect(kafkajs.CompressionCodecs[CompressionTypes.Snappy]).toBe(CODECS[CompressionTypes.Snappy])
    // gzip stays kafkajs' own
    expect(lookupCodecByAttributes(CompressionTypes.GZIP)).not.toBeNull()
  })

  it.each([
    ['snappy', CompressionTypes.Snappy],
    ['lz4', CompressionTypes.LZ4],
    ['zstd', CompressionTypes.ZSTD],
  ] as const)('kafkajs encodes and decodes a %s record batch', async (_name, compression) => {
    const records = Array.from({ length: 50 }, (_, i) => Record({ offsetDelta: i, key: Buffer.from(`cmp-${i % 3}`), value: Buffer.from(`${LINE.trim()} #${i}`) }))
    const batch = await RecordBatch({ compression, records, lastOffsetDelta: 49 })
    expect(batch.buffer.readInt16BE(8 + 4 + 4 + 1 + 4) & 0x07).toBe(compression)
    const decoded = await decodeRecordBatch(new Decoder(batch.buffer))
    expect(decoded.records).toHaveLength(50)
    expect(decoded.records[49]?.value?.toString()).toBe(`${LINE.trim()} #49`)
    expect(decoded.records[49]?.key?.toString()).toBe('cmp-1')
  })
})

describe('round trips', () => {
  const cases: [string, Buffer][] = [
    ['one byte', Buffer.from('x')],
    ['text over several 64 KiB lz4 blocks', DATA],
    ['incompressible bytes', Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2654435761) >>> 24))],
  ]
  for (const [codecName, codec] of [['lz4', lz4], ['zstd', zstd], ['snappy', snappy]] as const) {
    it.each(cases)(`${codecName}: %s`, async (_label, input) => {
      const compressed = await codec.compress(encoder(input))
      expect(Buffer.isBuffer(compressed)).toBe(true)
      expect((await codec.decompress(compressed)).equals(input)).toBe(true)
    })
  }

  it('lz4 writes the frame Kafka writes: independent blocks, no checksums', async () => {
    const frame = await lz4.compress(encoder(DATA))
    expect(frame.readUInt32LE(0)).toBe(0x184d2204)
    expect(flg(frame)).toMatchObject({ independent: true, blockChecksum: false })
    expect(frame.length).toBeLessThan(DATA.length / 10)
  })

  it('zstd writes a sized frame and compresses', async () => {
    const frame = await zstd.compress(encoder(DATA))
    expect(frame.readUInt32LE(0)).toBe(0xfd2fb528)
    expect(frame.length).toBeLessThan(DATA.length / 10)
  })
})

describe('frames written by other implementations', () => {
  it('the fixtures cover linked and independent blocks, block and content checksums, with and without content size', () => {
    expect(flg(FRAMES.pythonLz4Linked)).toEqual({ independent: false, blockChecksum: false, contentSize: false, contentChecksum: false })
    expect(flg(FRAMES.pythonLz4IndependentChecksums)).toEqual({ independent: true, blockChecksum: true, contentSize: true, contentChecksum: true })
    expect(flg(FRAMES.javaLz4)).toEqual({ independent: true, blockChecksum: false, contentSize: false, contentChecksum: false })
    expect(zstdHasContentSize(FRAMES.pythonZstdWithSize)).toBe(true)
    expect(zstdHasContentSize(FRAMES.pythonZstdStreaming)).toBe(false)
    expect(zstdHasContentSize(FRAMES.javaZstd)).toBe(false)
  })

  it.each([
    ['pythonLz4Linked', lz4],
    ['pythonLz4IndependentChecksums', lz4],
    ['javaLz4', lz4],
    ['pythonZstdWithSize', zstd],
    ['pythonZstdStreaming', zstd],
    ['javaZstd', zstd],
  ] as const)('%s decodes to the original bytes', async (name, codec) => {
    const output = await codec.decompress(FRAMES[name])
    expect(output.length).toBe(DATA.length)
    expect(output.equals(DATA)).toBe(true)
  })

  it.each([
    ['javaLz4', CompressionTypes.LZ4],
    ['javaZstd', CompressionTypes.ZSTD],
    ['javaSnappy', CompressionTypes.Snappy],
  ] as const)('kafkajs decodes a whole record batch the Java client compressed (%s)', async (name, compression) => {
    registerCodecs()
    const batch = BATCHES[name]
    expect(batch.readInt16BE(8 + 4 + 4 + 1 + 4) & 0x07).toBe(compression)
    const decoded = await decodeRecordBatch(new Decoder(batch))
    expect(decoded.records.map((r) => [r.key?.toString(), r.value?.toString(), r.timestamp])).toEqual(
      [0, 1, 2].map((i) => [`cmp-${i}`, `{"campaign_id":"cmp-${i}","name":"Summer"}`, String(1700000000000 + i)]),
    )
  })

  // A frame the spec allows before or after data: magic 0x184D2A5?, 4-byte length, user bytes. Decoders skip it.
  const SKIPPABLE = hex('502a4d18', '03000000', 'abcdef')

  it.each([
    ['lz4', lz4, FRAMES.pythonLz4Linked, FRAMES.javaLz4],
    ['zstd', zstd, FRAMES.pythonZstdWithSize, FRAMES.javaZstd],
  ] as const)('%s decodes concatenated frames (and skips skippable ones) as one stream', async (_name, codec, first, second) => {
    const output = await codec.decompress(Buffer.concat([first, SKIPPABLE, second]))
    expect(output.length).toBe(2 * DATA.length)
    expect(output.equals(Buffer.concat([DATA, DATA]))).toBe(true)
  })
})

describe('corrupt input', () => {
  it('lz4: a wrong content checksum is a DECODE_FAILED error naming the codec and size', async () => {
    const bad = Buffer.from(FRAMES.pythonLz4IndependentChecksums)
    bad[bad.length - 1]! ^= 0xff
    const error: unknown = await lz4.decompress(bad).catch((e: unknown) => e)
    expect(isKafkaClientError(error, 'DECODE_FAILED')).toBe(true)
    expect((error as Error).message).toMatch(new RegExp(`^lz4: cannot decompress a record batch of ${bad.length} bytes \\(.*Checksum.*\\)`))
  })

  it('lz4: a wrong block checksum is detected', async () => {
    // First block: descriptor is 4 magic + FLG + BD + 8 content size + HC = 15 bytes, then a 4-byte block size.
    const bad = Buffer.from(FRAMES.pythonLz4IndependentChecksums)
    const blockSize = bad.readUInt32LE(15) & 0x7fffffff
    bad[15 + 4 + blockSize]! ^= 0xff
    await expect(lz4.decompress(bad)).rejects.toThrow(/lz4: cannot decompress/)
  })

  it.each([
    ['lz4', lz4],
    ['zstd', zstd],
  ] as const)('%s: bytes that are not a frame are a DECODE_FAILED error', async (name, codec) => {
    const error: unknown = await codec.decompress(Buffer.from('not a frame at all')).catch((e: unknown) => e)
    expect(isKafkaClientError(error, 'DECODE_FAILED')).toBe(true)
    expect((error as Error).message).toMatch(new RegExp(`^${name}: cannot decompress a record batch of 18 bytes`))
  })

  it.each([
    ['lz4', lz4, FRAMES.javaLz4],
    ['zstd', zstd, FRAMES.javaZstd],
  ] as const)('%s: a truncated frame or trailing garbage is a DECODE_FAILED error, never a silently short batch', async (name, codec, frame) => {
    for (const bad of [frame.subarray(0, frame.length - 2), frame.subarray(0, 40), Buffer.concat([frame, Buffer.from('junk')])]) {
      const error: unknown = await codec.decompress(bad).catch((e: unknown) => e)
      expect(isKafkaClientError(error, 'DECODE_FAILED')).toBe(true)
      expect((error as Error).message).toMatch(new RegExp(`^${name}: cannot decompress a record batch of ${bad.length} bytes \\(.*(truncated|magic)`))
    }
  })
})

describe('snappy: native with the pure-JS fallback, xerial framing', () => {
  const jsSnappy = snappyCodec(jsSnappyBlocks)
  const implementations = [
    ['native', snappy],
    ['pure JS', jsSnappy],
  ] as const
  const XERIAL_MAGIC = hex('82534e415050590000000001', '00000001')

  it('loads the native binding on this platform (its binary ships as an npm optional dependency)', () => {
    expect(loadSnappyBlocks().implementation).toBe('native')
  })

  it("the Java fixture is xerial-framed in several blocks (Kafka's 32 KiB blocks)", () => {
    expect(FRAMES.javaSnappy.subarray(0, 16).equals(XERIAL_MAGIC)).toBe(true)
    const first = FRAMES.javaSnappy.readInt32BE(16)
    expect(16 + 4 + first).toBeLessThan(FRAMES.javaSnappy.length)
  })

  it.each(implementations)("%s: Kafka's own xerial stream decodes to the original bytes", async (_name, codec) => {
    expect((await codec.decompress(FRAMES.javaSnappy)).equals(DATA)).toBe(true)
  })

  it.each(implementations)('%s: concatenated xerial streams decode as one', async (_name, codec) => {
    const output = await codec.decompress(Buffer.concat([FRAMES.javaSnappy, FRAMES.javaSnappy]))
    expect(output.equals(Buffer.concat([DATA, DATA]))).toBe(true)
  })

  it('native and pure JS write the same raw block format and read each other', async () => {
    const fromNative = await snappy.compress(encoder(DATA))
    const fromJs = await jsSnappy.compress(encoder(DATA))
    expect(fromNative.subarray(0, 8).equals(XERIAL_MAGIC.subarray(0, 8))).toBe(false)
    expect((await jsSnappy.decompress(fromNative)).equals(DATA)).toBe(true)
    expect((await snappy.decompress(fromJs)).equals(DATA)).toBe(true)
  })

  it.each(implementations)('%s: a truncated xerial stream or trailing garbage is a DECODE_FAILED error, never a short batch', async (_name, codec) => {
    const frame = FRAMES.javaSnappy
    for (const bad of [frame.subarray(0, frame.length - 2), frame.subarray(0, 40), frame.subarray(0, 10), Buffer.concat([frame, Buffer.from('junk')])]) {
      const error: unknown = await codec.decompress(bad).catch((e: unknown) => e)
      expect(isKafkaClientError(error, 'DECODE_FAILED')).toBe(true)
      expect((error as Error).message).toMatch(new RegExp(`^snappy: cannot decompress a record batch of ${bad.length} bytes \\(.*truncated`))
    }
  })

  it('native: bytes that are not snappy are a DECODE_FAILED error', async () => {
    const error: unknown = await snappy.decompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02])).catch((e: unknown) => e)
    expect(isKafkaClientError(error, 'DECODE_FAILED')).toBe(true)
  })
})
