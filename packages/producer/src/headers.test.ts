import { topicMetadata } from '@topiq/contracts'
import { isKafkaClientError } from '@topiq/kafka-core'
import { describe, expect, it } from 'vitest'
import { buildHeaders, dataSchemaOf, headerTemplate } from './headers.ts'

const topic = 'campaign.created.json'
const fingerprint = topicMetadata[topic].fingerprint

describe('standard headers', () => {
  it('carry event id, time, type, source, spec version, content type and schema identity', () => {
    const headers = buildHeaders(headerTemplate(topic, 'api'), { source: 'api', correlation_id: 'req-1' }, 'id-1', '2024-01-15T10:00:00.000Z')
    expect(headers).toEqual({
      ce_specversion: '1.0',
      ce_id: 'id-1',
      ce_source: 'api',
      ce_type: topic,
      ce_time: '2024-01-15T10:00:00.000Z',
      'content-type': 'application/json',
      ce_dataschema: `schemas/${topic}#${fingerprint}`,
      source: 'api',
      correlation_id: 'req-1',
    })
  })

  it('use a fresh UUID and the current time by default', () => {
    const template = headerTemplate(topic, 'api')
    const a = buildHeaders(template, undefined)
    const b = buildHeaders(template, undefined)
    expect(a['ce_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a['ce_id']).not.toBe(b['ce_id'])
    expect(Math.abs(Date.parse(a['ce_time'] ?? '') - Date.now())).toBeLessThan(5_000)
  })

  it('name the registry id and the wire content type in registry mode', () => {
    expect(dataSchemaOf(topic, 42)).toBe(`schemas/${topic}#${fingerprint};registry-id=42`)
    const headers = buildHeaders(headerTemplate(topic, 'api', 42), undefined)
    expect(headers['content-type']).toBe('application/vnd.schemaregistry.v1+json')
    expect(headers['ce_dataschema']).toBe(`schemas/${topic}#${fingerprint};registry-id=42`)
  })

  it('refuse a user header that reuses a standard name, and non-string values', () => {
    const template = headerTemplate(topic, 'api')
    expect(() => buildHeaders(template, { ce_id: 'mine' })).toThrow(/header "ce_id" is set by the producer/)
    try {
      buildHeaders(template, { retries: 3 as unknown as string })
      expect.unreachable()
    } catch (error) {
      expect(isKafkaClientError(error, 'CONFIG_INVALID')).toBe(true)
    }
  })
})
