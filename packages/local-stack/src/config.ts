import { homedir } from 'node:os'
import { join } from 'node:path'
import type { NodePorts } from './render.ts'

/** Every listener binds here and nowhere else. */
export const HOST = '127.0.0.1'

/** The SASL/SCRAM test user created when the Kafka storage is formatted. */
export const SCRAM_USERNAME = 'topiq-test'
/**
 * DEV-ONLY default password of the SCRAM test user (override with TOPIQ_STACK_SCRAM_PASSWORD). It protects nothing:
 * the broker listens on 127.0.0.1 only and exists for local development and tests.
 */
export const DEFAULT_SCRAM_PASSWORD = 'topiq-dev-only-secret'

export const DEFAULTS = {
  kafkaPort: 29092,
  kafkaSaslPort: 29093,
  kafkaControllerPort: 29094,
  registryPort: 8081,
  registryManagementPort: 29095,
  /** `up --brokers 3`: node 2 listens on 29192 (PLAINTEXT), 29193 (SASL), 29194 (controller); node 3 on 29195–29197. */
  kafkaNodeBasePort: 29192,
  readyTimeoutSeconds: 120,
  stopGraceSeconds: 20,
  kafkaHeap: '512m',
  registryHeap: '512m',
  /**
   * Startup-friendly JVM flags for a 2-core machine (C1 only, serial GC): measured ~30 % faster to ready than the
   * JVM defaults; replaced (not extended) by TOPIQ_KAFKA_JVM_OPTS / TOPIQ_REGISTRY_JVM_OPTS.
   */
  jvmOpts: '-XX:+UseSerialGC -XX:TieredStopAtLevel=1',
} as const

export interface StackPorts {
  readonly kafka: number
  readonly kafkaSasl: number
  readonly kafkaController: number
  readonly registry: number
  /** Quarkus management interface of Apicurio (health/metrics); bound to 127.0.0.1 as well. */
  readonly registryManagement: number
}

export interface StackConfig {
  readonly host: string
  readonly ports: StackPorts
  /** First port of cluster nodes 2, 3, … (`up --brokers 3`); node 1 uses `ports`. See stackNodePorts. */
  readonly kafkaNodeBasePort: number
  /** `${TOPIQ_HOME:-${XDG_CACHE_HOME:-~/.cache}/topiq}` */
  readonly topiqHome: string
  /** Resolved jars, the generated pom and Maven's local repository; reused between runs. */
  readonly cacheDir: string
  /** Maven local repository used for the downloads (inside cacheDir unless TOPIQ_STACK_MAVEN_REPO says otherwise). */
  readonly mavenRepo: string
  /** Runtime dir: pid/state files, logs, generated configs and the data dir (removed by `down`). */
  readonly stackDir: string
  readonly dataDir: string
  readonly logDir: string
  readonly runDir: string
  readonly readyTimeoutMs: number
  readonly stopGraceMs: number
  readonly kafkaHeap: string
  readonly registryHeap: string
  /** JVM options (TOPIQ_KAFKA_JVM_OPTS / TOPIQ_REGISTRY_JVM_OPTS, whitespace-separated; default DEFAULTS.jvmOpts). */
  readonly kafkaJvmOpts: readonly string[]
  readonly registryJvmOpts: readonly string[]
  /** Explicit java binary (TOPIQ_STACK_JAVA); otherwise JAVA_HOME, PATH and /usr/lib/jvm are searched. */
  readonly java: string | undefined
  readonly scram: { readonly mechanism: 'scram-sha-256'; readonly username: string; readonly password: string }
  readonly brokers: readonly string[]
  readonly saslBrokers: readonly string[]
  readonly controller: string
  readonly registryBaseUrl: string
  /** Confluent-compatible API of Apicurio. */
  readonly registryUrl: string
}

export type Env = Readonly<Record<string, string | undefined>>

export class StackConfigError extends Error {
  override readonly name = 'StackConfigError'
}

function nonEmpty(env: Env, key: string): string | undefined {
  const v = env[key]
  return v === undefined || v.trim() === '' ? undefined : v.trim()
}

export function parsePort(env: Env, key: string, fallback: number): number {
  const raw = nonEmpty(env, key)
  if (raw === undefined) return fallback
  if (!/^\d+$/.test(raw)) throw new StackConfigError(`${key}=${JSON.stringify(raw)} is not a port number (1-65535)`)
  const n = Number(raw)
  if (n < 1 || n > 65535) throw new StackConfigError(`${key}=${raw} is out of range (1-65535)`)
  return n
}

