import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile, mkdir, rm, rmdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Ajv, type AnySchemaObject } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import standalone from 'ajv/dist/standalone/index.js'
import ajvFormats from 'ajv-formats'
import { compile } from 'json-schema-to-typescript'
import { CodegenError, CodegenErrors } from './errors.ts'
import { FORMATS_CODE } from './formats.ts'
import { METADATA_KEYWORD, readTopicMetadata, type TopicMetadata } from './metadata.ts'
import { checkSchemaFileName, deadLetterTopicOf, typeNameOf } from './naming.ts'
import { checkedRefs, closure, loadDefinitions, refsAsTypeNames, type DefinitionSchema } from './defs.ts'

// Both are CommonJS modules that also set `exports.default` to themselves; under NodeNext only `.default` types.
const standaloneCode = standalone.default
const addFormats = ajvFormats.default

export interface TopicSchema {
  topic: string
  file: string
  typeName: string
  deadLetterTopic: string
  metadata: TopicMetadata
  /** The schema as registered and validated: the file's content without the `x-kafka` block. */
  schema: Record<string, unknown>
  /**
   * sha256 (first 16 hex digits) of `schema` as JSON, and of every definition it refers to: the schema identity
   * carried in message headers (a change in a shared definition changes it).
   */
  fingerprint: string
  /** Shared definitions the schema refers to, directly or through other definitions (`defs/money.json`), sorted. */
  references: string[]
}

/** Topic schemas and the shared definitions they refer to, as read from the schemas directory. */
export interface Contracts {
  topics: TopicSchema[]
  definitions: DefinitionSchema[]
}

export interface GeneratedFile {
  /** Path relative to the output directory. */
  path: string
  content: string
}

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema'

