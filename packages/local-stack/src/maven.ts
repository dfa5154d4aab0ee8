// Resolves the stack's runtime (Kafka jars, Apicurio Registry distribution) with Maven into the cache dir, once.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { isAbsolute, join, relative } from 'node:path'
import { createInterface } from 'node:readline'
import type { Env, StackConfig } from './config.ts'
import { mavenDownloadLine, mavenErrorSummary, mavenFailedArtifact, renderPom } from './render.ts'
import {
  APICURIO_ARTIFACT,
  APICURIO_VERSION,
  coordinate,
  KAFKA_ARTIFACTS,
  KAFKA_VERSION,
  SCALA_VERSION,
  type MavenArtifact,
} from './versions.ts'

export type Log = (line: string) => void

export interface RuntimePaths {
  readonly pom: string
  readonly kafkaDir: string
  /** The broker's classpath is `${kafkaLibDir}/*`. */
  readonly kafkaLibDir: string
  readonly apicurioDir: string
  /** `java -jar quarkus-run.jar` from apicurioDir starts the registry. */
  readonly apicurioRunJar: string
}

export function runtimePaths(cfg: StackConfig): RuntimePaths {
  const kafkaDir = join(cfg.cacheDir, `kafka_${SCALA_VERSION}-${KAFKA_VERSION}`)
  const apicurioDir = join(cfg.cacheDir, `apicurio-registry-${APICURIO_VERSION}`)
  return {
    pom: join(cfg.cacheDir, 'pom.xml'),
    kafkaDir,
    kafkaLibDir: join(kafkaDir, 'libs'),
    apicurioDir,
    apicurioRunJar: join(apicurioDir, 'quarkus-run.jar'),
  }
}

const COMPLETE = '.complete'

export class MavenResolveError extends Error {
  override readonly name = 'MavenResolveError'
  readonly artifact: string
  constructor(message: string, artifact: string) {
    super(message)
    this.artifact = artifact
  }
}

/** Sum of file sizes under dir (0 when missing). */
export async function dirSize(dir: string): Promise<number> {
  let total = 0
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    if (!e.isFile()) continue
    try {
      total += (await stat(join(e.parentPath, e.name))).size
    } catch {
      // vanished meanwhile (Maven renames its temp files)
    }
  }
  return total
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`

function mavenBinary(env: Env): string {
  return env['TOPIQ_STACK_MVN'] ?? 'mvn'
}

function assertMaven(bin: string): void {
  const r = spawnSync(bin, ['-v'], { encoding: 'utf8', timeout: 60_000 })
  if (r.error !== undefined || r.status !== 0) {
    throw new MavenResolveError(
      `Maven (\`${bin}\`) is needed to download Kafka ${KAFKA_VERSION} and Apicurio Registry ${APICURIO_VERSION} but it does not run` +
        `${r.error !== undefined ? ` (${r.error.message})` : ''}. Install Maven 3.6.3+ (e.g. apt-get install maven) or set TOPIQ_STACK_MVN.`,
      'maven',
    )
  }
}

interface Component {
  readonly label: string
  readonly goal: string
  readonly dir: string
  readonly artifacts: readonly string[]
  readonly verify: () => boolean
  /** Repository-relative path of an archive that is only needed until it is extracted. */
  readonly archive?: string
}

/** Path of an artifact inside a Maven local repository. */
export function repositoryPath(a: MavenArtifact): string {
  const file = `${a.artifactId}-${a.version}${a.classifier !== undefined ? `-${a.classifier}` : ''}.${a.type ?? 'jar'}`
  return join(...a.groupId.split('.'), a.artifactId, a.version, file)
}

/** The Maven repo is the stack's private one (inside the cache dir), not the user's ~/.m2. */
function ownsMavenRepo(cfg: StackConfig): boolean {
  const rel = relative(cfg.cacheDir, cfg.mavenRepo)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel)
}

