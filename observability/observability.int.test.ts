// The dashboard's and the rules' PromQL in a real Prometheus (startPrometheus from @topiq/local-stack), scraping a
// small HTTP server that serves every series of METRICS with the labels METRICS declares, and alerts.yml loaded as is:
// every expression parses and selects data, and TopiqConsumerLagGrowing goes pending as the served lag grows (and not
// while it stays flat). It does not wait out `for: 10m`; alerts.test.yml covers that in simulated time.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CONSUME_OUTCOMES, METRICS, PUBLISH_OUTCOMES, type MetricSpec } from '@topiq/kafka-core'
import { ensurePrometheus, prometheusInstall, startPrometheus, type TestPrometheus } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardQueries, readDashboard, readRules, RULES_FILE, ruleQueries } from './files.ts'
import { DASHBOARD_FILE } from './generate.ts'

const prometheus = await ensurePrometheus()
const install = await prometheusInstall()

const GROUP = 'campaign-worker'
const IDLE_GROUP = 'idle-group' // a member without an assignment: topiq_consumer_in_group 0
const TOPIC = 'campaign.created.json'
const LAG_THRESHOLD = 1000 // as in alerts.yml

/** Lag of partition 0: flat until growth starts, then 200 records more per second. Partition 1 stays at 100. */
let growthStartedAt: number | undefined
const lagOfPartition0 = (): number => 5000 + (growthStartedAt === undefined ? 0 : Math.round(((Date.now() - growthStartedAt) / 1000) * 200))

let scrapes = 0

function labelSets(m: MetricSpec): Array<Record<string, string>> {
  let sets: Array<Record<string, string>> = [{}]
  for (const label of m.labels) {
    const values =
      label === 'outcome'
        ? m === METRICS.publishMessages
          ? [...PUBLISH_OUTCOMES]
          : [...CONSUME_OUTCOMES]
        : label === 'partition'
          ? ['0', '1']
          : label === 'group'
            ? m === METRICS.consumerInGroup
              ? [GROUP, IDLE_GROUP]
              : [GROUP]
            : label === 'topic'
              ? [TOPIC]
              : ['campaign-api']
    sets = sets.flatMap((s) => values.map((v) => ({ ...s, [label]: v })))
  }
  return sets
}

const fmt = (labels: Record<string, string>): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v}"`)
  return parts.length === 0 ? '' : `{${parts.join(',')}}`
}

/** Every series of METRICS; counters and histograms advance on every scrape, so rates and quantiles have data. */
function exposition(n: number): string {
  const lines: string[] = []
  for (const m of Object.values(METRICS) as MetricSpec[]) {
    lines.push(`# HELP ${m.prometheus} ${m.help}`, `# TYPE ${m.prometheus} ${m.kind}`)
    for (const labels of labelSets(m)) {
      if (m.kind === 'counter') {
        lines.push(`${m.prometheus}${fmt(labels)} ${n * (1 + PUBLISH_OUTCOMES.indexOf(labels['outcome'] as never) + CONSUME_OUTCOMES.indexOf(labels['outcome'] as never))}`)
      } else if (m.kind === 'histogram') {
        const buckets = m.buckets ?? []
        const observed = buckets[Math.floor(buckets.length / 2)] ?? 1
        for (const le of buckets) lines.push(`${m.prometheus}_bucket${fmt({ ...labels, le: String(le) })} ${le >= observed ? n : 0}`)
        lines.push(`${m.prometheus}_bucket${fmt({ ...labels, le: '+Inf' })} ${n}`, `${m.prometheus}_sum${fmt(labels)} ${n * observed}`, `${m.prometheus}_count${fmt(labels)} ${n}`)
      } else if (m === METRICS.consumerLag) {
        lines.push(`${m.prometheus}${fmt(labels)} ${labels['partition'] === '0' ? lagOfPartition0() : 100}`)
      } else if (m === METRICS.consumerInGroup) {
        lines.push(`${m.prometheus}${fmt(labels)} ${labels['group'] === GROUP ? 1 : 0}`)
      } else {
        lines.push(`${m.prometheus}${fmt(labels)} ${m === METRICS.producerBufferedBytes ? 4096 : 2}`)
      }
    }
  }
  return `${lines.join('\n')}\n`
}

/** Grafana's variables as "All" and short windows that fit a test's few seconds of data. */
function asPromql(expr: string): string {
  const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(expr.trim())
  const e = labelValues ? `group by (${labelValues[2]}) (${labelValues[1]})` : expr
  return e.replaceAll('$group', '.*').replaceAll('$topic', '.*').replaceAll('$__rate_interval', '3s').replaceAll('$__range', '1h')
}

