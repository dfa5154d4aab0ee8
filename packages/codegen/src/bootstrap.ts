import { stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import tjs from 'typescript-json-schema'
import { CodegenError } from './errors.ts'
import { METADATA_KEYWORD, readTopicMetadata, type TopicMetadataInput } from './metadata.ts'
import { checkSchemaFileName } from './naming.ts'

export interface BootstrapOptions {
  /** New topic, e.g. `campaign.archived.json`; also the schema file's name. */
  topic: string
  /** TypeScript file that declares the type. */
  typeFile: string
  /** Exported interface or type alias to convert. */
  typeName: string
  schemasDir: string
  /** Property to use as message key; must be a required string/integer property of the type. */
  key?: string
  partitions?: number
}

/**
 * Bootstraps a topic schema from an existing TypeScript type (TS → JSON Schema, typescript-json-schema's job).
 * The result is a starting point to review: it never overwrites an existing schema.
 */
export async function bootstrapSchema(options: BootstrapOptions): Promise<{ path: string; schema: Record<string, unknown> }> {
  checkSchemaFileName(options.topic)
  const typeFile = resolve(options.typeFile)
  const where = `${options.typeName} in ${options.typeFile}`
  if (!(await stat(typeFile).then((s) => s.isFile()).catch(() => false))) {
    throw new CodegenError('TYPE_NOT_FOUND', `--from-type: file ${options.typeFile} does not exist (resolved to ${typeFile}); pass <file.ts>#<Type>`)
  }
  const program = tjs.getProgramFromFiles([typeFile], { strictNullChecks: true, skipLibCheck: true })
  let generated: ReturnType<typeof tjs.generateSchema>
  try {
    generated = tjs.generateSchema(program, options.typeName, {
      required: true, // non-optional TS properties become `required`
      noExtraProps: true, // additionalProperties: false, so extra fields are compile and runtime errors
      strictNullChecks: true,
      ignoreErrors: false,
    })
  } catch (cause) {
    // typescript-json-schema throws "type Nope not found" (no file) or the compiler's diagnostics.
    throw new CodegenError(
      'TYPE_NOT_FOUND',
      `cannot read type ${where}: ${(cause as Error).message}. Export an interface or type alias by that name from the file, and make sure the file compiles.`,
      { cause },
    )
  }
  if (generated === null) {
    throw new CodegenError('TYPE_NOT_FOUND', `type "${options.typeName}" was not found in ${options.typeFile}: export it by that name`)
  }
  const metadata: TopicMetadataInput = { partitions: options.partitions ?? 3, compatibility: 'BACKWARD' }
  if (options.key !== undefined) metadata.key = options.key
  const { $schema, ...rest } = generated as Record<string, unknown>
  const schema = {
    $schema: $schema ?? 'http://json-schema.org/draft-07/schema#',
    title: options.typeName,
    ...rest,
    [METADATA_KEYWORD]: metadata,
  }
  // Check the metadata as codegen will, before anything is written: a bad --key must not leave a schema behind.
  try {
    readTopicMetadata(options.topic, schema)
  } catch (error) {
    if (!(error instanceof CodegenError)) throw error
    const required = Array.isArray(rest['required']) ? rest['required'].map(String) : []
    throw new CodegenError(
      'INVALID_METADATA',
      `${error.message}. --key must name a required string or integer property of ${where}` +
        ` (required properties: ${required.length > 0 ? required.join(', ') : 'none'}); nothing was written.`,
      { file: options.topic, cause: error },
    )
  }
  const path = join(options.schemasDir, options.topic)
  try {
    await writeFile(path, `${JSON.stringify(schema, null, 2)}\n`, { flag: 'wx' })
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CodegenError(
        'SCHEMA_EXISTS',
        `${path} already exists; bootstrapping never overwrites a schema. Edit it by hand, or pick a new topic name.`,
        { file: options.topic, cause },
      )
    }
    throw cause
  }
  return { path, schema }
}
