// The runtime half of the README section "What the compiler catches, and what only the runtime check catches":
// every value that compile-vs-runtime.test-d.ts shows compiling is refused by the topic's validator, with its path.
import { describe, expect, it } from 'vitest'
import { validate } from './validate.ts'

const created = { campaign_id: 'c-1', name: 'Summer', created_at: '2024-01-15T10:00:00Z' }
const asset = { asset_id: 'a-1', version: 1, updated_at: '2024-01-15T10:00:00Z' }

describe('what compiles but the runtime check refuses', () => {
  it.each<[string, 'campaign.created.json' | 'asset.updated.json', unknown, string, string]>([
    ['an extra field in a non-literal object', 'campaign.created.json', { ...created, colour: 'red' }, '$.colour', 'additionalProperties'],
    ['a value from JSON', 'campaign.created.json', JSON.parse('{"campaign_id":"c-1","created_at":"2024-01-15T10:00:00Z"}'), '$.name', 'required'],
    ['a date-time format', 'campaign.created.json', { ...created, created_at: 'yesterday' }, '$.created_at', 'format'],
    ['a uri format', 'asset.updated.json', { ...asset, url: 'not a uri' }, '$.url', 'format'],
    ['a pattern', 'campaign.created.json', { ...created, budget: { amount: 5, currency: 'euro' } }, '$.budget.currency', 'pattern'],
    ['a minimum', 'campaign.created.json', { ...created, budget: { amount: -5, currency: 'EUR' } }, '$.budget.amount', 'minimum'],
    ['a minLength', 'campaign.created.json', { ...created, name: '' }, '$.name', 'minLength'],
    ['a maxLength', 'campaign.created.json', { ...created, name: 'x'.repeat(201) }, '$.name', 'maxLength'],
    ['an integer', 'asset.updated.json', { ...asset, version: 1.5 }, '$.version', 'type'],
  ])('%s', (_, topic, value, path, keyword) => {
    const result = validate(topic, value)
    expect(result.ok).toBe(false)
    expect(result.ok ? [] : result.violations.map((v) => [v.path, v.keyword])).toContainEqual([path, keyword])
  })

  it('and accepts the valid counterparts', () => {
    expect(validate('campaign.created.json', { ...created, budget: { amount: 5, currency: 'EUR' } }).ok).toBe(true)
    expect(validate('asset.updated.json', { ...asset, url: 'https://cdn.example.com/a.png' }).ok).toBe(true)
  })
})