const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

describe.skipIf(prometheus === undefined)(`dashboard and alert rules in a real Prometheus${install.ok ? '' : ` — skipped: ${install.reason}`}`, () => {
  let prom: TestPrometheus
  const lagGrowing = readRules().groups.flatMap((g) => g.rules).find((r) => r.alert === 'TopiqConsumerLagGrowing')

  beforeAll(async () => {
    const server: Server = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(exposition(++scrapes))
    })
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    cleanups.push(() => new Promise((done) => server.close(done)))
    const address = server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    const dir = await mkdtemp(join(tmpdir(), 'topiq-observability-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    prom = await startPrometheus({ targets: [`127.0.0.1:${address.port}`], dir, scrapeIntervalMs: 200, ruleFiles: [RULES_FILE] })
    cleanups.push(() => prom.stop())
    // A few seconds of samples, so that rate() over 3s and deriv() have enough points.
    await prom.waitFor('count_over_time(up{job="topiq"}[1m])', (s) => (s[0]?.value ?? 0) >= 15, 30_000)
    expect(await prom.targetsUp()).toBe(true)
  })

  it('every dashboard query and rule expression parses and selects series', async () => {
    const queries = [...dashboardQueries(readDashboard(DASHBOARD_FILE)), ...ruleQueries(readRules())]
    const empty: string[] = []
    for (const q of queries) {
      const promql = asPromql(q.expr)
      const samples = await prom.query(promql).catch((e: unknown) => {
        throw new Error(`${q.where}: ${promql}: ${(e as Error).message}`)
      })
      // The lag alert is the one expression that must be empty here: the lag is flat so far.
      if (samples.length === 0 && !q.where.startsWith('rule TopiqConsumerLagGrowing')) empty.push(`${q.where}: ${promql}`)
    }
    expect(empty).toEqual([])
  })

  it('loads alerts.yml as is: dead letters and unknown outcomes fire, the idle member is pending', async () => {
    const alerts = await prom.waitFor('ALERTS{alertstate="firing"}', (s) => s.length >= 2)
    expect(alerts.map((a) => a.metric['alertname']).sort()).toEqual(['TopiqDeadLetters', 'TopiqOutcomeUnknown'])
    const dead = (await prom.alerts()).find((a) => a.labels['alertname'] === 'TopiqDeadLetters')
    expect(dead?.annotations['description']).toContain('pnpm topiq tail campaign.created-dlq.json --from-beginning')
    const pending = (await prom.alerts()).filter((a) => a.state === 'pending').map((a) => `${a.labels['alertname']}/${a.labels['group']}`)
    expect(pending).toEqual([`TopiqConsumerNotInGroup/${IDLE_GROUP}`])
  })

  it('TopiqConsumerLagGrowing: quiet while the lag is high but flat, pending once it grows', async () => {
    if (lagGrowing === undefined) throw new Error('alerts.yml has no TopiqConsumerLagGrowing')
    // Flat at 5000: above the threshold, but deriv is 0, so neither the expression nor the alert is active.
    expect(await prom.query(`sum by (group, topic) (max by (group, topic, partition) (topiq_consumer_lag)) > ${LAG_THRESHOLD}`)).toHaveLength(1)
    expect(await prom.query(lagGrowing.expr)).toEqual([])
    expect((await prom.alerts()).filter((a) => a.labels['alertname'] === 'TopiqConsumerLagGrowing')).toEqual([])

    growthStartedAt = Date.now()
    const active = await prom.waitFor(lagGrowing.expr, (s) => s.length === 1, 20_000)
    expect(active[0]?.metric).toEqual({ group: GROUP, topic: TOPIC })
    expect(active[0]?.value).toBeGreaterThan(5100)
    const [deriv] = await prom.query('sum by (group, topic) (deriv(topiq_consumer_lag[10m]))')
    expect(deriv?.value).toBeGreaterThan(0)

    // The rule itself, evaluated by Prometheus every 200 ms: pending (for: 10m keeps it from firing in a test).
    const alert = await prom.waitFor('ALERTS{alertname="TopiqConsumerLagGrowing"}', (s) => s.length === 1, 10_000)
    expect(alert[0]?.metric).toMatchObject({ alertstate: 'pending', group: GROUP, topic: TOPIC, severity: 'warning' })
    const [shown] = (await prom.alerts()).filter((a) => a.labels['alertname'] === 'TopiqConsumerLagGrowing')
    expect(shown?.state).toBe('pending')
    expect(shown?.annotations['summary']).toMatch(/^Consumer group campaign-worker falls behind on campaign\.created\.json \([\d.]+k records of lag, rising\)$/)
  })
})
