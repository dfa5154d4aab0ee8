// The process-wide metrics of topiq's clients (names, kinds, labels and buckets: metric-names.ts). Every value is
// recorded twice: into OpenTelemetry instruments of `metrics.getMeter('@topiq/kafka')` (no-ops unless the app
// registers an SDK), and into this module's own state, which `metricsText()` renders in the Prometheus text format,
// so `/metrics` works without any OpenTelemetry pipeline.
import {
  metrics as otelMetrics,
  type Counter as OtelCounter,
  type Histogram as OtelHistogram,
  type MeterProvider,
  type ObservableGauge,
  type ObservableResult,
} from '@opentelemetry/api'
import { METRICS, type MetricKey, type MetricKind, type MetricSpec } from './metric-names.ts'

/** The OpenTelemetry meter (instrumentation scope) every topiq instrument belongs to. */
export const METER_NAME = '@topiq/kafka'

type KeyOfKind<K extends MetricKind> = { [M in MetricKey]: (typeof METRICS)[M]['kind'] extends K ? M : never }[MetricKey]
export type CounterKey = KeyOfKind<'counter'>
export type HistogramKey = KeyOfKind<'histogram'>
export type GaugeKey = KeyOfKind<'gauge'>

/** The labels of metric `M`, each required (the contract's label list, nothing else). */
export type LabelsOf<M extends MetricKey> = { readonly [L in (typeof METRICS)[M]['labels'][number]]: string }

export interface CounterSeries {
  add(value?: number): void
}

export interface HistogramSeries {
  record(value: number): void
}

/** One gauge value with its labels, as an observer reports it at collection time. */
export type GaugeSample<M extends GaugeKey> = readonly [labels: LabelsOf<M>, value: number]

/** Reports the current values of a gauge when /metrics is rendered or an OpenTelemetry reader collects. */
export type GaugeObserver<M extends GaugeKey> = () => Iterable<GaugeSample<M>>

type Labels = Readonly<Record<string, string>>

/**
 * Series reported by several observers with the same labels (two producers with one client id, two members of a
 * group in one process) are summed, except where a sum means nothing: in_group is 1 if any member is in.
 */
const GAUGE_MAX: ReadonlySet<GaugeKey> = new Set<GaugeKey>(['consumerInGroup'])

const COUNTER_KEYS = keysOf('counter') as CounterKey[]
const HISTOGRAM_KEYS = keysOf('histogram') as HistogramKey[]
const GAUGE_KEYS = keysOf('gauge') as GaugeKey[]

function keysOf(kind: MetricKind): MetricKey[] {
  return (Object.keys(METRICS) as MetricKey[]).filter((k) => METRICS[k].kind === kind)
}

function specOf(key: MetricKey): MetricSpec {
  return METRICS[key]
}

function labelKey(spec: MetricSpec, labels: Labels): string {
  let key = ''
  for (const name of spec.labels) key += `${labels[name] ?? ''}\u0000`
  return key
}

/** Only the contract's labels, in its order, frozen: shared by every record of the series as its OTel attributes. */
function ownLabels(spec: MetricSpec, labels: Labels): Labels {
  const out: Record<string, string> = {}
  for (const name of spec.labels) out[name] = labels[name] ?? ''
  return Object.freeze(out)
}

/** The OpenTelemetry side, bound to one MeterProvider. */
interface Instruments {
  provider: MeterProvider
  counters: Record<CounterKey, OtelCounter>
  histograms: Record<HistogramKey, OtelHistogram>
  gauges: { gauge: ObservableGauge; callback: (result: ObservableResult) => void }[]
}

class Counter implements CounterSeries {
  value = 0
  readonly #registry: MetricsRegistry
  readonly #key: CounterKey
  readonly labels: Labels

  constructor(registry: MetricsRegistry, key: CounterKey, labels: Labels) {
    this.#registry = registry
    this.#key = key
    this.labels = labels
  }

  add(value = 1): void {
    this.value += value
    this.#registry.instruments().counters[this.#key].add(value, this.labels)
  }
}

