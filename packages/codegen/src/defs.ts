// Shared definitions: JSON Schema files under schemas/defs/ that topic schemas (and other definitions) `$ref` by
// relative path, e.g. `{ "$ref": "defs/money.json" }` in a topic, `{ "$ref": "currency.json" }` in defs/money.json.
// They are not topics: exempt from the topic naming rule, no x-kafka block, no validator of their own.

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CodegenError, CodegenErrors } from './errors.ts'

export const DEFINITIONS_DIR = 'defs'

/** `money.json`, `campaign-status.json`: lowercase letters, digits and '-', starting with a letter. */
export const DEFINITION_FILE_PATTERN = /^[a-z][a-z0-9-]*\.json$/

export interface DefinitionSchema {
  /** Path relative to the schemas directory, also the `$ref` a topic uses and the registry reference name. */
  file: string
  /** `defs/money.json` → `Money`; `defs/campaign-status.json` → `CampaignStatus`. */
  typeName: string
  schema: Record<string, unknown>
  /** Definitions this one refers to directly (paths relative to the schemas directory). */
  refs: string[]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function definitionTypeName(file: string): string {
  const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.json$/, '')
  return base
    .split('-')
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')
}

/**
 * Resolves a `$ref` written in `fromFile` (both relative to the schemas directory) the way JSON Schema resolves a
 * relative URI against the referencing document. Returns undefined for local refs (`#/…`).
 */
export function resolveRefPath(fromFile: string, ref: string): { file: string; fragment: string } | undefined {
  if (ref.startsWith('#')) return undefined
  const hash = ref.indexOf('#')
  const path = hash === -1 ? ref : ref.slice(0, hash)
  const fragment = hash === -1 ? '' : ref.slice(hash + 1)
  const resolved = new URL(path, `file:///schemas/${fromFile}`)
  if (resolved.protocol !== 'file:' || !resolved.pathname.startsWith('/schemas/')) return { file: ref, fragment }
  return { file: decodeURIComponent(resolved.pathname.slice('/schemas/'.length)), fragment }
}

