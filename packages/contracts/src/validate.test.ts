import { describe, expect, it } from 'vitest'
import { ContractError } from './errors.ts'
import { TOPICS, topicMetadata } from './generated/index.ts'
import { assertValid, keyOf, validate } from './validate.ts'

const created = { campaign_id: '123', name: 'Summer Campaign', created_at: '2024-01-15T10:00:00Z' }

describe('validate', () => {
  it('accepts a valid payload and returns it typed', () => {
    const result = validate('campaign.created.json', { ...created, metadata: { channel: 'email' } })
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.value.campaign_id).toBe('123')
  })

  it.each([
    ['missing required field', { campaign_id: '1', created_at: created.created_at }, [{ path: '$.name', keyword: 'required' }]],
    ['wrong type', { ...created, campaign_id: 123 }, [{ path: '$.campaign_id', keyword: 'type' }]],
    ['bad date-time format', { ...created, created_at: '15/01/2024' }, [{ path: '$.created_at', keyword: 'format' }]],
    ['extra property', { ...created, colour: 'red' }, [{ path: '$.colour', keyword: 'additionalProperties' }]],
    ['enum value', { ...created, status: 'archived' }, [{ path: '$.status', keyword: 'enum' }]],
    ['nested pattern', { ...created, budget: { amount: 10, currency: 'euro' } }, [{ path: '$.budget.currency', keyword: 'pattern' }]],
    ['nested minimum', { ...created, budget: { amount: -1, currency: 'EUR' } }, [{ path: '$.budget.amount', keyword: 'minimum' }]],
    ['not an object', 'hello', [{ path: '$', keyword: 'type' }]],
  ])('rejects %s with its JSON path', (_kind, payload, expected) => {
    const result = validate('campaign.created.json', payload)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.violations.map(({ path, keyword }) => ({ path, keyword }))).toEqual(expected)
  })

  it('lists every violation at once', () => {
    const result = validate('campaign.created.json', { campaign_id: 5, created_at: 'soon', extra: true })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.violations.map((v) => v.path).sort()).toEqual(['$.campaign_id', '$.created_at', '$.extra', '$.name'])
    }
  })

  it('throws UNKNOWN_TOPIC for a topic without a schema, naming the known ones', () => {
    expect(() => validate('campaign.deleted.json', created)).toThrow(ContractError)
    try {
      validate('campaign.deleted.json', created)
    } catch (error) {
      expect((error as ContractError).code).toBe('UNKNOWN_TOPIC')
      expect((error as ContractError).message).toContain('campaign.deleted.json')
      expect((error as ContractError).message).toContain(TOPICS.join(', '))
    }
  })

  it('assertValid throws INVALID_PAYLOAD with topic, paths and violations', () => {
    let caught: unknown
    try {
      assertValid('asset.updated.json', { asset_id: 'a1', version: 0, updated_at: created.created_at })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ContractError)
    const error = caught as ContractError
    expect(error.code).toBe('INVALID_PAYLOAD')
    expect(error.topic).toBe('asset.updated.json')
    expect(error.message).toContain('$.version must be >= 1')
    expect(error.violations).toHaveLength(1)
  })
})

describe('topic metadata', () => {
  it('carries partitions, key, compatibility and the dead-letter topic from x-kafka', () => {
    expect(topicMetadata['campaign.created.json']).toMatchObject({
      partitions: 3,
      key: 'campaign_id',
      compatibility: 'BACKWARD',
      deadLetterTopic: 'campaign.created-dlq.json',
    })
    expect(topicMetadata['campaign.created.json'].schema).not.toHaveProperty('x-kafka')
  })

  it('keyOf reads the key field', () => {
    expect(keyOf('campaign.created.json', created)).toBe('123')
    expect(keyOf('asset.updated.json', { asset_id: 'a9', version: 2, updated_at: created.created_at })).toBe('a9')
  })
})