function header(source: string): string {
  return `// Generated from ${source} — do not edit. Change the schema and run \`pnpm codegen\`.\n`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads and checks every topic schema in `schemasDir`; reports all problems at once. */
export async function loadSchemas(schemasDir: string): Promise<TopicSchema[]> {
  return (await loadContracts(schemasDir)).topics
}

function fingerprintOf(schema: Record<string, unknown>, references: readonly string[], defs: ReadonlyMap<string, DefinitionSchema>): string {
  // Without references the fingerprint stays what it always was: the schema's own JSON.
  const identity = references.length === 0 ? JSON.stringify(schema) : JSON.stringify([schema, ...references.map((f) => [f, defs.get(f)?.schema])])
  return createHash('sha256').update(identity).digest('hex').slice(0, 16)
}

/** Reads and checks every topic schema and shared definition (`defs/*.json`); reports all problems at once. */
export async function loadContracts(schemasDir: string): Promise<Contracts> {
  const files = (await readdir(schemasDir)).filter((f) => f.endsWith('.json')).sort()
  const topics: TopicSchema[] = []
  const errors: CodegenError[] = []
  let definitions: DefinitionSchema[] = []
  try {
    definitions = await loadDefinitions(schemasDir)
  } catch (error) {
    if (error instanceof CodegenErrors) errors.push(...error.errors)
    else throw error
  }
  const defs = new Map(definitions.map((d) => [d.file, d]))
  const known = new Set(defs.keys())
  for (const file of files) {
    try {
      checkSchemaFileName(file)
      const text = await readFile(join(schemasDir, file), 'utf8')
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (cause) {
        throw new CodegenError('INVALID_SCHEMA', `${file}: not valid JSON (${(cause as Error).message})`, { file, cause })
      }
      if (!isRecord(parsed) || parsed['type'] !== 'object') {
        throw new CodegenError('INVALID_SCHEMA', `${file}: a topic schema must be a JSON object with "type": "object"`, {
          file,
        })
      }
      const metadata = readTopicMetadata(file, parsed)
      const { [METADATA_KEYWORD]: _metadata, ...schema } = parsed
      const references = closure(checkedRefs(file, schema, known), defs)
      const fingerprint = fingerprintOf(schema, references, defs)
      topics.push({ topic: file, file, typeName: typeNameOf(file), deadLetterTopic: deadLetterTopicOf(file), metadata, schema, fingerprint, references })
    } catch (error) {
      if (error instanceof CodegenError) errors.push(error)
      else throw error
    }
  }
  const names = new Map<string, string>()
  for (const owner of [...topics.map((t) => ({ file: t.file, typeName: t.typeName })), ...definitions]) {
    const clash = names.get(owner.typeName)
    if (clash !== undefined) {
      errors.push(new CodegenError('INVALID_SCHEMA', `schemas/${owner.file} and schemas/${clash} both generate the type ${owner.typeName}: rename one of them`, { file: owner.file }))
    }
    names.set(owner.typeName, owner.file)
  }
  if (errors.length > 0) throw new CodegenErrors(errors)
  if (topics.length === 0) {
    throw new CodegenError('NO_SCHEMAS', `no schema files (*.json) found in ${schemasDir}: add one per topic, e.g. campaign.created.json`)
  }
  return { topics, definitions }
}

function newAjv(schema: Record<string, unknown>): Ajv {
  const options = {
    allErrors: true, // report every violation, not only the first
    strict: true,
    keywords: [METADATA_KEYWORD],
    // formats: ajv-formats' own, date-time with a fast path (formats.ts); addFormats keeps a formats code already set.
    code: { source: true, esm: true, lines: true, formats: FORMATS_CODE },
  }
  const ajv = schema['$schema'] === DRAFT_2020 ? new Ajv2020(options) : new Ajv(options)
  addFormats(ajv)
  return ajv
}

/** The topic's validator as an ES module (ajv standalone); `definitions` are the shared definitions it may `$ref`. */
export function compileValidator(t: TopicSchema, definitions: readonly DefinitionSchema[] = []): string {
  const ajv = newAjv(t.schema)
  const draft = t.schema['$schema']
  for (const def of definitions.filter((d) => t.references.includes(d.file))) {
    const own = def.schema['$schema']
    if (own !== undefined && own !== draft) {
      throw new CodegenError(
        'INVALID_SCHEMA',
        `${t.file} (draft ${String(draft ?? 'default')}) refers to schemas/${def.file}, written in draft ${String(own)}: use one draft for a topic and its definitions`,
        { file: t.file },
      )
    }
    ajv.addSchema(def.schema as AnySchemaObject, def.file)
  }
  let validate
  try {
    validate = ajv.compile(t.schema as AnySchemaObject)
  } catch (cause) {
    throw new CodegenError('INVALID_SCHEMA', `${t.file}: ajv cannot compile the schema: ${(cause as Error).message}`, {
      file: t.file,
      cause,
    })
  }
  // Standalone code refers to ajv runtime helpers and ajv-formats with require(): give the ES module one.
  return (
    header(`schemas/${t.file}`) +
    `import { createRequire } from 'node:module'\nconst require = createRequire(import.meta.url)\n` +
    standaloneCode(ajv, validate) +
    '\n'
  )
}

async function compileType(schema: Record<string, unknown>, fromFile: string, typeName: string, typeNames: ReadonlyMap<string, string>): Promise<string> {
  const { title: _title, ...rest } = refsAsTypeNames(schema, fromFile, typeNames) as Record<string, unknown>
  return compile({ ...rest, title: typeName } as Parameters<typeof compile>[0], typeName, {
    bannerComment: '',
    unknownAny: true,
    strictIndexSignatures: true,
    format: true,
  })
}

/** `import type { Money } from './defs/money.json.ts'` for each definition `file` refers to directly. */
function typeImports(fromFile: string, refs: readonly string[], defs: ReadonlyMap<string, DefinitionSchema>): string {
  const here = fromFile.includes('/') ? fromFile.slice(0, fromFile.lastIndexOf('/') + 1) : ''
  return refs
    .map((f) => {
      const target = f.startsWith(here) ? `./${f.slice(here.length)}` : `./${'../'.repeat(here.split('/').length - 1)}${f}`
      return `import type { ${defs.get(f)?.typeName ?? ''} } from '${target}.ts'\n`
    })
    .join('')
}

function literal(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

/** Generates every file of the contracts package in memory. Same input → byte-identical output. */
export async function generate(schemasDir: string): Promise<GeneratedFile[]> {
  const { topics, definitions } = await loadContracts(schemasDir)
  const defs = new Map(definitions.map((d) => [d.file, d]))
  const typeNames = new Map(definitions.map((d) => [d.file, d.typeName]))
  const files: GeneratedFile[] = []
  for (const d of definitions) {
    const types = await compileType(d.schema, d.file, d.typeName, typeNames)
    files.push({
      path: `${d.file}.ts`,
      content:
        header(`schemas/${d.file}`) +
        (d.refs.length === 0 ? '' : '\n' + typeImports(d.file, d.refs, defs)) +
        '\n' +
        types.trim() +
        '\n\n' +
        `export const references = ${literal(d.refs)} as const\n\n` +
        `export const schema = ${literal(d.schema)} as const\n`,
    })
  }
  for (const t of topics) {
    const source = `schemas/${t.file}`
    const direct = checkedRefs(t.file, t.schema, new Set(defs.keys()))
    const types = await compileType(t.schema, t.file, t.typeName, typeNames)
    files.push({
      path: `${t.topic}.ts`,
      content:
        header(source) +
        (direct.length === 0 ? '' : '\n' + typeImports(t.file, direct, defs)) +
        '\n' +
        types.trim() +
        '\n\n' +
        `export const topic = ${literal(t.topic)} as const\n\n` +
        `export const metadata = ${literal({ ...t.metadata, typeName: t.typeName, deadLetterTopic: t.deadLetterTopic, fingerprint: t.fingerprint, references: t.references })} as const\n\n` +
        `export const schema = ${literal(t.schema)} as const\n`,
    })
    files.push({ path: `${t.topic}.validate.js`, content: compileValidator(t, definitions) })
    files.push({
      path: `${t.topic}.validate.d.ts`,
      content:
        header(source) +
        `import type { ValidateFunction } from 'ajv'\n` +
        `import type { ${t.typeName} } from './${t.topic}.ts'\n\n` +
        `declare const validate: ValidateFunction<${t.typeName}>\nexport default validate\n`,
    })
  }
  const alias = (t: TopicSchema) => t.typeName.charAt(0).toLowerCase() + t.typeName.slice(1)
  const defAlias = (d: DefinitionSchema) => `def${d.typeName}`
  const lines = [header('schemas/*.json')]
  for (const t of topics) {
    lines.push(`import type { ${t.typeName} } from './${t.topic}.ts'`)
    lines.push(`import * as ${alias(t)} from './${t.topic}.ts'`)
    lines.push(`import validate${t.typeName} from './${t.topic}.validate.js'`)
  }
  for (const d of definitions) lines.push(`import * as ${defAlias(d)} from './${d.file}.ts'`)
  lines.push('')
  lines.push(`export type { ${topics.map((t) => t.typeName).join(', ')} }`)
  if (definitions.length > 0) lines.push(`export type { ${definitions.map((d) => d.typeName).join(', ')} } from './types.ts'`)
  lines.push('')
  lines.push('/** Every topic that has a schema in schemas/, sorted. */')
  lines.push(`export const TOPICS = [${topics.map((t) => literal(t.topic)).join(', ')}] as const`)
  lines.push('')
  lines.push('export type TopicName = (typeof TOPICS)[number]')
  lines.push('')
  lines.push('/** Topic name → payload type. */')
  lines.push('export interface EventMap {')
  for (const t of topics) lines.push(`  ${literal(t.topic)}: ${t.typeName}`)
  lines.push('}')
  lines.push('')
  lines.push('/** Topic name → metadata from the schema\'s `x-kafka` block, plus the registered schema. */')
  lines.push('export const topicMetadata = {')
  for (const t of topics) lines.push(`  ${literal(t.topic)}: { topic: ${alias(t)}.topic, ...${alias(t)}.metadata, schema: ${alias(t)}.schema },`)
  lines.push('} as const')
  lines.push('')
  lines.push('/** Shared definition (`defs/*.json`, what topics `$ref`) → its schema and the definitions it refers to. */')
  lines.push(`export const definitions = {${definitions.length === 0 ? '' : '\n'}${definitions.map((d) => `  ${literal(d.file)}: { file: ${literal(d.file)}, typeName: ${literal(d.typeName)}, references: ${defAlias(d)}.references, schema: ${defAlias(d)}.schema },\n`).join('')}} as const`)
  lines.push('')
  lines.push('/** Topic name → validator compiled at codegen time (ajv standalone). */')
  lines.push('export const validators = {')
  for (const t of topics) lines.push(`  ${literal(t.topic)}: validate${t.typeName},`)
  lines.push('} as const')
  lines.push('')
  files.push({ path: 'index.ts', content: lines.join('\n') })
  // The public type names, one per topic and one per shared definition: the contracts package re-exports this file,
  // so a new topic's type is importable by name right after codegen and a removed one disappears with its schema.
  const typeLines = [header('schemas/*.json')]
  for (const t of topics) typeLines.push(`export type { ${t.typeName} } from './${t.topic}.ts'`)
  for (const d of definitions) typeLines.push(`export type { ${d.typeName} } from './${d.file}.ts'`)
  files.push({ path: 'types.ts', content: typeLines.join('\n') + '\n' })
  return files
}

/** Every file under `dir`, as paths relative to it with '/' separators; none when it does not exist. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'))
    .sort()
}

/**
 * Makes `outDir` hold exactly `files`: writes what differs, removes what no schema generates any more (a removed
 * topic or definition) and directories left empty. Returns the changed paths.
 */
export async function writeGenerated(outDir: string, files: readonly GeneratedFile[]): Promise<string[]> {
  await mkdir(outDir, { recursive: true })
  const wanted = new Map(files.map((f) => [f.path, f.content]))
  const changed: string[] = []
  for (const existing of await listFiles(outDir)) {
    if (!wanted.has(existing)) {
      await rm(join(outDir, existing))
      changed.push(existing)
      let parent = dirname(join(outDir, existing))
      while (parent !== outDir && (await readdir(parent)).length === 0) {
        await rmdir(parent)
        parent = dirname(parent)
      }
    }
  }
  for (const [path, content] of wanted) {
    const current = await readFile(join(outDir, path), 'utf8').catch(() => undefined)
    if (current !== content) {
      await mkdir(dirname(join(outDir, path)), { recursive: true })
      await writeFile(join(outDir, path), content)
      changed.push(path)
    }
  }
  return changed
}

/** Compares generated files with what is on disk: the paths that differ, are missing, or are stale. */
export async function diffGenerated(outDir: string, files: readonly GeneratedFile[]): Promise<string[]> {
  const onDisk = new Set(await listFiles(outDir))
  const drift: string[] = []
  for (const f of files) {
    const current = await readFile(join(outDir, f.path), 'utf8').catch(() => undefined)
    if (current !== f.content) drift.push(f.path)
    onDisk.delete(f.path)
  }
  return [...drift, ...onDisk]
}
