import { describe, expect, it } from 'vitest'
import { CodegenError } from './errors.ts'
import { checkSchemaFileName, deadLetterTopicOf, isTopicName, typeNameOf } from './naming.ts'

describe('topic naming rule domain.action.format', () => {
  it.each(['campaign.created.json', 'asset.updated.json', 'media-asset.re-encoded.json', 'a1.b2.json'])('accepts %s', (name) => {
    expect(checkSchemaFileName(name)).toBe(name)
    expect(isTopicName(name)).toBe(true)
  })

  it.each([
    ['Campaign_Created.json', 'uppercase and underscore, two parts'],
    ['campaign.json', 'two parts'],
    ['campaign.created.avro.json', 'four parts'],
    ['campaign.created.yaml', 'format is not json'],
    ['campaign..json', 'empty action'],
    ['1campaign.created.json', 'starts with a digit'],
    ['campaign.created_at.json', 'underscore'],
  ])('rejects %s (%s) with a message that shows the rule and the name', (name) => {
    let caught: unknown
    try {
      checkSchemaFileName(name)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(CodegenError)
    const error = caught as CodegenError
    expect(error.code).toBe('INVALID_TOPIC_NAME')
    expect(error.file).toBe(name)
    expect(error.message).toContain(`"${name}"`)
    expect(error.message).toContain('domain.action.format')
  })

  it('reserves the -dlq action suffix for dead-letter topics', () => {
    expect(() => checkSchemaFileName('campaign.created-dlq.json')).toThrow(/reserved for dead-letter topics/)
    expect(isTopicName('campaign.created-dlq.json')).toBe(false)
  })

  it('names dead-letter topics inside the rule', () => {
    const dlq = deadLetterTopicOf('campaign.created.json')
    expect(dlq).toBe('campaign.created-dlq.json')
    expect(() => checkSchemaFileName(dlq)).toThrow(CodegenError) // reserved, but still domain.action.format shaped
    expect(/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.json$/.test(dlq)).toBe(true)
  })

  it('derives PascalCase type names', () => {
    expect(typeNameOf('campaign.created.json')).toBe('CampaignCreated')
    expect(typeNameOf('media-asset.re-encoded.json')).toBe('MediaAssetReEncoded')
  })
})
