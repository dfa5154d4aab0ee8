// The Grafana dashboard (grafana/topiq.json) as code: panels, their PromQL and their descriptions, which quote the
// help text of the metric from METRICS (@topiq/kafka-core). `pnpm --filter @topiq/observability generate` writes the
// JSON and the README's tables from it; a test fails when either is out of date.
import { METRICS, type MetricSpec } from '@topiq/kafka-core'

export const DASHBOARD_UID = 'topiq-kafka-events'
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const
const GRID_COLUMNS = 24
const PANEL_HEIGHT = 8

/** Grafana variables in the panel queries: every query filters by the chosen groups and topics. */
const G = 'group=~"$group"'
const T = 'topic=~"$topic"'

export interface QuerySpec {
  readonly expr: string
  readonly legend: string
}

export interface PanelSpec {
  readonly title: string
  /** What the panel shows and how to read it (panel description and README). */
  readonly read: string
  /** The metrics it is drawn from; their help text goes into the description. */
  readonly metrics: readonly MetricSpec[]
  readonly unit: string
  readonly queries: readonly QuerySpec[]
  /** Grid columns out of 24. Default 12. */
  readonly width?: 6 | 8 | 12 | 24
  readonly type?: 'timeseries' | 'stat'
  /** Values can be negative (a rate of change); others start the y axis at 0. */
  readonly signed?: boolean
}

export interface RowSpec {
  readonly row: string
  readonly panels: readonly PanelSpec[]
}

