import { describe, expect, it } from 'vitest'
import { checkCompatibility, type CompatibilityLevel } from './compat.ts'

const base = {
  type: 'object',
  additionalProperties: false,
  required: ['campaign_id', 'name'],
  properties: {
    campaign_id: { type: 'string' },
    name: { type: 'string', maxLength: 200 },
    status: { type: 'string', enum: ['draft', 'active'] },
    budget: { type: 'number', minimum: 0 },
    tags: { type: 'array', items: { type: 'string' } },
  },
}

type Props = Record<string, Record<string, unknown>>
const withProps = (props: Props, extra: Record<string, unknown> = {}) => ({ ...base, ...extra, properties: { ...base.properties, ...props } })
const without = (name: keyof typeof base.properties) => {
  const properties: Props = { ...base.properties }
  delete properties[name]
  return { ...base, properties, required: base.required.filter((r) => r !== name) }
}

// [description, next schema, rules expected under BACKWARD, under FORWARD] — FULL must report the union.
const table: [string, unknown, string[], string[]][] = [
  ['no change', base, [], []],
  ['description only', { ...base, description: 'docs' }, [], []],
  ['optional field added (closed model)', withProps({ channel: { type: 'string' } }), [], ['PROPERTY_REMOVED']],
  ['new required field', { ...withProps({ channel: { type: 'string' } }), required: [...base.required, 'channel'] }, ['REQUIRED_ADDED'], ['PROPERTY_REMOVED']],
  ['optional field removed', without('status'), ['PROPERTY_REMOVED'], []],
  ['required field removed (consumers need it)', without('name'), ['PROPERTY_REMOVED'], ['REQUIRED_ADDED']],
  ['optional field became required', { ...base, required: [...base.required, 'status'] }, ['REQUIRED_ADDED'], []],
  ['type narrowed number → integer', withProps({ budget: { type: 'integer', minimum: 0 } }), ['TYPE_NARROWED'], []],
  ['type widened integer ← number (reverse)', withProps({ budget: { type: ['number', 'string'], minimum: 0 } }), [], ['TYPE_NARROWED']],
  ['type changed string → number', withProps({ name: { type: 'number' } }), ['TYPE_NARROWED'], ['TYPE_NARROWED']],
  ['enum value removed', withProps({ status: { type: 'string', enum: ['draft'] } }), ['ENUM_VALUE_REMOVED'], []],
  ['enum value added', withProps({ status: { type: 'string', enum: ['draft', 'active', 'paused'] } }), [], ['ENUM_VALUE_REMOVED']],
  ['maxLength lowered', withProps({ name: { type: 'string', maxLength: 100 } }), ['MAX_LENGTH_LOWERED'], []],
  ['minimum raised', withProps({ budget: { type: 'number', minimum: 10 } }), ['MINIMUM_RAISED'], []],
  ['pattern added', withProps({ campaign_id: { type: 'string', pattern: '^c-' } }), ['PATTERN_CHANGED'], []],
  ['format added', withProps({ campaign_id: { type: 'string', format: 'uuid' } }), ['FORMAT_CHANGED'], []],
  ['array items narrowed', withProps({ tags: { type: 'array', items: { type: 'string', maxLength: 10 } } }), ['MAX_LENGTH_LOWERED'], []],
  ['model closed → open', { ...base, additionalProperties: true }, [], ['ADDITIONAL_PROPERTIES_CLOSED']],
  ['string → string|null: maxLength still applies to strings', withProps({ name: { type: ['string', 'null'], maxLength: 100 } }), ['MAX_LENGTH_LOWERED'], ['TYPE_NARROWED']],
  ['unmodelled keyword changed', { ...base, oneOf: [{ required: ['status'] }] }, ['UNCHECKED_KEYWORD'], ['UNCHECKED_KEYWORD']],
]

const rulesOf = (level: CompatibilityLevel, next: unknown) => [...new Set(checkCompatibility(level, next, [base]).map((c) => c.rule))].sort()

describe('compatibility table', () => {
  it.each(table)('%s', (_name, next, backward, forward) => {
    expect(rulesOf('BACKWARD', next)).toEqual([...backward].sort())
    expect(rulesOf('FORWARD', next)).toEqual([...forward].sort())
    expect(rulesOf('FULL', next)).toEqual([...new Set([...backward, ...forward])].sort())
    expect(rulesOf('NONE', next)).toEqual([])
  })
})

describe('reports', () => {
  it('name the JSON path of each breaking change', () => {
    const next = { ...withProps({ status: { type: 'string', enum: ['draft'] }, tags: { type: 'array', items: { type: 'integer' } } }), required: [...base.required, 'owner'] }
    const changes = checkCompatibility('BACKWARD', next, [base])
    expect(changes.map((c) => `${c.path} ${c.rule}`).sort()).toEqual(['$.owner REQUIRED_ADDED', '$.status ENUM_VALUE_REMOVED', '$.tags[*] TYPE_NARROWED'])
    expect(changes.every((c) => c.direction === 'backward')).toBe(true)
  })

  it('open content model: an added property constrains data old writers could send', () => {
    const open = { ...base, additionalProperties: true }
    const changes = checkCompatibility('BACKWARD', { ...open, properties: { ...base.properties, note: { type: 'string' } } }, [open])
    expect(changes.map((c) => `${c.path} ${c.rule}`)).toEqual(['$.note TYPE_NARROWED'])
  })
})

describe('transitive levels compare with every earlier version', () => {
  const v1 = base
  const v2 = without('status') // BACKWARD-breaking vs v1 (closed model drops a field)...
  const v2ok = { ...base, properties: { ...base.properties, status: { type: 'string', enum: ['draft', 'active', 'paused'] } } }
  const v3 = { ...v2ok, properties: { ...v2ok.properties, status: { type: 'string', enum: ['draft', 'paused'] } } }

  it('BACKWARD checks only the latest version; BACKWARD_TRANSITIVE all of them', () => {
    // v3 drops "active" relative to both v1 and v2ok.
    expect(checkCompatibility('BACKWARD', v3, [v1, v2ok]).map((c) => c.rule)).toEqual(['ENUM_VALUE_REMOVED'])
    // A version compatible with the latest but not with the first one only fails transitively.
    const back = { ...v1, properties: { ...v1.properties, status: { type: 'string', enum: ['draft', 'active', 'paused'] } } }
    const narrowedSinceV1 = { ...back, properties: { ...back.properties, name: { type: 'string', maxLength: 300 } } }
    const v1tight = { ...v1, properties: { ...v1.properties, name: { type: 'string', maxLength: 400 } } }
    expect(checkCompatibility('BACKWARD', narrowedSinceV1, [v1tight, back])).toEqual([])
    expect(checkCompatibility('BACKWARD_TRANSITIVE', narrowedSinceV1, [v1tight, back]).map((c) => c.rule)).toEqual(['MAX_LENGTH_LOWERED'])
    expect(checkCompatibility('FORWARD_TRANSITIVE', v2, [v1]).map((c) => c.rule)).toEqual([])
  })

  it('a brand-new topic has nothing to break', () => {
    expect(checkCompatibility('FULL_TRANSITIVE', base, [])).toEqual([])
  })
})
