import { topicMetadata, TOPICS } from '@topiq/contracts'
import type { KafkaMessage } from '@topiq/kafka-core'
import { describe, expect, it } from 'vitest'
import { deadLetterRecord, DLQ_HEADER } from './dead-letter.ts'

const raw: KafkaMessage = {
  key: Buffer.from('c-1'),
  value: Buffer.from([0xff, 0x00, 0x7b]),
  offset: '41',
  timestamp: '1700000000000',
  attributes: 0,
  headers: { ce_id: Buffer.from('id-1'), source: 'api' },
}

describe('deadLetterRecord', () => {
  it('keeps the original key, value bytes, headers and partition, and adds the x-dlq headers', () => {
    const record = deadLetterRecord(
      { topic: 'p.campaign.created.json', partition: 2, message: raw, groupId: 'grp' },
      { reason: 'HANDLER_FAILED', error: 'handler returned false', attempts: 3 },
      new Date('2024-01-15T10:00:00.000Z'),
    )
    expect(record.key).toBe(raw.key)
    expect(record.value).toBe(raw.value)
    expect(record.partition).toBe(2)
    expect(record.headers).toEqual({
      ce_id: raw.headers?.['ce_id'],
      source: 'api',
      'x-dlq-original-topic': 'p.campaign.created.json',
      'x-dlq-original-partition': '2',
      'x-dlq-original-offset': '41',
      'x-dlq-original-timestamp': '1700000000000',
      'x-dlq-error': 'handler returned false',
      'x-dlq-error-code': 'HANDLER_FAILED',
      'x-dlq-attempts': '3',
      'x-dlq-failed-at': '2024-01-15T10:00:00.000Z',
      'x-dlq-consumer-group': 'grp',
    })
  })

  it('replaces x-dlq headers of a message that was dead-lettered before and replayed', () => {
    const replayed = { ...raw, headers: { ...raw.headers, [DLQ_HEADER.attempts]: '9' } }
    const record = deadLetterRecord({ topic: 't', partition: 0, message: replayed, groupId: 'g' }, { reason: 'DECODE_FAILED', error: 'x', attempts: 0 })
    expect(record.headers?.[DLQ_HEADER.attempts]).toBe('0')
  })

  it('cuts a huge error text to a header-sized one', () => {
    const record = deadLetterRecord({ topic: 't', partition: 0, message: raw, groupId: 'g' }, { reason: 'HANDLER_FAILED', error: 'é'.repeat(10_000), attempts: 1 })
    const error = String(record.headers?.[DLQ_HEADER.error])
    expect(Buffer.byteLength(error)).toBeLessThanOrEqual(4_096)
    expect(error.endsWith('[truncated]')).toBe(true)
  })

  it('has a dead-letter topic inside the naming rule for every schema: <domain>.<action>-dlq.json', () => {
    for (const topic of TOPICS) {
      const dlq = topicMetadata[topic].deadLetterTopic
      expect(dlq).toBe(topic.replace(/\.json$/, '-dlq.json'))
      expect(dlq).toMatch(/^[a-z0-9-]+\.[a-z0-9-]+\.json$/)
    }
  })
})
