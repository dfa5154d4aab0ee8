import type { KafkaMessage } from '@topiq/kafka-core'
import { encodeJson, encodeWire } from '@topiq/kafka-core'
import { describe, expect, it } from 'vitest'
import { decodeMessage } from './message.ts'

const event = { campaign_id: 'c-1', name: 'Summer', created_at: '2024-01-15T10:00:00Z' }

function raw(value: Buffer | null, extra: { key?: Buffer | null } = {}): KafkaMessage {
  return { key: Buffer.from('c-1'), value, offset: '7', timestamp: '1700000000000', attributes: 0, headers: { ce_id: Buffer.from('e-1') }, ...extra }
}

describe('decodeMessage', () => {
  it('returns the typed message for plain JSON', () => {
    expect(decodeMessage('campaign.created.json', 1, raw(encodeJson(event)))).toEqual({
      ok: true,
      message: { topic: 'campaign.created.json', partition: 1, offset: '7', key: 'c-1', value: event, headers: { ce_id: 'e-1' }, timestamp: '1700000000000' },
    })
  })

  it('decodes the registry wire format by its magic byte', () => {
    const result = decodeMessage('campaign.created.json', 0, raw(encodeWire(42, event), { key: null }))
    expect(result.ok && result.message.value).toEqual(event)
    expect(result.ok && result.message.key).toBeNull()
  })

  it('names the JSON paths and the offset when the payload breaks the schema', () => {
    const result = decodeMessage('campaign.created.json', 2, raw(encodeJson({ campaign_id: 'c-1', created_at: 'yesterday', extra: 1 })))
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.reason).toBe('INVALID_PAYLOAD')
    expect(result.error).toMatch(/^offset 7 of campaign.created.json partition 2 does not match schemas\/campaign.created.json/)
    expect(result.error).toContain('$.name is required but missing')
    expect(result.error).toContain('$.extra is not allowed')
    expect(result.error).toContain('$.created_at must be a valid date-time string')
  })

  it.each([
    ['bytes that are not JSON', Buffer.from([0xff, 0xfe, 0x01]), /not valid JSON/],
    ['a tombstone', null, /has no value/],
    ['a truncated wire header', Buffer.from([0, 0, 1]), /shorter than its 5-byte header/],
  ])('reports %s as DECODE_FAILED with the offset', (_, value, message) => {
    const result = decodeMessage('campaign.created.json', 0, raw(value))
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.reason).toBe('DECODE_FAILED')
    expect(result.error).toMatch(/^offset 7 of campaign.created.json partition 0: /)
    expect(result.error).toMatch(message)
  })
})

describe('decodeMessage headers', () => {
  it('decodes headers on first read, once, and keeps them visible to spread and JSON', () => {
    const result = decodeMessage('campaign.created.json', 0, raw(encodeJson(event)))
    if (!result.ok) throw new Error('expected a message')
    const { message } = result
    expect(message.headers).toBe(message.headers)
    expect({ ...message }.headers).toEqual({ ce_id: 'e-1' })
    expect(JSON.parse(JSON.stringify(message))).toMatchObject({ headers: { ce_id: 'e-1' }, key: 'c-1' })
    message.headers = { replaced: 'yes' }
    expect(message.headers).toEqual({ replaced: 'yes' })
  })
})

describe('decodeMessage raw bytes and odd headers', () => {
  // What confluent-kafka / Java may legally write: a null header value, a repeated name, binary keys and values.
  const key = Buffer.from([0x00, 0x00, 0x01, 0x8b, 0xff, 0xfe, 0xfd, 0x01]) // a Java long, not UTF-8
  const binary = Buffer.from([0xff, 0xfe, 0xfd])
  const headers = { trace: null, tag: [Buffer.from('a'), null, Buffer.from('b')], bin: binary, gone: [null, null] }
  const message = (() => {
    const result = decodeMessage('campaign.created.json', 0, raw(encodeJson(event), { key, headers } as unknown as { key: Buffer }))
    if (!result.ok) throw new Error(result.error)
    return result.message
  })()

  it('decodes headers without throwing: null values are absent, a repeated name keeps its last non-null value', () => {
    expect(message.headers).toEqual({ tag: 'b', bin: binary.toString('utf8') })
  })

  it('exposes the original key and every header value, repeats and nulls included, as bytes', () => {
    expect(message.raw.key).toEqual(key)
    expect(message.key).not.toBe(null)
    expect(Buffer.from(message.key ?? '', 'utf8').equals(key)).toBe(false) // UTF-8 decoding lost bytes; raw did not
    expect(message.raw.headers).toEqual([
      { key: 'trace', value: null },
      { key: 'tag', value: Buffer.from('a') },
      { key: 'tag', value: null },
      { key: 'tag', value: Buffer.from('b') },
      { key: 'bin', value: binary },
      { key: 'gone', value: null },
      { key: 'gone', value: null },
    ])
    expect(message.raw.value).toEqual(encodeJson(event))
    expect(message.raw).toBe(message.raw)
  })

  it('keeps raw out of spreads and JSON', () => {
    expect(Object.keys({ ...message })).not.toContain('raw')
    expect(JSON.parse(JSON.stringify(message))).not.toHaveProperty('raw')
  })
})
