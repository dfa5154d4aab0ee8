// Static checks of the dashboard and the alert rules against METRICS, plus promtool on the rule and config files.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { exportedSeriesNames, METRICS } from '@topiq/kafka-core'
import { ensurePrometheus, prometheusInstall } from '@topiq/local-stack'
import { describe, expect, it } from 'vitest'
import { DATASOURCE, renderDashboard } from './dashboard.ts'
import { allPanels, dashboardQueries, EXAMPLE_CONFIG_FILE, readDashboard, readRules, RULE_TESTS_FILE, RULES_FILE, ruleQueries, unknownSeries, type GrafanaDashboard } from './files.ts'
import { DASHBOARD_FILE, README_FILE, renderReadme } from './generate.ts'
import { metricNames, PromqlNameError, unknownMetricNames } from './promql.ts'

const known = new Set(exportedSeriesNames())
const dashboard = readDashboard(DASHBOARD_FILE)
const rules = readRules()
const panelQueries = dashboardQueries(dashboard)
const alertQueries = ruleQueries(rules)

describe('metricNames (the PromQL reader the checks rely on)', () => {
  it('finds the series, not functions, keywords, label names, strings, numbers, durations or Grafana variables', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (topic, le) (rate(topiq_publish_duration_seconds_bucket{topic=~"$topic", outcome="sent"}[$__rate_interval])))',
      ),
    ).toEqual(['topiq_publish_duration_seconds_bucket'])
    expect(metricNames('sum by (group, topic) (topiq_consumer_lag) > 1e3 and on (group) sum without (instance) (deriv(topiq_consumer_lag[10m] offset 5m)) > bool 0')).toEqual(['topiq_consumer_lag'])
    expect(metricNames('a / ignoring(x) group_left(y) b unless c or count(d)')).toEqual(['a', 'b', 'c', 'd'])
    expect(metricNames('sum(increase(topiq_consume_messages_total{group=~"$group", outcome="dead_lettered"}[$__range])) # a comment naming no_metric')).toEqual(['topiq_consume_messages_total'])
    expect(metricNames('label_values(topiq_consumer_in_group, group)')).toEqual(['topiq_consumer_in_group'])
    expect(metricNames('label_values({__name__=~"topiq_consumer_lag|topiq_publish_messages_total"}, topic)')).toEqual(['topiq_consumer_lag', 'topiq_publish_messages_total'])
    expect(metricNames('{__name__="topiq_consumer_lag", group="g"}')).toEqual(['topiq_consumer_lag'])
  })

  it('refuses what it cannot check', () => {
    expect(() => metricNames('{__name__=~"topiq_.*"}')).toThrow(PromqlNameError)
    expect(() => unknownMetricNames('sum(rate(5m))', known)).toThrow(/no metric name/)
  })

  // The negative case: a misspelt topiq series, a series topiq does not export, or an unreadable __name__ regex on a
  // panel all fail the same check the real dashboard goes through.
  it('flags a panel that reads an unknown series', () => {
    const broken = JSON.parse(renderDashboard()) as GrafanaDashboard // from dashboard.ts: clean, whatever the file holds
    const target = allPanels(broken).find((p) => p.targets !== undefined)?.targets?.[0]
    if (target === undefined) throw new Error('the dashboard has no target')
    target.expr = 'sum by (topic) (rate(topiq_publish_message_total[5m])) / on() group_left sum(up) + sum({__name__=~"topiq.+"})'
    const problems = unknownSeries(dashboardQueries(broken), known)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^panel \d+ ".+" target A: /)
    expect(problems[0]).toMatch(/cannot check __name__=~"topiq\.\+"/)
    target.expr = 'sum by (topic) (rate(topiq_publish_message_total[5m])) / on() group_left sum(up)'
    expect(unknownSeries(dashboardQueries(broken), known)).toEqual([expect.stringContaining(': topiq_publish_message_total, up in ')])
  })
})

describe('the dashboard and the rules read only series the clients export', () => {
  it('every dashboard expression (panels and variables)', () => {
    expect(panelQueries.length).toBeGreaterThan(15)
    expect(unknownSeries(panelQueries, known)).toEqual([])
  })

  it('every rule expression', () => {
    expect(alertQueries.length).toBe(4)
    expect(unknownSeries(alertQueries, known)).toEqual([])
  })

  it('every metric in METRICS is on at least one panel', () => {
    const used = new Set(panelQueries.filter((q) => !q.where.startsWith('variable')).flatMap((q) => metricNames(q.expr)))
    const missing = Object.values(METRICS)
      .filter((m) => ![m.prometheus, `${m.prometheus}_bucket`, `${m.prometheus}_sum`, `${m.prometheus}_count`].some((s) => used.has(s)))
      .map((m) => m.prometheus)
    expect(missing).toEqual([])
  })
})

