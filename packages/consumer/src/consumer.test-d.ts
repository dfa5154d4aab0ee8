import type { CampaignCreated, CampaignUpdated, MessageOf } from '@topiq/contracts'
import { describe, expectTypeOf, it } from 'vitest'
import { KafkaConsumerClient, type Assignment, type MessageHandler } from './index.ts'

describe('KafkaConsumerClient types', () => {
  it('infers the topics from the tuple and gives the handler a union discriminated by topic', () => {
    const consumer = new KafkaConsumerClient({
      topics: ['campaign.created.json', 'campaign.updated.json'],
      groupId: 'g',
      handleSignals: false,
      messageHandler: async (message) => {
        expectTypeOf(message).toEqualTypeOf<MessageOf<'campaign.created.json' | 'campaign.updated.json'>>()
        switch (message.topic) {
          case 'campaign.created.json':
            expectTypeOf(message.value).toEqualTypeOf<CampaignCreated>()
            expectTypeOf(message.value.name).toEqualTypeOf<string>()
            break
          case 'campaign.updated.json':
            expectTypeOf(message.value).toEqualTypeOf<CampaignUpdated>()
            break
          default:
            expectTypeOf(message).toBeNever()
        }
        expectTypeOf(message.partition).toEqualTypeOf<number>()
        expectTypeOf(message.offset).toEqualTypeOf<string>()
        expectTypeOf(message.key).toEqualTypeOf<string | null>()
        expectTypeOf(message.headers).toEqualTypeOf<Record<string, string>>()
        return true
      },
    })
    expectTypeOf(consumer).toEqualTypeOf<KafkaConsumerClient<'campaign.created.json' | 'campaign.updated.json'>>()
    expectTypeOf(consumer.assignment()).toEqualTypeOf<Assignment<'campaign.created.json' | 'campaign.updated.json'>>()
  })

  it('types a single-topic handler with that topic only', () => {
    new KafkaConsumerClient({
      topics: ['campaign.created.json'],
      groupId: 'g',
      messageHandler: (message) => {
        expectTypeOf(message.topic).toEqualTypeOf<'campaign.created.json'>()
        expectTypeOf(message.value).toEqualTypeOf<CampaignCreated>()
      },
    })
  })

  it('accepts a handler map and types each handler by its key', () => {
    const consumer = new KafkaConsumerClient({
      groupId: 'g',
      handlers: {
        'campaign.created.json': (message) => {
          expectTypeOf(message.value).toEqualTypeOf<CampaignCreated>()
        },
        'asset.updated.json': async (message) => {
          expectTypeOf(message.topic).toEqualTypeOf<'asset.updated.json'>()
          return false
        },
      },
    })
    expectTypeOf(consumer.topics).toEqualTypeOf<readonly ('campaign.created.json' | 'asset.updated.json')[]>()
  })

  it('accepts boolean, void and their promises as handler results', () => {
    expectTypeOf<() => void>().toExtend<MessageHandler<'campaign.created.json'>>()
    expectTypeOf<() => Promise<boolean>>().toExtend<MessageHandler<'campaign.created.json'>>()
    expectTypeOf<() => Promise<void>>().toExtend<MessageHandler<'campaign.created.json'>>()
    expectTypeOf<() => string>().not.toExtend<MessageHandler<'campaign.created.json'>>()
  })

  it('rejects what the compiler can catch', () => {
    new KafkaConsumerClient({
      // @ts-expect-error 'campaign.deleted.json' has no schema in schemas/, so it is not a TopicName
      topics: ['campaign.deleted.json'],
      groupId: 'g',
      messageHandler: () => true,
    })

    new KafkaConsumerClient({
      topics: ['campaign.updated.json'],
      groupId: 'g',
      messageHandler: (message) => {
        // @ts-expect-error message.value is a CampaignUpdated, which has no `budget_total` field
        void message.value.budget_total
      },
    })

    new KafkaConsumerClient({
      topics: ['campaign.created.json'],
      groupId: 'g',
      // @ts-expect-error a handler result must be boolean or void (or a Promise of one), not a string
      messageHandler: () => 'done',
    })

    // @ts-expect-error `topics` + `messageHandler` and `handlers` are alternatives, not combinable
    new KafkaConsumerClient({
      topics: ['campaign.created.json'],
      groupId: 'g',
      messageHandler: () => true,
      handlers: { 'campaign.created.json': () => true },
    })

    new KafkaConsumerClient({
      topics: ['campaign.created.json'],
      groupId: 'g',
      messageHandler: () => true,
      // @ts-expect-error autoOffsetReset is 'earliest' | 'latest'
      autoOffsetReset: 'beginning',
    })

    // @ts-expect-error groupId is required
    new KafkaConsumerClient({ topics: ['campaign.created.json'], messageHandler: () => true })
  })
})
