// OpenTelemetry tracing shared by the producer and the consumer, after the messaging semantic conventions for Kafka:
// `send <topic>` spans (PRODUCER) that put W3C trace context into each record's headers, `process <topic>` spans
// (CONSUMER) that continue it. Only @opentelemetry/api is used: without an SDK every span is a non-recording no-op and
// no header is written.
import {
  context,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api'
import type { RawHeaders } from './serialization.ts'

/** The tracer (instrumentation scope) of every topiq span; same name as the meter. */
export const TRACER_NAME = '@topiq/kafka'

/** Attribute names (OpenTelemetry messaging semantic conventions, Kafka; plus topiq's own event attributes). */
export const ATTR = {
  system: 'messaging.system',
  operationName: 'messaging.operation.name',
  operationType: 'messaging.operation.type',
  destination: 'messaging.destination.name',
  partition: 'messaging.destination.partition.id',
  offset: 'messaging.kafka.offset',
  key: 'messaging.kafka.message.key',
  tombstone: 'messaging.kafka.message.tombstone',
  group: 'messaging.consumer.group.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  clientId: 'messaging.client.id',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  retryAttempt: 'messaging.kafka.retry.attempt',
  retryDelayMs: 'messaging.kafka.retry.delay_ms',
  retryError: 'messaging.kafka.retry.error',
  deadLetterReason: 'messaging.kafka.dead_letter.reason',
  deadLetterTopic: 'messaging.kafka.dead_letter.topic',
  deadLetterAttempts: 'messaging.kafka.dead_letter.attempts',
} as const

/** Span events the consumer adds to a `process` span. */
export const SPAN_EVENT = {
  /** A handler call failed and will be retried after a backoff. */
  retry: 'messaging.kafka.retry',
  /** The record was written to the dead-letter topic. */
  deadLetter: 'dead_letter',
} as const

/** The W3C trace-context headers the producer writes and the consumer reads (lower case, as W3C names them). */
export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const

let cachedTracer: Tracer | undefined
/** One tracer for the process: a ProxyTracer that starts recording once an SDK is registered, even later. */
export function tracer(): Tracer {
  return (cachedTracer ??= trace.getTracer(TRACER_NAME))
}

/** A span's name and start options, built once per topic (or per topic and group), not per message. */
export interface SpanTemplate {
  readonly name: string
  readonly options: SpanOptions
}

/** `host` and `port` of a `host:port` broker address (IPv6 in brackets); undefined when it does not parse. */
export function serverOf(broker: string | undefined): { address: string; port: number } | undefined {
  if (broker === undefined) return undefined
  const colon = broker.lastIndexOf(':')
  const port = Number(broker.slice(colon + 1))
  if (colon <= 0 || !Number.isInteger(port)) return undefined
  return { address: broker.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port }
}

export interface SendTemplateOptions {
  /** Logical topic; undefined for a batch spanning several topics (span name `send`). */
  destination: string | undefined
  clientId: string
  /** The first bootstrap broker, as `server.address`/`server.port` (the partition leader is not known up front). */
  broker: string | undefined
}

export function sendSpanTemplate({ destination, clientId, broker }: SendTemplateOptions): SpanTemplate {
  const server = serverOf(broker)
  const attributes: Attributes = {
    [ATTR.system]: 'kafka',
    [ATTR.operationName]: 'send',
    [ATTR.operationType]: 'send',
    [ATTR.clientId]: clientId,
    ...(destination === undefined ? {} : { [ATTR.destination]: destination }),
    ...(server === undefined ? {} : { [ATTR.serverAddress]: server.address, [ATTR.serverPort]: server.port }),
  }
  return { name: destination === undefined ? 'send' : `send ${destination}`, options: { kind: SpanKind.PRODUCER, attributes } }
}

export interface ProcessTemplateOptions {
  /** Logical topic. */
  destination: string
  group: string
  clientId: string
}

export function processSpanTemplate({ destination, group, clientId }: ProcessTemplateOptions): SpanTemplate {
  const attributes: Attributes = {
    [ATTR.system]: 'kafka',
    [ATTR.operationName]: 'process',
    [ATTR.operationType]: 'process',
    [ATTR.destination]: destination,
    [ATTR.group]: group,
    [ATTR.clientId]: clientId,
  }
  return { name: `process ${destination}`, options: { kind: SpanKind.CONSUMER, attributes } }
}

/** A `send` span, child of the active context (e.g. the span of the HTTP request that publishes). */
export function startSendSpan(template: SpanTemplate): Span {
  return tracer().startSpan(template.name, template.options)
}

/**
 * Whether the span has a context worth propagating: a recording span, or a non-recording one that carries a remote
 * parent through. Without an SDK and an incoming trace this is false, and callers skip all context work.
 */
export function hasTraceContext(span: Span): boolean {
  return isSpanContextValid(span.spanContext())
}

/**
 * Writes `span`'s W3C trace context into `headers` through the registered propagator (none registered: nothing is
 * written). Returns `headers`.
 */
export function injectTraceContext(span: Span, headers: Record<string, string>): Record<string, string> {
  if (hasTraceContext(span)) propagation.inject(trace.setSpan(context.active(), span), headers)
  return headers
}

/** The trace headers a span would write, once, for the records of a batch to share. Empty without a propagator. */
export function traceHeaders(span: Span): Record<string, string> | undefined {
  if (!hasTraceContext(span)) return undefined
  const headers = injectTraceContext(span, {})
  return Object.keys(headers).length === 0 ? undefined : headers
}

/** Reads header values as kafkajs delivers them (Buffer, string, null, or an array for a repeated name): the last non-null one. */
export const kafkaHeaderGetter: TextMapGetter<RawHeaders | undefined> = {
  keys: (carrier) => (carrier === undefined ? [] : Object.keys(carrier)),
  get: (carrier, key) => headerValue(carrier, key),
}

/**
 * Reads a record's headers only when a propagator asks: the no-op propagator (no SDK) never does, so a record whose
 * headers decode lazily (the platformatic transport's) is not decoded for tracing that is off.
 */
export const recordHeaderGetter: TextMapGetter<{ readonly headers?: unknown }> = {
  keys: (record) => kafkaHeaderGetter.keys(record.headers as RawHeaders | undefined),
  get: (record, key) => headerValue(record.headers as RawHeaders | undefined, key),
}

export function headerValue(headers: RawHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name]
  if (raw == null) return undefined
  if (!Array.isArray(raw)) return typeof raw === 'string' ? raw : (raw as Buffer).toString('utf8')
  for (let i = raw.length - 1; i >= 0; i--) {
    const v = (raw as readonly (Buffer | string | null | undefined)[])[i]
    if (v != null) return typeof v === 'string' ? v : v.toString('utf8')
  }
  return undefined
}

