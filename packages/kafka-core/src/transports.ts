import type { ResolvedConnection } from './config.ts'
import type { Logger } from './logger.ts'
import type { Transport, TransportOptions } from './transport.ts'
import { kafkajsTransport } from './transport-kafkajs.ts'

/**
 * The transport the connection names (`transport` option, else `KAFKA_TRANSPORT`, else kafkajs). The platformatic
 * implementation is loaded on first use: importing @platformatic/kafka takes ~300 ms, which a process on the default
 * transport (every CLI command, every app start) should not pay.
 */
export async function createTransport(connection: ResolvedConnection, logger: Logger, options: TransportOptions = {}): Promise<Transport> {
  if (connection.transport !== 'platformatic') return kafkajsTransport(connection, logger, options)
  const { platformaticTransport } = await import('./platformatic/index.ts')
  return platformaticTransport(connection, logger, options)
}
