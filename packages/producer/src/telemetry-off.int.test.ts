// An app that registers no OpenTelemetry SDK (the default) on the REAL local broker: publishing and consuming work as
// before, no trace header is written, handlers see no active span, and /metrics still counts everything.
// telemetry.int.test.ts covers the same path with the SDK registered.
import { randomUUID } from 'node:crypto'
import { propagation, trace } from '@opentelemetry/api'
import { KafkaConsumerClient } from '@topiq/consumer'
import type { EventMap } from '@topiq/contracts'
import { metricsText, physicalTopic, serveMetrics, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, readMessages, uniquePrefix, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient } from './producer.ts'
import { decode } from './test-helpers.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('telemetry-off')
const runId = randomUUID().slice(0, 8)
const CREATED = 'campaign.created.json'
const created = (id: string): EventMap[typeof CREATED] => ({ campaign_id: id, name: `Campaign ${id}`, created_at: '2024-01-15T10:00:00Z' })
const options = { brokers, topicPrefix: prefix, logger: silentLogger, registry: false, env: testEnv() } as const
let lingering: KafkaProducerClient
let plain: KafkaProducerClient

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [CREATED])
  lingering = new KafkaProducerClient({ ...options, clientId: `off-linger-${runId}` })
  plain = new KafkaProducerClient({ ...options, clientId: `off-plain-${runId}`, lingerMs: 0 })
})

afterAll(async () => {
  await Promise.allSettled([lingering?.close(), plain?.close()])
  await deleteTestTopics(brokers, prefix)
})

describe('without an OpenTelemetry SDK', () => {
  it('publishes and consumes as before: no traceparent/tracestate header, no active span in the handler', async () => {
    // What an app without an SDK has: the API's no-op propagator and tracer.
    expect(propagation.fields()).toEqual([])
    expect(trace.getTracer('x').startSpan('y').isRecording()).toBe(false)

    await Promise.all(['a', 'b', 'c'].map((id) => lingering.publish(CREATED, created(`linger-${id}`), { headers: { correlation_id: `c-${id}` } })))
    await plain.publish(CREATED, created('plain'))
    await plain.publishBatch(CREATED, [created('batch-1'), created('batch-2')])
    expect(await plain.sendBatch([{ topic: CREATED, value: created('send-batch') }])).toBe(1)
    expect(await plain.sendMessage({ topic: CREATED, value: created('send-message') })).toBe(true)
    const total = 8

    const records = (await readMessages(brokers, [physicalTopic(prefix, CREATED)], total)).map(decode)
    expect(records).toHaveLength(total)
    for (const r of records) {
      expect(Object.keys(r.headers)).not.toContain('traceparent')
      expect(Object.keys(r.headers)).not.toContain('tracestate')
    }
    expect(records.find((r) => r.key === 'linger-b')?.headers['correlation_id']).toBe('c-b')

    const seen: { id: string; active: boolean }[] = []
    const group = `telemetry-off-${runId}`
    const consumer = new KafkaConsumerClient({
      groupId: group,
      brokers,
      topicPrefix: prefix,
      handleSignals: false,
      logger: silentLogger,
      env: testEnv(),
      lagIntervalMs: 100,
      topics: [CREATED],
      messageHandler: (m) => {
        seen.push({ id: m.value.campaign_id, active: trace.getActiveSpan() !== undefined })
      },
    })
    const server = await serveMetrics({ port: 0, healthz: () => consumer.inGroup })
    try {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(503)
      await consumer.start({ blocking: false })
      const deadline = Date.now() + 30_000
      while (seen.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(seen).toHaveLength(total)
      expect(seen.every((s) => !s.active)).toBe(true)
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200)

      const text = await (await fetch(`${server.url}/metrics`)).text()
      expect(text).toContain(`topiq_publish_messages_total{topic="${CREATED}",outcome="sent"} ${total}\n`)
      expect(text).toContain(`topiq_consume_messages_total{topic="${CREATED}",group="${group}",outcome="handled"} ${total}\n`)
      expect(text).toContain(`topiq_consumer_in_group{group="${group}"} 1\n`)
      // Everything handled and committed: every sampled partition at 0 (sampling runs without an SDK too).
      const lag = new RegExp(`^topiq_consumer_lag\\{group="${group}",topic="${CREATED}",partition="\\d+"\\} (\\d+)$`, 'gm')
      const lags = () => [...metricsText().matchAll(lag)].map((m) => Number(m[1]))
      while ((lags().length === 0 || lags().some((v) => v !== 0)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(lags().length).toBeGreaterThan(0)
      expect(lags().every((v) => v === 0)).toBe(true)
    } finally {
      await consumer.stop()
      await server.close()
    }
    // A stopped member's gauges are gone; its counters stay.
    expect(metricsText()).not.toContain(`topiq_consumer_in_group{group="${group}"}`)
    expect(metricsText()).not.toContain(`topiq_consumer_lag{group="${group}"`)
    expect(metricsText()).toContain(`topiq_consume_messages_total{topic="${CREATED}",group="${group}",outcome="handled"} ${total}`)
  })
})
