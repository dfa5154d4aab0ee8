import type { KafkaMessage } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { decodeBatch, type LazyBatch } from './records.ts'

/** Kafka's zigzag varint/varlong (record format v2), written independently of the decoder under test. */
function zigzag(n: bigint): number[] {
  let v = n >= 0n ? n << 1n : (-n << 1n) - 1n
  const out: number[] = []
  do {
    let byte = Number(v & 0x7fn)
    v >>= 7n
    if (v !== 0n) byte |= 0x80
    out.push(byte)
  } while (v !== 0n)
  return out
}

function bytesField(b: Buffer | null): number[] {
  return b === null ? zigzag(-1n) : [...zigzag(BigInt(b.length)), ...b]
}

interface TestRecord {
  timestampDelta: bigint
  offsetDelta: number
  key: Buffer | null
  value: Buffer | null
  headers?: [string, Buffer | null][]
}

function encodeRecord(r: TestRecord): number[] {
  const body = [
    0, // attributes
    ...zigzag(r.timestampDelta),
    ...zigzag(BigInt(r.offsetDelta)),
    ...bytesField(r.key),
    ...bytesField(r.value),
    ...zigzag(BigInt(r.headers?.length ?? 0)),
    ...(r.headers ?? []).flatMap(([k, v]) => [...bytesField(Buffer.from(k)), ...bytesField(v)]),
  ]
  return [...zigzag(BigInt(body.length)), ...body]
}

function batch(records: TestRecord[], over: Partial<LazyBatch> = {}): LazyBatch {
  return {
    firstOffset: 100n,
    partitionLeaderEpoch: 0,
    magic: 2,
    attributes: 0,
    lastOffsetDelta: records.length - 1,
    firstTimestamp: 1_700_000_000_000n,
    maxTimestamp: 1_700_000_009_999n,
    producerId: -1n,
    producerEpoch: -1,
    firstSequence: -1,
    recordsBuffer: Buffer.from(records.flatMap(encodeRecord)),
    recordsCount: records.length,
    ...over,
  }
}

function decode(b: LazyBatch, fetchOffset = 0n): KafkaMessage[] {
  const out: KafkaMessage[] = []
  decodeBatch(b, fetchOffset, out)
  return out
}

describe('decodeBatch (record format v2 → kafkajs records)', () => {
  it('decodes offsets, timestamps, keys, values and headers as kafkajs does', () => {
    const [a, b] = decode(
      batch([
        { timestampDelta: 0n, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('{"a":1}'), headers: [['ce_id', Buffer.from('x')], ['rep', Buffer.from('1')], ['rep', Buffer.from('2')], ['nul', null]] },
        { timestampDelta: 5n, offsetDelta: 1, key: null, value: null },
      ]),
    )
    expect(a).toEqual({
      magicByte: 2,
      attributes: 0,
      timestamp: '1700000000000',
      offset: '100',
      key: Buffer.from('k'),
      value: Buffer.from('{"a":1}'),
      headers: { ce_id: Buffer.from('x'), rep: [Buffer.from('1'), Buffer.from('2')], nul: null },
      isControlRecord: false,
      batchContext: expect.objectContaining({ firstOffset: '100', firstTimestamp: '1700000000000', timestampType: 0, inTransaction: false }),
    })
    expect(b?.offset).toBe('101')
    expect(b?.timestamp).toBe('1700000000005')
    expect(b?.key).toBeNull()
    expect(b?.value).toBeNull()
    expect(b?.headers).toEqual({})
    // one batchContext per batch, as kafkajs
    expect((a as unknown as { batchContext: unknown }).batchContext).toBe((b as unknown as { batchContext: unknown }).batchContext)
  })

  it('decodes headers on first read only, and a replaced headers object stays', () => {
    const [m] = decode(batch([{ timestampDelta: 0n, offsetDelta: 0, key: null, value: Buffer.from('v'), headers: [['h', Buffer.from('1')]] }]))
    const first = m?.headers
    expect(m?.headers).toBe(first) // cached, not decoded again
    expect(Object.keys(m as object)).toContain('headers') // an own enumerable property, as kafkajs'
    ;(m as { headers: unknown }).headers = { other: Buffer.from('2') }
    expect(m?.headers).toEqual({ other: Buffer.from('2') })
  })

  it('keeps timestamps exact for negative, beyond-2^32 and beyond-2^52 deltas', () => {
    const deltas = [-1n, -(2n ** 33n), 2n ** 40n, 2n ** 53n + 1n, -(2n ** 60n)]
    const messages = decode(batch(deltas.map((d, i) => ({ timestampDelta: d, offsetDelta: i, key: null, value: Buffer.from('v') }))))
    expect(messages.map((m) => m.timestamp)).toEqual(deltas.map((d) => (1_700_000_000_000n + d).toString()))
  })

  it('gives LogAppendTime records the batch max timestamp, as kafkajs does', () => {
    const [m] = decode(batch([{ timestampDelta: 7n, offsetDelta: 0, key: null, value: Buffer.from('v') }], { attributes: 0x08 }))
    expect(m?.timestamp).toBe('1700000009999')
    expect((m as unknown as { batchContext: { timestampType: number } }).batchContext.timestampType).toBe(1)
  })

  it('drops records before the fetched offset (a compressed batch starts earlier) and keeps exact offsets past 2^53', () => {
    const records = [0, 1, 2, 3].map((i) => ({ timestampDelta: 0n, offsetDelta: i, key: null, value: Buffer.from(`v${i}`) }))
    expect(decode(batch(records), 102n).map((m) => m.offset)).toEqual(['102', '103'])
    const far = 2n ** 60n
    expect(decode(batch(records, { firstOffset: far }), far + 3n).map((m) => m.offset)).toEqual([(far + 3n).toString()])
  })

  it('delivers nothing from an aborted batch (the patched read_committed filter marks it)', () => {
    expect(decode(batch([{ timestampDelta: 0n, offsetDelta: 0, key: null, value: Buffer.from('v') }], { aborted: true }))).toEqual([])
  })

  it('refuses a record that runs past its batch, naming the batch offset', () => {
    const whole = batch([{ timestampDelta: 0n, offsetDelta: 0, key: null, value: Buffer.from('a value') }])
    const truncated = { ...whole, recordsBuffer: (whole.recordsBuffer as Buffer).subarray(0, 6) }
    expect(() => decode(truncated)).toThrow(/batch at offset 100/)
    const lying = { ...whole, recordsCount: 2 }
    expect(() => decode(lying)).toThrow(RangeError)
  })
})