class Histogram implements HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot counts those above every bound (+Inf). */
  readonly counts: number[]
  sum = 0
  count = 0
  readonly #registry: MetricsRegistry
  readonly #key: HistogramKey
  readonly #bounds: readonly number[]
  readonly labels: Labels

  constructor(registry: MetricsRegistry, key: HistogramKey, labels: Labels) {
    this.#registry = registry
    this.#key = key
    this.#bounds = specOf(key).buckets ?? []
    this.counts = new Array<number>(this.#bounds.length + 1).fill(0)
    this.labels = labels
  }

  record(value: number): void {
    const bounds = this.#bounds
    let i = 0
    while (i < bounds.length && value > (bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] ?? 0) + 1
    this.sum += value
    this.count++
    this.#registry.instruments().histograms[this.#key].record(value, this.labels)
  }
}

/**
 * The registry behind `metricsText()`. One per process (`metricsRegistry`): every client records into it, so one
 * `/metrics` endpoint shows all producers and consumers of the process.
 */
export class MetricsRegistry {
  readonly #counters = new Map<CounterKey, Map<string, Counter>>()
  readonly #histograms = new Map<HistogramKey, Map<string, Histogram>>()
  readonly #observers = new Map<GaugeKey, Set<() => Iterable<readonly [Labels, number]>>>()
  #instruments: Instruments | undefined

  /** The series of counter `key` with these labels (created at 0 on first use; callers keep it for the hot path). */
  counter<M extends CounterKey>(key: M, labels: LabelsOf<M>): CounterSeries {
    return this.#series(this.#counters, key, labels, (own) => new Counter(this, key, own))
  }

  histogram<M extends HistogramKey>(key: M, labels: LabelsOf<M>): HistogramSeries {
    return this.#series(this.#histograms, key, labels, (own) => new Histogram(this, key, own))
  }

  /**
   * Adds a source of gauge `key`'s values, asked at every render and every OpenTelemetry collection (so a value is
   * never stale, and a series vanishes when its source stops reporting it). Returns the function that removes it.
   */
  observe<M extends GaugeKey>(key: M, observer: GaugeObserver<M>): () => void {
    let set = this.#observers.get(key)
    if (set === undefined) this.#observers.set(key, (set = new Set()))
    set.add(observer)
    this.instruments() // a provider registered since the last record gets this gauge now, not at the next record
    return () => {
      set.delete(observer)
    }
  }

