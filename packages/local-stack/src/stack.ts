// up / down / status / logs of the local Kafka + Apicurio Registry stack.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connectionInfo, stackConfig, type ConnectionInfo, type Env, type StackConfig } from './config.ts'
import { findJava, type JavaRuntime } from './java.ts'
import { ensureRuntime, type Log, type RuntimePaths } from './maven.ts'
import { probeKafka, probeKafkaSasl, probeRegistry, type ProbeResult } from './probe.ts'
import {
  isOurs,
  pidExists,
  portFree,
  processMarker,
  readPid,
  removeFile,
  spawnDetached,
  stopProcess,
  tail,
  writePid,
  type DetachedProcess,
} from './proc.ts'
import { newClusterId, renderLog4j2, renderServerProperties, scramArgument } from './render.ts'
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.ts'

export type ComponentName = 'kafka' | 'registry'
export const COMPONENTS: readonly ComponentName[] = ['kafka', 'registry']

export interface StackOptions {
  /** Environment to read the configuration from (default process.env). */
  readonly env?: Env
  /** Progress output (default: console.log with a `[topiq-stack]` prefix). */
  readonly log?: Log
}

export class StackError extends Error {
  override readonly name = 'StackError'
}

const defaultLog: Log = (line) => console.log(`[topiq-stack] ${line}`)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

interface ComponentFiles {
  readonly pidFile: string
  /** Main log (Kafka: the log4j2 file; registry: its stdout). */
  readonly logFile: string
  /** Kafka's stdout/stderr (JVM errors before log4j2 starts). */
  readonly stdoutFile: string | undefined
  readonly marker: string
  readonly address: string
}

function componentFiles(cfg: StackConfig): Record<ComponentName, ComponentFiles> {
  return {
    kafka: {
      pidFile: join(cfg.runDir, 'kafka.pid'),
      logFile: join(cfg.logDir, 'kafka.log'),
      stdoutFile: join(cfg.logDir, 'kafka.stdout.log'),
      marker: processMarker('kafka', cfg.stackDir),
      address: `PLAINTEXT ${cfg.brokers.join(',')}, SASL_PLAINTEXT ${cfg.saslBrokers.join(',')}, controller ${cfg.controller}`,
    },
    registry: {
      pidFile: join(cfg.runDir, 'registry.pid'),
      logFile: join(cfg.logDir, 'registry.log'),
      stdoutFile: undefined,
      marker: processMarker('registry', cfg.stackDir),
      address: cfg.registryUrl,
    },
  }
}

/** Marks a stack dir as ours, so `down` only ever deletes a data dir this tool created. */
const STACK_MARKER = '.topiq-stack'

// ---------------------------------------------------------------------------------------------------------------
// status

export interface ComponentStatus {
  readonly name: ComponentName
  /** Pid from the pid file, if any. */
  readonly pid: number | undefined
  /** The pid file's process is alive and is the JVM this tool started. */
  readonly running: boolean
  /** It answers its protocol (kafkajs admin round trip / GET /subjects → 200). */
  readonly answering: boolean
  readonly detail: string
  readonly address: string
  readonly logFile: string
}

export interface StackStatus {
  /** Both components started by this tool are running and answering. */
  readonly running: boolean
  /** Nothing of ours runs, but Kafka (both listeners) and the registry answer on the configured ports. */
  readonly externalAnswering: boolean
  readonly kafka: ComponentStatus
  readonly registry: ComponentStatus
  readonly connection: ConnectionInfo
}

async function inspect(cfg: StackConfig): Promise<StackStatus> {
  const files = componentFiles(cfg)
  const [kafkaPlain, kafkaSasl, registry] = await Promise.all([probeKafka(cfg, 3000), probeKafkaSasl(cfg, 3000), probeRegistry(cfg, 3000)])
  const one = async (name: ComponentName, probes: ReadonlyArray<ProbeResult & { readonly label: string }>): Promise<ComponentStatus> => {
    const f = files[name]
    const pid = await readPid(f.pidFile)
    const running = pid !== undefined && isOurs(pid, f.marker)
    const answering = probes.every((p) => p.ok)
    const detail = probes.map((p) => `${p.label}: ${p.ok ? 'ok' : 'FAILED'} (${p.detail})`).join('; ')
    return { name, pid, running, answering, detail, address: f.address, logFile: f.logFile }
  }
  const k = await one('kafka', [
    { label: 'PLAINTEXT', ...kafkaPlain },
    { label: 'SASL/SCRAM-SHA-256', ...kafkaSasl },
  ])
  const r = await one('registry', [{ label: 'ccompat API', ...registry }])
  return {
    running: k.running && k.answering && r.running && r.answering,
    externalAnswering: !k.running && !r.running && k.answering && r.answering,
    kafka: k,
    registry: r,
    connection: connectionInfo(cfg),
  }
}

