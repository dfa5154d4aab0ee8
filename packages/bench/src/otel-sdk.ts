// The OpenTelemetry SDK of the `topiq, OTel SDK` rows, registered the way an app does in production: a TracerProvider
// with a BatchSpanProcessor, AsyncLocalStorage context, the W3C trace-context propagator, and a MeterProvider with a
// PeriodicExportingMetricReader (60 s). Both exporters discard what they get (counting the spans), so a run measures
// topiq's instrumentation plus the SDK's span and metric work, not a network exporter. Loaded by node-worker.ts only
// for the `topiq-otel` client (the other rows do not even load the SDK's modules).
import { context, metrics, propagation, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core'
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics'
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace'
import { METER_NAME } from '@topiq/kafka-core'

/** Drops every batch at once, counting its spans (what the comparison checks: a run that recorded nothing measures nothing). */
class DiscardingSpanExporter implements SpanExporter {
  spans = 0
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans += spans.length
    done({ code: ExportResultCode.SUCCESS })
  }
  shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** Drops every collection (with a 60 s interval it is not even called during a run). */
const discardingMetricExporter: PushMetricExporter = {
  export: (_metrics, done) => done({ code: ExportResultCode.SUCCESS }),
  forceFlush: () => Promise.resolve(),
  shutdown: () => Promise.resolve(),
}

export interface OtelSdk {
  /**
   * After the run (not timed): force-flushes the BatchSpanProcessor and returns the spans exported (warm-up included)
   * and the number of topiq metrics with data points at one collection; then shuts both providers down.
   */
  finish(): Promise<{ spans: number; otelMetrics: number }>
}

/** Registers the SDK globally; call it before the client is created (topiq's tracer and meters would follow later, too). */
export function registerOtelSdk(): OtelSdk {
  const spanExporter = new DiscardingSpanExporter()
  // Production defaults: 2048 queued spans at most, exported in batches of 512 or every 5 s.
  const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: spanExporter })] })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  trace.setGlobalTracerProvider(tracerProvider)
  const reader = new PeriodicExportingMetricReader({ exporter: discardingMetricExporter, exportIntervalMillis: 60_000 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  metrics.setGlobalMeterProvider(meterProvider)
  return {
    async finish() {
      await tracerProvider.forceFlush()
      const spans = spanExporter.spans
      const { resourceMetrics } = await reader.collect()
      let otelMetrics = 0
      for (const scope of resourceMetrics.scopeMetrics) {
        if (scope.scope.name === METER_NAME) otelMetrics += scope.metrics.filter((m) => m.dataPoints.length > 0).length
      }
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()])
      return { spans, otelMetrics }
    },
  }
}
