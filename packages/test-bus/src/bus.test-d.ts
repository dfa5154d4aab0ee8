import type { CampaignCreated, CampaignUpdated, EventMap, MessageOf, TopicName, TypedPublisher } from '@topiq/contracts'
import type { ConsumerOptions } from '@topiq/consumer'
import type { KafkaProducerClient, OutgoingMessage, PublishResult } from '@topiq/producer'
import { describe, expectTypeOf, it } from 'vitest'
import { TestBus } from './index.ts'

declare const bus: TestBus
const created = { campaign_id: '1', name: 'Summer', created_at: '2024-01-15T10:00:00Z' }

describe('TestBus stands in for the producer', () => {
  it('implements the interface app code depends on, as the real producer does', () => {
    expectTypeOf<TestBus>().toExtend<TypedPublisher<PublishResult>>()
    expectTypeOf<KafkaProducerClient>().toExtend<TypedPublisher<PublishResult>>()
    // Every producer send method, with the producer's own signature.
    expectTypeOf<TestBus>().toExtend<Pick<KafkaProducerClient, 'publish' | 'publishBatch' | 'sendMessage' | 'sendBatch'>>()
    expectTypeOf(bus.publish('campaign.created.json', created)).resolves.toEqualTypeOf<PublishResult>()
  })

  it('types publish exactly as the producer', () => {
    void bus.publish('campaign.updated.json', { campaign_id: '1', updated_at: created.created_at, changes: { status: 'paused' } }, { key: 'k', headers: { source: 'api' } })
    // @ts-expect-error unknown topic: not a TopicName
    void bus.publish('campaign.deleted.json', created)
    // @ts-expect-error name is required by campaign.created.json
    void bus.publish('campaign.created.json', { campaign_id: '1', created_at: created.created_at })
    // @ts-expect-error campaign_id must be a string
    void bus.publish('campaign.created.json', { ...created, campaign_id: 1 })
    // @ts-expect-error a campaign.updated.json payload is not a campaign.created.json payload
    void bus.publish('campaign.created.json', { campaign_id: '1', updated_at: created.created_at, changes: {} })
    // @ts-expect-error header values are strings
    void bus.publish('campaign.created.json', created, { headers: { retries: 3 } })
    // @ts-expect-error sendMessage: value must be the payload of the topic it names
    void bus.sendMessage({ topic: 'campaign.updated.json', value: created })
  })

  it('accepts sendBatch from a generic helper', () => {
    async function forward<T extends TopicName>(target: TestBus, messages: OutgoingMessage<T>[]): Promise<number> {
      return target.sendBatch(messages)
    }
    expectTypeOf(forward<'campaign.created.json'>).parameter(1).toEqualTypeOf<OutgoingMessage<'campaign.created.json'>[]>()
  })
})

describe('TestBus delivers as the consumer', () => {
  it('types handlers by topic, and a messageHandler with the union', () => {
    bus.subscribe({
      handlers: {
        'campaign.created.json': (m) => {
          expectTypeOf(m).toEqualTypeOf<MessageOf<'campaign.created.json'>>()
          expectTypeOf(m.value).toEqualTypeOf<CampaignCreated>()
        },
        'campaign.updated.json': async (m) => {
          expectTypeOf(m.value).toEqualTypeOf<CampaignUpdated>()
          return false
        },
      },
    })
    const sub = bus.subscribe({
      topics: ['campaign.created.json', 'campaign.updated.json'],
      messageHandler: (m) => {
        expectTypeOf(m).toEqualTypeOf<MessageOf<'campaign.created.json' | 'campaign.updated.json'>>()
        return true
      },
    })
    expectTypeOf(sub.topics).toEqualTypeOf<readonly ('campaign.created.json' | 'campaign.updated.json')[]>()
    expectTypeOf(bus.events('asset.updated.json')).toEqualTypeOf<MessageOf<'asset.updated.json'>[]>()
    expectTypeOf(bus.events('campaign.created.json')[0]?.value).toEqualTypeOf<EventMap['campaign.created.json'] | undefined>()
  })

  it('takes the options written for the real consumer', () => {
    const options: ConsumerOptions<'campaign.created.json'> = { groupId: 'g', brokers: 'b:9092', handlers: { 'campaign.created.json': () => true } }
    bus.subscribe(options)
  })

  it('rejects what the consumer rejects', () => {
    bus.subscribe({
      handlers: {
        // @ts-expect-error a handler returns boolean | void (or a Promise of it), not a string
        'campaign.created.json': () => 'done',
      },
    })
    bus.subscribe({
      handlers: {
        // @ts-expect-error not a topic: no schema named campaign.deleted.json
        'campaign.deleted.json': () => true,
      },
    })
    bus.subscribe({
      handlers: {
        'campaign.created.json': (m) => {
          // @ts-expect-error campaign.created.json has no `changes`
          void m.value.changes
        },
      },
    })
    // @ts-expect-error topics and handlers together: one or the other
    bus.subscribe({ topics: ['campaign.created.json'], messageHandler: () => true, handlers: { 'campaign.created.json': () => true } })
  })
})

describe('union type arguments', () => {
  it('do not let one topic payload be sent to another, as with the producer', () => {
    const update = { campaign_id: '1', updated_at: created.created_at, changes: { status: 'paused' } }
    // @ts-expect-error with a union type argument the payload must fit every topic named, and an update is no creation
    void bus.publish<'campaign.created.json' | 'campaign.updated.json'>('campaign.created.json', update)
    // @ts-expect-error the same for publishBatch
    void bus.publishBatch<'campaign.created.json' | 'campaign.updated.json'>('campaign.created.json', [update])
  })
})
