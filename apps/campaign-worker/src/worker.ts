import { KafkaConsumerClient, type ConsumerSettings, type MessageOf, type TopicHandlers } from '@topiq/consumer'
import type { Logger } from '@topiq/kafka-core'

export const WORKER_GROUP = 'campaign-worker'

export interface WorkerOptions extends Pick<ConsumerSettings, 'handleSignals' | 'topicPrefix' | 'maxWaitTimeMs'> {
  logger: Logger
  groupId?: string
  brokers?: string | readonly string[]
}

/** What the worker does with each event; kept apart from Kafka so it reads as plain business logic. */
export function describeCreated(m: MessageOf<'campaign.created.json'>): Record<string, unknown> {
  return { campaign_id: m.value.campaign_id, name: m.value.name, status: m.value.status ?? 'draft', correlation_id: m.headers['correlation_id'] }
}

export function describeUpdated(m: MessageOf<'campaign.updated.json'>): Record<string, unknown> {
  return { campaign_id: m.value.campaign_id, changed: Object.keys(m.value.changes), correlation_id: m.headers['correlation_id'] }
}

export type WorkerTopic = 'campaign.created.json' | 'campaign.updated.json'

/** The worker's handlers, apart from the consumer so unit tests can drive them (e.g. with @topiq/test-bus). */
export function campaignHandlers(logger: Logger): TopicHandlers<WorkerTopic> {
  const where = (m: { topic: string; partition: number; offset: string }) => ({ topic: m.topic, partition: m.partition, offset: m.offset })
  return {
    'campaign.created.json': (m) => {
      logger.info('campaign created', { ...where(m), ...describeCreated(m) })
      return true
    },
    'campaign.updated.json': (m) => {
      logger.info('campaign updated', { ...where(m), ...describeUpdated(m) })
      return true
    },
  }
}

export function createWorker(options: WorkerOptions): KafkaConsumerClient<WorkerTopic> {
  const { logger } = options
  return new KafkaConsumerClient({
    groupId: options.groupId ?? WORKER_GROUP,
    clientId: 'campaign-worker',
    logger,
    ...(options.brokers === undefined ? {} : { brokers: options.brokers }),
    ...(options.topicPrefix === undefined ? {} : { topicPrefix: options.topicPrefix }),
    ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
    ...(options.maxWaitTimeMs === undefined ? {} : { maxWaitTimeMs: options.maxWaitTimeMs }),
    handlers: campaignHandlers(logger),
  })
}
