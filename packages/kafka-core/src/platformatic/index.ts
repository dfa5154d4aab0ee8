// The @platformatic/kafka transport (KAFKA_TRANSPORT=platformatic): producer.ts, consumer.ts, admin.ts; errors are
// normalised to kafkajs' shapes in errors.ts so kafka-core's translateKafkaError reads them unchanged.
import type { ResolvedConnection } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Transport, TransportOptions } from '../transport.ts'
import { platformaticAdmin } from './admin.ts'
import { platformaticConsumer } from './consumer.ts'
import { platformaticProducer } from './producer.ts'

export function platformaticTransport(connection: ResolvedConnection, logger: Logger, options: TransportOptions = {}): Transport {
  return {
    name: 'platformatic',
    producer: (config) => platformaticProducer(connection, logger, options, config),
    consumer: (config) => platformaticConsumer(connection, logger, options, config),
    admin: () => platformaticAdmin(connection, logger, options),
  }
}
