import type { ResolvedConnection } from './config.ts'
import type { Logger } from './logger.ts'
import { platformaticTransport } from './platformatic/index.ts'
import type { Transport, TransportOptions } from './transport.ts'
import { kafkajsTransport } from './transport-kafkajs.ts'

/** The transport the connection names (`transport` option, else `KAFKA_TRANSPORT`, else kafkajs). */
export function createTransport(connection: ResolvedConnection, logger: Logger, options: TransportOptions = {}): Transport {
  return connection.transport === 'platformatic' ? platformaticTransport(connection, logger, options) : kafkajsTransport(connection, logger, options)
}
