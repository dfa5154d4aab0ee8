// The metrics registry: Prometheus text rendering (format 0.0.4) and the same values in a real OpenTelemetry
// MeterProvider. The provider is registered globally in this file only (vitest runs each file in its own worker).
import { metrics } from '@opentelemetry/api'
import { DataPointType, MeterProvider, MetricReader, type HistogramMetricData, type MetricData } from '@opentelemetry/sdk-metrics'
import { afterAll, describe, expect, it } from 'vitest'
import { BATCH_BUCKETS, DURATION_BUCKETS, METRICS } from './metric-names.ts'
import { escapeHelp, escapeLabelValue, formatNumber, METER_NAME, MetricsRegistry, metricsRegistry, metricsText } from './metrics.ts'
import { resetMetrics } from './testing.ts'

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
const provider = new MeterProvider({ readers: [reader] })

afterAll(async () => {
  await provider.shutdown()
})

async function collected(): Promise<Map<string, MetricData>> {
  const { resourceMetrics, errors } = await reader.collect()
  expect(errors).toEqual([])
  const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === METER_NAME)
  return new Map((scope?.metrics ?? []).map((m) => [m.descriptor.name, m]))
}

/** `name{labels} value` lines of one series family. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
}

describe('Prometheus text', () => {
  it('renders counters with HELP, TYPE and labels in the contract order, leaving out families without series', () => {
    const registry = new MetricsRegistry()
    expect(registry.text()).toBe('')
    // Labels given in another order, plus one the contract does not have: rendered in contract order, extra dropped.
    registry.counter('publishMessages', { outcome: 'sent', topic: 'campaign.created.json', extra: 'x' } as never).add()
    registry.counter('publishMessages', { topic: 'campaign.created.json', outcome: 'sent' }).add(2)
    registry.counter('publishMessages', { topic: 'campaign.created.json', outcome: 'failed' })
    const text = registry.text()
    expect(text).toBe(
      [
        `# HELP topiq_publish_messages_total ${METRICS.publishMessages.help}`,
        '# TYPE topiq_publish_messages_total counter',
        'topiq_publish_messages_total{topic="campaign.created.json",outcome="sent"} 3',
        'topiq_publish_messages_total{topic="campaign.created.json",outcome="failed"} 0',
        '',
      ].join('\n'),
    )
  })

  it('escapes label values (backslash, double quote, line feed) and HELP text', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
    expect(escapeHelp('a\\b\nc "q"')).toBe('a\\\\b\\nc "q"')
    const registry = new MetricsRegistry()
    registry.counter('consumeMessages', { topic: 't"1', group: 'g\\1\nx', outcome: 'handled' }).add()
    expect(samples(registry.text(), 'topiq_consume_messages_total')).toEqual(['topiq_consume_messages_total{topic="t\\"1",group="g\\\\1\\nx",outcome="handled"} 1'])
  })

  it('renders histograms with cumulative buckets, +Inf, _sum and _count', () => {
    const registry = new MetricsRegistry()
    const h = registry.histogram('publishBatchRecords', { topic: 'campaign.created.json' })
    for (const v of [1, 1, 3, 5, 5.5, 100, 9999]) h.record(v)
    const lines = registry.text().split('\n')
    expect(lines).toContain('# TYPE topiq_publish_batch_records histogram')
    const bucket = (le: string) => lines.find((l) => l.startsWith(`topiq_publish_batch_records_bucket{topic="campaign.created.json",le="${le}"} `))?.split(' ')[1]
    // A value equal to a bound counts in that bucket (le = less than or equal).
    expect(bucket('1')).toBe('2')
    expect(bucket('2')).toBe('2')
    expect(bucket('5')).toBe('4')
    expect(bucket('10')).toBe('5')
    expect(bucket('100')).toBe('6')
    expect(bucket('5000')).toBe('6')
    expect(bucket('+Inf')).toBe('7')
    const buckets = lines.filter((l) => l.startsWith('topiq_publish_batch_records_bucket'))
    expect(buckets).toHaveLength(BATCH_BUCKETS.length + 1)
    const counts = buckets.map((l) => Number(l.split(' ')[1]))
    expect(counts).toEqual([...counts].sort((a, b) => a - b)) // cumulative: never decreasing
    expect(lines).toContain(`topiq_publish_batch_records_sum{topic="campaign.created.json"} ${1 + 1 + 3 + 5 + 5.5 + 100 + 9999}`)
    expect(lines).toContain('topiq_publish_batch_records_count{topic="campaign.created.json"} 7')
  })

  it('formats duration bounds as Prometheus parses them', () => {
    const registry = new MetricsRegistry()
    registry.histogram('handlerDuration', { topic: 't', group: 'g' }).record(0.0007)
    const les = registry
      .text()
      .split('\n')
      .filter((l) => l.startsWith('topiq_handler_duration_seconds_bucket'))
      .map((l) => /le="([^"]+)"/.exec(l)?.[1])
    expect(les).toEqual([...DURATION_BUCKETS.map(String), '+Inf'])
    expect(les[0]).toBe('0.0005')
    expect(formatNumber(Number.NaN)).toBe('NaN')
    expect(formatNumber(-Infinity)).toBe('-Inf')
  })

  it('asks gauge observers at render time, sums equal series (max for in_group), drops removed observers', () => {
    const registry = new MetricsRegistry()
    let bytes = 10
    const a = registry.observe('producerBufferedBytes', () => [[{ client_id: 'api' }, bytes]])
    registry.observe('producerBufferedBytes', () => [[{ client_id: 'api' }, 5]])
    registry.observe('consumerInGroup', () => [[{ group: 'g' }, 1]])
    registry.observe('consumerInGroup', () => [[{ group: 'g' }, 0]])
    expect(samples(registry.text(), 'topiq_producer_buffered_bytes')).toEqual(['topiq_producer_buffered_bytes{client_id="api"} 15'])
    expect(samples(registry.text(), 'topiq_consumer_in_group')).toEqual(['topiq_consumer_in_group{group="g"} 1'])
    bytes = 20
    expect(samples(registry.text(), 'topiq_producer_buffered_bytes')).toEqual(['topiq_producer_buffered_bytes{client_id="api"} 25'])
    a()
    expect(samples(registry.text(), 'topiq_producer_buffered_bytes')).toEqual(['topiq_producer_buffered_bytes{client_id="api"} 5'])
    registry.observe('consumerLag', () => [])
    expect(registry.text()).not.toContain('topiq_consumer_lag')
  })

  it('renders families in the order of metric-names.ts, every sample line parseable', () => {
    const registry = new MetricsRegistry()
    registry.observe('consumerLag', () => [[{ group: 'g', topic: 't', partition: '0' }, 4]])
    registry.counter('consumeMessages', { topic: 't', group: 'g', outcome: 'handled' }).add()
    registry.counter('publishMessages', { topic: 't', outcome: 'sent' }).add()
    const text = registry.text()
    const types = text
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2])
    expect(types).toEqual(['topiq_publish_messages_total', 'topiq_consume_messages_total', 'topiq_consumer_lag'])
    for (const line of text.trimEnd().split('\n')) {
      if (line.startsWith('#')) continue
      expect(line).toMatch(/^[a-z_]+(\{([a-z_]+="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|\+Inf|-Inf|NaN)$/)
    }
    expect(text.endsWith('\n')).toBe(true)
  })
})

describe('the process-wide registry and OpenTelemetry', () => {
  it('records into the global MeterProvider registered after the registry was first used, with the same values', async () => {
    resetMetrics()
    const before = metricsRegistry.counter('publishMessages', { topic: 'campaign.updated.json', outcome: 'sent' })
    before.add() // no SDK yet: only the Prometheus side sees it
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true)
    before.add(2)
    const h = metricsRegistry.histogram('publishDuration', { topic: 'campaign.updated.json' })
    h.record(0.003)
    h.record(2)
    let lag = 7
    const stop = metricsRegistry.observe('consumerLag', () => [[{ group: 'g', topic: 'campaign.updated.json', partition: '1' }, lag]])

    expect(samples(metricsText(), 'topiq_publish_messages_total')).toEqual(['topiq_publish_messages_total{topic="campaign.updated.json",outcome="sent"} 3'])
    const got = await collected()
    const counter = got.get(METRICS.publishMessages.otel)
    expect(counter?.descriptor.unit).toBe('{message}')
    expect(counter?.dataPointType).toBe(DataPointType.SUM)
    // Counted since the provider was registered: the one earlier add stays on the Prometheus side only.
    expect(counter?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ topic: 'campaign.updated.json', outcome: 'sent' }, 2]])

    const histogram = got.get(METRICS.publishDuration.otel) as HistogramMetricData | undefined
    expect(histogram?.descriptor.unit).toBe('s')
    const point = histogram?.dataPoints[0]
    expect(point?.value.buckets.boundaries).toEqual([...DURATION_BUCKETS])
    expect(point?.value.count).toBe(2)
    expect(point?.value.sum).toBeCloseTo(2.003)

    const gauge = got.get(METRICS.consumerLag.otel)
    expect(gauge?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([[{ group: 'g', topic: 'campaign.updated.json', partition: '1' }, 7]])
    lag = 3
    expect((await collected()).get(METRICS.consumerLag.otel)?.dataPoints.map((p) => p.value)).toEqual([3])
    stop()
    // (The SDK keeps reporting an asynchronous series' last value under cumulative temporality; /metrics drops it.)
    expect(metricsText()).not.toContain('topiq_consumer_lag')
  })
})