/** What runs now: pid files, liveness of those pids, and whether Kafka and the registry answer. */
export function stackStatus(opts: StackOptions = {}): Promise<StackStatus> {
  return inspect(stackConfig(opts.env))
}

// ---------------------------------------------------------------------------------------------------------------
// lock: two concurrent `up`s (a CLI and a vitest globalSetup) must not both start JVMs

async function withUpLock<T>(cfg: StackConfig, log: Log, fn: () => Promise<T>): Promise<T> {
  await mkdir(cfg.runDir, { recursive: true })
  const lock = join(cfg.runDir, 'up.lock')
  const waitUntil = Date.now() + 20 * 60_000
  let told = false
  for (;;) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx' })
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const holder = await readPid(lock)
      if (holder === undefined || holder === process.pid || !pidExists(holder)) {
        await removeFile(lock)
        continue
      }
      if (Date.now() > waitUntil) throw new StackError(`another topiq-stack (pid ${holder}) has held ${lock} for 20 minutes; remove it if that process is stuck`)
      if (!told) log(`another topiq-stack up (pid ${holder}) is starting the stack; waiting for it…`)
      told = true
      await sleep(1000)
    }
  }
  try {
    return await fn()
  } finally {
    await removeFile(lock)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// up

export interface UpResult {
  /** It was already running (or answering) before this call. */
  readonly alreadyRunning: boolean
  /** This call started the JVMs. */
  readonly startedByUs: boolean
  /** Wall time of this call. */
  readonly seconds: number
  readonly connection: ConnectionInfo
}

async function portsInUse(cfg: StackConfig): Promise<string[]> {
  const checks: Array<[string, number]> = [
    ['TOPIQ_KAFKA_PORT', cfg.ports.kafka],
    ['TOPIQ_KAFKA_SASL_PORT', cfg.ports.kafkaSasl],
    ['TOPIQ_KAFKA_CONTROLLER_PORT', cfg.ports.kafkaController],
    ['TOPIQ_REGISTRY_PORT', cfg.ports.registry],
    ['TOPIQ_REGISTRY_MANAGEMENT_PORT', cfg.ports.registryManagement],
  ]
  const taken: string[] = []
  for (const [env, port] of checks) if (!(await portFree(cfg.host, port))) taken.push(`${cfg.host}:${port} (${env})`)
  return taken
}

async function logExcerpt(f: ComponentFiles, lines = 20): Promise<string> {
  const parts: string[] = []
  if (f.stdoutFile !== undefined) {
    const out = await tail(f.stdoutFile, lines)
    if (out.trim() !== '') parts.push(`--- last lines of ${f.stdoutFile} ---\n${out}`)
  }
  const main = await tail(f.logFile, lines)
  parts.push(main.trim() !== '' ? `--- last ${lines} lines of ${f.logFile} ---\n${main}` : `--- ${f.logFile} is empty ---`)
  return parts.join('\n')
}

function runToCompletion(command: string, args: readonly string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output }))
  })
}

interface Started {
  readonly kafka: DetachedProcess
  readonly registry: DetachedProcess
}

