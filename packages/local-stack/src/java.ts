import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Env } from './config.ts'
import { APICURIO_VERSION, MIN_JAVA_FOR_KAFKA, MIN_JAVA_FOR_REGISTRY } from './versions.ts'

export interface JavaRuntime {
  readonly path: string
  readonly major: number
  readonly version: string
}

/** Parses the first line of `java -version` (`openjdk version "17.0.15" …`, `java version "1.8.0_392"`). */
export function parseJavaVersion(output: string): { major: number; version: string } | undefined {
  const m = /version "([^"]+)"/.exec(output)
  if (m?.[1] === undefined) return undefined
  const version = m[1]
  const parts = version.split(/[.+_-]/)
  const first = Number(parts[0])
  const major = first === 1 ? Number(parts[1]) : first
  return Number.isFinite(major) ? { major, version } : undefined
}

export function probeJava(path: string): JavaRuntime | undefined {
  const r = spawnSync(path, ['-version'], { encoding: 'utf8', timeout: 20_000 })
  if (r.error !== undefined || r.status !== 0) return undefined
  const parsed = parseJavaVersion(`${r.stderr}\n${r.stdout}`)
  return parsed === undefined ? undefined : { path, ...parsed }
}

function jvmDirs(): string[] {
  const out: string[] = []
  for (const base of ['/usr/lib/jvm', '/opt/java', '/Library/Java/JavaVirtualMachines']) {
    let names: string[]
    try {
      names = readdirSync(base)
    } catch {
      continue
    }
    for (const n of names.sort().reverse()) {
      for (const rel of ['bin/java', 'Contents/Home/bin/java']) {
        const p = join(base, n, rel)
        if (existsSync(p)) out.push(p)
      }
    }
  }
  return out
}

export class JavaNotFoundError extends Error {
  override readonly name = 'JavaNotFoundError'
}

/**
 * The java binary both JVMs run with: TOPIQ_STACK_JAVA if set (must be ≥ 21), else the first of JAVA_HOME, `java` on
 * PATH and the JDKs under /usr/lib/jvm (newest first) whose version is ≥ 21 — Apicurio Registry 3.3 is compiled for
 * Java 21, Kafka 4.x needs 17+.
 */
export function findJava(explicit: string | undefined, env: Env = process.env): JavaRuntime {
  const min = Math.max(MIN_JAVA_FOR_REGISTRY, MIN_JAVA_FOR_KAFKA)
  if (explicit !== undefined) {
    const j = probeJava(explicit)
    if (j === undefined) throw new JavaNotFoundError(`TOPIQ_STACK_JAVA=${explicit} does not run (\`${explicit} -version\` failed)`)
    if (j.major < min) throw new JavaNotFoundError(`TOPIQ_STACK_JAVA=${explicit} is Java ${j.version}; Apicurio Registry needs Java ${min}+`)
    return j
  }
  const candidates: string[] = []
  const javaHome = env['JAVA_HOME']
  if (javaHome !== undefined && javaHome !== '') candidates.push(join(javaHome, 'bin', 'java'))
  candidates.push('java', ...jvmDirs())
  const seen: string[] = []
  for (const c of [...new Set(candidates)]) {
    const j = probeJava(c)
    if (j === undefined) continue
    if (j.major >= min) return j
    seen.push(`${c} (Java ${j.version})`)
  }
  throw new JavaNotFoundError(
    `no Java ${min}+ found (Apicurio Registry ${APICURIO_VERSION} needs it; Kafka needs ${MIN_JAVA_FOR_KAFKA}+). ` +
      (seen.length > 0 ? `Found only: ${seen.join(', ')}. ` : 'No java at all on PATH, JAVA_HOME or /usr/lib/jvm. ') +
      'Install a JDK 21+ (e.g. apt-get install openjdk-21-jre-headless) or point TOPIQ_STACK_JAVA at its bin/java.',
  )
}
