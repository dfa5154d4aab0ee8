// Backs the README section "What the compiler catches, and what only the runtime check catches": each claim there
// is one case here. What must not compile carries @ts-expect-error; what compiles although the schema forbids it is
// written without one (and compile-vs-runtime.test.ts shows the runtime check refusing the same values).
import { describe, expectTypeOf, it } from 'vitest'
import type { CampaignCreated, EventMap } from './generated/index.ts'
import type { MessageOf, Publish } from './publish.ts'

declare const publish: Publish
declare const requestBody: string
const created = { campaign_id: 'c-1', name: 'Summer', created_at: '2024-01-15T10:00:00Z' }

describe('caught by the compiler', () => {
  it('an unknown topic', () => {
    // @ts-expect-error campaign.deleted.json has no schema: not a TopicName
    void publish('campaign.deleted.json', created)
  })
  it('a missing required field', () => {
    // @ts-expect-error name is required by campaign.created.json
    void publish('campaign.created.json', { campaign_id: 'c-1', created_at: created.created_at })
  })
  it('a field of the wrong type', () => {
    // @ts-expect-error campaign_id is a string, not a number
    void publish('campaign.created.json', { ...created, campaign_id: 1 })
  })
  it('a value outside an enum', () => {
    // @ts-expect-error status is one of draft | scheduled | active
    void publish('campaign.created.json', { ...created, status: 'archived' })
  })
  it('an extra field in an object literal (spreads included)', () => {
    // @ts-expect-error colour is not in the schema (additionalProperties: false): excess-property check on a literal
    void publish('campaign.created.json', { ...created, colour: 'red' })
  })
  it("another topic's payload", () => {
    // @ts-expect-error a campaign.updated.json payload is not a campaign.created.json payload
    void publish('campaign.created.json', { campaign_id: 'c-1', updated_at: created.created_at, changes: {} })
  })
  it("another topic's payload through a union type argument", () => {
    const update = { campaign_id: 'c-1', updated_at: created.created_at, changes: {} }
    // @ts-expect-error with a union type argument the payload must fit every topic named
    void publish<'campaign.created.json' | 'campaign.updated.json'>('campaign.created.json', update)
  })
  it('a handler reading a field its topic does not have', () => {
    const handler = (m: MessageOf<'campaign.created.json'>) => {
      // @ts-expect-error campaign.created.json has no `changes` (that is campaign.updated.json)
      void m.value.changes
    }
    void handler
  })
})

describe('compiles, so only the runtime check refuses it', () => {
  it('extra fields in a non-literal object: TypeScript checks excess properties on fresh literals only', () => {
    const withColour = { ...created, colour: 'red' }
    void publish('campaign.created.json', withColour)
  })
  it('values from JSON (or any cast from unknown)', () => {
    const fromRequest = JSON.parse(requestBody) as CampaignCreated
    void publish('campaign.created.json', fromRequest)
    expectTypeOf(JSON.parse(requestBody)).toBeAny()
  })
  it('formats: date-time, uri, …', () => {
    void publish('campaign.created.json', { ...created, created_at: 'yesterday' })
    void publish('asset.updated.json', { asset_id: 'a-1', version: 1, updated_at: created.created_at, url: 'not a uri' })
  })
  it('patterns', () => {
    void publish('campaign.created.json', { ...created, budget: { amount: 5, currency: 'euro' } })
  })
  it('ranges and lengths: minimum, minLength, maxLength', () => {
    void publish('campaign.created.json', { ...created, name: '', budget: { amount: -5, currency: 'EUR' } })
    void publish('campaign.created.json', { ...created, name: 'x'.repeat(201) })
  })
  it('integer versus number: both are `number` in TypeScript', () => {
    expectTypeOf<EventMap['asset.updated.json']['version']>().toEqualTypeOf<number>()
    void publish('asset.updated.json', { asset_id: 'a-1', version: 1.5, updated_at: created.created_at })
  })
})