export function parseSeconds(env: Env, key: string, fallback: number): number {
  const raw = nonEmpty(env, key)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) throw new StackConfigError(`${key}=${JSON.stringify(raw)} must be a positive number of seconds`)
  return n
}

function parseHeap(env: Env, key: string, fallback: string): string {
  const raw = nonEmpty(env, key)
  if (raw === undefined) return fallback
  if (!/^\d+[kKmMgG]?$/.test(raw)) throw new StackConfigError(`${key}=${JSON.stringify(raw)} must look like 512m or 1g`)
  return raw
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p
}

/** The stack's configuration from the environment (pure: pass `env`/`home` to test it). */
export function stackConfig(env: Env = process.env, home: string = homedir()): StackConfig {
  const xdgCache = nonEmpty(env, 'XDG_CACHE_HOME') ?? join(home, '.cache')
  const topiqHome = expandHome(nonEmpty(env, 'TOPIQ_HOME') ?? join(expandHome(xdgCache, home), 'topiq'), home)
  const cacheDir = expandHome(nonEmpty(env, 'TOPIQ_STACK_CACHE_DIR') ?? join(topiqHome, 'stack-cache'), home)
  const stackDir = expandHome(nonEmpty(env, 'TOPIQ_STACK_DIR') ?? join(topiqHome, 'stack'), home)
  const mavenRepo = expandHome(nonEmpty(env, 'TOPIQ_STACK_MAVEN_REPO') ?? join(cacheDir, 'm2'), home)

  const ports: StackPorts = {
    kafka: parsePort(env, 'TOPIQ_KAFKA_PORT', DEFAULTS.kafkaPort),
    kafkaSasl: parsePort(env, 'TOPIQ_KAFKA_SASL_PORT', DEFAULTS.kafkaSaslPort),
    kafkaController: parsePort(env, 'TOPIQ_KAFKA_CONTROLLER_PORT', DEFAULTS.kafkaControllerPort),
    registry: parsePort(env, 'TOPIQ_REGISTRY_PORT', DEFAULTS.registryPort),
    registryManagement: parsePort(env, 'TOPIQ_REGISTRY_MANAGEMENT_PORT', DEFAULTS.registryManagementPort),
  }
  const seen = new Map<number, string>()
  for (const [name, port] of Object.entries(ports)) {
    const other = seen.get(port)
    if (other !== undefined) throw new StackConfigError(`ports ${other} and ${name} are both ${port}; each listener needs its own port`)
    seen.set(port, name)
  }

  const host = HOST
  const registryBaseUrl = `http://${host}:${ports.registry}`
  return {
    host,
    ports,
    kafkaNodeBasePort: parsePort(env, 'TOPIQ_KAFKA_NODE_BASE_PORT', DEFAULTS.kafkaNodeBasePort),
    topiqHome,
    cacheDir,
    mavenRepo,
    stackDir,
    dataDir: join(stackDir, 'data'),
    logDir: join(stackDir, 'logs'),
    runDir: join(stackDir, 'run'),
    readyTimeoutMs: Math.round(parseSeconds(env, 'TOPIQ_STACK_READY_TIMEOUT_SECONDS', DEFAULTS.readyTimeoutSeconds) * 1000),
    stopGraceMs: Math.round(parseSeconds(env, 'TOPIQ_STACK_STOP_GRACE_SECONDS', DEFAULTS.stopGraceSeconds) * 1000),
    kafkaHeap: parseHeap(env, 'TOPIQ_KAFKA_HEAP', DEFAULTS.kafkaHeap),
    registryHeap: parseHeap(env, 'TOPIQ_REGISTRY_HEAP', DEFAULTS.registryHeap),
    kafkaJvmOpts: (nonEmpty(env, 'TOPIQ_KAFKA_JVM_OPTS') ?? DEFAULTS.jvmOpts).split(/\s+/).filter(Boolean),
    registryJvmOpts: (nonEmpty(env, 'TOPIQ_REGISTRY_JVM_OPTS') ?? DEFAULTS.jvmOpts).split(/\s+/).filter(Boolean),
    java: nonEmpty(env, 'TOPIQ_STACK_JAVA'),
    scram: {
      mechanism: 'scram-sha-256',
      username: SCRAM_USERNAME,
      password: nonEmpty(env, 'TOPIQ_STACK_SCRAM_PASSWORD') ?? DEFAULT_SCRAM_PASSWORD,
    },
    brokers: [`${host}:${ports.kafka}`],
    saslBrokers: [`${host}:${ports.kafkaSasl}`],
    controller: `${host}:${ports.kafkaController}`,
    registryBaseUrl,
    registryUrl: `${registryBaseUrl}/apis/ccompat/v7`,
  }
}