async function startProcesses(cfg: StackConfig, java: JavaRuntime, rt: RuntimePaths, log: Log): Promise<Started> {
  const files = componentFiles(cfg)
  const kafkaData = join(cfg.dataDir, 'kafka')
  const registryTmp = join(cfg.dataDir, 'registry', 'tmp')
  const confDir = join(cfg.stackDir, 'conf')
  const formatLog = join(cfg.logDir, 'kafka-format.log')
  await rm(cfg.dataDir, { recursive: true, force: true })
  for (const d of [kafkaData, registryTmp, cfg.logDir, cfg.runDir, confDir]) await mkdir(d, { recursive: true })
  await writeFile(join(cfg.stackDir, STACK_MARKER), 'Runtime dir of @topiq/local-stack (topiq-stack). `topiq-stack down` removes data/.\n')
  for (const f of [...Object.values(files).flatMap((c) => [c.logFile, c.stdoutFile]), formatLog]) if (f !== undefined) await removeFile(f)

  // The registry is the slowest to boot: start it first, format Kafka's storage while it boots.
  log(`starting Apicurio Registry ${APICURIO_VERSION} (log: ${files.registry.logFile})`)
  const registry = spawnDetached({
    command: java.path,
    args: [
      '-Xms128m',
      `-Xmx${cfg.registryHeap}`,
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Djava.io.tmpdir=${registryTmp}`,
      `-Dquarkus.http.host=${cfg.host}`,
      `-Dquarkus.http.port=${cfg.ports.registry}`,
      `-Dquarkus.management.host=${cfg.host}`,
      `-Dquarkus.management.port=${cfg.ports.registryManagement}`,
      '-Dquarkus.otel.sdk.disabled=true',
      `-Dapicurio.storage.snapshot.location=${registryTmp}`,
      `-Dapicurio.import.work-dir=${registryTmp}`,
      ...cfg.registryJvmOpts,
      files.registry.marker,
      '-jar',
      rt.apicurioRunJar,
    ],
    cwd: rt.apicurioDir,
    logFile: files.registry.logFile,
  })
  await writePid(files.registry.pidFile, registry.pid)

  const serverProperties = join(confDir, 'server.properties')
  const log4j2 = join(confDir, 'log4j2.xml')
  const log4j2Format = join(confDir, 'log4j2-format.xml')
  await writeFile(serverProperties, renderServerProperties(cfg, { logDirs: kafkaData }))
  await writeFile(log4j2, renderLog4j2(files.kafka.logFile))
  await writeFile(log4j2Format, renderLog4j2(formatLog))
  const classpath = `${rt.kafkaLibDir}/*`

  const clusterId = newClusterId()
  log(`formatting KRaft storage (cluster id ${clusterId}, SCRAM-SHA-256 user ${cfg.scram.username})`)
  const format = await runToCompletion(
    java.path,
    [
      '-Xmx256m',
      ...cfg.kafkaJvmOpts,
      `-Dlog4j2.configurationFile=${log4j2Format}`,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      serverProperties,
      '--add-scram',
      scramArgument(cfg.scram.username, cfg.scram.password),
    ],
    cfg.stackDir,
  )
  if (format.code !== 0) {
    throw new StackError(
      `formatting the Kafka storage failed (exit code ${String(format.code)}):\n${format.output.trim().split('\n').slice(-20).join('\n')}\n` +
        `(more in ${formatLog})`,
    )
  }

  log(`starting Kafka ${KAFKA_VERSION} (log: ${files.kafka.logFile})`)
  const kafka = spawnDetached({
    command: java.path,
    args: [
      '-Xms256m',
      `-Xmx${cfg.kafkaHeap}`,
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      `-Djava.io.tmpdir=${kafkaData}`,
      `-Dlog4j2.configurationFile=${log4j2}`,
      `-Dkafka.logs.dir=${cfg.logDir}`,
      ...cfg.kafkaJvmOpts,
      files.kafka.marker,
      '-cp',
      classpath,
      'kafka.Kafka',
      serverProperties,
    ],
    cwd: cfg.stackDir,
    logFile: files.kafka.stdoutFile ?? files.kafka.logFile,
  })
  await writePid(files.kafka.pidFile, kafka.pid)
  return { kafka, registry }
}

function describeExit(p: DetachedProcess): string {
  const e = p.exit()
  if (e === undefined) return `process ${p.pid} exited`
  return `process ${p.pid} exited with ${e.signal !== null ? `signal ${e.signal}` : `code ${String(e.code)}`}`
}

async function waitReady(cfg: StackConfig, started: Started, log: Log, t0: number): Promise<void> {
  const files = componentFiles(cfg)
  const deadline = t0 + cfg.readyTimeoutMs
  const ready = { kafka: false, kafkaSasl: false, registry: false }
  const last = { kafka: 'not probed yet', kafkaSasl: 'not probed yet', registry: 'not probed yet' }
  let lastReport = Date.now()
  for (;;) {
    for (const name of COMPONENTS) {
      const needed = name === 'kafka' ? !(ready.kafka && ready.kafkaSasl) : !ready.registry
      if (needed && !isOurs(started[name].pid, files[name].marker)) {
        throw new StackError(
          `${name === 'kafka' ? `Kafka ${KAFKA_VERSION}` : `Apicurio Registry ${APICURIO_VERSION}`} did not start: ${describeExit(started[name])}.\n` +
            (await logExcerpt(files[name])),
        )
      }
    }
    const [k, ks, r] = await Promise.all([
      ready.kafka ? undefined : probeKafka(cfg, 3000),
      ready.kafka && !ready.kafkaSasl ? probeKafkaSasl(cfg, 3000) : undefined,
      ready.registry ? undefined : probeRegistry(cfg, 3000),
    ])
    const elapsed = (): string => secs(Date.now() - t0)
    if (k !== undefined) {
      last.kafka = k.detail
      if (k.ok) {
        ready.kafka = true
        log(`Kafka answers on ${cfg.brokers.join(',')} after ${elapsed()} (${k.detail})`)
      }
    }
    if (ks !== undefined) {
      last.kafkaSasl = ks.detail
      if (ks.ok) {
        ready.kafkaSasl = true
        log(`Kafka SASL/SCRAM-SHA-256 login as ${cfg.scram.username} works on ${cfg.saslBrokers.join(',')} after ${elapsed()}`)
      }
    }
    if (r !== undefined) {
      last.registry = r.detail
      if (r.ok) {
        ready.registry = true
        log(`registry answers at ${cfg.registryUrl} after ${elapsed()}`)
      }
    }
    if (ready.kafka && ready.kafkaSasl && ready.registry) return
    if (Date.now() > deadline) {
      const failing: string[] = []
      if (!ready.kafka || !ready.kafkaSasl) {
        failing.push(
          `Kafka is not ready (${!ready.kafka ? `PLAINTEXT ${cfg.brokers.join(',')}: ${last.kafka}` : `SASL ${cfg.saslBrokers.join(',')}: ${last.kafkaSasl}`}).\n` +
            (await logExcerpt(files.kafka)),
        )
      }
      if (!ready.registry) failing.push(`Apicurio Registry is not ready (${cfg.registryUrl}/subjects: ${last.registry}).\n${await logExcerpt(files.registry)}`)
      throw new StackError(`timed out after ${secs(cfg.readyTimeoutMs)} (TOPIQ_STACK_READY_TIMEOUT_SECONDS) waiting for the stack:\n${failing.join('\n')}`)
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now()
      const st = (ok: boolean): string => (ok ? 'ready' : 'starting')
      log(`waiting… kafka ${st(ready.kafka && ready.kafkaSasl)}, registry ${st(ready.registry)} (${elapsed()} of ${secs(cfg.readyTimeoutMs)})`)
    }
    await sleep(500)
  }
}

async function stopOurs(cfg: StackConfig, log: Log): Promise<ComponentName[]> {
  const files = componentFiles(cfg)
  const stopped: ComponentName[] = []
  await Promise.all(
    COMPONENTS.map(async (name) => {
      const f = files[name]
      const pid = await readPid(f.pidFile)
      if (pid !== undefined) {
        const t = Date.now()
        const how = await stopProcess(pid, f.marker, cfg.stopGraceMs)
        if (how === 'not-running') log(`${name}: pid ${pid} from ${f.pidFile} is not running (stale pid file)`)
        else {
          stopped.push(name)
          log(`${name}: stopped pid ${pid} (${how === 'killed' ? `SIGKILL after ${secs(cfg.stopGraceMs)} grace` : 'SIGTERM'}, ${secs(Date.now() - t)})`)
        }
      }
      await removeFile(f.pidFile)
    }),
  )
  return stopped
}

function summary(cfg: StackConfig): string[] {
  return [
    `Kafka PLAINTEXT        ${cfg.brokers.join(',')}`,
    `Kafka SASL SCRAM-256   ${cfg.saslBrokers.join(',')}  (user ${cfg.scram.username}; dev-only password from TOPIQ_STACK_SCRAM_PASSWORD or its default)`,
    `Kafka controller       ${cfg.controller}`,
    `Schema registry        ${cfg.registryUrl}`,
  ]
}

/**
 * Starts Kafka + Apicurio Registry unless they already run; resolves once both really answer. Idempotent.
 * Throws StackError / MavenResolveError / JavaNotFoundError with the reason (and log tails) on failure, after
 * stopping whatever this call started.
 */
export async function stackUp(opts: StackOptions = {}): Promise<UpResult> {
  const cfg = stackConfig(opts.env)
  const log = opts.log ?? defaultLog
  const t0 = Date.now()
  return withUpLock(cfg, log, async () => {
    const st = await inspect(cfg)
    if (st.running) {
      log(`already running (kafka pid ${String(st.kafka.pid)}, registry pid ${String(st.registry.pid)})`)
      for (const l of summary(cfg)) log(`  ${l}`)
      return { alreadyRunning: true, startedByUs: false, seconds: (Date.now() - t0) / 1000, connection: st.connection }
    }
    if (st.externalAnswering) {
      log(`Kafka (PLAINTEXT and SASL) and the registry already answer on the configured ports, but were not started by topiq-stack from ${cfg.stackDir}; using them`)
      return { alreadyRunning: true, startedByUs: false, seconds: (Date.now() - t0) / 1000, connection: st.connection }
    }
    if (st.kafka.running || st.registry.running) {
      log(`a partial or unresponsive stack is running (kafka ${st.kafka.running ? 'up' : 'down'}, registry ${st.registry.running ? 'up' : 'down'}); restarting it`)
      await stopOurs(cfg, log)
    }
    const java = findJava(cfg.java, opts.env ?? process.env)
    log(`java: ${java.path} (${java.version})`)
    const rt = await ensureRuntime(cfg, log, opts.env ?? process.env)
    const taken = await portsInUse(cfg)
    if (taken.length > 0) {
      throw new StackError(
        `port(s) already in use by another process: ${taken.join(', ')}.\n` +
          `Stop whatever listens there (\`ss -ltnp\` shows it) or choose other ports with the env vars named.`,
      )
    }
    const tStart = Date.now()
    try {
      const started = await startProcesses(cfg, java, rt, log)
      await waitReady(cfg, started, log, tStart)
    } catch (e) {
      // Leave nothing half-started behind (only pids from our pid files that still carry our marker are signalled).
      await stopOurs(cfg, () => undefined)
      throw e
    }
    log(`stack ready in ${secs(Date.now() - t0)} (storage format + JVM start → ready: ${secs(Date.now() - tStart)})`)
    for (const l of summary(cfg)) log(`  ${l}`)
    return { alreadyRunning: false, startedByUs: true, seconds: (Date.now() - t0) / 1000, connection: connectionInfo(cfg) }
  })
}

/** Same as stackUp: start the stack unless it already runs. Tells whether this call started it. */
export function ensureStack(opts: StackOptions = {}): Promise<UpResult> {
  return stackUp(opts)
}

// ---------------------------------------------------------------------------------------------------------------
// down

export interface DownResult {
  /** Components whose JVM this call stopped. */
  readonly stopped: readonly ComponentName[]
}

/** Stops the JVMs this tool started (by pid: SIGTERM, SIGKILL after the grace period) and removes the data dir. */
export async function stackDown(opts: StackOptions = {}): Promise<DownResult> {
  const cfg = stackConfig(opts.env)
  const log = opts.log ?? defaultLog
  const stopped = await stopOurs(cfg, log)
  if (existsSync(join(cfg.stackDir, STACK_MARKER))) {
    await rm(cfg.dataDir, { recursive: true, force: true })
  }
  if (stopped.length === 0) log('nothing running')
  else log(`stopped ${stopped.join(' and ')}; removed ${cfg.dataDir} (logs stay in ${cfg.logDir})`)
  return { stopped }
}

// ---------------------------------------------------------------------------------------------------------------
// logs

/** The last `lines` lines of each component's log(s), with headers. */
export async function stackLogs(which: ComponentName | undefined, lines = 50, opts: StackOptions = {}): Promise<string> {
  const cfg = stackConfig(opts.env)
  const files = componentFiles(cfg)
  const out: string[] = []
  for (const name of which === undefined ? COMPONENTS : [which]) {
    const f = files[name]
    for (const file of [f.stdoutFile, f.logFile]) {
      if (file === undefined) continue
      const exists = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
      if (!exists) {
        if (file === f.logFile) out.push(`==> ${file} (${name}) does not exist <==`)
        continue
      }
      const text = await tail(file, lines)
      if (file === f.stdoutFile && text.trim() === '') continue
      out.push(`==> ${file} (${name}) <==\n${text}`)
    }
  }
  return out.join('\n\n')
}

/** Human-readable status lines. */
export function formatStatus(st: StackStatus): string {
  const line = (c: ComponentStatus): string => {
    const state = c.running ? (c.answering ? 'running' : 'running, NOT answering') : c.answering ? 'answering, but not started by topiq-stack' : 'not running'
    return `${c.name.padEnd(8)} ${state}${c.pid !== undefined && c.running ? ` (pid ${c.pid})` : ''}\n         ${c.address}\n         ${c.detail}`
  }
  return [line(st.kafka), line(st.registry)].join('\n')
}

/** Reads a component's pid file (exported for tests/tools). */
export async function stackPids(opts: StackOptions = {}): Promise<Record<ComponentName, number | undefined>> {
  const files = componentFiles(stackConfig(opts.env))
  return { kafka: await readPid(files.kafka.pidFile), registry: await readPid(files.registry.pidFile) }
}
