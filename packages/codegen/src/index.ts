export { generate, loadSchemas, compileValidator, writeGenerated, diffGenerated } from './generate.ts'
export type { GeneratedFile, TopicSchema } from './generate.ts'
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
