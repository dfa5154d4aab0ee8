// The dashboard and rule files as the checks read them, and every PromQL expression in them with where it is.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { unknownMetricNames } from './promql.ts'

export const RULES_FILE = fileURLToPath(new URL('./prometheus/alerts.yml', import.meta.url))
export const RULE_TESTS_FILE = fileURLToPath(new URL('./prometheus/alerts.test.yml', import.meta.url))
export const EXAMPLE_CONFIG_FILE = fileURLToPath(new URL('./prometheus/prometheus.example.yml', import.meta.url))

export interface GrafanaTarget {
  refId?: string
  expr?: string
  datasource?: { type?: string; uid?: string }
}

export interface GrafanaPanel {
  id?: number
  type?: string
  title?: string
  gridPos?: { h?: number; w?: number; x?: number; y?: number }
  datasource?: { type?: string; uid?: string }
  targets?: GrafanaTarget[]
  panels?: GrafanaPanel[]
}

export interface GrafanaVariable {
  name: string
  type: string
  query?: unknown
  definition?: string
  datasource?: { type?: string; uid?: string }
}

export interface GrafanaDashboard {
  uid?: string
  schemaVersion?: number
  panels: GrafanaPanel[]
  templating: { list: GrafanaVariable[] }
}

export interface AlertRule {
  alert?: string
  record?: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export interface RuleFile {
  groups: Array<{ name: string; rules: AlertRule[] }>
}

export interface Located {
  /** e.g. `panel 3 "Consumer lag per partition" target A`, `rule TopiqDeadLetters` */
  readonly where: string
  readonly expr: string
}

export function readDashboard(file: string): GrafanaDashboard {
  return JSON.parse(readFileSync(file, 'utf8')) as GrafanaDashboard
}

export function readRules(file = RULES_FILE): RuleFile {
  return parse(readFileSync(file, 'utf8')) as RuleFile
}

/** Panels with the ones nested in collapsed rows. */
export function allPanels(d: GrafanaDashboard): GrafanaPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])])
}

/** The PromQL of every panel target and every query variable (Grafana's `label_values(...)` included). */
export function dashboardQueries(d: GrafanaDashboard): Located[] {
  const panels = allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel ${String(p.id)} "${String(p.title)}" target ${String(t.refId)}`, expr: t.expr ?? '' })))
  const variables = d.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({ where: `variable $${v.name}`, expr: typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? v.definition ?? '') }))
  return [...panels, ...variables]
}

export function ruleQueries(r: RuleFile): Located[] {
  return r.groups.flatMap((g) => g.rules.map((rule) => ({ where: `rule ${rule.alert ?? rule.record ?? '?'} (group ${g.name})`, expr: rule.expr })))
}

/** "where: names" for every expression that reads a series outside `known` (or that cannot be checked). */
export function unknownSeries(queries: readonly Located[], known: ReadonlySet<string>): string[] {
  return queries.flatMap((q) => {
    try {
      const unknown = unknownMetricNames(q.expr, known)
      return unknown.length === 0 ? [] : [`${q.where}: ${unknown.join(', ')} in ${q.expr}`]
    } catch (e) {
      return [`${q.where}: ${(e as Error).message}`]
    }
  })
}
