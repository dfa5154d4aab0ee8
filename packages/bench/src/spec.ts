// What compare.ts asks a worker process to do (one client, one pattern).
export const TOPIC = 'campaign.created.json'

export type Pattern = 'seq' | 'batch100' | 'conc1000' | 'consume'
export type ProduceClient = 'kafkajs' | 'kafkajs+headers' | 'topiq' | 'topiq-otel' | 'topiq-linger0' | 'topiq-platformatic' | 'platformatic'
export type ConsumeClient = 'kafkajs' | 'kafkajs+parse' | 'topiq' | 'topiq-otel' | 'topiq-autocommit' | 'topiq-platformatic' | 'topiq-platformatic-autocommit' | 'platformatic'

export interface WorkerSpec {
  client: ProduceClient | ConsumeClient
  pattern: Pattern
  brokers: string[]
  /** Topic prefix: the physical topic is prefix + TOPIC. */
  prefix: string
  /** Events timed. */
  n: number
  /** Events sent before timing starts (producers only). */
  warmup: number
  /** Snappy codec of the raw kafkajs rows: `js` (kafkajs-snappy, what a kafkajs user registers) or `native` (topiq's). */
  rawSnappy: 'js' | 'native'
}

export interface WorkerResult {
  msgs: number
  seconds: number
  /** `topiq-otel` only: spans the (discarding) exporter received, warm-up included, after a forceFlush. */
  spans?: number
  /** `topiq-otel` only: OpenTelemetry metrics with data points at a final collect (the instruments did record). */
  otelMetrics?: number
}
