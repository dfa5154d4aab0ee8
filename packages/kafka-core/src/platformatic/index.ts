// The @platformatic/kafka transport (KAFKA_TRANSPORT=platformatic). Built out in producer.ts, consumer.ts, admin.ts.
import { KafkaClientError } from '../errors.ts'
import type { ResolvedConnection } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { Transport, TransportOptions } from '../transport.ts'

export function platformaticTransport(_connection: ResolvedConnection, _logger: Logger, _options: TransportOptions = {}): Transport {
  throw new KafkaClientError('CONFIG_INVALID', 'the platformatic transport is not implemented yet')
}
