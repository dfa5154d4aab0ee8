// Offline JSON Schema compatibility: can a reader schema accept every document a writer schema accepts?
// BACKWARD = new schema reads old data; FORWARD = old schema reads new data; FULL = both. Conservative: a change
// this checker cannot prove safe is reported as breaking, with its path, rather than waved through.

import type { CompatibilityLevel } from '@topiq/codegen'

export { COMPATIBILITY_LEVELS } from '@topiq/codegen'
export type { CompatibilityLevel } from '@topiq/codegen'

export interface BreakingChange {
  /** JSON path of the affected data, `$` for the document root (`$.budget.currency`, `$.tags[*]`). */
  path: string
  rule: string
  message: string
  /** `backward`: new schema can't read old data; `forward`: old schema can't read new data. */
  direction: 'backward' | 'forward'
}

type Schema = Record<string, unknown>
type Direction = BreakingChange['direction']

const ANNOTATIONS = new Set(['title', 'description', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly', '$schema', '$id', 'x-kafka'])
const HANDLED = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'enum', 'const', 'format', 'pattern', 'minLength', 'maxLength',
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'items', 'minItems', 'maxItems', 'uniqueItems',
  'minProperties', 'maxProperties',
])

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (isSchema(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`
  return JSON.stringify(value)
}

function types(schema: Schema): Set<string> | undefined {
  const t = schema['type']
  if (t === undefined) return undefined
  return new Set(Array.isArray(t) ? t.map(String) : [String(t)])
}

function child(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`
}

function num(schema: Schema, key: string): number | undefined {
  const v = schema[key]
  return typeof v === 'number' ? v : undefined
}

/** Every way a document valid under `writer` may be invalid under `reader`. */
export function readerRejects(writer: unknown, reader: unknown, direction: Direction, path = '$'): BreakingChange[] {
  const out: BreakingChange[] = []
  const add = (p: string, rule: string, message: string) => out.push({ path: p, rule, message, direction })
  if (reader === true || (isSchema(reader) && Object.keys(reader).every((k) => ANNOTATIONS.has(k)))) return out
  if (writer === false) return out
  if (reader === false) {
    add(path, 'SCHEMA_FALSE', 'reader accepts nothing here')
    return out
  }
  const w: Schema = isSchema(writer) ? writer : {}
  const r: Schema = isSchema(reader) ? reader : {}

  // Keywords this checker does not model: every difference is reported, never ignored.
  for (const key of new Set([...Object.keys(w), ...Object.keys(r)])) {
    if (ANNOTATIONS.has(key) || HANDLED.has(key)) continue
    if (canonical(w[key]) !== canonical(r[key])) add(path, 'UNCHECKED_KEYWORD', `"${key}" changed; this checker cannot prove it compatible`)
  }

  const wt = types(w)
  const rt = types(r)
  if (rt !== undefined) {
    const widened = (t: string) => rt.has(t) || (t === 'integer' && rt.has('number'))
    if (wt === undefined) add(path, 'TYPE_NARROWED', `type narrowed from any to ${[...rt].join('|')}`)
    else for (const t of wt) if (!widened(t)) add(path, 'TYPE_NARROWED', `type ${[...wt].join('|')} changed to ${[...rt].join('|')}: ${t} values are no longer accepted`)
  }

  if (r['enum'] !== undefined) {
    const allowed = new Set((r['enum'] as unknown[]).map(canonical))
    if (w['enum'] === undefined && w['const'] === undefined) add(path, 'ENUM_ADDED', 'values are now restricted to an enum')
    const written = w['enum'] !== undefined ? (w['enum'] as unknown[]) : w['const'] !== undefined ? [w['const']] : []
    const removed = written.filter((v) => !allowed.has(canonical(v)))
    if (removed.length > 0) add(path, 'ENUM_VALUE_REMOVED', `enum no longer accepts ${removed.map((v) => JSON.stringify(v)).join(', ')}`)
  }
  if (r['const'] !== undefined && canonical(r['const']) !== canonical(w['const'])) {
    add(path, 'CONST_CHANGED', `value must now be ${JSON.stringify(r['const'])}`)
  }

  // Type-specific keywords only matter for values of that type the writer can produce.
  const writes = (kind: string) => wt === undefined || wt.has(kind) || (kind === 'number' && wt.has('integer'))
  const applies: Record<string, boolean> = { string: writes('string'), number: writes('number'), array: writes('array'), object: writes('object') }
  const kindOf: Record<string, string> = {
    format: 'string', pattern: 'string', minLength: 'string', maxLength: 'string',
    minimum: 'number', maximum: 'number', exclusiveMinimum: 'number', exclusiveMaximum: 'number', multipleOf: 'number',
    minItems: 'array', maxItems: 'array', uniqueItems: 'array', minProperties: 'object', maxProperties: 'object',
  }
  const relevant = (key: string) => applies[kindOf[key] ?? ''] ?? true

  for (const key of ['format', 'pattern'] as const) {
    if (relevant(key) && r[key] !== undefined && r[key] !== w[key]) {
      add(path, `${key.toUpperCase()}_CHANGED`, w[key] === undefined ? `${key} "${String(r[key])}" added` : `${key} changed from "${String(w[key])}" to "${String(r[key])}"`)
    }
  }

  const lower: [string, string][] = [['minLength', 'MIN_LENGTH_RAISED'], ['minimum', 'MINIMUM_RAISED'], ['exclusiveMinimum', 'MINIMUM_RAISED'], ['minItems', 'MIN_ITEMS_RAISED'], ['minProperties', 'MIN_PROPERTIES_RAISED']]
  for (const [key, rule] of lower) {
    const rv = num(r, key)
    const wv = num(w, key)
    if (relevant(key) && rv !== undefined && (wv === undefined || rv > wv)) add(path, rule, `${key} ${wv === undefined ? 'added' : `raised from ${wv}`} to ${rv}`)
  }
  const upper: [string, string][] = [['maxLength', 'MAX_LENGTH_LOWERED'], ['maximum', 'MAXIMUM_LOWERED'], ['exclusiveMaximum', 'MAXIMUM_LOWERED'], ['maxItems', 'MAX_ITEMS_LOWERED'], ['maxProperties', 'MAX_PROPERTIES_LOWERED']]
  for (const [key, rule] of upper) {
    const rv = num(r, key)
    const wv = num(w, key)
    if (relevant(key) && rv !== undefined && (wv === undefined || rv < wv)) add(path, rule, `${key} ${wv === undefined ? 'added' : `lowered from ${wv}`} to ${rv}`)
  }
  const rm = num(r, 'multipleOf')
  const wm = num(w, 'multipleOf')
  if (relevant('multipleOf') && rm !== undefined && (wm === undefined || wm % rm !== 0)) add(path, 'MULTIPLE_OF_CHANGED', `multipleOf ${rm} rejects values the old schema allowed`)
  if (relevant('uniqueItems') && r['uniqueItems'] === true && w['uniqueItems'] !== true) add(path, 'UNIQUE_ITEMS_ADDED', 'items must now be unique')

  if (r['items'] !== undefined) out.push(...readerRejects(w['items'] ?? true, r['items'], direction, `${path}[*]`))

  // Objects.
  const wProps = isSchema(w['properties']) ? w['properties'] : {}
  const rProps = isSchema(r['properties']) ? r['properties'] : {}
  const wRequired = new Set(Array.isArray(w['required']) ? w['required'].map(String) : [])
  const rRequired = Array.isArray(r['required']) ? r['required'].map(String) : []
  const wAdditional = w['additionalProperties'] ?? true
  const rAdditional = r['additionalProperties'] ?? true
  for (const name of rRequired) {
    if (!wRequired.has(name)) {
      add(
        child(path, name),
        'REQUIRED_ADDED',
        name in wProps ? `"${name}" became required; data without it is rejected` : `new required field "${name}"; data without it is rejected`,
      )
    }
  }
  for (const [name, rSchema] of Object.entries(rProps)) {
    if (name in wProps) out.push(...readerRejects(wProps[name], rSchema, direction, child(path, name)))
    else if (wAdditional !== false) out.push(...readerRejects(wAdditional, rSchema, direction, child(path, name)))
  }
  for (const [name, wSchema] of Object.entries(wProps)) {
    if (name in rProps) continue
    if (rAdditional === false) add(child(path, name), 'PROPERTY_REMOVED', `"${name}" was removed while additionalProperties is false: data that has it is rejected`)
    else if (rAdditional !== true) out.push(...readerRejects(wSchema, rAdditional, direction, child(path, name)))
  }
  if (wAdditional !== false && rAdditional !== true) {
    if (rAdditional === false) add(path, 'ADDITIONAL_PROPERTIES_CLOSED', 'additionalProperties became false: unknown fields are now rejected')
    else out.push(...readerRejects(wAdditional, rAdditional, direction, `${path}.*`))
  }
  return out
}

/** Breaking changes from `previous` to `next` under `level`. Transitive levels compare with every earlier version. */
export function checkCompatibility(level: CompatibilityLevel, next: unknown, previous: readonly unknown[]): BreakingChange[] {
  if (level === 'NONE' || previous.length === 0) return []
  const against = level.endsWith('_TRANSITIVE') ? previous : previous.slice(-1)
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL')
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL')
  const seen = new Set<string>()
  const out: BreakingChange[] = []
  for (const old of against) {
    const changes = [...(backward ? readerRejects(old, next, 'backward') : []), ...(forward ? readerRejects(next, old, 'forward') : [])]
    for (const c of changes) {
      const key = `${c.direction}|${c.path}|${c.rule}|${c.message}`
      if (!seen.has(key)) {
        seen.add(key)
        out.push(c)
      }
    }
  }
  return out
}
