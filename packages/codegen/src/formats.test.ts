import { fullFormats } from 'ajv-formats/dist/formats.js'
import { describe, expect, it } from 'vitest'
import { FAST_DATE_TIME, FORMATS_CODE } from './formats.ts'

const fast = new Function(`return ${FAST_DATE_TIME}`)() as (s: string) => boolean
const ajvDateTime = (s: string) => (fullFormats['date-time'] as { validate: (s: string) => boolean }).validate(s)

/** Valid and invalid date-times around every field's limits, plus single-character mutations of each. */
function samples(): string[] {
  const bases = [
    '2026-11-29T17:45:00Z',
    '2026-11-29t17:45:00z',
    '2026-11-29T17:45:00.123456789Z',
    '2026-11-29T17:45:00+05:30',
    '2026-11-29T17:45:00.5-08:00',
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2000-02-29T23:59:59Z',
    '1900-02-29T23:59:59Z',
    '2026-04-31T12:00:00Z',
    '2026-12-31T23:59:60Z',
    '2026-06-30T23:59:60+00:00',
    '2026-06-30T15:59:60-08:00',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T00:60:00Z',
    '2026-01-01T00:00:00+24:00',
    '2026-01-01T00:00:00+23:60',
    '2026-01-01T00:00:00+0530',
    '2026-01-01T00:00:00+05',
    '2026-01-01T00:00:00',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:00.Z',
    '0000-02-29T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
  ]
  const alphabet = ['0', '1', '2', '3', '5', '9', '-', ':', '.', 'T', 't', 'Z', 'z', '+', ' ', 'x', '\u0660']
  const out = new Set(bases)
  for (const b of bases) {
    for (let i = 0; i <= b.length; i++) {
      out.add(b.slice(0, i) + b.slice(i + 1)) // deleted
      for (const c of alphabet) {
        out.add(b.slice(0, i) + c + b.slice(i + 1)) // replaced
        out.add(b.slice(0, i) + c + b.slice(i)) // inserted
      }
    }
  }
  return [...out]
}

describe('the date-time fast path of the generated validators', () => {
  it('never accepts what ajv-formats rejects, so validators decide exactly as ajv-formats does', () => {
    const all = samples()
    expect(all.length).toBeGreaterThan(10_000)
    const wrong = all.filter((s) => fast(s) && !ajvDateTime(s))
    expect(wrong).toEqual([])
    // And the composition the validators use gives ajv-formats' answer for every sample.
    expect(all.filter((s) => (fast(s) || ajvDateTime(s)) !== ajvDateTime(s))).toEqual([])
  })

  it('takes the usual shapes itself (so ajv-formats runs only for the rest)', () => {
    for (const s of ['2026-11-29T17:45:00Z', '2026-11-29t17:45:00.123z', '2024-02-29T23:59:59+05:30', '2026-11-29T17:45:00.5-08:00']) {
      expect(fast(s), s).toBe(true)
    }
    // Decided by ajv-formats: a leap second, a space separator, an offset without a colon.
    for (const s of ['2026-12-31T23:59:60Z', '2026-01-01 00:00:00Z', '2026-01-01T00:00:00+0530']) {
      expect(fast(s), s).toBe(false)
      expect(ajvDateTime(s), s).toBe(true)
    }
  })

  it('is emitted as one expression over ajv-formats', () => {
    const code = FORMATS_CODE.toString()
    expect(code).toContain('require("ajv-formats/dist/formats").fullFormats')
    expect(code).not.toContain('\n')
  })
})
