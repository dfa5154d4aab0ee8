// tracing.ts with the real OpenTelemetry SDK registered globally (this file's worker only): what the producer writes
// into headers and what the consumer makes of them. tracing-off.test.ts covers the bare API.
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ATTR,
  errorType,
  failSpan,
  headerValue,
  injectTraceContext,
  processSpanTemplate,
  sendSpanTemplate,
  serverOf,
  startProcessSpan,
  startSendSpan,
  traceHeaders,
  tracer,
} from './tracing.ts'

const exporter = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] })
trace.setGlobalTracerProvider(provider)

beforeEach(() => exporter.reset())

/** Ended spans (the SDK's simple processor exports asynchronously). */
async function finishedSpans(): Promise<ReturnType<InMemorySpanExporter['getFinishedSpans']>> {
  await provider.forceFlush()
  return exporter.getFinishedSpans()
}

const send = sendSpanTemplate({ destination: 'campaign.created.json', clientId: 'api', broker: 'kafka:9092' })
const processing = processSpanTemplate({ destination: 'campaign.created.json', group: 'workers', clientId: 'worker' })

describe('send spans', () => {
  it('are PRODUCER spans named `send <topic>`, children of the active span, with the conventions attributes', async () => {
    const parent = tracer().startSpan('POST /campaigns')
    const span = context.with(trace.setSpan(context.active(), parent), () => startSendSpan(send))
    span.end()
    parent.end()
    const [finished] = await finishedSpans()
    expect(finished?.name).toBe('send campaign.created.json')
    expect(finished?.kind).toBe(SpanKind.PRODUCER)
    expect(finished?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId)
    expect(finished?.attributes).toEqual({
      [ATTR.system]: 'kafka',
      [ATTR.operationName]: 'send',
      [ATTR.operationType]: 'send',
      [ATTR.destination]: 'campaign.created.json',
      [ATTR.clientId]: 'api',
      [ATTR.serverAddress]: 'kafka',
      [ATTR.serverPort]: 9092,
    })
    expect(sendSpanTemplate({ destination: undefined, clientId: 'api', broker: undefined }).name).toBe('send')
  })

  it('write their own W3C context into the headers (each span its own span id)', async () => {
    const a = startSendSpan(send)
    const b = startSendSpan(send)
    const ha = injectTraceContext(a, { ce_id: '1' })
    const hb = injectTraceContext(b, {})
    expect(ha).toEqual({ ce_id: '1', traceparent: `00-${a.spanContext().traceId}-${a.spanContext().spanId}-01` })
    expect(hb['traceparent']).toBe(`00-${b.spanContext().traceId}-${b.spanContext().spanId}-01`)
    expect(traceHeaders(a)).toEqual({ traceparent: ha['traceparent'] })
  })
})

describe('process spans', () => {
  it('continue the trace of the record: parent and link are the producer span; Buffer and repeated headers are read', async () => {
    const producer = startSendSpan(send)
    const written = injectTraceContext(producer, {})
    const headers = { ce_id: Buffer.from('evt-1'), traceparent: [Buffer.from('00-garbage'), Buffer.from(written['traceparent'] as string)] }
    expect(headerValue(headers, 'ce_id')).toBe('evt-1')
    const { span, context: ctx } = startProcessSpan(processing, headers)
    expect(ctx).toBeDefined()
    // What a handler run in that context starts is a child of the process span.
    const child = context.with(ctx ?? context.active(), () => tracer().startSpan('handler work'))
    child.end()
    span.end()
    const finished = await finishedSpans()
    const process = finished.find((s) => s.name === 'process campaign.created.json')
    expect(process?.kind).toBe(SpanKind.CONSUMER)
    expect(process?.spanContext().traceId).toBe(producer.spanContext().traceId)
    expect(process?.parentSpanContext?.spanId).toBe(producer.spanContext().spanId)
    expect(process?.links.map((l) => l.context.spanId)).toEqual([producer.spanContext().spanId])
    expect(process?.attributes).toMatchObject({ [ATTR.group]: 'workers', [ATTR.operationType]: 'process', [ATTR.destination]: 'campaign.created.json' })
    expect(finished.find((s) => s.name === 'handler work')?.parentSpanContext?.spanId).toBe(span.spanContext().spanId)
  })

  it('are root spans without links for a record without trace context, whatever context is active', async () => {
    const outer = tracer().startSpan('fetch loop')
    const { span } = context.with(trace.setSpan(context.active(), outer), () => startProcessSpan(processing, { ce_id: 'x' }))
    span.end()
    outer.end()
    const process = (await finishedSpans()).find((s) => s.name === 'process campaign.created.json')
    expect(process?.parentSpanContext).toBeUndefined()
    expect(process?.links).toEqual([])
    expect(process?.spanContext().traceId).not.toBe(outer.spanContext().traceId)
  })
})

describe('failures', () => {
  it('error.type is our error code, else the error name', async () => {
    expect(errorType(Object.assign(new Error('x'), { code: 'OUTCOME_UNKNOWN' }))).toBe('OUTCOME_UNKNOWN')
    expect(errorType(new TypeError('x'))).toBe('TypeError')
    expect(errorType('text')).toBe('_OTHER')
    const span = startSendSpan(send)
    failSpan(span, 'INVALID_PAYLOAD', 'bad payload')
    span.end()
    const [finished] = await finishedSpans()
    expect(finished?.attributes[ATTR.errorType]).toBe('INVALID_PAYLOAD')
    expect(finished?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad payload' })
  })

  it('server.address/port parse host:port and bracketed IPv6, nothing for a bare host', async () => {
    expect(serverOf('127.0.0.1:29092')).toEqual({ address: '127.0.0.1', port: 29092 })
    expect(serverOf('[::1]:9092')).toEqual({ address: '::1', port: 9092 })
    expect(serverOf('kafka')).toBeUndefined()
    expect(serverOf(undefined)).toBeUndefined()
  })
})
