// Issue 13 on the REAL local broker, with the REAL OpenTelemetry SDK registered globally in this file's worker
// (in-memory span exporter, a MeterProvider read on demand): publish (lingerMs 0 and the linger path) → a real
// KafkaConsumerClient handles it; send and process spans share the trace, the process span is the send span's child
// and links to it, handler spans are its children; retries and dead letters show on the span; an invalid payload is
// INVALID_PAYLOAD; metricsText() and the MeterProvider agree; topiq_consumer_lag rises while a handler is blocked and
// falls back to 0. telemetry-off.int.test.ts covers an app without an SDK.
import { randomUUID } from 'node:crypto'
import { context, metrics, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { KafkaConsumerClient, type CommonConsumerOptions } from '@topiq/consumer'
import { isContractError, topicMetadata, type EventMap } from '@topiq/contracts'
import { ATTR, METER_NAME, METRICS, metricsText, partitionAssigners, physicalTopic, silentLogger, SPAN_EVENT } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, rawKafka, readMessages, uniquePrefix, waitFor, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient, type PublishResult } from './producer.ts'
import { decode } from './test-helpers.ts'

// --- the OpenTelemetry SDK, as an app would register it ---
const spanExporter = new InMemorySpanExporter()
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spanExporter })] })
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(tracerProvider)

/** A pull reader: the test collects when it wants. */
class TestReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
}
const reader = new TestReader()
const meterProvider = new MeterProvider({ readers: [reader] })
metrics.setGlobalMeterProvider(meterProvider)
const appTracer = trace.getTracer('telemetry-test-app')

const { brokers } = connectionInfo()
const prefix = uniquePrefix('telemetry')
const runId = randomUUID().slice(0, 8)
const CREATED = 'campaign.created.json'
const UPDATED = 'campaign.updated.json'
const created = (id: string): EventMap[typeof CREATED] => ({ campaign_id: id, name: `Campaign ${id}`, created_at: '2024-01-15T10:00:00Z' })
const updated = (id: string): EventMap[typeof UPDATED] => ({ campaign_id: id, updated_at: '2024-01-15T10:00:00Z', changes: { status: 'paused' } })

const producerOptions = { brokers, topicPrefix: prefix, logger: silentLogger, registry: false, env: testEnv() } as const
let plain: KafkaProducerClient
let lingering: KafkaProducerClient
const consumers: { stop(): Promise<void> }[] = []

function consumerOptions(label: string): CommonConsumerOptions {
  return { groupId: `telemetry-${runId}-${label}`, brokers, topicPrefix: prefix, handleSignals: false, logger: silentLogger, env: testEnv(), heartbeatIntervalMs: 1_000 }
}


async function finishedSpans(): Promise<ReadableSpan[]> {
  await tracerProvider.forceFlush()
  return spanExporter.getFinishedSpans()
}

/** The one span of `kind` that carries `messaging.message.id` = eventId. */
async function spanOf(kind: SpanKind, eventId: string): Promise<ReadableSpan> {
  const spans = await waitFor(async () => {
    const found = (await finishedSpans()).filter((s) => s.kind === kind && s.attributes[ATTR.messageId] === eventId)
    return found.length > 0 ? found : undefined
  }, `the ${SpanKind[kind]} span of ${eventId}`)
  expect(spans, `one ${SpanKind[kind]} span for ${eventId}`).toHaveLength(1)
  return spans[0] as ReadableSpan
}

const childrenOf = (spans: readonly ReadableSpan[], parent: ReadableSpan) => spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)

/** Value of the series `name{labels…}` in metricsText() (labels in contract order), or undefined. */
function series(name: string, labels: Record<string, string>): number | undefined {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')
  const line = metricsText()
    .split('\n')
    .find((l) => l.startsWith(`${name}{${text}} `))
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1))
}

/** Sum of the topiq_consumer_lag series of `group`; undefined while it has none. */
function lagOf(group: string): number | undefined {
  const lines = metricsText()
    .split('\n')
    .filter((l) => l.startsWith(`topiq_consumer_lag{group="${group}",`))
  return lines.length === 0 ? undefined : lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)
}

async function collected(): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect()
  expect(errors).toEqual([])
  const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === METER_NAME)
  return new Map((scope?.metrics ?? []).map((m) => [m.descriptor.name, m]))
}

