export { generate, loadSchemas, loadContracts, compileValidator, writeGenerated, diffGenerated } from './generate.ts'
export type { Contracts, GeneratedFile, TopicSchema } from './generate.ts'
export { writeBundle, syncBundle, schemasHash } from './bundle.ts'
export type { Bundle, SyncResult } from './bundle.ts'
export {
  DEFINITIONS_DIR,
  DEFINITION_FILE_PATTERN,
  definitionTypeName,
  resolveRefPath,
  externalRefs,
  inlineRefs,
  loadDefinitions,
} from './defs.ts'
export type { DefinitionSchema } from './defs.ts'
export { bootstrapSchema } from './bootstrap.ts'
export type { BootstrapOptions } from './bootstrap.ts'
export { readTopicMetadata, COMPATIBILITY_LEVELS, FRAMINGS, METADATA_KEYWORD } from './metadata.ts'
export type { CompatibilityLevel, Framing, TopicMetadata, TopicMetadataInput } from './metadata.ts'
export {
  TOPIC_NAME_PATTERN,
  TOPIC_NAME_RULE,
  DEAD_LETTER_SUFFIX,
  isTopicName,
  deadLetterTopicOf,
  checkSchemaFileName,
  typeNameOf,
} from './naming.ts'
export { CodegenError, CodegenErrors, isCodegenError, CODEGEN_ERROR_CODES } from './errors.ts'
export type { CodegenErrorCode } from './errors.ts'