const quantiles = (series: string, by: string, selector: string, legend: string): QuerySpec[] =>
  [0.5, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (${by}, le) (rate(${series}_bucket{${selector}}[$__rate_interval])))`,
    legend: `p${q * 100} ${legend}`,
  }))

const mean = (series: string, by: string, selector: string, legend: string): QuerySpec => ({
  expr: `sum by (${by}) (rate(${series}_sum{${selector}}[$__rate_interval])) / sum by (${by}) (rate(${series}_count{${selector}}[$__rate_interval]))`,
  legend: `mean ${legend}`,
})

/** One partition can be reported by two members for a moment during a rebalance: count it once. */
const lagPerPartition = `max by (group, topic, partition) (${METRICS.consumerLag.prometheus}{${G}, ${T}})`

export const ROWS: readonly RowSpec[] = [
  {
    row: 'Consumer lag',
    panels: [
      {
        title: 'Consumer lag by group and topic',
        read: 'Records the group has not committed yet, summed over partitions. Flat (even high) means the group keeps up with producers; steadily rising means it falls behind: add consumers (up to the partition count) or look for a slow or failing handler. `pnpm topiq lag --group <id>` shows the same per partition from the broker.',
        metrics: [METRICS.consumerLag],
        unit: 'short',
        queries: [{ expr: `sum by (group, topic) (${lagPerPartition})`, legend: '{{group}} {{topic}}' }],
      },
      {
        title: 'Consumer lag per partition',
        read: 'The same per partition. One partition far above the others points at a hot key or one stuck message (its handler keeps failing and retrying) rather than too few consumers.',
        metrics: [METRICS.consumerLag],
        unit: 'short',
        queries: [{ expr: lagPerPartition, legend: '{{group}} {{topic}} [{{partition}}]' }],
      },
      {
        title: 'Lag growth (records/s, deriv over 10m)',
        read: 'How fast the lag changes: the slope of a line fitted over the last 10 minutes, as the TopiqConsumerLagGrowing alert computes it. Above 0 the group falls behind, around 0 it keeps pace, below 0 it catches up.',
        metrics: [METRICS.consumerLag],
        unit: 'short',
        signed: true,
        queries: [{ expr: `sum by (group, topic) (deriv(${METRICS.consumerLag.prometheus}{${G}, ${T}}[10m]))`, legend: '{{group}} {{topic}}' }],
      },
      {
        title: 'Consumers in group',
        read: 'Members with an assignment (in group) and members without one (out of group) per group. Out of group for long: the member lost the broker, is stuck rebalancing, or the group has more members than the topic has partitions (idle members get nothing).',
        metrics: [METRICS.consumerInGroup],
        unit: 'short',
        queries: [
          { expr: `sum by (group) (${METRICS.consumerInGroup.prometheus}{${G}})`, legend: '{{group}} in group' },
          { expr: `count by (group) (${METRICS.consumerInGroup.prometheus}{${G}} == 0)`, legend: '{{group}} out of group' },
        ],
      },
    ],
  },
  {
    row: 'Publishing',
    panels: [
      {
        title: 'Publish throughput by topic and outcome',
        read: 'Events per second by outcome. Normally all of it is `sent`; any other outcome is an error and also shows in the next panel.',
        metrics: [METRICS.publishMessages],
        unit: 'ops',
        queries: [{ expr: `sum by (topic, outcome) (rate(${METRICS.publishMessages.prometheus}{${T}}[$__rate_interval]))`, legend: '{{topic}} {{outcome}}' }],
      },
      {
        title: 'Publish errors: failed, outcome_unknown, invalid',
        read: '`failed`: not sent (broker down, topic missing; the caller got an error and may retry). `invalid`: refused by the contract before sending (a bug in the publishing code, not in Kafka). `outcome_unknown`: may or may not be in the log (the TopiqOutcomeUnknown alert): the error lists the event ids to check.',
        metrics: [METRICS.publishMessages],
        unit: 'ops',
        queries: [
          {
            expr: `sum by (topic, outcome) (rate(${METRICS.publishMessages.prometheus}{${T}, outcome=~"failed|outcome_unknown|invalid"}[$__rate_interval]))`,
            legend: '{{topic}} {{outcome}}',
          },
        ],
      },
      {
        title: 'Publish latency p50 / p99',
        read: 'From the publish call to the acknowledgement or failure, linger wait included: p50 near the linger time is normal; a rising p99 means a slow broker, full buffers (see buffered bytes) or retries.',
        metrics: [METRICS.publishDuration],
        unit: 's',
        queries: quantiles(METRICS.publishDuration.prometheus, 'topic', T, '{{topic}}'),
      },
      {
        title: 'Publish batch size (records per request)',
        read: 'How many records the linger accumulator puts in one produce request. Larger batches mean fewer requests per event; 1 under load means publishes are not being batched.',
        metrics: [METRICS.publishBatchRecords],
        unit: 'short',
        queries: [...quantiles(METRICS.publishBatchRecords.prometheus, 'topic', T, '{{topic}}'), mean(METRICS.publishBatchRecords.prometheus, 'topic', T, '{{topic}}')],
      },
      {
        title: 'Producer buffered bytes',
        read: 'Bytes waiting to be sent or in flight, per producer. Close to maxBufferedBytes means publish calls wait for room (back-pressure): the broker is slow or unreachable.',
        metrics: [METRICS.producerBufferedBytes],
        unit: 'bytes',
        queries: [{ expr: `sum by (instance, client_id) (${METRICS.producerBufferedBytes.prometheus})`, legend: '{{instance}} {{client_id}}' }],
      },
      {
        title: 'Producer in-flight requests',
        read: 'Produce requests sent and not yet answered, per producer. Stuck above 0 with no throughput means the broker does not answer.',
        metrics: [METRICS.producerInflightRequests],
        unit: 'short',
        queries: [{ expr: `sum by (instance, client_id) (${METRICS.producerInflightRequests.prometheus})`, legend: '{{instance}} {{client_id}}' }],
      },
    ],
  },
  {
    row: 'Consuming',
    panels: [
      {
        title: 'Consume throughput by outcome',
        read: 'Records per second by outcome. `handled` is the normal case; `retried` counts each failed handler call that will be tried again.',
        metrics: [METRICS.consumeMessages],
        unit: 'ops',
        queries: [{ expr: `sum by (group, topic, outcome) (rate(${METRICS.consumeMessages.prometheus}{${G}, ${T}}[$__rate_interval]))`, legend: '{{group}} {{topic}} {{outcome}}' }],
      },
      {
        title: 'Consume errors: retried, failed',
        read: '`retried`: handler calls that failed and will be retried (a flaky dependency shows here first). `failed`: the consumer stopped on a record; its lag grows from then on.',
        metrics: [METRICS.consumeMessages],
        unit: 'ops',
        queries: [
          {
            expr: `sum by (group, topic, outcome) (rate(${METRICS.consumeMessages.prometheus}{${G}, ${T}, outcome=~"retried|failed"}[$__rate_interval]))`,
            legend: '{{group}} {{topic}} {{outcome}}',
          },
        ],
      },
      {
        title: 'Dead letters (records/s)',
        read: 'Records given up on and written to the dead-letter topic `<domain>.<action>-dlq.<format>` (campaign.created.json → campaign.created-dlq.json), with the reason in `x-dlq-*` headers. Any rate above 0 needs a look (TopiqDeadLetters); the partition moves on, so lag alone does not show it.',
        metrics: [METRICS.consumeMessages],
        unit: 'ops',
        queries: [{ expr: `sum by (group, topic) (rate(${METRICS.consumeMessages.prometheus}{${G}, ${T}, outcome="dead_lettered"}[$__rate_interval]))`, legend: '{{group}} {{topic}}' }],
      },
      {
        title: 'Dead letters in the time range',
        read: 'How many records were dead-lettered in the selected time range.',
        metrics: [METRICS.consumeMessages],
        unit: 'short',
        type: 'stat',
        queries: [{ expr: `sum(increase(${METRICS.consumeMessages.prometheus}{${G}, ${T}, outcome="dead_lettered"}[$__range]))`, legend: 'dead-lettered' }],
      },
      {
        title: 'Handler latency p50 / p99',
        read: 'Time in the message handler per call (retries are separate calls). Lag rises when this times the record rate exceeds what the group\u2019s members can do in parallel (one call at a time per partition).',
        metrics: [METRICS.handlerDuration],
        unit: 's',
        queries: quantiles(METRICS.handlerDuration.prometheus, 'group, topic', `${G}, ${T}`, '{{group}} {{topic}}'),
      },
      {
        title: 'Consume batch size (records per fetch)',
        read: 'Records per fetched batch. Batches at the fetch limit while lag rises: the consumer is busy, not starved; small batches with lag: look at the handler.',
        metrics: [METRICS.consumeBatchRecords],
        unit: 'short',
        queries: [
          ...quantiles(METRICS.consumeBatchRecords.prometheus, 'group, topic', `${G}, ${T}`, '{{group}} {{topic}}'),
          mean(METRICS.consumeBatchRecords.prometheus, 'group, topic', `${G}, ${T}`, '{{group}} {{topic}}'),
        ],
      },
    ],
  },
]

type Json = Record<string, unknown>

function panelJson(p: PanelSpec, id: number, gridPos: Json): Json {
  const help = p.metrics.map((m) => `${m.prometheus}: ${m.help}`).join('\n\n')
  const targets = p.queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr: q.expr, legendFormat: q.legend, range: true, instant: false }))
  if (p.type === 'stat') {
    return {
      id,
      type: 'stat',
      title: p.title,
      description: `${p.read}\n\n${help}`,
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: { defaults: { unit: p.unit, decimals: 0, thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, { color: 'red', value: 1 }] } }, overrides: [] },
      options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none', textMode: 'auto' },
      targets: targets.map((t) => ({ ...t, range: false, instant: true })),
    }
  }
  return {
    id,
    type: 'timeseries',
    title: p.title,
    description: `${p.read}\n\n${help}`,
    datasource: DATASOURCE,
    gridPos,
    fieldConfig: { defaults: { unit: p.unit, ...(p.signed ? {} : { min: 0 }), custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never' } }, overrides: [] },
    options: { legend: { displayMode: 'table', placement: 'bottom', showLegend: true, calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
    targets,
  }
}

function queryVariable(name: string, label: string, query: string): Json {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    // A plain string: every Grafana version reads it (newer ones migrate it to their structured editor on load).
    query,
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
    options: [],
    regex: '',
  }
}

/** The dashboard JSON object (Grafana schemaVersion 39), importable as is. */
export function buildDashboard(): Json {
  const panels: Json[] = []
  let id = 1
  let y = 0
  for (const row of ROWS) {
    panels.push({ id: id++, type: 'row', title: row.row, collapsed: false, gridPos: { h: 1, w: GRID_COLUMNS, x: 0, y }, panels: [] })
    y += 1
    let x = 0
    for (const p of row.panels) {
      const w = p.width ?? 12
      if (x + w > GRID_COLUMNS) {
        x = 0
        y += PANEL_HEIGHT
      }
      panels.push(panelJson(p, id++, { h: PANEL_HEIGHT, w, x, y }))
      x += w
    }
    y += PANEL_HEIGHT
  }
  return {
    id: null,
    uid: DASHBOARD_UID,
    title: 'topiq — Kafka events',
    description: 'Consumer lag, throughput, errors, dead letters and latency of the topiq producer and consumer (metrics from @topiq/kafka-core METRICS). Generated by observability/generate.ts: edit observability/dashboard.ts, not this file.',
    tags: ['topiq', 'kafka'],
    timezone: 'browser',
    editable: true,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, includeAll: false, multi: false, options: [], refresh: 1, regex: '' },
        queryVariable('group', 'Consumer group', `label_values(${METRICS.consumerInGroup.prometheus}, group)`),
        queryVariable('topic', 'Topic', `label_values({__name__=~"${[METRICS.consumerLag, METRICS.publishMessages, METRICS.consumeMessages].map((m) => m.prometheus).join('|')}"}, topic)`),
      ],
    },
    panels,
  }
}

/** grafana/topiq.json as written: two-space JSON with a final newline. */
export function renderDashboard(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`
}