/** An OTel data point's value for exactly these attributes. */
function point(metric: MetricData | undefined, attributes: Record<string, string>): unknown {
  return metric?.dataPoints.find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes))?.value
}

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [CREATED, UPDATED])
  plain = new KafkaProducerClient({ ...producerOptions, clientId: `plain-${runId}`, lingerMs: 0 })
  lingering = new KafkaProducerClient({ ...producerOptions, clientId: `linger-${runId}` })
})

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop()))
  await Promise.allSettled([plain?.close(), lingering?.close()])
  await deleteTestTopics(brokers, prefix)
  await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()])
})

describe('tracing from publish to handler (real SDK, real broker)', () => {
  const handled = new Map<string, { traceparent: string | undefined; correlation: string | undefined; active: string | undefined }>()
  const mainGroup = consumerOptions('main').groupId
  let results: PublishResult[] = []
  let request: Span

  it('a publish inside a request span: send span child of it, traceparent in the record, process span continues it', async () => {
    const consumer = new KafkaConsumerClient({
      ...consumerOptions('main'),
      topics: [CREATED],
      messageHandler: (m) => {
        // A span the handler starts must be a child of the process span.
        const work = appTracer.startSpan(`handle ${m.value.campaign_id}`)
        handled.set(m.value.campaign_id, { traceparent: m.headers['traceparent'], correlation: m.headers['correlation_id'], active: trace.getActiveSpan()?.spanContext().spanId })
        work.end()
      },
    })
    consumers.push(consumer)
    await consumer.start({ blocking: false })

    const result = await appTracer.startActiveSpan('POST /campaigns', async (span) => {
      request = span
      try {
        return await plain.publish(CREATED, created('plain-1'), { headers: { correlation_id: 'corr-1' } })
      } finally {
        span.end()
      }
    })
    results = [result]
    const send = await spanOf(SpanKind.PRODUCER, result.eventId)
    expect(send.name).toBe(`send ${CREATED}`)
    expect(send.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
    expect(send.spanContext().traceId).toBe(request.spanContext().traceId)
    expect(send.status.code).toBe(SpanStatusCode.UNSET)
    expect(send.attributes).toMatchObject({
      [ATTR.system]: 'kafka',
      [ATTR.operationName]: 'send',
      [ATTR.operationType]: 'send',
      [ATTR.destination]: CREATED,
      [ATTR.partition]: String(result.partition),
      [ATTR.offset]: Number(result.offset),
      [ATTR.key]: 'plain-1',
      [ATTR.messageId]: result.eventId,
      [ATTR.clientId]: `plain-${runId}`,
    })

    const process = await spanOf(SpanKind.CONSUMER, result.eventId)
    expect(process.name).toBe(`process ${CREATED}`)
    expect(process.spanContext().traceId).toBe(send.spanContext().traceId)
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
    expect(process.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId])
    expect(process.attributes).toMatchObject({
      [ATTR.system]: 'kafka',
      [ATTR.operationName]: 'process',
      [ATTR.operationType]: 'process',
      [ATTR.destination]: CREATED,
      [ATTR.partition]: String(result.partition),
      [ATTR.offset]: Number(result.offset),
      [ATTR.key]: 'plain-1',
      [ATTR.group]: mainGroup,
      [ATTR.messageId]: result.eventId,
    })
    expect(process.status.code).toBe(SpanStatusCode.UNSET)
    const seen = handled.get('plain-1')
    expect(seen?.traceparent).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`)
    expect(seen?.correlation).toBe('corr-1') // the caller's headers are kept as given
    expect(seen?.active).toBe(process.spanContext().spanId)
    const work = childrenOf(await finishedSpans(), process)
    expect(work.map((s) => s.name)).toEqual(['handle plain-1'])
  })

  it('concurrent publishes through the linger buffer: each event its own span and traceparent, one request', async () => {
    const ids = ['linger-1', 'linger-2', 'linger-3', 'linger-4', 'linger-5']
    const requestsBefore = series('topiq_publish_batch_records_count', { topic: CREATED }) ?? 0
    // Each in its own request span, all in one event-loop turn: one drained buffer, several traces.
    const parents: Span[] = []
    const batch = await Promise.all(
      ids.map((id) =>
        appTracer.startActiveSpan(`request ${id}`, async (span) => {
          parents.push(span)
          try {
            return await lingering.publish(CREATED, created(id))
          } finally {
            span.end()
          }
        }),
      ),
    )
    results.push(...batch)
    expect(series('topiq_publish_batch_records_count', { topic: CREATED })).toBe(requestsBefore + 1)
    const sends = await Promise.all(batch.map((r) => spanOf(SpanKind.PRODUCER, r.eventId)))
    expect(new Set(sends.map((s) => s.spanContext().traceId)).size).toBe(ids.length)
    expect(new Set(sends.map((s) => s.spanContext().spanId)).size).toBe(ids.length)
    sends.forEach((send, i) => {
      expect(send.parentSpanContext?.spanId).toBe(parents[i]?.spanContext().spanId)
      expect(send.attributes[ATTR.partition]).toBe(String(batch[i]?.partition))
      expect(send.attributes[ATTR.offset]).toBe(Number(batch[i]?.offset))
    })
    await waitFor(() => ids.every((id) => handled.has(id)), 'the consumer to handle the lingered events')
    for (const [i, id] of ids.entries()) {
      const send = sends[i] as ReadableSpan
      expect(handled.get(id)?.traceparent).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`)
      const process = await spanOf(SpanKind.CONSUMER, batch[i]?.eventId ?? '')
      expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
      expect(process.spanContext().traceId).toBe(send.spanContext().traceId)
    }
  })

  it("a caller's own traceparent is kept as given (the send span is still recorded)", async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const result = await plain.publish(CREATED, created('own-trace'), { headers: { traceparent } })
    results.push(result)
    await waitFor(() => handled.has('own-trace'), 'the consumer to handle own-trace')
    expect(handled.get('own-trace')?.traceparent).toBe(traceparent)
    const send = await spanOf(SpanKind.PRODUCER, result.eventId)
    const process = await spanOf(SpanKind.CONSUMER, result.eventId)
    expect(process.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c')
    expect(process.spanContext().traceId).not.toBe(send.spanContext().traceId)
  })

  it('publishBatch: one send span with the batch count, every record carries its context', async () => {
    const result = await plain.publishBatch(CREATED, [created('batch-1'), created('batch-2'), created('batch-3')])
    const send = await waitFor(
      async () => (await finishedSpans()).find((s) => s.kind === SpanKind.PRODUCER && s.attributes[ATTR.batchCount] === 3),
      'the batch send span',
    )
    expect(send.name).toBe(`send ${CREATED}`)
    await waitFor(() => ['batch-1', 'batch-2', 'batch-3'].every((id) => handled.has(id)), 'the batch to be handled')
    for (const id of ['batch-1', 'batch-2', 'batch-3']) {
      expect(handled.get(id)?.traceparent).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`)
    }
    const processes = await Promise.all(result.eventIds.map((id) => spanOf(SpanKind.CONSUMER, id)))
    for (const p of processes) expect(p.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
  })

  it('an invalid payload: send span with error.type INVALID_PAYLOAD and status ERROR, counted invalid', async () => {
    const error = await appTracer.startActiveSpan('bad request', async (span) => {
      try {
        await plain.publish(CREATED, { campaign_id: 42 } as never)
        return undefined
      } catch (e) {
        return e
      } finally {
        span.end()
      }
    })
    expect(isContractError(error) && error.code).toBe('INVALID_PAYLOAD')
    const send = await waitFor(
      async () => (await finishedSpans()).find((s) => s.kind === SpanKind.PRODUCER && s.status.code === SpanStatusCode.ERROR),
      'the failed send span',
    )
    expect(send.attributes[ATTR.errorType]).toBe('INVALID_PAYLOAD')
    expect(send.status.message).toMatch(/campaign_id/)
    expect(send.attributes[ATTR.partition]).toBeUndefined()
  })

  it('a failing handler: one process span with a retry event per failed call, then dead_letter with error.type', async () => {
    const calls: (string | undefined)[] = []
    const consumer = new KafkaConsumerClient({
      ...consumerOptions('failing'),
      topics: [UPDATED],
      retry: { attempts: 3, initialBackoffMs: 50, maxBackoffMs: 100 },
      messageHandler: () => {
        const span = appTracer.startSpan('attempt')
        calls.push(trace.getActiveSpan()?.spanContext().spanId)
        span.end()
        throw new Error('downstream unavailable')
      },
    })
    consumers.push(consumer)
    await consumer.start({ blocking: false })
    const result = await plain.publish(UPDATED, updated('fail-1'))
    const process = await waitFor(async () => {
      const span = (await finishedSpans()).find((s) => s.kind === SpanKind.CONSUMER && s.attributes[ATTR.messageId] === result.eventId)
      return span?.events.some((e) => e.name === SPAN_EVENT.deadLetter) ? span : undefined
    }, 'the dead-lettered process span')
    expect(calls).toHaveLength(3)
    expect(new Set(calls)).toEqual(new Set([process.spanContext().spanId])) // every call in the same process span
    const retries = process.events.filter((e) => e.name === SPAN_EVENT.retry)
    expect(retries.map((e) => e.attributes?.[ATTR.retryAttempt])).toEqual([1, 2])
    expect(retries.map((e) => e.attributes?.[ATTR.retryDelayMs])).toEqual([50, 100])
    expect(retries[0]?.attributes?.[ATTR.retryError]).toBe('handler threw: downstream unavailable')
    const deadLetter = process.events.find((e) => e.name === SPAN_EVENT.deadLetter)
    expect(deadLetter?.attributes).toEqual({
      [ATTR.deadLetterReason]: 'HANDLER_FAILED',
      [ATTR.deadLetterTopic]: topicMetadata[UPDATED].deadLetterTopic,
      [ATTR.deadLetterAttempts]: 3,
    })
    expect(process.attributes[ATTR.errorType]).toBe('HANDLER_FAILED')
    expect(process.status.code).toBe(SpanStatusCode.ERROR)
    expect(childrenOf(await finishedSpans(), process).map((s) => s.name)).toEqual(['attempt', 'attempt', 'attempt'])
    // The dead letter keeps the original's trace headers: a replay continues the producer's trace.
    const [dlq] = await readMessages(brokers, [`${prefix}${topicMetadata[UPDATED].deadLetterTopic}`], 1)
    const send = await spanOf(SpanKind.PRODUCER, result.eventId)
    expect(dlq === undefined ? undefined : decode(dlq).headers['traceparent']).toBe(`00-${send.spanContext().traceId}-${send.spanContext().spanId}-01`)
  })

  it('metricsText() counts every outcome, and the OpenTelemetry MeterProvider got the same counts', async () => {
    const failingGroup = consumerOptions('failing').groupId
    // campaign.created.json: plain-1, 5 lingered, own-trace, 3 batched = 10 sent; 1 invalid.
    expect(series('topiq_publish_messages_total', { topic: CREATED, outcome: 'sent' })).toBe(10)
    expect(series('topiq_publish_messages_total', { topic: CREATED, outcome: 'invalid' })).toBe(1)
    expect(series('topiq_publish_messages_total', { topic: CREATED, outcome: 'failed' })).toBe(0)
    expect(series('topiq_publish_messages_total', { topic: UPDATED, outcome: 'sent' })).toBe(1)
    // Durations: one per publish call that reached sending (7 publish + 1 publishBatch + 1 updated), not the refused one.
    expect(series('topiq_publish_duration_seconds_count', { topic: CREATED })).toBe(8)
    await waitFor(() => series('topiq_consume_messages_total', { topic: CREATED, group: mainGroup, outcome: 'handled' }) === 10, '10 handled')
    expect(series('topiq_consume_messages_total', { topic: CREATED, group: mainGroup, outcome: 'dead_lettered' })).toBe(0)
    expect(series('topiq_handler_duration_seconds_count', { topic: CREATED, group: mainGroup })).toBe(10)
    expect(series('topiq_consume_messages_total', { topic: UPDATED, group: failingGroup, outcome: 'retried' })).toBe(2)
    expect(series('topiq_consume_messages_total', { topic: UPDATED, group: failingGroup, outcome: 'dead_lettered' })).toBe(1)
    expect(series('topiq_consume_messages_total', { topic: UPDATED, group: failingGroup, outcome: 'handled' })).toBe(0)
    expect(series('topiq_handler_duration_seconds_count', { topic: UPDATED, group: failingGroup })).toBe(3)
    expect(series('topiq_consumer_in_group', { group: mainGroup })).toBe(1)
    expect(series('topiq_producer_inflight_requests', { client_id: `plain-${runId}` })).toBe(0)
    expect(series('topiq_producer_buffered_bytes', { client_id: `linger-${runId}` })).toBe(0)

    const otel = await collected()
    const published = otel.get(METRICS.publishMessages.otel)
    expect(point(published, { topic: CREATED, outcome: 'sent' })).toBe(10)
    expect(point(published, { topic: CREATED, outcome: 'invalid' })).toBe(1)
    expect(point(published, { topic: UPDATED, outcome: 'sent' })).toBe(1)
    const consumed = otel.get(METRICS.consumeMessages.otel)
    expect(point(consumed, { topic: CREATED, group: mainGroup, outcome: 'handled' })).toBe(10)
    expect(point(consumed, { topic: UPDATED, group: failingGroup, outcome: 'retried' })).toBe(2)
    expect(point(consumed, { topic: UPDATED, group: failingGroup, outcome: 'dead_lettered' })).toBe(1)
    expect(point(otel.get(METRICS.consumerInGroup.otel), { group: mainGroup })).toBe(1)
    const durations = point(otel.get(METRICS.handlerDuration.otel), { topic: UPDATED, group: failingGroup }) as { count: number } | undefined
    expect(durations?.count).toBe(3)
  })
})

describe('consumer lag (topiq_consumer_lag)', () => {
  it('rises to the number of records published while the handler is blocked, and falls to 0 once it is released', { timeout: 90_000 }, async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const options = consumerOptions('lag')
    const consumer = new KafkaConsumerClient({
      ...options,
      topics: [CREATED],
      lagIntervalMs: 200,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      messageHandler: async (m) => {
        if (m.value.campaign_id.startsWith('lag-')) await gate
      },
    })
    consumers.push(consumer)
    await consumer.start({ blocking: false })
    // A new group under `earliest` starts with everything in the topic as lag, and works it off.
    await waitFor(() => lagOf(options.groupId) === 0, 'the lag of the new group to reach 0', 30_000)

    const n = 12
    await plain.publishBatch(
      CREATED,
      Array.from({ length: n }, (_, i) => created(`lag-${i}`)),
    )
    await waitFor(() => lagOf(options.groupId) === n, `the lag to reach ${n} while the handler is blocked`, 30_000)
    const otelLag = otelSum((await collected()).get(METRICS.consumerLag.otel), options.groupId)
    expect(otelLag).toBe(n)
    expect(consumer.inGroup).toBe(true)

    release()
    await waitFor(() => lagOf(options.groupId) === 0, 'the lag to fall back to 0 after the handler is released', 30_000)
    await consumer.stop()
    expect(lagOf(options.groupId)).toBeUndefined() // a stopped member's series are gone
    expect(series('topiq_consumer_in_group', { group: options.groupId })).toBeUndefined()
    expect(consumer.inGroup).toBe(false)
  })
})

describe('consumer lag across a rebalance', () => {
  /** The partitions with a topiq_consumer_lag series for `group`, one entry per series line. */
  const lagPartitions = (group: string): number[] =>
    metricsText()
      .split('\n')
      .filter((l) => l.startsWith(`topiq_consumer_lag{group="${group}",`))
      .map((l) => Number(/partition="(\d+)"/.exec(l)?.[1]))
      .sort()

  // Partitions that move to another member leave this member's series; otherwise two processes would both export a
  // series for one partition (a stale one from the old owner) and a dashboard summing lag would count it twice. The
  // other member is a plain kafkajs consumer with the same assignors, so this process's series are the topiq
  // member's alone and must follow its assignment.
  it('a member reports exactly the partitions it owns while another member joins and leaves', { timeout: 120_000 }, async () => {
    const options = consumerOptions('rebalance')
    const first = new KafkaConsumerClient({ ...options, topics: [CREATED], lagIntervalMs: 200, messageHandler: () => undefined })
    consumers.push(first)
    const owned = () => [...(first.assignment()[CREATED] ?? [])].sort()
    await first.start({ blocking: false })
    await waitFor(() => first.inGroup && lagPartitions(options.groupId).length === 3, 'the member to report lag for 3 partitions')
    expect(lagPartitions(options.groupId)).toEqual([0, 1, 2])

    const other = rawKafka(brokers).consumer({ groupId: options.groupId, partitionAssigners: partitionAssigners(), heartbeatInterval: 1_000 })
    await other.connect()
    await other.subscribe({ topic: physicalTopic(prefix, CREATED), fromBeginning: true })
    await other.run({ eachMessage: async () => undefined })
    try {
      await waitFor(() => owned().length > 0 && owned().length < 3, 'the plain member to take partitions', 60_000)
      await waitFor(() => JSON.stringify(lagPartitions(options.groupId)) === JSON.stringify(owned()) || undefined, 'the series to follow the new assignment')
      await new Promise((r) => setTimeout(r, 600)) // and stay so over a few samples
      expect(lagPartitions(options.groupId), 'the series of the partitions the member still owns, and only those').toEqual(owned())
    } finally {
      await other.disconnect()
    }
    await waitFor(() => owned().length === 3, 'the member to take the 3 partitions back', 60_000)
    await waitFor(() => lagPartitions(options.groupId).length === 3 || undefined, 'the series of 3 partitions again')
    expect(lagPartitions(options.groupId)).toEqual([0, 1, 2])
    await first.stop()
    expect(lagPartitions(options.groupId)).toEqual([])
  })
})

function otelSum(metric: MetricData | undefined, group: string): number {
  return (metric?.dataPoints ?? []).filter((p) => p.attributes['group'] === group).reduce((sum, p) => sum + Number(p.value), 0)
}
