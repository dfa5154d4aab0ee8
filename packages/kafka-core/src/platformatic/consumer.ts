// The platformatic transport's consumer: kafkajs' eachBatch contract on @platformatic/kafka's Consumer.
import type { ResolvedConnection } from '../config.ts'
import { KafkaClientError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { ConsumerConfig, TransportConsumer, TransportOptions } from '../transport.ts'

export function platformaticConsumer(_connection: ResolvedConnection, _logger: Logger, _options: TransportOptions, _config: ConsumerConfig): TransportConsumer {
  throw new KafkaClientError('CONFIG_INVALID', 'the platformatic consumer is not implemented yet')
}
