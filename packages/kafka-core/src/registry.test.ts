import { describe, expect, it } from 'vitest'
import { SchemaIdVerifier, sameJson, subjectOf, type SchemaIdLookup } from './registry.ts'

const found = (id: number): SchemaIdLookup => ({ found: true, id, schemaType: 'JSON', schema: '{}', versions: [{ subject: 's-value', version: 1 }] })
const missing = (id: number): SchemaIdLookup => ({ found: false, id, reason: 'UNKNOWN_SCHEMA_ID', message: `schema id ${id} is not in the registry` })

/** A verifier over a fake registry that knows `known`, counting lookups; `clock.t` is the time in ms. */
function verifier(known: Set<number>, options: { missTtlMs?: number; maxMisses?: number } = {}) {
  const clock = { t: 1_000 }
  const calls: number[] = []
  const v = new SchemaIdVerifier({
    ...options,
    now: () => clock.t,
    lookup: async (id) => {
      calls.push(id)
      return known.has(id) ? found(id) : missing(id)
    },
  })
  return { v, calls, clock }
}

describe('subjectOf', () => {
  it('is TopicNameStrategy on the physical (prefixed) topic', () => {
    expect(subjectOf('asset.updated.json')).toBe('asset.updated.json-value')
    expect(subjectOf('asset.updated.json', 'staging.')).toBe('staging.asset.updated.json-value')
  })
})

describe('sameJson', () => {
  it('ignores key order and whitespace, not array order or values', () => {
    expect(sameJson(JSON.parse('{"type":"object","required":["a"],"properties":{"a":{"type":"string"}}}'), {
      properties: { a: { type: 'string' } },
      required: ['a'],
      type: 'object',
    })).toBe(true)
    expect(sameJson({ required: ['a', 'b'] }, { required: ['b', 'a'] })).toBe(false)
    expect(sameJson({ a: 1 }, { a: 1, b: undefined })).toBe(false)
    expect(sameJson({ a: { type: 'string' } }, { a: { type: 'integer' } })).toBe(false)
    expect(sameJson([1], { 0: 1 })).toBe(false)
    expect(sameJson(null, {})).toBe(false)
  })
})

describe('SchemaIdVerifier', () => {
  it('caches a found id for good: one lookup however often or late it is asked', async () => {
    const { v, calls, clock } = verifier(new Set([7]))
    expect(v.cached(7)).toBeUndefined()
    expect(await v.verify(7)).toMatchObject({ found: true, id: 7, versions: [{ subject: 's-value', version: 1 }] })
    clock.t += 24 * 3600_000
    expect(await v.verify(7)).toMatchObject({ found: true })
    expect(v.cached(7)).toMatchObject({ found: true, id: 7 })
    expect(calls).toEqual([7])
  })

  it('caches an unknown id only for missTtlMs, then asks again (ids may appear later)', async () => {
    const known = new Set<number>()
    const { v, calls, clock } = verifier(known, { missTtlMs: 5_000 })
    expect(await v.verify(9)).toEqual(missing(9))
    clock.t += 4_999
    expect(v.cached(9)).toMatchObject({ found: false, reason: 'UNKNOWN_SCHEMA_ID' })
    expect(await v.verify(9)).toMatchObject({ found: false })
    expect(calls).toEqual([9])
    known.add(9) // registered meanwhile
    clock.t += 1
    expect(v.cached(9)).toBeUndefined()
    expect(await v.verify(9)).toMatchObject({ found: true, id: 9 })
    expect(calls).toEqual([9, 9])
  })

  it('shares one lookup between concurrent callers', async () => {
    const { v, calls } = verifier(new Set([3]))
    const results = await Promise.all([v.verify(3), v.verify(3), v.verify(3)])
    expect(results.every((r) => r.found)).toBe(true)
    expect(calls).toEqual([3])
  })

  it('does not cache a failed lookup: the next call asks again', async () => {
    let fail = true
    const calls: number[] = []
    const v = new SchemaIdVerifier({
      lookup: async (id) => {
        calls.push(id)
        if (fail) throw new Error('registry down')
        return found(id)
      },
    })
    await expect(v.verify(5)).rejects.toThrow('registry down')
    expect(v.cached(5)).toBeUndefined()
    fail = false
    expect(await v.verify(5)).toMatchObject({ found: true })
    expect(calls).toEqual([5, 5])
  })

  it('remembers at most maxMisses unknown ids, forgetting the oldest', async () => {
    const { v, calls } = verifier(new Set(), { maxMisses: 2 })
    await v.verify(1)
    await v.verify(2)
    await v.verify(3)
    expect(v.cached(1)).toBeUndefined()
    expect(v.cached(2)).toMatchObject({ found: false })
    expect(v.cached(3)).toMatchObject({ found: false })
    expect(calls).toEqual([1, 2, 3])
  })
})
