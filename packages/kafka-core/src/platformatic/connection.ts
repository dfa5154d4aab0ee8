// ResolvedConnection → @platformatic/kafka's client options (brokers, client id, SASL, TLS, timeouts).
import type { BaseOptions } from '@platformatic/kafka'
import type { ResolvedConnection } from '../config.ts'

const SASL_MECHANISM = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const

/**
 * The options every platformatic client (producer, consumer, admin) is created with. TLS options pass through as
 * given (`true`: Node's defaults, certificates verified); verification is never turned off here.
 */
export function baseOptions(connection: ResolvedConnection, retries = 3): BaseOptions {
  const { sasl, ssl } = connection
  return {
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.brokers],
    connectTimeout: connection.connectionTimeoutMs,
    requestTimeout: connection.requestTimeoutMs,
    timeout: connection.requestTimeoutMs,
    retries,
    retryDelay: 200,
    // Topics come from schemas/ with their partitions and config: never created by a first use.
    autocreateTopics: false,
    ...(sasl === undefined ? {} : { sasl: { mechanism: SASL_MECHANISM[sasl.mechanism], username: sasl.username, password: sasl.password } }),
    ...(ssl === undefined || ssl === false ? {} : { tls: ssl === true ? {} : ssl }),
  }
}
