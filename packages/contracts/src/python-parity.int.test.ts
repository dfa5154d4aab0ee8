// The parity rule: a Python service that validates with python/topiq_schemas.py accepts exactly what our consumers
// accept, and rejects what they dead-letter as INVALID_PAYLOAD. Checked here on a table of edge cases against the real
// jsonschema package (in the project's Python venv, scripts/python-env.sh), next to what a DEFAULT jsonschema
// validator says, which is the trap the rule exists for (it accepts naive timestamps and bare dates).
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { validate, type TopicName } from './index.ts'

const root = fileURLToPath(new URL('../../../', import.meta.url))

const created = (extra: Record<string, unknown>) => ({ campaign_id: 'c-1', name: 'Summer', created_at: '2024-01-15T10:00:00Z', ...extra })
const asset = (extra: Record<string, unknown>) => ({ asset_id: 'a-1', updated_at: '2024-01-15T10:00:00Z', version: 2, ...extra })

const CASES: [string, TopicName, unknown][] = [
  ['a valid event', 'campaign.created.json', created({})],
  ['a timestamp without offset', 'campaign.created.json', created({ created_at: '2024-01-15T10:00:00' })],
  ['a bare date as date-time', 'campaign.created.json', created({ created_at: '2024-01-15' })],
  ['a space as date-time separator', 'campaign.created.json', created({ created_at: '2024-01-15 10:00:00+02:00' })],
  ['lower-case t and z', 'campaign.created.json', created({ created_at: '2024-01-15t10:00:00z' })],
  ['fractional seconds and an offset', 'campaign.created.json', created({ created_at: '2024-01-15T10:00:00.123456+05:30' })],
  ['February 30th', 'campaign.created.json', created({ created_at: '2024-02-30T10:00:00Z' })],
  ['February 29th of a leap year', 'campaign.created.json', created({ created_at: '2024-02-29T10:00:00Z' })],
  ['a leap second at 23:59:60Z', 'campaign.created.json', created({ created_at: '2016-12-31T23:59:60Z' })],
  ['a leap second not at the end of a UTC day', 'campaign.created.json', created({ created_at: '2016-12-31T12:59:60Z' })],
  ['an hour 24', 'campaign.created.json', created({ created_at: '2024-01-15T24:00:00Z' })],
  ['a currency with a trailing newline', 'campaign.created.json', created({ budget: { amount: 1, currency: 'EUR\n' } })],
  ['a currency in Arabic-Indic digits is not [A-Z]', 'campaign.created.json', created({ budget: { amount: 1, currency: '١٢٣' } })],
  ['an empty name', 'campaign.created.json', created({ name: '' })],
  ['a name of 200 astral characters', 'campaign.created.json', created({ name: '😀'.repeat(200) })],
  ['a name of 201 characters', 'campaign.created.json', created({ name: 'x'.repeat(201) })],
  ['an unknown field', 'campaign.created.json', created({ colour: 'red' })],
  ['an integer-valued float as version', 'asset.updated.json', asset({ version: 2.0 })],
  ['a boolean as number', 'campaign.created.json', created({ budget: { amount: true, currency: 'EUR' } })],
  ['an http URL', 'asset.updated.json', asset({ url: 'https://cdn.example.com/a/1.png?x=1#f' })],
  ['a relative path as uri', 'asset.updated.json', asset({ url: '/a/1.png' })],
  ['a uri with a space', 'asset.updated.json', asset({ url: 'https://cdn.example.com/a b.png' })],
]

function python(): string {
  return execFileSync('bash', [`${root}scripts/python-env.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim()
}

describe('python/topiq_schemas.py agrees with our validators', () => {
  it('on every edge case of the table, where a default jsonschema validator does not', () => {
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(`${root}python`)})
import jsonschema
from topiq_schemas import validator, schemas_dir
cases = json.load(sys.stdin)
def default_ok(topic, event):
    schema = json.loads((schemas_dir() / topic).read_text())
    return jsonschema.validators.validator_for(schema)(schema).is_valid(event)
print(json.dumps([[validator(t).is_valid(e), default_ok(t, e)] for t, e in cases]))
`
    const out = execFileSync(python(), ['-c', script], { input: JSON.stringify(CASES.map(([, t, e]) => [t, e])), encoding: 'utf8' })
    const answers = JSON.parse(out) as [boolean, boolean][]
    const rows = CASES.map(([what, topic, event], i) => ({ what, ours: validate(topic, event).ok, python: answers[i]?.[0], pythonDefault: answers[i]?.[1] }))
    expect(rows.filter((r) => r.python !== r.ours)).toEqual([])
    // The table is not trivial: both outcomes occur, and the default validator disagrees somewhere.
    expect(rows.some((r) => r.ours) && rows.some((r) => !r.ours)).toBe(true)
    expect(rows.filter((r) => r.pythonDefault !== r.ours).map((r) => r.what)).toEqual(
      expect.arrayContaining(['a timestamp without offset', 'a bare date as date-time', 'a currency with a trailing newline']),
    )
  })

  it('works as the documented one-liner and as a command naming each violation by JSON path', () => {
    const py = python()
    const oneLiner = `import sys; sys.path.insert(0, ${JSON.stringify(`${root}python`)}); from topiq_schemas import validator; validator("campaign.created.json").validate({"campaign_id": "c", "name": "n", "created_at": "2024-01-15T10:00:00Z"}); print("ok")`
    expect(execFileSync(py, ['-c', oneLiner], { encoding: 'utf8' }).trim()).toBe('ok')
    let failure: { status: number; stdout: string } | undefined
    try {
      execFileSync(py, [`${root}python/topiq_schemas.py`, 'campaign.created.json'], { input: JSON.stringify({ campaign_id: 'c', created_at: '2024-01-15' }), encoding: 'utf8' })
    } catch (error) {
      failure = error as { status: number; stdout: string }
    }
    expect(failure?.status).toBe(1)
    expect(failure?.stdout).toMatch(/^\$\.created_at .*date-time/m)
    expect(failure?.stdout).toMatch(/'name' is a required property/)
  })
})
