import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { COMPATIBILITY_LEVELS, FRAMINGS, type CompatibilityLevel, type Framing } from '@topiq/codegen'
import { checkCompatibility, type BreakingChange } from './compat.ts'
import { subjectOf } from '@topiq/kafka-core'
import { defaultBaseRef, git, tryGit } from './git.ts'

export interface RegistryVerdict {
  compatible: boolean | undefined
  messages: string[]
}

export interface TopicCheck {
  topic: string
  level: CompatibilityLevel
  /** Versions compared with (1 for non-transitive levels; 0 for a new topic). */
  comparedVersions: number
  changes: BreakingChange[]
  framing: Framing
  /** The wire format changed since `against`: every reader of the topic that expects the old one breaks. */
  framingChanged?: { from: Framing; to: Framing }
  registry?: RegistryVerdict
}

export interface SchemasCheckReport {
  ref: string
  topics: TopicCheck[]
  removed: string[]
  ok: boolean
}

export interface SchemasCheckOptions {
  repoRoot: string
  schemasDir: string
  against?: string
  /** Confluent-compatible registry base URL; when set, its compatibility endpoint is asked too. */
  registryUrl?: string
  /** Topic prefix of the environment whose registry subjects are asked (`<prefix><topic>-value`). */
  topicPrefix?: string
  fetch?: typeof fetch
}

function stripMetadata(schema: Record<string, unknown>): Record<string, unknown> {
  const { 'x-kafka': _metadata, ...rest } = schema
  return rest
}

function levelOf(schema: Record<string, unknown>): CompatibilityLevel {
  const meta = schema['x-kafka']
  const level = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['compatibility'] : undefined
  return typeof level === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(level) ? (level as CompatibilityLevel) : 'BACKWARD'
}

function framingOf(schema: Record<string, unknown>): Framing {
  const meta = schema['x-kafka']
  const framing = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['framing'] : undefined
  return typeof framing === 'string' && (FRAMINGS as readonly string[]).includes(framing) ? (framing as Framing) : 'json'
}

async function versionsAt(repoRoot: string, ref: string, path: string, transitive: boolean): Promise<Record<string, unknown>[]> {
  const shas = transitive
    ? (await tryGit(repoRoot, ['log', '--format=%H', ref, '--', path]))?.split('\n').filter(Boolean).reverse() ?? []
    : [ref]
  const versions: Record<string, unknown>[] = []
  for (const sha of shas) {
    const text = await tryGit(repoRoot, ['show', `${sha}:${path}`])
    if (text !== undefined) versions.push(JSON.parse(text) as Record<string, unknown>)
  }
  return versions
}

async function askRegistry(url: string, subject: string, schema: Record<string, unknown>, doFetch: typeof fetch): Promise<RegistryVerdict> {
  const endpoint = `${url.replace(/\/+$/, '')}/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`
  const response = await doFetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(stripMetadata(schema)) }),
  })
  const body = (await response.json().catch(() => ({}))) as { is_compatible?: boolean; messages?: string[]; message?: string }
  if (response.status === 404) return { compatible: undefined, messages: [`subject ${subject} is not registered yet: nothing to compare`] }
  if (!response.ok) return { compatible: undefined, messages: [`registry answered ${response.status}: ${body.message ?? ''}`] }
  return { compatible: body.is_compatible === true, messages: body.messages ?? [] }
}

/** Compares every schema with its version(s) at `against` (default: merge base with main) under its level. */
export async function schemasCheck(options: SchemasCheckOptions): Promise<SchemasCheckReport> {
  const ref = options.against ?? (await defaultBaseRef(options.repoRoot))
  await git(options.repoRoot, ['rev-parse', '--verify', `${ref}^{commit}`]).catch(() => {
    throw new Error(`git ref "${ref}" not found: pass an existing branch, tag or commit to --against`)
  })
  const relDir = relative(options.repoRoot, options.schemasDir) || '.'
  const files = (await readdir(options.schemasDir)).filter((f) => f.endsWith('.json')).sort()
  const topics: TopicCheck[] = []
  for (const file of files) {
    const next = JSON.parse(await readFile(join(options.schemasDir, file), 'utf8')) as Record<string, unknown>
    const level = levelOf(next)
    const previous = await versionsAt(options.repoRoot, ref, `${relDir}/${file}`, level.endsWith('_TRANSITIVE'))
    const changes = checkCompatibility(level, stripMetadata(next), previous.map(stripMetadata))
    const framing = framingOf(next)
    const check: TopicCheck = { topic: file, level, comparedVersions: previous.length, changes, framing }
    const before = previous.at(-1)
    if (before !== undefined && framingOf(before) !== framing) check.framingChanged = { from: framingOf(before), to: framing }
    if (options.registryUrl !== undefined) {
      try {
        check.registry = await askRegistry(options.registryUrl, subjectOf(file, options.topicPrefix), next, options.fetch ?? fetch)
      } catch (cause) {
        check.registry = { compatible: undefined, messages: [`registry unreachable at ${options.registryUrl}: ${(cause as Error).message}`] }
      }
    }
    topics.push(check)
  }
  const before = (await tryGit(options.repoRoot, ['ls-tree', '--name-only', `${ref}`, `${relDir}/`]))?.split('\n').filter((p) => p.endsWith('.json')) ?? []
  const removed = before.map((p) => p.slice(p.lastIndexOf('/') + 1)).filter((f) => !files.includes(f))
  const ok = removed.length === 0 && topics.every((t) => t.changes.length === 0 && t.framingChanged === undefined && t.registry?.compatible !== false)
  return { ref, topics, removed, ok }
}

export function formatSchemasCheck(report: SchemasCheckReport): string {
  const lines = [`schemas check against ${report.ref.slice(0, 12)}`]
  for (const t of report.topics) {
    const against = t.comparedVersions === 0 ? 'new topic' : `${t.comparedVersions} earlier version(s)`
    const broken = t.changes.length > 0 || t.framingChanged !== undefined
    lines.push(`${broken ? '✗' : '✓'} ${t.topic} [${t.level}, ${against}]${t.changes.length === 0 ? '' : `: ${t.changes.length} breaking change(s)`}`)
    if (t.framingChanged !== undefined) {
      lines.push(
        `    x-kafka.framing  FRAMING_CHANGED: "${t.framingChanged.from}" → "${t.framingChanged.to}": readers of the topic that expect ` +
          `${t.framingChanged.from === 'json' ? 'plain JSON cannot read registry-framed values' : 'registry framing cannot read plain JSON'}; ` +
          'put the new framing on a new topic (e.g. <domain>.<action>-v2.json) instead',
      )
    }
    for (const c of t.changes) {
      const who = c.direction === 'backward' ? 'new schema cannot read old events' : 'old consumers cannot read new events'
      lines.push(`    ${c.path}  ${c.rule}: ${c.message} (${who})`)
    }
    if (t.registry !== undefined) {
      const verdict = t.registry.compatible === undefined ? 'no verdict' : t.registry.compatible ? 'compatible' : 'INCOMPATIBLE'
      lines.push(`    registry: ${verdict}${t.registry.messages.length > 0 ? ` — ${t.registry.messages.join('; ')}` : ''}`)
    }
  }
  for (const r of report.removed) lines.push(`✗ ${r}: schema removed — producers and consumers of this topic lose their contract`)
  lines.push(report.ok ? 'all schema changes are compatible' : 'breaking schema changes found: make them compatible, or bump to a new topic (e.g. campaign.created-v2.json)')
  return lines.join('\n')
}
