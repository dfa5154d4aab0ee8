import { readFile } from 'node:fs/promises'
import { ContractError, formatViolations, isTopicName, unknownTopicError, validate, type TopicName } from '@topiq/contracts'
import type { RegistryOptions } from '@topiq/kafka-core'
import { KafkaProducerClient } from '@topiq/producer'
import type { KafkaCommandContext } from './kafka-commands.ts'

export interface PublishCommandOptions {
  topic: string
  /** Inline JSON, or `@path` to a JSON file. */
  payload: string
  key?: string
  headers: Record<string, string>
  registry?: RegistryOptions
}

async function readPayload(arg: string): Promise<unknown> {
  const source = arg.startsWith('@') ? `file ${arg.slice(1)}` : 'the argument'
  const text = arg.startsWith('@') ? await readFile(arg.slice(1), 'utf8') : arg
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new ContractError('INVALID_PAYLOAD', '?', `payload in ${source} is not valid JSON: ${(cause as Error).message}`, [], { cause })
  }
}

/** Validates first (every violation with its JSON path; nothing sent), then publishes through the typed producer. */
export async function publishCommand(ctx: KafkaCommandContext, options: PublishCommandOptions) {
  const { topic } = options
  if (!isTopicName(topic)) throw unknownTopicError(topic)
  return publishTo(ctx, options, topic, await readPayload(options.payload))
}

// Generic in the topic, so the validated value stays tied to it: `publish` takes one topic's payload, and a value
// typed as the union of every topic's payload would not compile.
async function publishTo<T extends TopicName>(ctx: KafkaCommandContext, options: PublishCommandOptions, topic: T, value: unknown) {
  const result = validate(topic, value)
  if (!result.ok) {
    throw new ContractError(
      'INVALID_PAYLOAD',
      topic,
      `payload does not match schemas/${topic}; nothing was sent:\n${formatViolations(result.violations)}`,
      result.violations,
    )
  }
  await using producer = new KafkaProducerClient({
    brokers: ctx.connection.brokers,
    clientId: ctx.connection.clientId,
    topicPrefix: ctx.prefix,
    logger: ctx.logger,
    registry: options.registry ?? false,
    ...(ctx.connection.sasl === undefined ? {} : { sasl: ctx.connection.sasl }),
    ...(ctx.connection.ssl === undefined ? {} : { ssl: ctx.connection.ssl }),
  })
  // `return await`: the producer is disposed when this function returns, so the send must finish first.
  return await producer.publish(topic, result.value, {
    ...(options.key === undefined ? {} : { key: options.key }),
    headers: { source: 'topiq-cli', ...options.headers },
  })
}