/** Kafka node counts `topiq-stack up --brokers` accepts: one broker, or a 3-node cluster (RF 3, min ISR 2). */
export const STACK_SIZES = [1, 3] as const
export type StackSize = (typeof STACK_SIZES)[number]

export function isStackSize(n: unknown): n is StackSize {
  return (STACK_SIZES as readonly unknown[]).includes(n)
}

/**
 * The ports of each Kafka node of an n-node stack. Node 1 keeps the stack's usual ports (so KAFKA_BROKER settings and
 * the demo work unchanged); node i ≥ 2 listens on kafkaNodeBasePort + 3(i − 2), + 1 (SASL), + 2 (controller).
 */
export function stackNodePorts(cfg: StackConfig, brokers: number): NodePorts[] {
  const first: NodePorts = { kafka: cfg.ports.kafka, kafkaSasl: cfg.ports.kafkaSasl, kafkaController: cfg.ports.kafkaController }
  const nodes = [first]
  for (let i = 2; i <= brokers; i++) {
    const p = cfg.kafkaNodeBasePort + 3 * (i - 2)
    nodes.push({ kafka: p, kafkaSasl: p + 1, kafkaController: p + 2 })
  }
  const last = nodes[nodes.length - 1]
  if (last !== undefined && last.kafkaController > 65535) {
    throw new StackConfigError(`TOPIQ_KAFKA_NODE_BASE_PORT=${cfg.kafkaNodeBasePort} leaves no room for ${brokers - 1} more node(s) (3 ports each, up to 65535)`)
  }
  const taken = new Map<number, string>(Object.entries(cfg.ports).map(([name, port]) => [port, name]))
  for (const [i, n] of nodes.entries()) {
    if (i === 0) continue
    for (const port of [n.kafka, n.kafkaSasl, n.kafkaController]) {
      const other = taken.get(port)
      if (other !== undefined) {
        throw new StackConfigError(`Kafka node ${i + 1} would listen on ${port}, which ${other} uses; move TOPIQ_KAFKA_NODE_BASE_PORT (node i ≥ 2 takes base + 3(i − 2) … + 2)`)
      }
    }
  }
  return nodes
}

/** The configuration of an n-node stack: `brokers` / `saslBrokers` list every node (node 1 first). */
export function withBrokers(cfg: StackConfig, brokers: number): StackConfig {
  const nodes = stackNodePorts(cfg, brokers)
  return { ...cfg, brokers: nodes.map((n) => `${cfg.host}:${n.kafka}`), saslBrokers: nodes.map((n) => `${cfg.host}:${n.kafkaSasl}`) }
}

/** What tests and apps need to reach the stack. */
export interface ConnectionInfo {
  readonly brokers: string[]
  readonly saslBrokers: string[]
  readonly scram: { readonly mechanism: 'scram-sha-256'; readonly username: string; readonly password: string }
  readonly registryUrl: string
}

export function connectionInfo(cfg: StackConfig = stackConfig()): ConnectionInfo {
  return {
    brokers: [...cfg.brokers],
    saslBrokers: [...cfg.saslBrokers],
    scram: { ...cfg.scram },
    registryUrl: cfg.registryUrl,
  }
}

/** `topiq-stack env`: the connection settings as shell exports (every broker of a cluster, node 1 first). */
export function formatEnvExports(info: ConnectionInfo): string {
  return [
    // What the topiq libraries and CLI read, so `eval "$(pnpm stack env)"` points them at this stack.
    `export KAFKA_BROKER=${info.brokers.join(',')}`,
    `export SCHEMA_REGISTRY_URL=${info.registryUrl}`,
    `export TOPIQ_KAFKA_BROKERS=${info.brokers.join(',')}`,
    `export TOPIQ_KAFKA_SASL_BROKERS=${info.saslBrokers.join(',')}`,
    `export TOPIQ_KAFKA_SASL_MECHANISM=${info.scram.mechanism}`,
    `export TOPIQ_KAFKA_SASL_USERNAME=${info.scram.username}`,
    `export TOPIQ_KAFKA_SASL_PASSWORD='${info.scram.password.replace(/'/g, `'\\''`)}' # dev-only`,
    `export TOPIQ_SCHEMA_REGISTRY_URL=${info.registryUrl}`,
  ].join('\n')
}