/** Every non-local `$ref` string in a schema, with the JSON pointer of the node that holds it. */
export function externalRefs(schema: unknown, at = ''): { ref: string; pointer: string }[] {
  const out: { ref: string; pointer: string }[] = []
  if (Array.isArray(schema)) schema.forEach((item, i) => out.push(...externalRefs(item, `${at}/${i}`)))
  else if (isRecord(schema)) {
    for (const [key, value] of Object.entries(schema)) {
      if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) out.push({ ref: value, pointer: at || '/' })
      else if (key !== 'x-kafka' && key !== 'examples' && key !== 'default' && key !== 'const' && key !== 'enum') {
        out.push(...externalRefs(value, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`))
      }
    }
  }
  return out
}

/**
 * The definition files `schema` (written in `fromFile`) refers to, checked: each must be a whole file under
 * defs/ that exists. Problems name the referencing file, the JSON pointer and what to do.
 */
export function checkedRefs(fromFile: string, schema: unknown, known: ReadonlySet<string>): string[] {
  const files = new Set<string>()
  for (const { ref, pointer } of externalRefs(schema)) {
    const where = `${fromFile} at ${pointer}`
    const target = resolveRefPath(fromFile, ref)
    if (target === undefined) continue
    if (target.fragment !== '' && target.fragment !== '/') {
      throw new CodegenError(
        'INVALID_SCHEMA',
        `${where}: "$ref": "${ref}" points inside a file; refer to a whole definition file (e.g. "defs/money.json") so it gets one shared type`,
        { file: fromFile },
      )
    }
    if (!target.file.startsWith(`${DEFINITIONS_DIR}/`)) {
      throw new CodegenError(
        'INVALID_SCHEMA',
        `${where}: "$ref": "${ref}" resolves to "${target.file}", which is not under schemas/${DEFINITIONS_DIR}/: shared definitions live there ` +
          '(topic schemas cannot be referenced, and URLs are not fetched)',
        { file: fromFile },
      )
    }
    if (!known.has(target.file)) {
      throw new CodegenError(
        'INVALID_SCHEMA',
        `${where}: "$ref": "${ref}" resolves to schemas/${target.file}, which does not exist. Add the definition file, or fix the path ` +
          `(relative to ${fromFile.includes('/') ? `schemas/${fromFile.slice(0, fromFile.lastIndexOf('/'))}/` : 'schemas/'})`,
        { file: fromFile },
      )
    }
    files.add(target.file)
  }
  return [...files].sort()
}

/** Reads schemas/defs/*.json (none when the directory does not exist); reports every problem at once. */
export async function loadDefinitions(schemasDir: string): Promise<DefinitionSchema[]> {
  const dir = join(schemasDir, DEFINITIONS_DIR)
  const names = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort()
  const errors: CodegenError[] = []
  const parsed: { file: string; schema: Record<string, unknown> }[] = []
  for (const name of names) {
    const file = `${DEFINITIONS_DIR}/${name}`
    if (!DEFINITION_FILE_PATTERN.test(name)) {
      errors.push(new CodegenError('INVALID_SCHEMA', `definition file "schemas/${file}": name it in lowercase letters, digits and "-" (e.g. defs/campaign-status.json)`, { file }))
      continue
    }
    let schema: unknown
    try {
      schema = JSON.parse(await readFile(join(dir, name), 'utf8'))
    } catch (cause) {
      errors.push(new CodegenError('INVALID_SCHEMA', `schemas/${file}: not valid JSON (${(cause as Error).message})`, { file, cause }))
      continue
    }
    if (!isRecord(schema)) {
      errors.push(new CodegenError('INVALID_SCHEMA', `schemas/${file}: a definition must be a JSON Schema object`, { file }))
      continue
    }
    if ('x-kafka' in schema) {
      errors.push(new CodegenError('INVALID_SCHEMA', `schemas/${file}: a shared definition is not a topic and takes no "x-kafka" block; put topic metadata in the topic schema`, { file }))
      continue
    }
    if (typeof schema['$schema'] !== 'string') {
      errors.push(
        new CodegenError(
          'INVALID_SCHEMA',
          `schemas/${file}: declare its draft, e.g. "$schema": "http://json-schema.org/draft-07/schema#" (the one of the topics that use it): ` +
            'a schema registry refuses a referenced JSON Schema that does not say it is one',
          { file },
        ),
      )
      continue
    }
    if ('$id' in schema) {
      errors.push(new CodegenError('INVALID_SCHEMA', `schemas/${file}: remove "$id"; a definition is identified by its path (${file}), which is what topics "$ref"`, { file }))
      continue
    }
    parsed.push({ file, schema })
  }
  const known = new Set(parsed.map((p) => p.file))
  const defs: DefinitionSchema[] = []
  for (const { file, schema } of parsed) {
    try {
      defs.push({ file, typeName: definitionTypeName(file), schema, refs: checkedRefs(file, schema, known) })
    } catch (error) {
      if (error instanceof CodegenError) errors.push(error)
      else throw error
    }
  }
  if (errors.length > 0) throw new CodegenErrors(errors)
  return defs
}

/** The transitive closure of `direct` over `defs`, sorted (a definition may refer to others, even in a cycle). */
export function closure(direct: readonly string[], defs: ReadonlyMap<string, DefinitionSchema>): string[] {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    for (const next of defs.get(file)?.refs ?? []) visit(next)
  }
  direct.forEach(visit)
  return [...seen].sort()
}

/**
 * A copy of `schema` (written in `fromFile`) with every `$ref` to a definition replaced by the definition itself,
 * recursively; a definition that refers back to itself is left as its `$ref`. Used where a consumer of the schema
 * does not follow references (the offline compatibility checker). `load` returns the definition's schema, or
 * undefined when it does not exist (the `$ref` is then kept, so a comparison still sees it).
 */
export function inlineRefs(schema: unknown, fromFile: string, load: (file: string) => Record<string, unknown> | undefined, stack: readonly string[] = []): unknown {
  if (Array.isArray(schema)) return schema.map((item) => inlineRefs(item, fromFile, load, stack))
  if (!isRecord(schema)) return schema
  const ref = schema['$ref']
  if (typeof ref === 'string') {
    const target = resolveRefPath(fromFile, ref)
    if (target !== undefined && (target.fragment === '' || target.fragment === '/') && !stack.includes(target.file)) {
      const def = load(target.file)
      if (def !== undefined) {
        const { $ref: _ref, ...siblings } = schema
        const { $schema: _draft, ...body } = def
        const inlined = inlineRefs(body, target.file, load, [...stack, target.file]) as Record<string, unknown>
        return Object.keys(siblings).length === 0 ? inlined : { ...inlineRefs(siblings, fromFile, load, stack) as Record<string, unknown>, allOf: [inlined] }
      }
    }
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'enum' || key === 'const' || key === 'default' || key === 'examples' ? value : inlineRefs(value, fromFile, load, stack)
  }
  return out
}

/**
 * A copy of `schema` in which every `$ref` to a definition is `{ tsType: <its shared type name> }`, so
 * json-schema-to-typescript names the shared type instead of inlining a copy of it per topic.
 */
export function refsAsTypeNames(schema: unknown, fromFile: string, typeNames: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(schema)) return schema.map((item) => refsAsTypeNames(item, fromFile, typeNames))
  if (!isRecord(schema)) return schema
  const ref = schema['$ref']
  if (typeof ref === 'string') {
    const target = resolveRefPath(fromFile, ref)
    const typeName = target === undefined ? undefined : typeNames.get(target.file)
    if (typeName !== undefined) {
      const description = schema['description']
      return typeof description === 'string' ? { tsType: typeName, description } : { tsType: typeName }
    }
  }
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'enum' || key === 'const' || key === 'default' || key === 'examples' ? value : refsAsTypeNames(value, fromFile, typeNames)
  }
  return out
}
