import type { CampaignCreated, CampaignUpdated, EventMap, PublishOptions, PublishPayload, TopicName, TypedPublisher } from '@topiq/contracts'
import { describe, expectTypeOf, it } from 'vitest'
import { KafkaProducerClient, type OutgoingMessage, type PublishResult } from './producer.ts'

declare const producer: KafkaProducerClient
const created = { campaign_id: '123', name: 'Summer Campaign', created_at: '2024-01-15T10:00:00Z' }
const updated = { campaign_id: '123', updated_at: created.created_at, changes: { status: 'paused' as const } }

describe('publish: the topic name carries its payload type', () => {
  it('accepts the payload of the named topic', () => {
    expectTypeOf(producer).toExtend<TypedPublisher<PublishResult>>()
    expectTypeOf(producer.publish('campaign.created.json', created)).resolves.toEqualTypeOf<PublishResult>()
    expectTypeOf(producer.publish).parameter(2).toEqualTypeOf<PublishOptions | undefined>()
    void producer.publish('campaign.updated.json', updated, { key: '123', headers: { correlation_id: 'req-456' } })
    void producer.publishBatch('campaign.created.json', [created, { ...created, campaign_id: '124' }])
  })

  it('rejects what does not match the schema', () => {
    // @ts-expect-error wrong topic: 'campaign.deleted.json' has no schema
    void producer.publish('campaign.deleted.json', created)
    // @ts-expect-error missing field: name is required by campaign.created.json
    void producer.publish('campaign.created.json', { campaign_id: '123', created_at: created.created_at })
    // @ts-expect-error wrong type: campaign_id must be a string
    void producer.publish('campaign.created.json', { ...created, campaign_id: 123 })
    // @ts-expect-error extra property: additionalProperties is false
    void producer.publish('campaign.created.json', { ...created, colour: 'red' })
    // @ts-expect-error a campaign.updated.json payload is not a campaign.created.json payload
    void producer.publish('campaign.created.json', updated)
    // @ts-expect-error header values are strings
    void producer.publish('campaign.created.json', created, { headers: { retries: 3 } })
    // @ts-expect-error every payload of a batch must be the topic's payload: name is missing in the second
    void producer.publishBatch('campaign.created.json', [created, { campaign_id: '1', created_at: created.created_at }])
  })
})

describe("sendMessage / sendBatch: the Python guide's calls, typed", () => {
  it('accepts {topic, value, key?, headers?} with the topic payload', () => {
    expectTypeOf(producer.sendMessage({ topic: 'campaign.created.json', value: created, key: '123', headers: { source: 'api' } })).resolves.toBeBoolean()
    expectTypeOf(producer.sendBatch([{ topic: 'campaign.created.json', value: created }, { topic: 'campaign.updated.json', value: updated }])).resolves.toBeNumber()
    expectTypeOf<OutgoingMessage<'campaign.created.json'>['value']>().toEqualTypeOf<CampaignCreated>()
  })

  it('rejects a value that does not match its topic', () => {
    // @ts-expect-error wrong topic: not a TopicName
    void producer.sendMessage({ topic: 'campaign.deleted.json', value: created })
    // @ts-expect-error missing field: created_at is required
    void producer.sendMessage({ topic: 'campaign.created.json', value: { campaign_id: '123', name: 'x' } })
    // @ts-expect-error wrong type: name must be a string
    void producer.sendMessage({ topic: 'campaign.created.json', value: { ...created, name: 1 } })
    // @ts-expect-error extra property: additionalProperties is false
    void producer.sendMessage({ topic: 'campaign.created.json', value: { ...created, colour: 'red' } })
    // @ts-expect-error key is a string (Python's str key)
    void producer.sendMessage({ topic: 'campaign.created.json', value: created, key: 123 })
    // @ts-expect-error in a batch each value is checked against its own topic: campaign.updated.json needs changes
    void producer.sendBatch([{ topic: 'campaign.created.json', value: created }, { topic: 'campaign.updated.json', value: created }])
  })
})

describe('generic helpers and union type arguments (issue 12)', () => {
  it('compiles inside a <T extends TopicName> helper: publish, sendMessage and sendBatch with OutgoingMessage<T>[]', () => {
    async function publishAll<T extends TopicName>(topic: T, payloads: EventMap[T][]): Promise<void> {
      for (const payload of payloads) await producer.publish(topic, payload)
      await producer.publishBatch(topic, payloads)
    }
    async function sendAll<T extends TopicName>(messages: OutgoingMessage<T>[]): Promise<number> {
      for (const message of messages) await producer.sendMessage(message)
      return producer.sendBatch(messages)
    }
    expectTypeOf(publishAll('campaign.created.json', [created])).resolves.toBeVoid()
    expectTypeOf(sendAll([{ topic: 'campaign.updated.json', value: updated }])).resolves.toBeNumber()
    expectTypeOf(producer.sendBatch<'campaign.created.json'>([{ topic: 'campaign.created.json', value: created }])).resolves.toBeNumber()
  })

  it('a union type argument does not let one topic take another topic\'s payload', () => {
    type Both = 'campaign.created.json' | 'campaign.updated.json'
    // @ts-expect-error with a union type argument the payload must fit every topic named: updated lacks name, created_at
    void producer.publish<Both>('campaign.created.json', updated)
    // @ts-expect-error the same hole in publishBatch: a campaign.updated.json payload sent to campaign.created.json
    void producer.publishBatch<Both>('campaign.created.json', [updated])
    // @ts-expect-error sendBatch<T> keeps each value tied to its own topic
    void producer.sendBatch<Both>([{ topic: 'campaign.created.json', value: updated }])
    // A payload that fits every topic named is sound for whichever one is passed.
    expectTypeOf<PublishPayload<Both>>().toEqualTypeOf<CampaignCreated & CampaignUpdated>()
    expectTypeOf<PublishPayload<'campaign.created.json'>>().toEqualTypeOf<CampaignCreated>()
  })
})
