export { KafkaProducerClient } from './producer.ts'
export type {
  BatchFailure,
  OutgoingMessage,
  ProducerState,
  PublishBatchOptions,
  PublishBatchResult,
  PublishResult,
  SendBatchOptions,
} from './producer.ts'
export { getProducer, closeProducer } from './shared.ts'
export { resolveProducerOptions, PRODUCER_DEFAULTS, COMPRESSIONS } from './options.ts'
export type { Acks, Compression, ProducerOptions, ResolvedProducerOptions } from './options.ts'
export { buildHeaders, dataSchemaOf, headerTemplate, SPEC_VERSION } from './headers.ts'
export type { HeaderTemplate } from './headers.ts'
