export { KafkaConsumerClient } from './consumer.ts'
export type { Assignment, ConsumerState, StartOptions } from './consumer.ts'
export { DEFAULTS, backoffSchedule } from './options.ts'
export type {
  AutoOffsetReset,
  CommonConsumerOptions,
  ConsumerOptions,
  ConsumerSettings,
  HandlerResult,
  HandlersConsumerOptions,
  MessageHandler,
  RetryOptions,
  TopicHandlers,
  TopicsConsumerOptions,
} from './options.ts'
export { DLQ_HEADER, DEAD_LETTER_REASONS, deadLetterHeaders } from './dead-letter.ts'
export type { DeadLetterFailure, DeadLetterOrigin, DeadLetterReason } from './dead-letter.ts'
export { describeViolations } from './message.ts'
export { ConsumerError, isConsumerError, CONSUMER_ERROR_CODES } from './errors.ts'
export type { ConsumerErrorCode } from './errors.ts'
export type { MessageOf, EventOf, TopicName } from '@topiq/contracts'