async function runMaven(cfg: StackConfig, paths: RuntimePaths, c: Component, log: Log, env: Env): Promise<void> {
  const bin = mavenBinary(env)
  const args = ['-B', '-f', paths.pom, `-Dmaven.repo.local=${cfg.mavenRepo}`, c.goal]
  log(`resolving ${c.label} with Maven: ${c.artifacts.join(', ')}`)
  log(`  (mvn ${args.join(' ')})`)
  const started = Date.now()
  const child = spawn(bin, args, { cwd: cfg.cacheDir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
  const output: string[] = []
  let files = 0
  let quiet = 0
  const onLine = (line: string): void => {
    output.push(line)
    const d = mavenDownloadLine(line)
    if (d === undefined) return
    files++
    // One line per artifact that matters (≥ 1 MB); poms, checksums and Maven's own small plugin jars are counted.
    if (/\((\d+(\.\d+)?) (MB|GB)\b/.test(d.detail)) log(`  downloaded ${d.file} ${d.detail}`.trimEnd())
    else quiet++
  }
  createInterface({ input: child.stdout }).on('line', onLine)
  createInterface({ input: child.stderr }).on('line', onLine)
  // Maven prints nothing while one big file (the 160 MB registry archive) downloads: say how far it got.
  const ticker = setInterval(() => {
    void dirSize(cfg.mavenRepo).then((bytes) => {
      log(`  … ${c.label}: ${Math.round((Date.now() - started) / 1000)} s, Maven repo ${cfg.mavenRepo} holds ${mb(bytes)}`)
    })
  }, 10_000)
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status) => resolve(status))
  }).finally(() => clearInterval(ticker))
  const text = output.join('\n')
  await writeFile(join(cfg.cacheDir, `maven-${c.label}.log`), `${text}\n`)
  if (code !== 0) {
    const artifact = mavenFailedArtifact(text) ?? c.artifacts.join(', ')
    const summary = mavenErrorSummary(text) || output.slice(-15).join('\n')
    throw new MavenResolveError(
      `Maven could not resolve ${artifact} (needed for ${c.label}; exit code ${String(code)}).\nMaven says:\n${summary}\n` +
        `Full output: ${join(cfg.cacheDir, `maven-${c.label}.log`)}`,
      artifact,
    )
  }
  if (!c.verify()) {
    throw new MavenResolveError(`Maven finished but ${c.label} is incomplete in ${c.dir}; delete ${cfg.cacheDir} and retry`, c.artifacts.join(', '))
  }
  log(`  ${c.label} resolved in ${((Date.now() - started) / 1000).toFixed(1)} s (${files} files downloaded, ${quiet} of them small ones not listed)`)
}

/**
 * Makes sure Kafka's jars and the Apicurio Registry distribution are in the cache dir, resolving what is missing
 * with Maven. Cached components (marked complete) are reused without running Maven.
 */
export async function ensureRuntime(
  cfg: StackConfig,
  log: Log,
  env: Env = process.env,
  artifacts: { readonly kafka: readonly MavenArtifact[]; readonly apicurio: MavenArtifact } = { kafka: KAFKA_ARTIFACTS, apicurio: APICURIO_ARTIFACT },
): Promise<RuntimePaths> {
  const paths = runtimePaths(cfg)
  const components: Component[] = [
    {
      label: `kafka-${KAFKA_VERSION}`,
      goal: 'dependency:copy-dependencies@kafka',
      dir: paths.kafkaDir,
      artifacts: artifacts.kafka.map(coordinate),
      verify: () =>
        existsSync(join(paths.kafkaLibDir, `kafka_${SCALA_VERSION}-${KAFKA_VERSION}.jar`)) &&
        existsSync(join(paths.kafkaLibDir, `kafka-clients-${KAFKA_VERSION}.jar`)),
    },
    {
      label: `apicurio-registry-${APICURIO_VERSION}`,
      goal: 'dependency:unpack@apicurio',
      dir: paths.apicurioDir,
      artifacts: [coordinate(artifacts.apicurio)],
      verify: () => existsSync(paths.apicurioRunJar),
      archive: repositoryPath(artifacts.apicurio),
    },
  ]
  const missing = components.filter((c) => !(existsSync(join(c.dir, COMPLETE)) && c.verify()))
  if (missing.length === 0) return paths

  await mkdir(cfg.cacheDir, { recursive: true })
  await writeFile(
    paths.pom,
    renderPom({ kafkaLibDir: paths.kafkaLibDir, apicurioDir: paths.apicurioDir, markersDir: join(cfg.cacheDir, 'target', 'markers') }, artifacts.kafka, artifacts.apicurio),
  )
  assertMaven(mavenBinary(env))
  let downloaded = 0
  for (const c of missing) {
    const before = await dirSize(cfg.mavenRepo)
    await rm(c.dir, { recursive: true, force: true })
    await rm(join(cfg.cacheDir, 'target'), { recursive: true, force: true })
    await mkdir(c.dir, { recursive: true })
    await runMaven(cfg, paths, c, log, env)
    downloaded += Math.max(0, (await dirSize(cfg.mavenRepo)) - before)
    await writeFile(join(c.dir, COMPLETE), `${c.artifacts.join('\n')}\n`)
    if (c.archive !== undefined && ownsMavenRepo(cfg)) {
      // The extracted copy is what runs; keeping the 160 MB archive in our private Maven repo would double the cache.
      await rm(join(cfg.mavenRepo, c.archive), { force: true })
    }
  }
  log(`runtime cached in ${cfg.cacheDir} (Maven downloaded ${mb(downloaded)} into ${cfg.mavenRepo})`)
  return paths
}
