// The metrics topiq's clients export, in one place: the Prometheus text endpoint, the OpenTelemetry instruments, the
// Grafana dashboard (observability/grafana/topiq.json) and the alert rules (observability/prometheus/alerts.yml) all
// use these names, and a test checks that the dashboard and the rules reference no other topiq_* series.
//
// Naming follows OpenTelemetry's Prometheus translation, so an app that exports through an OTel pipeline (OTLP →
// Prometheus, or the OTel Prometheus exporter) gets the same series names as one scraping `/metrics`: the OTel
// instrument `topiq.publish.messages` (counter) becomes `topiq_publish_messages_total`, `topiq.publish.duration`
// (unit s) becomes `topiq_publish_duration_seconds`, a gauge keeps its name. Labels are OTel attributes of the same
// name (`topic` is the logical topic, prefix not included; `group` the consumer group id).

export type MetricKind = 'counter' | 'histogram' | 'gauge'

export interface MetricSpec {
  /** The OpenTelemetry instrument name. */
  otel: string
  /** The Prometheus series name (histograms add _bucket, _sum, _count). */
  prometheus: string
  kind: MetricKind
  /** UCUM unit of the OTel instrument. */
  unit: string
  help: string
  labels: readonly string[]
  /** Histogram bucket upper bounds. */
  buckets?: readonly number[]
}

/** Seconds: 0.5 ms … 30 s (publish and handler durations). */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const
/** Records per produce request or per fetched batch. */
export const BATCH_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] as const

/** `outcome` label values of topiq_publish_messages_total. */
export const PUBLISH_OUTCOMES = ['sent', 'failed', 'invalid', 'outcome_unknown'] as const
/** `outcome` label values of topiq_consume_messages_total. A retried message counts once per retry. */
export const CONSUME_OUTCOMES = ['handled', 'retried', 'dead_lettered', 'failed'] as const

export const METRICS = {
  publishMessages: {
    otel: 'topiq.publish.messages',
    prometheus: 'topiq_publish_messages_total',
    kind: 'counter',
    unit: '{message}',
    help: 'Events published, by outcome: sent (acknowledged), failed (not sent), invalid (refused by the contract before sending), outcome_unknown (may have been written).',
    labels: ['topic', 'outcome'],
  },
  publishDuration: {
    otel: 'topiq.publish.duration',
    prometheus: 'topiq_publish_duration_seconds',
    kind: 'histogram',
    unit: 's',
    help: 'Time from a publish call to its acknowledgement or failure (linger wait included).',
    labels: ['topic'],
    buckets: DURATION_BUCKETS,
  },
  publishBatchRecords: {
    otel: 'topiq.publish.batch.records',
    prometheus: 'topiq_publish_batch_records',
    kind: 'histogram',
    unit: '{message}',
    help: 'Records per produce request to one topic.',
    labels: ['topic'],
    buckets: BATCH_BUCKETS,
  },
  producerBufferedBytes: {
    otel: 'topiq.producer.buffered.bytes',
    prometheus: 'topiq_producer_buffered_bytes',
    kind: 'gauge',
    unit: 'By',
    help: 'Bytes waiting in the linger buffer or in flight (bounded by maxBufferedBytes).',
    labels: ['client_id'],
  },
  producerInflightRequests: {
    otel: 'topiq.producer.inflight.requests',
    prometheus: 'topiq_producer_inflight_requests',
    kind: 'gauge',
    unit: '{request}',
    help: 'Produce requests sent and not yet answered.',
    labels: ['client_id'],
  },
  consumeMessages: {
    otel: 'topiq.consume.messages',
    prometheus: 'topiq_consume_messages_total',
    kind: 'counter',
    unit: '{message}',
    help: 'Records consumed, by outcome: handled, retried (a failed handler call that will be retried), dead_lettered, failed (the consumer stopped on it).',
    labels: ['topic', 'group', 'outcome'],
  },
  handlerDuration: {
    otel: 'topiq.handler.duration',
    prometheus: 'topiq_handler_duration_seconds',
    kind: 'histogram',
    unit: 's',
    help: 'Time in the message handler, per call (retries are separate calls).',
    labels: ['topic', 'group'],
    buckets: DURATION_BUCKETS,
  },
  consumeBatchRecords: {
    otel: 'topiq.consume.batch.records',
    prometheus: 'topiq_consume_batch_records',
    kind: 'histogram',
    unit: '{message}',
    help: 'Records per fetched batch handed to the consumer.',
    labels: ['topic', 'group'],
    buckets: BATCH_BUCKETS,
  },
  consumerLag: {
    otel: 'topiq.consumer.lag',
    prometheus: 'topiq_consumer_lag',
    kind: 'gauge',
    unit: '{message}',
    help: "Records not yet committed by the group: the partition's end offset minus the group's committed offset, sampled every lagIntervalMs for the partitions assigned to this member.",
    labels: ['group', 'topic', 'partition'],
  },
  consumerInGroup: {
    otel: 'topiq.consumer.in_group',
    prometheus: 'topiq_consumer_in_group',
    kind: 'gauge',
    unit: '1',
    help: '1 while this consumer is a member of its group (joined, its assignment received — empty for an idle extra member), else 0 (what /healthz reports).',
    labels: ['group'],
  },
} as const satisfies Record<string, MetricSpec>

export type MetricKey = keyof typeof METRICS

/** Every Prometheus series name topiq exports (histograms with their _bucket/_sum/_count series). */
export function exportedSeriesNames(): string[] {
  return Object.values(METRICS).flatMap((m: MetricSpec) =>
    m.kind === 'histogram' ? [m.prometheus, `${m.prometheus}_bucket`, `${m.prometheus}_sum`, `${m.prometheus}_count`] : [m.prometheus],
  )
}
