import { describe, expectTypeOf, it } from 'vitest'
import type { CampaignCreated, EventMap, TopicName } from './generated/index.ts'
import type { EventOf, MessageOf, Publish } from './publish.ts'

declare const publish: Publish

const created = { campaign_id: '123', name: 'Summer Campaign', created_at: '2024-01-15T10:00:00Z' }

describe('publish<T extends TopicName>(topic: T, payload: EventMap[T])', () => {
  it('accepts the payload of the named topic', () => {
    expectTypeOf(publish('campaign.created.json', created)).resolves.toBeVoid()
    void publish('campaign.created.json', { ...created, metadata: { channel: 'email' }, budget: { amount: 5, currency: 'EUR' } })
    void publish('campaign.updated.json', { campaign_id: '1', updated_at: created.created_at, changes: { status: 'paused' } })
    void publish('asset.updated.json', { asset_id: 'a1', version: 2, updated_at: created.created_at }, { headers: { source: 'api' } })
  })

  it('rejects what does not match', () => {
    // @ts-expect-error unknown topic: not a TopicName
    void publish('campaign.deleted.json', created)
    // @ts-expect-error name is required by campaign.created.json
    void publish('campaign.created.json', { campaign_id: '123', created_at: created.created_at })
    // @ts-expect-error campaign_id must be a string
    void publish('campaign.created.json', { ...created, campaign_id: 123 })
    // @ts-expect-error extra property: the schema says additionalProperties: false
    void publish('campaign.created.json', { ...created, colour: 'red' })
    void publish('campaign.created.json', {
      ...created,
      // @ts-expect-error extra property in an object literal: additionalProperties: false
      colour: 'red',
    })
    // @ts-expect-error status is an enum: 'archived' is not one of its values
    void publish('campaign.created.json', { ...created, status: 'archived' })
    // @ts-expect-error a campaign.updated.json payload is not a campaign.created.json payload
    void publish('campaign.created.json', { campaign_id: '1', updated_at: created.created_at, changes: {} })
    // @ts-expect-error header values are strings
    void publish('campaign.created.json', created, { headers: { retries: 3 } })
    // @ts-expect-error a union type argument: the payload must fit both topics, a campaign.updated.json payload does not
    void publish<'campaign.created.json' | 'campaign.updated.json'>('campaign.created.json', { campaign_id: '1', updated_at: created.created_at, changes: {} })
  })

  it('compiles inside a <T extends TopicName> helper', () => {
    const forward = <T extends TopicName>(topic: T, payload: EventMap[T]) => publish(topic, payload)
    expectTypeOf(forward('campaign.created.json', created)).resolves.toBeVoid()
    // @ts-expect-error the helper keeps the check: name is required by campaign.created.json
    void forward('campaign.created.json', { campaign_id: '1', created_at: created.created_at })
  })
})

describe('helpers', () => {
  it('EventOf and MessageOf carry the payload type', () => {
    expectTypeOf<EventOf<'campaign.created.json'>>().toEqualTypeOf<CampaignCreated>()
    expectTypeOf<TopicName>().toEqualTypeOf<'asset.updated.json' | 'campaign.created.json' | 'campaign.updated.json'>()
    type Both = MessageOf<'campaign.created.json' | 'campaign.updated.json'>
    expectTypeOf<Extract<Both, { topic: 'campaign.updated.json' }>['value']>().toEqualTypeOf<EventMap['campaign.updated.json']>()
  })
})
