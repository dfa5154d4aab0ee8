import { describe, expect, it } from 'vitest'
import { decodeHeaders, decodeValue, encodeJson, encodeWire } from './serialization.ts'

const event = { campaign_id: '123', name: 'Summer Campaign' }

describe('serialization', () => {
  it('round-trips plain JSON', () => {
    expect(decodeValue(encodeJson(event))).toEqual({ format: 'json', value: event })
  })

  it('writes the Confluent wire format: magic byte 0, big-endian schema id, JSON', () => {
    const buffer = encodeWire(258, event)
    expect([...buffer.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2])
    expect(buffer.subarray(5).toString()).toBe(JSON.stringify(event))
    expect(decodeValue(buffer)).toEqual({ format: 'registry', schemaId: 258, value: event })
  })

  it.each([
    [null, /has no value/],
    [Buffer.alloc(0), /has no value/],
    [Buffer.from([0, 0, 1]), /shorter than its 5-byte header/],
    [Buffer.from('{"campaign_id": '), /value is not valid JSON .*starts with "\{\\"campaign_id\\": "/],
    [Buffer.from([0, 0, 0, 0, 7, 0xff, 0xfe]), /not valid JSON/],
  ])('fails clearly on %s', (input, message) => {
    expect(() => decodeValue(input)).toThrow(message)
  })

  it('decodes headers to strings', () => {
    expect(decodeHeaders({ a: Buffer.from('x'), b: 'y', c: [Buffer.from('1'), Buffer.from('2')], d: undefined })).toEqual({ a: 'x', b: 'y', c: '2' })
    expect(decodeHeaders(undefined)).toEqual({})
  })
})
