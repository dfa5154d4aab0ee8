import { trace } from '@opentelemetry/api'
import { KafkaConsumerClient, type ConsumerSettings, type MessageOf, type TopicHandlers } from '@topiq/consumer'
import { serveMetrics, type Logger } from '@topiq/kafka-core'

export const WORKER_GROUP = 'campaign-worker'

export interface WorkerOptions extends Pick<ConsumerSettings, 'handleSignals' | 'topicPrefix' | 'maxWaitTimeMs' | 'lagIntervalMs'> {
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
  // trace_id: the handler runs inside the consumer's `process` span, which continues the publisher's trace (from the
  // event's traceparent header), so a log line can be found from the HTTP request that caused it. Absent without an
  // OpenTelemetry SDK.
  const where = (m: { topic: string; partition: number; offset: string }) => {
    const traceId = trace.getActiveSpan()?.spanContext().traceId
    return { topic: m.topic, partition: m.partition, offset: m.offset, ...(traceId === undefined ? {} : { trace_id: traceId }) }
  }
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
    ...(options.lagIntervalMs === undefined ? {} : { lagIntervalMs: options.lagIntervalMs }),
    handlers: campaignHandlers(logger),
  })
}

export interface WorkerMetricsOptions {
  /** METRICS_PORT, default 9464 (the OpenTelemetry Prometheus exporter's port); 0 picks a free one. */
  port?: number
  host?: string
}

/**
 * GET /metrics (every topiq metric of this process, Prometheus text format) and GET /healthz: 200 only while the
 * worker is a member of its group with partitions assigned, 503 otherwise (starting, rebalancing, stopped) — what a
 * readiness probe should ask.
 */
export function serveWorkerMetrics(worker: KafkaConsumerClient<WorkerTopic>, options: WorkerMetricsOptions = {}): ReturnType<typeof serveMetrics> {
  return serveMetrics({ port: options.port ?? 9464, ...(options.host === undefined ? {} : { host: options.host }), healthz: () => worker.inGroup })
}