  /**
   * The OpenTelemetry instruments of the global MeterProvider, (re)created when it changed: the API has no proxy for
   * meters, so instruments made before the app registered its SDK would stay no-ops forever.
   */
  instruments(): Instruments {
    const provider = otelMetrics.getMeterProvider()
    const current = this.#instruments
    if (current !== undefined && current.provider === provider) return current
    for (const { gauge, callback } of current?.gauges ?? []) gauge.removeCallback(callback)
    const meter = provider.getMeter(METER_NAME)
    const counters = {} as Record<CounterKey, OtelCounter>
    for (const key of COUNTER_KEYS) {
      const spec = specOf(key)
      counters[key] = meter.createCounter(spec.otel, { unit: spec.unit, description: spec.help })
    }
    const histograms = {} as Record<HistogramKey, OtelHistogram>
    for (const key of HISTOGRAM_KEYS) {
      const spec = specOf(key)
      histograms[key] = meter.createHistogram(spec.otel, {
        unit: spec.unit,
        description: spec.help,
        advice: { explicitBucketBoundaries: [...(spec.buckets ?? [])] },
      })
    }
    const gauges = GAUGE_KEYS.map((key) => {
      const spec = specOf(key)
      const gauge = meter.createObservableGauge(spec.otel, { unit: spec.unit, description: spec.help })
      const callback = (result: ObservableResult): void => {
        for (const [labels, value] of this.#gauge(key)) result.observe(value, labels)
      }
      gauge.addCallback(callback)
      return { gauge, callback }
    })
    this.#instruments = { provider, counters, histograms, gauges }
    return this.#instruments
  }

  /** The Prometheus text exposition format, version 0.0.4. Families without a series are left out. */
  text(): string {
    const out: string[] = []
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      const spec = specOf(key)
      const lines: string[] = []
      if (spec.kind === 'counter') {
        for (const c of this.#counters.get(key as CounterKey)?.values() ?? []) lines.push(`${spec.prometheus}${labelText(spec, c.labels)} ${formatNumber(c.value)}`)
      } else if (spec.kind === 'histogram') {
        for (const h of this.#histograms.get(key as HistogramKey)?.values() ?? []) histogramLines(spec, h, lines)
      } else {
        for (const [labels, value] of this.#gauge(key as GaugeKey)) lines.push(`${spec.prometheus}${labelText(spec, labels)} ${formatNumber(value)}`)
      }
      if (lines.length === 0) continue
      out.push(`# HELP ${spec.prometheus} ${escapeHelp(spec.help)}`, `# TYPE ${spec.prometheus} ${spec.kind}`, ...lines)
    }
    return out.length === 0 ? '' : `${out.join('\n')}\n`
  }

  /** Forgets every series and observer (tests). Clients created before keep recording into series no longer shown. */
  reset(): void {
    this.#counters.clear()
    this.#histograms.clear()
    this.#observers.clear()
  }

  #series<M extends MetricKey, S>(store: Map<M, Map<string, S>>, key: M, labels: Labels, create: (own: Labels) => S): S {
    const spec = specOf(key)
    let byLabels = store.get(key)
    if (byLabels === undefined) store.set(key, (byLabels = new Map()))
    const id = labelKey(spec, labels)
    let series = byLabels.get(id)
    if (series === undefined) byLabels.set(id, (series = create(ownLabels(spec, labels))))
    return series
  }

  /** Every observer's samples of gauge `key`, one per label set (see GAUGE_MAX). */
  #gauge(key: GaugeKey): Iterable<readonly [Labels, number]> {
    const observers = this.#observers.get(key)
    if (observers === undefined || observers.size === 0) return []
    const spec = specOf(key)
    const max = GAUGE_MAX.has(key)
    const merged = new Map<string, [Labels, number]>()
    for (const observer of observers) {
      for (const [labels, value] of observer()) {
        const id = labelKey(spec, labels)
        const seen = merged.get(id)
        if (seen === undefined) merged.set(id, [ownLabels(spec, labels), value])
        else seen[1] = max ? Math.max(seen[1], value) : seen[1] + value
      }
    }
    return merged.values()
  }
}

function histogramLines(spec: MetricSpec, h: Histogram, lines: string[]): void {
  const bounds = spec.buckets ?? []
  let cumulative = 0
  for (let i = 0; i <= bounds.length; i++) {
    cumulative += h.counts[i] ?? 0
    const le = i < bounds.length ? formatNumber(bounds[i] as number) : '+Inf'
    lines.push(`${spec.prometheus}_bucket${labelText(spec, h.labels, le)} ${cumulative}`)
  }
  lines.push(`${spec.prometheus}_sum${labelText(spec, h.labels)} ${formatNumber(h.sum)}`)
  lines.push(`${spec.prometheus}_count${labelText(spec, h.labels)} ${h.count}`)
}

function labelText(spec: MetricSpec, labels: Labels, le?: string): string {
  const parts = spec.labels.map((name) => `${name}="${escapeLabelValue(labels[name] ?? '')}"`)
  if (le !== undefined) parts.push(`le="${le}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

/** Label values: backslash, double quote and line feed are escaped (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

/** HELP text: backslash and line feed are escaped. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'))
}

/** Go's float syntax, as Prometheus parses it: +Inf, -Inf, NaN, else JavaScript's shortest round-trip form. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

/** The registry every topiq client in this process records into. */
export const metricsRegistry = new MetricsRegistry()

/** Every topiq metric of this process in the Prometheus text format (version 0.0.4), as GET /metrics serves it. */
export function metricsText(): string {
  return metricsRegistry.text()
}

/** Seconds since `startedMs` (a `performance.now()` reading): what the duration histograms record. */
export function secondsSince(startedMs: number): number {
  return (performance.now() - startedMs) / 1000
}
