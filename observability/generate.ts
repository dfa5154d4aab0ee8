// Writes grafana/topiq.json and the generated tables of README.md (metrics from METRICS, panels from dashboard.ts):
//   pnpm --filter @topiq/observability generate
// observability.test.ts renders both in memory and fails when a committed file differs.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { METRICS } from '@topiq/kafka-core'
import { renderDashboard, ROWS } from './dashboard.ts'

export const DASHBOARD_FILE = fileURLToPath(new URL('./grafana/topiq.json', import.meta.url))
export const README_FILE = fileURLToPath(new URL('./README.md', import.meta.url))

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ')

function metricsTable(): string {
  const rows = Object.values(METRICS).map((m) => {
    const series = m.kind === 'histogram' ? `\`${m.prometheus}\` (\`_bucket\`, \`_sum\`, \`_count\`)` : `\`${m.prometheus}\``
    return `| ${series} | ${m.kind} | ${m.labels.map((l) => `\`${l}\``).join(', ')} | ${cell(m.help)} |`
  })
  return ['| series | type | labels | what it counts |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

function panelsTable(): string {
  const lines: string[] = []
  for (const row of ROWS) {
    lines.push(`**${row.row}**`, '', '| panel | how to read it |', '| --- | --- |')
    for (const p of row.panels) lines.push(`| ${cell(p.title)} | ${cell(p.read)} |`)
    lines.push('')
  }
  return lines.join('\n').trimEnd()
}

const SECTIONS: Record<string, () => string> = { metrics: metricsTable, panels: panelsTable }

/** README text with every `<!-- generated:NAME -->` … `<!-- /generated:NAME -->` section rendered anew. */
export function renderReadme(current: string): string {
  let text = current
  for (const [name, render] of Object.entries(SECTIONS)) {
    const open = `<!-- generated:${name} (observability/generate.ts) -->`
    const close = `<!-- /generated:${name} -->`
    const start = text.indexOf(open)
    const end = text.indexOf(close)
    if (start === -1 || end < start) throw new Error(`README.md lacks the markers ${open} … ${close}`)
    text = `${text.slice(0, start + open.length)}\n${render()}\n${text.slice(end)}`
  }
  return text
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(DASHBOARD_FILE, renderDashboard())
  await writeFile(README_FILE, renderReadme(await readFile(README_FILE, 'utf8')))
  console.log(`wrote ${DASHBOARD_FILE} and the generated sections of ${README_FILE}`)
}
