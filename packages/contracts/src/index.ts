export { TOPICS, topicMetadata, definitions, validators } from './generated/index.ts'
export type { EventMap, TopicName } from './generated/index.ts'
// One payload type per topic and one type per shared definition (schemas/defs/), named by the schemas: a generated
// list, so a new topic's type is importable right after `pnpm codegen` and a removed schema takes its type along.
export type * from './generated/types.ts'
export { validate, assertValid, isTopicName, keyOf, keyReader, formatViolations, invalidPayloadError, unknownTopicError } from './validate.ts'
export type { ValidationResult } from './validate.ts'
export { ContractError, isContractError, CONTRACT_ERROR_CODES } from './errors.ts'
export type { ContractErrorCode, Violation } from './errors.ts'
export type { EventOf, MessageOf, Publish, PublishOptions, PublishPayload, RawHeader, RawRecord, TypedPublisher } from './publish.ts'
