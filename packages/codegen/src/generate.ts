import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile, mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { Ajv, type AnySchemaObject } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import standalone from 'ajv/dist/standalone/index.js'
import ajvFormats from 'ajv-formats'
import { compile } from 'json-schema-to-typescript'
import { CodegenError, CodegenErrors } from './errors.ts'
import { METADATA_KEYWORD, readTopicMetadata, type TopicMetadata } from './metadata.ts'
import { checkSchemaFileName, deadLetterTopicOf, typeNameOf } from './naming.ts'

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
  /** sha256 (first 16 hex digits) of `schema` as JSON: the schema identity carried in message headers. */
  fingerprint: string
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

/** Reads and checks every schema in `schemasDir`; reports all problems at once. */
export async function loadSchemas(schemasDir: string): Promise<TopicSchema[]> {
  const files = (await readdir(schemasDir)).filter((f) => f.endsWith('.json')).sort()
  const topics: TopicSchema[] = []
  const errors: CodegenError[] = []
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
      const fingerprint = createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 16)
      topics.push({ topic: file, file, typeName: typeNameOf(file), deadLetterTopic: deadLetterTopicOf(file), metadata, schema, fingerprint })
    } catch (error) {
      if (error instanceof CodegenError) errors.push(error)
      else throw error
    }
  }
  if (errors.length > 0) throw new CodegenErrors(errors)
  if (topics.length === 0) {
    throw new CodegenError('NO_SCHEMAS', `no schema files (*.json) found in ${schemasDir}: add one per topic, e.g. campaign.created.json`)
  }
  return topics
}

function newAjv(schema: Record<string, unknown>): Ajv {
  const options = {
    allErrors: true, // report every violation, not only the first
    strict: true,
    keywords: [METADATA_KEYWORD],
    code: { source: true, esm: true, lines: true },
  }
  const ajv = schema['$schema'] === DRAFT_2020 ? new Ajv2020(options) : new Ajv(options)
  addFormats(ajv)
  return ajv
}

export function compileValidator(t: TopicSchema): string {
  const ajv = newAjv(t.schema)
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

async function compileType(t: TopicSchema, schemasDir: string): Promise<string> {
  const { title: _title, ...rest } = t.schema
  return compile({ ...rest, title: t.typeName } as Parameters<typeof compile>[0], t.typeName, {
    bannerComment: '',
    cwd: schemasDir,
    unknownAny: true,
    strictIndexSignatures: true,
    format: true,
  })
}

function literal(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

/** Generates every file of the contracts package in memory. Same input → byte-identical output. */
export async function generate(schemasDir: string): Promise<GeneratedFile[]> {
  const topics = await loadSchemas(schemasDir)
  const files: GeneratedFile[] = []
  for (const t of topics) {
    const source = `schemas/${t.file}`
    const types = await compileType(t, schemasDir)
    files.push({
      path: `${t.topic}.ts`,
      content:
        header(source) +
        '\n' +
        types.trim() +
        '\n\n' +
        `export const topic = ${literal(t.topic)} as const\n\n` +
        `export const metadata = ${literal({ ...t.metadata, typeName: t.typeName, deadLetterTopic: t.deadLetterTopic, fingerprint: t.fingerprint })} as const\n\n` +
        `export const schema = ${literal(t.schema)} as const\n`,
    })
    files.push({ path: `${t.topic}.validate.js`, content: compileValidator(t) })
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
  const lines = [header('schemas/*.json')]
  for (const t of topics) {
    lines.push(`import type { ${t.typeName} } from './${t.topic}.ts'`)
    lines.push(`import * as ${alias(t)} from './${t.topic}.ts'`)
    lines.push(`import validate${t.typeName} from './${t.topic}.validate.js'`)
  }
  lines.push('')
  lines.push(`export type { ${topics.map((t) => t.typeName).join(', ')} }`)
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
  lines.push('/** Topic name → validator compiled at codegen time (ajv standalone). */')
  lines.push('export const validators = {')
  for (const t of topics) lines.push(`  ${literal(t.topic)}: validate${t.typeName},`)
  lines.push('} as const')
  lines.push('')
  files.push({ path: 'index.ts', content: lines.join('\n') })
  return files
}

/** Writes the generated files into `outDir`, removing generated files whose topic is gone. Returns changed paths. */
export async function writeGenerated(outDir: string, files: readonly GeneratedFile[]): Promise<string[]> {
  await mkdir(outDir, { recursive: true })
  const wanted = new Map(files.map((f) => [f.path, f.content]))
  const changed: string[] = []
  for (const existing of await readdir(outDir)) {
    if (!wanted.has(existing)) {
      await rm(join(outDir, existing))
      changed.push(existing)
    }
  }
  for (const [path, content] of wanted) {
    const current = await readFile(join(outDir, path), 'utf8').catch(() => undefined)
    if (current !== content) {
      await writeFile(join(outDir, path), content)
      changed.push(path)
    }
  }
  return changed
}

/** Compares generated files with what is on disk: the paths that differ, are missing, or are stale. */
export async function diffGenerated(outDir: string, files: readonly GeneratedFile[]): Promise<string[]> {
  const onDisk = new Set(await readdir(outDir).catch(() => [] as string[]))
  const drift: string[] = []
  for (const f of files) {
    const current = await readFile(join(outDir, f.path), 'utf8').catch(() => undefined)
    if (current !== f.content) drift.push(f.path)
    onDisk.delete(f.path)
  }
  return [...drift, ...onDisk]
}