export interface ProcessSpan {
  span: Span
  /** The span's context, for running the handler in; undefined when there is nothing to propagate (no SDK). */
  context: Context | undefined
}

/** What every record gets when there is nothing to record or propagate (no SDK): shared, so it costs nothing per record. */
const NO_TRACE: ProcessSpan = Object.freeze({ span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), context: undefined })

/**
 * A `process` span for one record: its parent is the producer's context from the record's headers (same trace id),
 * and it links to it as well (the conventions' link from a process span to each message's creation context). A record
 * without trace context gets a root span.
 */
export function startProcessSpan<C = RawHeaders | undefined>(template: SpanTemplate, carrier: C, getter: TextMapGetter<C> = kafkaHeaderGetter as TextMapGetter<C>): ProcessSpan {
  // ROOT_CONTEXT, not the active one: a record's trace is its producer's, not whatever kafkajs' fetch loop runs in.
  const parent = propagation.extract(ROOT_CONTEXT, carrier, getter)
  const remote = parent === ROOT_CONTEXT ? undefined : trace.getSpanContext(parent)
  const options: SpanOptions = remote !== undefined && isSpanContextValid(remote) ? { ...template.options, links: [{ context: remote }] } : template.options
  const span = tracer().startSpan(template.name, options, parent)
  return hasTraceContext(span) ? { span, context: trace.setSpan(parent, span) } : NO_TRACE
}

/** `error.type` of a failure: our error codes (KafkaClientError, ContractError, ConsumerError), else the error's name. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const { code, name } = error as { code?: unknown; name?: unknown }
    if (typeof code === 'string' && code !== '') return code
    if (typeof name === 'string' && name !== '') return name
  }
  return '_OTHER'
}

/** Marks a span failed: `error.type` and status ERROR with the message. No-op on a non-recording span. */
export function failSpan(span: Span, type: string, message: string): void {
  if (!span.isRecording()) return
  span.setAttribute(ATTR.errorType, type)
  span.setStatus({ code: SpanStatusCode.ERROR, message })
}