describe('grafana/topiq.json', () => {
  const panels = allPanels(dashboard)

  it('is what dashboard.ts generates, and the README tables are current (pnpm --filter @topiq/observability generate)', () => {
    expect(readFileSync(DASHBOARD_FILE, 'utf8')).toBe(renderDashboard())
    const readme = readFileSync(README_FILE, 'utf8')
    expect(renderReadme(readme)).toBe(readme)
  })

  it('is an importable dashboard: uid, schemaVersion, unique panel ids', () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/)
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36)
    const ids = panels.map((p) => p.id)
    expect(ids.every((id) => Number.isInteger(id))).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('places every panel inside the 24-column grid, without overlaps', () => {
    const taken = new Map<string, string>()
    for (const p of panels) {
      const { h, w, x, y } = p.gridPos ?? {}
      for (const n of [h, w, x, y]) expect(Number.isInteger(n), `panel ${String(p.id)} gridPos`).toBe(true)
      if (h === undefined || w === undefined || x === undefined || y === undefined) continue
      expect(x >= 0 && y >= 0 && w > 0 && h > 0 && x + w <= 24, `panel ${String(p.id)} gridPos ${JSON.stringify(p.gridPos)}`).toBe(true)
      for (let row = y; row < y + h; row++) {
        for (let col = x; col < x + w; col++) {
          const cell = `${row}:${col}`
          expect(taken.get(cell), `panel ${String(p.id)} overlaps at ${cell}`).toBeUndefined()
          taken.set(cell, String(p.id))
        }
      }
    }
  })

  it('uses the ${datasource} variable on every panel, target and variable query, and no fixed data source', () => {
    const vars = dashboard.templating.list
    expect(vars.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' })
    for (const p of panels.filter((p) => p.type !== 'row')) {
      expect(p.datasource, `panel ${String(p.id)}`).toEqual(DATASOURCE)
      expect(p.targets?.length, `panel ${String(p.id)} targets`).toBeGreaterThan(0)
      for (const t of p.targets ?? []) expect(t.datasource, `panel ${String(p.id)} target ${String(t.refId)}`).toEqual(DATASOURCE)
      const refIds = (p.targets ?? []).map((t) => t.refId)
      expect(new Set(refIds).size).toBe(refIds.length)
    }
    for (const v of vars.filter((v) => v.type === 'query')) expect(v.datasource, `variable ${v.name}`).toEqual(DATASOURCE)
    // Anywhere in the file: a data source is ${datasource} or Grafana's built-in annotations, never a fixed uid.
    const uids = [...readFileSync(DASHBOARD_FILE, 'utf8').matchAll(/"uid": "([^"]*)"/g)].map((m) => m[1])
    expect(new Set(uids)).toEqual(new Set([dashboard.uid, '${datasource}', '-- Grafana --']))
  })

  it('has group and topic variables from label_values, used by the panels', () => {
    const byName = new Map(dashboard.templating.list.map((v) => [v.name, v]))
    expect(byName.get('group')?.definition).toMatch(/^label_values\(.+, group\)$/)
    expect(byName.get('topic')?.definition).toMatch(/^label_values\(.+, topic\)$/)
    const exprs = panelQueries.map((q) => q.expr).join('\n')
    expect(exprs).toContain('group=~"$group"')
    expect(exprs).toContain('topic=~"$topic"')
  })
})

describe('prometheus/alerts.yml', () => {
  const byName = new Map(rules.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]))

  it('has the four alerts, each with a severity, a summary and a description', () => {
    expect([...byName.keys()].sort()).toEqual(['TopiqConsumerLagGrowing', 'TopiqConsumerNotInGroup', 'TopiqDeadLetters', 'TopiqOutcomeUnknown'])
    for (const [name, r] of byName) {
      expect(r.labels?.['severity'], name).toBe('warning')
      expect(r.annotations?.['summary'], name).toBeTruthy()
      expect(r.annotations?.['description']?.length, name).toBeGreaterThan(100)
    }
  })

  it('TopiqConsumerLagGrowing: lag above a threshold and deriv over 10m above 0, for 10m; says to run pnpm topiq lag', () => {
    const r = byName.get('TopiqConsumerLagGrowing')
    expect(r?.for).toBe('10m')
    expect(r?.expr).toMatch(/topiq_consumer_lag\)\) > \d+\s+and\s+sum by \(group, topic\) \(deriv\(topiq_consumer_lag\[10m\]\)\) > 0/)
    expect(r?.annotations?.['description']).toContain('pnpm topiq lag --group {{ $labels.group }}')
  })

  it('TopiqDeadLetters names the dead-letter topic (<domain>.<action>-dlq.<format>)', () => {
    expect(byName.get('TopiqDeadLetters')?.annotations?.['description']).toContain('reReplaceAll "^(.*)\\\\.([^.]+)$" "${1}-dlq.${2}" $labels.topic')
  })
})

// promtool from scripts/prometheus.sh: installed on first use; skipped only off CI when it cannot be installed.
const prometheus = await ensurePrometheus()
const install = await prometheusInstall()
describe.skipIf(prometheus === undefined)(`promtool${install.ok ? '' : ` (skipped: ${install.reason})`}`, () => {
  const promtool = async (...args: string[]): Promise<string> => {
    if (!install.ok) throw new Error(install.reason)
    try {
      const { stdout, stderr } = await promisify(execFile)(install.promtool, args)
      return stdout + stderr
    } catch (e) {
      const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string }
      throw new Error(`promtool ${args.join(' ')} failed:\n${stdout}${stderr}`, { cause: e })
    }
  }

  it('check rules alerts.yml', async () => {
    expect(await promtool('check', 'rules', RULES_FILE)).toMatch(/SUCCESS: 4 rules found/)
  })

  it('check config prometheus.example.yml (with its rule file)', async () => {
    const out = await promtool('check', 'config', EXAMPLE_CONFIG_FILE)
    expect(out).toMatch(/is valid prometheus config file syntax/)
    expect(out).toMatch(/SUCCESS: 4 rules found/)
  })

  it('test rules alerts.test.yml: each alert fires when it should (for: in simulated time) and not otherwise', async () => {
    expect(await promtool('test', 'rules', RULE_TESTS_FILE)).toMatch(/SUCCESS/)
  })
})
