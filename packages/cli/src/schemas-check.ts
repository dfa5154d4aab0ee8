import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { COMPATIBILITY_LEVELS, DEFINITIONS_DIR, FRAMINGS, externalRefs, inlineRefs, resolveRefPath, type CompatibilityLevel, type Framing } from '@topiq/codegen'
import { checkCompatibility, type BreakingChange } from './compat.ts'
import { RegistryClient, subjectOf } from '@topiq/kafka-core'
import { defaultBase, git, tryGit } from './git.ts'

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
  /** Shared definitions (`defs/*.json`) the schema uses now, directly or not: their changes are checked as the topic's. */
  uses: string[]
}

export interface SchemasCheckReport {
  ref: string
  /** Which commit was compared with and why (`--against main`, `merge base of HEAD with origin/main`). */
  base: string
  /** Set when the base cannot see committed changes: the report must not read as a pass for them. */
  baseWarning?: string
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

type Definitions = ReadonlyMap<string, Record<string, unknown>>

/** The shared definitions (`defs/*.json`) as they were at `sha` (undefined: the working tree). */
async function definitionsAt(repoRoot: string, schemasDir: string, relDir: string, sha?: string): Promise<Definitions> {
  const defs = new Map<string, Record<string, unknown>>()
  const names =
    sha === undefined
      ? await readdir(join(schemasDir, DEFINITIONS_DIR)).catch(() => [] as string[])
      : ((await tryGit(repoRoot, ['ls-tree', '--name-only', sha, `${relDir}/${DEFINITIONS_DIR}/`])) ?? '').split('\n').map((p) => p.slice(p.lastIndexOf('/') + 1))
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const text = sha === undefined ? await readFile(join(schemasDir, DEFINITIONS_DIR, name), 'utf8') : await tryGit(repoRoot, ['show', `${sha}:${relDir}/${DEFINITIONS_DIR}/${name}`])
    try {
      if (text !== undefined) defs.set(`${DEFINITIONS_DIR}/${name}`, JSON.parse(text) as Record<string, unknown>)
    } catch {
      // An unparsable definition stays a `$ref`, which the comparison then reports as changed.
    }
  }
  return defs
}

/** The schema with its shared definitions inlined, as the checker compares documents, not references. */
function resolved(schema: Record<string, unknown>, file: string, defs: Definitions): Record<string, unknown> {
  return inlineRefs(schema, file, (f) => defs.get(f)) as Record<string, unknown>
}

/** Definitions a schema reaches through `$ref`s, directly or through other definitions. */
function usedDefinitions(schema: unknown, file: string, defs: Definitions): string[] {
  const seen = new Set<string>()
  const visit = (node: unknown, from: string) => {
    for (const { ref } of externalRefs(node)) {
      const target = resolveRefPath(from, ref)
      if (target === undefined || seen.has(target.file)) continue
      seen.add(target.file)
      const def = defs.get(target.file)
      if (def !== undefined) visit(def, target.file)
    }
  }
  visit(schema, file)
  return [...seen].sort()
}

