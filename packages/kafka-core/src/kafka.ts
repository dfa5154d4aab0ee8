// The kafkajs client as topiq configures it (codecs, logging, retries, SASL/TLS): used by the kafkajs transport
// (transport-kafkajs.ts), which is the default implementation of the seam in transport.ts.
import { Kafka, logLevel, type LogEntry, type SASLOptions } from 'kafkajs'
import { registerCodecs } from './codecs.ts'
import type { ResolvedConnection } from './config.ts'
import type { Logger } from './logger.ts'

export { CompressionTypes, logLevel, Partitioners } from 'kafkajs'
export type { Admin, Consumer, ConsumerConfig, EachBatchPayload, IHeaders, KafkaMessage, Message, Producer, RecordMetadata } from 'kafkajs'

let timeoutWarningMuted = false
/**
 * kafkajs 2.2.4's request queue calls setTimeout with a negative delay; Node ≥ 24 prints a TimeoutNegativeWarning
 * for it (harmless: Node waits 1 ms). Drop exactly that warning, once per process; every other warning still prints.
 */
export function muteKafkajsTimeoutWarning(): void {
  if (timeoutWarningMuted) return
  timeoutWarningMuted = true
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0]
    const type = typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type
    if (type === 'TimeoutNegativeWarning' || (warning instanceof Error && warning.name === 'TimeoutNegativeWarning')) return
    emitWarning(warning, ...rest)
  }) as typeof process.emitWarning
}

function toLogger(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, ...fields } = log
      const entry = { ...fields, kafkajs: namespace }
      if (level === logLevel.ERROR) logger.error(message, entry)
      else if (level === logLevel.WARN) logger.warn(message, entry)
      else if (level === logLevel.INFO) logger.info(message, entry)
      else logger.debug(message, entry)
    }
}

export interface CreateKafkaOptions {
  /** kafkajs' own connection retries (not message retries). */
  retries?: number
  /** kafkajs log level: its INFO chatter (joins, rebalances) is debug for us. */
  kafkaLogLevel?: logLevel
}

export function createKafka(connection: ResolvedConnection, logger: Logger, options: CreateKafkaOptions = {}): Kafka {
  registerCodecs()
  muteKafkajsTimeoutWarning()
  const sasl: SASLOptions | undefined =
    connection.sasl === undefined
      ? undefined
      : connection.sasl.mechanism === 'plain'
        ? { mechanism: 'plain', username: connection.sasl.username, password: connection.sasl.password }
        : connection.sasl.mechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username: connection.sasl.username, password: connection.sasl.password }
          : { mechanism: 'scram-sha-512', username: connection.sasl.username, password: connection.sasl.password }
  return new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    ...(sasl === undefined ? {} : { sasl }),
    ...(connection.ssl === undefined ? {} : { ssl: connection.ssl }),
    connectionTimeout: connection.connectionTimeoutMs,
    requestTimeout: connection.requestTimeoutMs,
    logLevel: options.kafkaLogLevel ?? logLevel.WARN,
    logCreator: toLogger(logger),
    retry: { retries: options.retries ?? 3, initialRetryTime: 200, maxRetryTime: 5_000 },
  })
}
