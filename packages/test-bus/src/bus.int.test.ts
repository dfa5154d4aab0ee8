import { silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { KafkaProducerClient } from '@topiq/producer'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { TestBus } from './index.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('bus')
let producer: KafkaProducerClient

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json'])
  producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, logger: silentLogger, registry: false })
})

afterAll(async () => {
  await producer.close()
  await deleteTestTopics(brokers, prefix)
})

it('puts each key on the partition the real producer writes it to', async () => {
  const bus = new TestBus()
  const keys = Array.from({ length: 24 }, (_, i) => `campaign-${i}-${'x'.repeat(i)}`)
  const event = (id: string) => ({ campaign_id: id, name: id, created_at: '2024-01-15T10:00:00Z' })
  const real = await Promise.all(keys.map((k) => producer.publish('campaign.created.json', event(k)).then((r) => r.partition)))
  const simulated = await Promise.all(keys.map((k) => bus.publish('campaign.created.json', event(k)).then((r) => r.partition)))
  expect(new Set(real).size).toBeGreaterThan(1)
  expect(simulated).toEqual(real)
})