async function versionsAt(repoRoot: string, schemasDir: string, relDir: string, ref: string, file: string, transitive: boolean): Promise<Record<string, unknown>[]> {
  const path = `${relDir}/${file}`
  const shas = transitive
    ? (await tryGit(repoRoot, ['log', '--format=%H', ref, '--', path]))?.split('\n').filter(Boolean).reverse() ?? []
    : [ref]
  const versions: Record<string, unknown>[] = []
  for (const sha of shas) {
    const text = await tryGit(repoRoot, ['show', `${sha}:${path}`])
    if (text !== undefined) versions.push(resolved(JSON.parse(text) as Record<string, unknown>, file, await definitionsAt(repoRoot, schemasDir, relDir, sha)))
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

/**
 * Apicurio 3.3's compatibility endpoint cannot judge a subject whose schema has references ("Unresolved JSON Schema
 * reference", "External JSON Schema resolution is disabled"). Then the subject's latest version is fetched through
 * the registry with every schema it references, inlined, and compared with ours by the offline checker: still a
 * verdict against what the registry holds, said as such.
 */
async function againstRegistered(url: string, subject: string, level: CompatibilityLevel, next: Record<string, unknown>, why: readonly string[]): Promise<RegistryVerdict> {
  const latest = await fetch(`${url.replace(/\/+$/, '')}/subjects/${encodeURIComponent(subject)}/versions/latest`)
  const body = (await latest.json().catch(() => ({}))) as { id?: number; version?: number }
  if (!latest.ok || typeof body.id !== 'number') return { compatible: undefined, messages: [...why, `and its latest version of ${subject} could not be read (${latest.status})`] }
  const registered = await new RegistryClient({ url }).resolveById(body.id)
  const inlined = inlineRefs(registered.schema, '', (f) => registered.references.get(f)) as Record<string, unknown>
  const changes = checkCompatibility(level, stripMetadata(next), [inlined])
  const how = `the registry cannot judge schemas with references (${why.join('; ')}); compared with its version ${String(body.version)} (schema id ${body.id}) resolved through its references`
  return { compatible: changes.length === 0, messages: [how, ...changes.map((c) => `${c.path} ${c.rule}: ${c.message}`)] }
}

/** Compares every schema with its version(s) at `against` (default: merge base with main) under its level. */
export async function schemasCheck(options: SchemasCheckOptions): Promise<SchemasCheckReport> {
  const chosen = options.against === undefined ? await defaultBase(options.repoRoot) : { sha: options.against, description: `--against ${options.against}` }
  const ref = chosen.sha
  await git(options.repoRoot, ['rev-parse', '--verify', `${ref}^{commit}`]).catch(() => {
    throw new Error(`git ref "${ref}" not found: pass an existing branch, tag or commit to --against`)
  })
  const relDir = relative(options.repoRoot, options.schemasDir) || '.'
  const files = (await readdir(options.schemasDir)).filter((f) => f.endsWith('.json')).sort()
  const topics: TopicCheck[] = []
  const currentDefs = await definitionsAt(options.repoRoot, options.schemasDir, relDir)
  for (const file of files) {
    const next = resolved(JSON.parse(await readFile(join(options.schemasDir, file), 'utf8')) as Record<string, unknown>, file, currentDefs)
    const uses = usedDefinitions(JSON.parse(await readFile(join(options.schemasDir, file), 'utf8')), file, currentDefs)
    const level = levelOf(next)
    const previous = await versionsAt(options.repoRoot, options.schemasDir, relDir, ref, file, level.endsWith('_TRANSITIVE'))
    const changes = checkCompatibility(level, stripMetadata(next), previous.map(stripMetadata))
    const framing = framingOf(next)
    const check: TopicCheck = { topic: file, level, comparedVersions: previous.length, changes, framing, uses }
    const before = previous.at(-1)
    if (before !== undefined && framingOf(before) !== framing) check.framingChanged = { from: framingOf(before), to: framing }
    if (options.registryUrl !== undefined) {
      try {
        const subject = subjectOf(file, options.topicPrefix)
        check.registry = await askRegistry(options.registryUrl, subject, next, options.fetch ?? fetch)
        if (check.registry.compatible === undefined && uses.length > 0 && !check.registry.messages.some((m) => m.includes('not registered yet'))) {
          check.registry = await againstRegistered(options.registryUrl, subject, level, next, check.registry.messages)
        }
      } catch (cause) {
        check.registry = { compatible: undefined, messages: [`registry unreachable at ${options.registryUrl}: ${(cause as Error).message}`] }
      }
    }
    topics.push(check)
  }
  const before = (await tryGit(options.repoRoot, ['ls-tree', '--name-only', `${ref}`, `${relDir}/`]))?.split('\n').filter((p) => p.endsWith('.json')) ?? []
  const removed = before.map((p) => p.slice(p.lastIndexOf('/') + 1)).filter((f) => !files.includes(f))
  const ok = removed.length === 0 && topics.every((t) => t.changes.length === 0 && t.framingChanged === undefined && t.registry?.compatible !== false)
  return { ref, base: chosen.description, ...('warning' in chosen && chosen.warning !== undefined ? { baseWarning: chosen.warning } : {}), topics, removed, ok }
}

export function formatSchemasCheck(report: SchemasCheckReport): string {
  const lines = [`schemas check against ${report.ref.slice(0, 12)} (${report.base})`]
  if (report.baseWarning !== undefined) lines.push(`! ${report.baseWarning}`)
  for (const t of report.topics) {
    const against = t.comparedVersions === 0 ? 'new topic' : `${t.comparedVersions} earlier version(s)`
    const broken = t.changes.length > 0 || t.framingChanged !== undefined
    const uses = t.uses.length === 0 ? '' : `, uses ${t.uses.join(', ')}`
    lines.push(`${broken ? '✗' : '✓'} ${t.topic} [${t.level}, ${against}${uses}]${t.changes.length === 0 ? '' : `: ${t.changes.length} breaking change(s)`}`)
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
  const passed = report.baseWarning === undefined ? 'all schema changes are compatible' : 'uncommitted schema changes are compatible (committed ones were not checked: see above)'
  lines.push(report.ok ? passed : 'breaking schema changes found: make them compatible, or bump to a new topic (e.g. campaign.created-v2.json)')
  return lines.join('\n')
}
