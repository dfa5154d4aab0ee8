// Issue 13 end to end, with real parts only: the real OpenTelemetry Node SDK (in-memory span exporter) registered in
// this process, the example API and worker on the real broker, and a real Prometheus server (Debian's package,
// installed by scripts/prometheus.sh) scraping the worker's /metrics.
// - one trace id from `POST /campaigns` (the caller's traceparent) through the API's span, the producer's `send` span,
//   the event's traceparent header, the worker's `process` span and the handler's log line;
// - Prometheus sees the worker group's lag rise while the worker is paused, and fall to 0 once it drains.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { context, propagation, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace'
import { createCampaignApi } from '@topiq/example-campaign-api'
import { jsonLogger, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, uniquePrefix, waitFor, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo, ensurePrometheus, startPrometheus } from '@topiq/local-stack'
import { KafkaProducerClient } from '@topiq/producer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorker, serveWorkerMetrics, WORKER_GROUP } from './worker.ts'

// The OpenTelemetry SDK as an app registers it: tracer provider, W3C trace-context propagator, async context.
const exporter = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }))

const { brokers } = connectionInfo()
const prefix = uniquePrefix('observability')
const group = `${WORKER_GROUP}-${prefix}`
const dir = mkdtempSync(join(tmpdir(), 'topiq-observability-'))
const lines: Record<string, unknown>[] = []
const logger = jsonLogger({ level: 'info', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) })
const prometheusBinary = await ensurePrometheus()
if (prometheusBinary === undefined && process.env['CI'] === 'true') throw new Error('Prometheus could not be installed (scripts/prometheus.sh); CI must run the Prometheus tests')

let producer: KafkaProducerClient
let worker: ReturnType<typeof createWorker>
let api: ReturnType<typeof createCampaignApi>
let apiUrl = ''
let metrics: Awaited<ReturnType<typeof serveWorkerMetrics>>


async function postCampaign(name: string, headers: Record<string, string> = {}): Promise<{ campaign_id: string }> {
  const res = await fetch(`${apiUrl}/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name }) })
  expect(res.status).toBe(201)
  return ((await res.json()) as { campaign: { campaign_id: string } }).campaign
}

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json', 'campaign.updated.json'])
  producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, logger: silentLogger, registry: false, env: testEnv() })
  api = createCampaignApi({ logger: silentLogger, publisher: producer })
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
  worker = createWorker({ logger, brokers, topicPrefix: prefix, groupId: group, handleSignals: false, lagIntervalMs: 500 })
  metrics = await serveWorkerMetrics(worker, { port: 0 })
  await worker.start({ blocking: false })
})

afterAll(async () => {
  await worker?.stop()
  await metrics?.close()
  await new Promise((r) => api?.close(r))
  await producer?.close()
  await deleteTestTopics(brokers, prefix)
  rmSync(dir, { recursive: true, force: true })
})

describe('observability of the example apps (issue 13)', () => {
  it('/healthz is ready only while the worker is in its group', async () => {
    await waitFor(async () => (await fetch(`${metrics.url}/healthz`)).status === 200, 'the worker to join its group')
    expect(worker.inGroup).toBe(true)
    const text = await (await fetch(`${metrics.url}/metrics`)).text()
    expect(text).toMatch(new RegExp(`^topiq_consumer_in_group\\{group="${group}"\\} 1$`, 'm'))
  })

  it('one trace id from POST /campaigns through the API, the event and the worker handler', async () => {
    const traceId = randomBytes(16).toString('hex')
    const callerSpanId = randomBytes(8).toString('hex')
    const campaign = await postCampaign('Traced campaign', { traceparent: `00-${traceId}-${callerSpanId}-01` })
    const line = await waitFor(() => lines.find((l) => l['message'] === 'campaign created' && l['campaign_id'] === campaign.campaign_id), 'the worker to handle the event')
    expect(line['trace_id']).toBe(traceId)

    const spans = await waitFor(() => {
      const ofTrace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId)
      return ofTrace.some((s) => s.kind === SpanKind.CONSUMER) ? ofTrace : undefined
    }, 'the process span to end')
    const one = (kind: SpanKind): ReadableSpan => {
      const found = spans.filter((s) => s.kind === kind)
      expect(found, `one ${SpanKind[kind]} span in the trace`).toHaveLength(1)
      return found[0] as ReadableSpan
    }
    const server = one(SpanKind.SERVER)
    const send = one(SpanKind.PRODUCER)
    const process_ = one(SpanKind.CONSUMER)
    expect(server.name).toBe('POST /campaigns')
    expect(server.parentSpanContext?.spanId).toBe(callerSpanId)
    expect(send.name).toBe('send campaign.created.json')
    expect(send.parentSpanContext?.spanId).toBe(server.spanContext().spanId)
    expect(process_.name).toBe('process campaign.created.json')
    expect(process_.parentSpanContext?.spanId).toBe(send.spanContext().spanId)
    expect(process_.links.map((l) => l.context.spanId)).toContain(send.spanContext().spanId)
    expect(process_.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'campaign.created.json',
      'messaging.consumer.group.name': group,
      'messaging.destination.partition.id': String(line['partition']),
      'messaging.kafka.offset': Number(line['offset']),
    })
  })

  it.skipIf(prometheusBinary === undefined)('a real Prometheus sees the lag rise while the worker is paused and return to 0 after it drains', { timeout: 150_000 }, async () => {
    const prometheus = await startPrometheus({ targets: [new URL(metrics.url).host], dir, scrapeIntervalMs: 500 })
    const lag = `sum(topiq_consumer_lag{group="${group}"})`
    const value = async (): Promise<number | undefined> => (await prometheus.query(lag))[0]?.value
    try {
      await waitFor(async () => (await value()) === 0 || undefined, 'Prometheus to scrape a lag of 0 before the pause', 60_000)
      worker.pause()
      const n = 40
      for (let i = 0; i < n; i++) await postCampaign(`Paused ${i}`)
      const peak = await waitFor(async () => {
        const v = await value()
        return v !== undefined && v >= n ? v : undefined
      }, `Prometheus to report a lag of ${n} for ${group}`, 60_000)
      expect(peak).toBe(n)
      worker.resume()
      await waitFor(async () => (await value()) === 0 || undefined, 'the lag to return to 0 after the worker resumed', 60_000)
      const handled = lines.filter((l) => l['message'] === 'campaign created' && String(l['name']).startsWith('Paused ')).length
      expect(handled).toBeGreaterThanOrEqual(n)
    } finally {
      await prometheus.stop()
    }
  })
})
