import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import tjs from 'typescript-json-schema'
import { CodegenError } from './errors.ts'
import { METADATA_KEYWORD, type TopicMetadataInput } from './metadata.ts'
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
  const program = tjs.getProgramFromFiles([typeFile], { strictNullChecks: true, skipLibCheck: true })
  const generated = tjs.generateSchema(program, options.typeName, {
    required: true, // non-optional TS properties become `required`
    noExtraProps: true, // additionalProperties: false, so extra fields are compile and runtime errors
    strictNullChecks: true,
    ignoreErrors: false,
  })
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
