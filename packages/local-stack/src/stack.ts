// up / down / status / logs of the local Kafka + Apicurio Registry stack.
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  connectionInfo,
  isStackSize,
  stackConfig,
  stackNodePorts,
  STACK_SIZES,
  withBrokers,
  type ConnectionInfo,
  type Env,
  type StackConfig,
  type StackSize,
} from './config.ts'
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
  runToCompletion,
} from './proc.ts'
import { newClusterId, renderClusterNodeProperties, renderLog4j2, renderServerProperties, scramArgument, type NodePorts } from './render.ts'
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.ts'

export type ComponentName = 'kafka' | 'registry'
export const COMPONENTS: readonly ComponentName[] = ['kafka', 'registry']

export interface StackOptions {
  /** Environment to read the configuration from (default process.env). */
  readonly env?: Env
  /** Progress output (default: console.log with a `[topiq-stack]` prefix). */
  readonly log?: Log
  /**
   * `stackUp` only: Kafka nodes to start, 1 (one broker) or 3 (a KRaft cluster, RF 3, min ISR 2). Unset: whatever runs
   * already, else 1. Set, while a stack of another size runs: StackError (it must go down first).
   */
  readonly brokers?: number
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

function registryFiles(cfg: StackConfig): ComponentFiles {
  return {
    pidFile: join(cfg.runDir, 'registry.pid'),
    logFile: join(cfg.logDir, 'registry.log'),
    stdoutFile: undefined,
    marker: processMarker('registry', cfg.stackDir),
    address: cfg.registryUrl,
  }
}

/** One Kafka JVM of the stack and the files it uses. */
export interface KafkaNodeFiles extends ComponentFiles {
  /** Kafka's node.id (1-based). */
  readonly id: number
  /** `kafka` for the single broker, `kafka-2` for node 2 of a cluster (pid/log file names and process marker). */
  readonly name: string
  readonly ports: NodePorts
  readonly stdoutFile: string
  readonly formatLog: string
  readonly properties: string
  readonly log4j2: string
  readonly log4j2Format: string
  readonly dataDir: string
}

/**
 * The Kafka nodes of an n-node stack. One broker keeps the file names the stack always had (run/kafka.pid,
 * logs/kafka.log, conf/server.properties, data/kafka); node i of a cluster uses kafka-i in each of those places.
 */
export function kafkaNodeFiles(cfg: StackConfig, brokers: number): KafkaNodeFiles[] {
  const confDir = join(cfg.stackDir, 'conf')
  return stackNodePorts(cfg, brokers).map((ports, i) => {
    const id = i + 1
    const name = brokers === 1 ? 'kafka' : `kafka-${id}`
    const suffix = brokers === 1 ? '' : `-${id}`
    const controller = `${cfg.host}:${ports.kafkaController}`
    return {
      id,
      name,
      ports,
      pidFile: join(cfg.runDir, `${name}.pid`),
      logFile: join(cfg.logDir, `${name}.log`),
      stdoutFile: join(cfg.logDir, `${name}.stdout.log`),
      formatLog: join(cfg.logDir, `${name}-format.log`),
      properties: join(confDir, `server${suffix}.properties`),
      log4j2: join(confDir, `log4j2${suffix}.xml`),
      log4j2Format: join(confDir, `log4j2${suffix}-format.xml`),
      dataDir: join(cfg.dataDir, name),
      marker: processMarker(name, cfg.stackDir),
      address: `PLAINTEXT ${cfg.host}:${ports.kafka}, SASL_PLAINTEXT ${cfg.host}:${ports.kafkaSasl}, controller ${controller}`,
    }
  })
}

/** Records the size of the stack `up` started last (missing: 1), so status, logs and env describe that stack. */
const sizeFile = (cfg: StackConfig): string => join(cfg.stackDir, 'conf', 'brokers')

async function recordedBrokers(cfg: StackConfig): Promise<StackSize> {
  try {
    const n = Number((await readFile(sizeFile(cfg), 'utf8')).trim())
    return isStackSize(n) ? n : 1
  } catch {
    return 1
  }
}

/** Pid files of every Kafka node in the run dir, whatever size started them: `down` stops all of them. */
async function kafkaPidFiles(cfg: StackConfig): Promise<Array<{ file: string; name: string }>> {
  const entries = await readdir(cfg.runDir).catch(() => [] as string[])
  return entries
    .map((f) => /^(kafka(?:-\d+)?)\.pid$/.exec(f)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((name) => ({ file: join(cfg.runDir, `${name}.pid`), name }))
}

/** The pids of the nodes of an n-node stack that run now (by pid file and process marker). */
async function liveNodes(cfg: StackConfig, brokers: number): Promise<number[]> {
  const pids = await Promise.all(
    kafkaNodeFiles(cfg, brokers).map(async (n) => {
      const pid = await readPid(n.pidFile)
      return pid !== undefined && isOurs(pid, n.marker) ? pid : undefined
    }),
  )
  return pids.filter((p) => p !== undefined)
}

export const describeSize = (brokers: number): string => (brokers === 1 ? 'single-broker' : `${brokers}-broker`)

/** Marks a stack dir as ours, so `down` only ever deletes a data dir this tool created. */
const STACK_MARKER = '.topiq-stack'

// ---------------------------------------------------------------------------------------------------------------
// status

export interface ComponentStatus {
  readonly name: ComponentName
  /** `kafka`, `kafka 2` (node 2 of a cluster) or `registry`. */
  readonly label: string
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
  /** Every Kafka node and the registry started by this tool are running and answering. */
  readonly running: boolean
  /** Nothing of ours runs, but Kafka (both listeners) and the registry answer on the configured ports. */
  readonly externalAnswering: boolean
  /** Kafka nodes of the stack (1, or 3 after `up --brokers 3`). */
  readonly brokers: number
  /** All Kafka nodes together (running / answering only when each node is; pid: node 1's). */
  readonly kafka: ComponentStatus
  /** Each Kafka node (one entry for the single broker). */
  readonly kafkaNodes: readonly ComponentStatus[]
  readonly registry: ComponentStatus
  /** With every node's address when a cluster runs. */
  readonly connection: ConnectionInfo
}

/** The probe of one node, against that node only. */
const nodeConfig = (cfg: StackConfig, n: KafkaNodeFiles): StackConfig => ({
  ...cfg,
  brokers: [`${cfg.host}:${n.ports.kafka}`],
  saslBrokers: [`${cfg.host}:${n.ports.kafkaSasl}`],
})

async function inspect(cfg: StackConfig, brokers: number): Promise<StackStatus> {
  const nodes = kafkaNodeFiles(cfg, brokers)
  const reg = registryFiles(cfg)
  const [nodeProbes, registry] = await Promise.all([
    Promise.all(nodes.map((n) => Promise.all([probeKafka(nodeConfig(cfg, n), 3000), probeKafkaSasl(nodeConfig(cfg, n), 3000)]))),
    probeRegistry(cfg, 3000),
  ])
  const one = async (name: ComponentName, label: string, f: ComponentFiles, probes: ReadonlyArray<ProbeResult & { readonly label: string }>): Promise<ComponentStatus> => {
    const pid = await readPid(f.pidFile)
    const running = pid !== undefined && isOurs(pid, f.marker)
    // A cluster node answers only once it has a quorum; "all nodes answer" also needs each to see every broker.
    const answering = probes.every((p) => p.ok && (p.brokers === undefined || p.brokers >= brokers))
    const detail = probes
      .map((p) => `${p.label}: ${p.ok ? (p.brokers !== undefined && p.brokers < brokers ? `sees ${p.brokers} of ${brokers} brokers` : 'ok') : 'FAILED'} (${p.detail})`)
      .join('; ')
    return { name, label, pid, running, answering, detail, address: f.address, logFile: f.logFile }
  }
  const k = await Promise.all(
    nodes.map((n, i) => {
      const [plain, sasl] = nodeProbes[i] ?? []
      const probes = [plain && { label: 'PLAINTEXT', ...plain }, sasl && { label: 'SASL/SCRAM-SHA-256', ...sasl }].filter((p) => p !== undefined)
      return one('kafka', brokers === 1 ? 'kafka' : `kafka ${n.id}`, n, probes)
    }),
  )
  const first = k[0]
  if (first === undefined) throw new StackError('no Kafka node')
  const kafka: ComponentStatus =
    brokers === 1
      ? first
      : {
          ...first,
          label: 'kafka',
          running: k.every((n) => n.running),
          answering: k.every((n) => n.answering),
          detail: `${k.filter((n) => n.running).length} of ${brokers} nodes running, ${k.filter((n) => n.answering).length} answering`,
          address: `PLAINTEXT ${withBrokers(cfg, brokers).brokers.join(',')}`,
        }
  const r = await one('registry', 'registry', reg, [{ label: 'ccompat API', ...registry }])
  const anyOurs = k.some((n) => n.running) || r.running
  return {
    running: kafka.running && kafka.answering && r.running && r.answering,
    externalAnswering: !anyOurs && kafka.answering && r.answering,
    brokers,
    kafka,
    kafkaNodes: k,
    registry: r,
    connection: connectionInfo(withBrokers(cfg, brokers)),
  }
}

/** What runs now: pid files, liveness of those pids, and whether each Kafka node and the registry answer. */
export async function stackStatus(opts: StackOptions = {}): Promise<StackStatus> {
  const cfg = stackConfig(opts.env)
  return inspect(cfg, await recordedBrokers(cfg))
}

/**
 * How to reach the stack without probing it: every node's address while a cluster started by `up --brokers 3`
 * runs, otherwise the configured single broker.
 */
export async function stackConnection(opts: StackOptions = {}): Promise<ConnectionInfo> {
  const cfg = stackConfig(opts.env)
  const brokers = await recordedBrokers(cfg)
  const live = brokers > 1 ? await liveNodes(cfg, brokers) : []
  return connectionInfo(live.length > 0 ? withBrokers(cfg, brokers) : cfg)
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
  /** Kafka nodes of the stack that runs now. */
  readonly brokers: StackSize
  /** Wall time of this call. */
  readonly seconds: number
  readonly connection: ConnectionInfo
}

async function portsInUse(cfg: StackConfig, brokers: number): Promise<string[]> {
  const checks: Array<[string, number]> = [
    ['TOPIQ_KAFKA_PORT', cfg.ports.kafka],
    ['TOPIQ_KAFKA_SASL_PORT', cfg.ports.kafkaSasl],
    ['TOPIQ_KAFKA_CONTROLLER_PORT', cfg.ports.kafkaController],
    ['TOPIQ_REGISTRY_PORT', cfg.ports.registry],
    ['TOPIQ_REGISTRY_MANAGEMENT_PORT', cfg.ports.registryManagement],
    ...kafkaNodeFiles(cfg, brokers)
      .slice(1)
      .flatMap((n): Array<[string, number]> => [
        [`TOPIQ_KAFKA_NODE_BASE_PORT: node ${n.id} PLAINTEXT`, n.ports.kafka],
        [`TOPIQ_KAFKA_NODE_BASE_PORT: node ${n.id} SASL`, n.ports.kafkaSasl],
        [`TOPIQ_KAFKA_NODE_BASE_PORT: node ${n.id} controller`, n.ports.kafkaController],
      ]),
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


interface Started {
  readonly nodes: readonly DetachedProcess[]
  readonly registry: DetachedProcess
}

async function formatNode(cfg: StackConfig, java: JavaRuntime, classpath: string, n: KafkaNodeFiles, clusterId: string): Promise<void> {
  const format = await runToCompletion(
    java.path,
    [
      '-Xmx256m',
      ...cfg.kafkaJvmOpts,
      `-Dlog4j2.configurationFile=${n.log4j2Format}`,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      n.properties,
      // Every node gets the SCRAM user: SASL clients may bootstrap from any of them.
      '--add-scram',
      scramArgument(cfg.scram.username, cfg.scram.password),
    ],
    cfg.stackDir,
  )
  if (format.code !== 0) {
    throw new StackError(
      `formatting the Kafka storage${n.name === 'kafka' ? '' : ` of node ${n.id}`} failed (exit code ${String(format.code)}):\n${format.output.trim().split('\n').slice(-20).join('\n')}\n` +
        `(more in ${n.formatLog})`,
    )
  }
}

async function startProcesses(cfg: StackConfig, brokers: StackSize, java: JavaRuntime, rt: RuntimePaths, log: Log): Promise<Started> {
  const reg = registryFiles(cfg)
  const nodes = kafkaNodeFiles(cfg, brokers)
  const registryTmp = join(cfg.dataDir, 'registry', 'tmp')
  const confDir = join(cfg.stackDir, 'conf')
  // conf/ is generated; wiping it drops the files of a stack of the other size.
  for (const d of [cfg.dataDir, confDir]) await rm(d, { recursive: true, force: true })
  for (const d of [...nodes.map((n) => n.dataDir), registryTmp, cfg.logDir, cfg.runDir, confDir]) await mkdir(d, { recursive: true })
  await writeFile(join(cfg.stackDir, STACK_MARKER), 'Runtime dir of @topiq/local-stack (topiq-stack). `topiq-stack down` removes data/.\n')
  await writeFile(sizeFile(cfg), `${brokers}\n`)
  // Logs of a stack of the other size would otherwise show up in `logs kafka` next to this one's.
  const oldKafkaLogs = (await readdir(cfg.logDir)).filter((f) => /^kafka(-\d+)?(\.stdout|-format)?\.log$/.test(f))
  for (const f of [...oldKafkaLogs.map((f) => join(cfg.logDir, f)), reg.logFile]) await removeFile(f)

  // The registry is the slowest to boot: start it first, format Kafka's storage while it boots.
  log(`starting Apicurio Registry ${APICURIO_VERSION} (log: ${reg.logFile})`)
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
      reg.marker,
      '-jar',
      rt.apicurioRunJar,
    ],
    cwd: rt.apicurioDir,
    logFile: reg.logFile,
  })
  await writePid(reg.pidFile, registry.pid)

  const ports = nodes.map((n) => n.ports)
  for (const n of nodes) {
    const properties =
      brokers === 1
        ? renderServerProperties(cfg, { logDirs: n.dataDir })
        : renderClusterNodeProperties(
            cfg,
            ports,
            n.id - 1,
            { logDirs: n.dataDir },
            `Generated by @topiq/local-stack (topiq-stack up --brokers ${brokers}); rewritten on every start.\n` +
              `Node ${n.id} of a ${brokers}-node KRaft cluster (each node broker+controller). Listens on 127.0.0.1 only.`,
          )
    await writeFile(n.properties, properties)
    await writeFile(n.log4j2, renderLog4j2(n.logFile))
    await writeFile(n.log4j2Format, renderLog4j2(n.formatLog))
  }
  const classpath = `${rt.kafkaLibDir}/*`

  const clusterId = newClusterId()
  log(
    `formatting KRaft storage${brokers === 1 ? '' : ` of ${brokers} nodes`} (cluster id ${clusterId}, SCRAM-SHA-256 user ${cfg.scram.username})`,
  )
  // In parallel: each format is a short JVM run, and the registry is booting meanwhile anyway.
  await Promise.all(nodes.map((n) => formatNode(cfg, java, classpath, n, clusterId)))

  log(
    brokers === 1
      ? `starting Kafka ${KAFKA_VERSION} (log: ${nodes[0]?.logFile ?? ''})`
      : `starting Kafka ${KAFKA_VERSION}: ${brokers} nodes on ${withBrokers(cfg, brokers).brokers.join(', ')} (logs: ${join(cfg.logDir, 'kafka-*.log')})`,
  )
  const started: DetachedProcess[] = []
  // All at once: a combined cluster node only answers once a majority of the controller quorum is up.
  for (const n of nodes) {
    const proc = spawnDetached({
      command: java.path,
      args: [
        '-Xms256m',
        `-Xmx${cfg.kafkaHeap}`,
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Djava.io.tmpdir=${n.dataDir}`,
        `-Dlog4j2.configurationFile=${n.log4j2}`,
        `-Dkafka.logs.dir=${cfg.logDir}`,
        ...cfg.kafkaJvmOpts,
        n.marker,
        '-cp',
        classpath,
        'kafka.Kafka',
        n.properties,
      ],
      cwd: cfg.stackDir,
      logFile: n.stdoutFile,
    })
    await writePid(n.pidFile, proc.pid)
    started.push(proc)
  }
  return { nodes: started, registry }
}

function describeExit(p: DetachedProcess): string {
  const e = p.exit()
  if (e === undefined) return `process ${p.pid} exited`
  return `process ${p.pid} exited with ${e.signal !== null ? `signal ${e.signal}` : `code ${String(e.code)}`}`
}

async function waitReady(cfg: StackConfig, brokers: StackSize, started: Started, log: Log, t0: number): Promise<void> {
  const nodes = kafkaNodeFiles(cfg, brokers)
  const reg = registryFiles(cfg)
  const all = withBrokers(cfg, brokers)
  const deadline = t0 + cfg.readyTimeoutMs
  const single = brokers === 1
  const nodeName = (n: KafkaNodeFiles): string => (single ? 'Kafka' : `Kafka node ${n.id}`)
  const ready = { plain: nodes.map(() => false), sasl: nodes.map(() => false), cluster: single, registry: false }
  const last = { plain: nodes.map(() => 'not probed yet'), sasl: nodes.map(() => 'not probed yet'), cluster: 'not probed yet', registry: 'not probed yet' }
  const nodeReady = (i: number): boolean => ready.plain[i] === true && ready.sasl[i] === true
  const kafkaReady = (): boolean => nodes.every((_, i) => nodeReady(i)) && ready.cluster
  const elapsed = (): string => secs(Date.now() - t0)
  let lastReport = Date.now()
  for (;;) {
    for (const [i, n] of nodes.entries()) {
      const proc = started.nodes[i]
      if (proc !== undefined && !nodeReady(i) && !isOurs(proc.pid, n.marker)) {
        throw new StackError(`${nodeName(n)} (Kafka ${KAFKA_VERSION}) did not start: ${describeExit(proc)}.\n${await logExcerpt(n)}`)
      }
    }
    if (!ready.registry && !isOurs(started.registry.pid, reg.marker)) {
      throw new StackError(`Apicurio Registry ${APICURIO_VERSION} did not start: ${describeExit(started.registry)}.\n${await logExcerpt(reg)}`)
    }
    const [nodeProbes, clusterProbe, r] = await Promise.all([
      Promise.all(
        nodes.map(async (n, i) => [
          ready.plain[i] === true ? undefined : await probeKafka(nodeConfig(cfg, n), 3000),
          ready.plain[i] === true && ready.sasl[i] !== true ? await probeKafkaSasl(nodeConfig(cfg, n), 3000) : undefined,
        ]),
      ),
      !ready.cluster && ready.plain.every(Boolean) ? probeKafka(all, 3000) : undefined,
      ready.registry ? undefined : probeRegistry(cfg, 3000),
    ])
    for (const [i, n] of nodes.entries()) {
      const [k, ks] = nodeProbes[i] ?? []
      const plain = `${cfg.host}:${n.ports.kafka}`
      if (k !== undefined) {
        last.plain[i] = k.detail
        if (k.ok) {
          ready.plain[i] = true
          log(`${nodeName(n)} answers on ${plain} after ${elapsed()} (${k.detail})`)
        }
      }
      if (ks !== undefined) {
        last.sasl[i] = ks.detail
        if (ks.ok) {
          ready.sasl[i] = true
          log(`${nodeName(n)} SASL/SCRAM-SHA-256 login as ${cfg.scram.username} works on ${cfg.host}:${n.ports.kafkaSasl} after ${elapsed()}`)
        }
      }
    }
    if (clusterProbe !== undefined) {
      last.cluster = clusterProbe.detail
      if (clusterProbe.ok && (clusterProbe.brokers ?? 0) >= brokers) {
        ready.cluster = true
        log(`Kafka cluster of ${brokers} brokers formed after ${elapsed()} (${clusterProbe.detail})`)
      }
    }
    if (r !== undefined) {
      last.registry = r.detail
      if (r.ok) {
        ready.registry = true
        log(`registry answers at ${cfg.registryUrl} after ${elapsed()}`)
      }
    }
    if (kafkaReady() && ready.registry) return
    if (Date.now() > deadline) {
      const failing: string[] = []
      for (const [i, n] of nodes.entries()) {
        if (nodeReady(i)) continue
        const why = ready.plain[i] !== true ? `PLAINTEXT ${cfg.host}:${n.ports.kafka}: ${last.plain[i] ?? ''}` : `SASL ${cfg.host}:${n.ports.kafkaSasl}: ${last.sasl[i] ?? ''}`
        failing.push(`${nodeName(n)} is not ready (${why}).\n${await logExcerpt(n)}`)
      }
      if (nodes.every((_, i) => nodeReady(i)) && !ready.cluster) failing.push(`the Kafka nodes do not form one cluster of ${brokers} brokers (${last.cluster}); see ${nodes.map((n) => n.logFile).join(', ')}`)
      if (!ready.registry) failing.push(`Apicurio Registry is not ready (${cfg.registryUrl}/subjects: ${last.registry}).\n${await logExcerpt(reg)}`)
      throw new StackError(`timed out after ${secs(cfg.readyTimeoutMs)} (TOPIQ_STACK_READY_TIMEOUT_SECONDS) waiting for the stack:\n${failing.join('\n')}`)
    }
    if (Date.now() - lastReport >= 5000) {
      lastReport = Date.now()
      const st = (ok: boolean): string => (ok ? 'ready' : 'starting')
      const kafkaState = single ? st(kafkaReady()) : `${nodes.filter((_, i) => nodeReady(i)).length} of ${brokers} nodes ready`
      log(`waiting… kafka ${kafkaState}, registry ${st(ready.registry)} (${elapsed()} of ${secs(cfg.readyTimeoutMs)})`)
    }
    await sleep(500)
  }
}

/** What stopOurs stopped: Kafka pid-file names (`kafka`, or `kafka-1`…`kafka-3`), then `registry` if it ran. */
type Stopped = string[]

/** Stops every Kafka node found in the run dir (in parallel), then the registry; removes their pid files. */
async function stopOurs(cfg: StackConfig, log: Log): Promise<Stopped> {
  const stopped: Stopped = []
  const stopOne = async (name: string, pidFile: string): Promise<void> => {
    const pid = await readPid(pidFile)
    if (pid !== undefined) {
      const t = Date.now()
      const how = await stopProcess(pid, processMarker(name, cfg.stackDir), cfg.stopGraceMs)
      if (how === 'not-running') log(`${name}: pid ${pid} from ${pidFile} is not running (stale pid file)`)
      else {
        stopped.push(name)
        log(`${name}: stopped pid ${pid} (${how === 'killed' ? `SIGKILL after ${secs(cfg.stopGraceMs)} grace` : 'SIGTERM'}, ${secs(Date.now() - t)})`)
      }
    }
    await removeFile(pidFile)
  }
  const kafka = await kafkaPidFiles(cfg)
  await Promise.all(kafka.map((k) => stopOne(k.name, k.file)))
  await stopOne('registry', registryFiles(cfg).pidFile)
  return stopped.sort((a, b) => (a === 'registry' ? 1 : b === 'registry' ? -1 : a.localeCompare(b, 'en', { numeric: true })))
}

function summary(cfg: StackConfig, brokers: number): string[] {
  const all = withBrokers(cfg, brokers)
  return [
    `Kafka PLAINTEXT        ${all.brokers.join(',')}`,
    `Kafka SASL SCRAM-256   ${all.saslBrokers.join(',')}  (user ${cfg.scram.username}; dev-only password from TOPIQ_STACK_SCRAM_PASSWORD or its default)`,
    `Kafka controller       ${kafkaNodeFiles(cfg, brokers)
      .map((n) => `${cfg.host}:${n.ports.kafkaController}`)
      .join(',')}`,
    ...(brokers === 1 ? [] : [`Kafka cluster          ${brokers} brokers (each also a KRaft controller): replication factor 3, min.insync.replicas 2`]),
    `Schema registry        ${cfg.registryUrl}`,
  ]
}

/**
 * Starts Kafka (one broker, or `opts.brokers` 3: a 3-node cluster) + Apicurio Registry unless they already run;
 * resolves once all of them really answer. Idempotent. Throws StackError / MavenResolveError / JavaNotFoundError with
 * the reason (and log tails) on failure, after stopping whatever this call started.
 */
export async function stackUp(opts: StackOptions = {}): Promise<UpResult> {
  const cfg = stackConfig(opts.env)
  const log = opts.log ?? defaultLog
  const requested = opts.brokers
  if (requested !== undefined && !isStackSize(requested)) {
    throw new StackError(`brokers must be ${STACK_SIZES.join(' or ')}, not ${String(requested)} (3: RF 3 with min.insync.replicas 2 survives one node down)`)
  }
  const t0 = Date.now()
  return withUpLock(cfg, log, async () => {
    const recorded = await recordedBrokers(cfg)
    const live = await liveNodes(cfg, recorded)
    if (requested !== undefined && live.length > 0 && requested !== recorded) {
      throw new StackError(
        `a ${describeSize(recorded)} stack is running from ${cfg.stackDir} (Kafka pid ${live.join(', ')}); ` +
          `it cannot change size while it runs. Run \`pnpm stack down\` first, then \`pnpm stack up --brokers ${requested}\`.`,
      )
    }
    const brokers: StackSize = requested ?? (live.length > 0 ? recorded : 1)
    stackNodePorts(cfg, brokers) // port clashes of nodes 2+ fail here, before anything is downloaded or started
    const st = await inspect(cfg, brokers)
    const pids = (): string => `kafka pid ${st.kafkaNodes.map((n) => String(n.pid)).join(', ')}, registry pid ${String(st.registry.pid)}`
    if (st.running) {
      log(`already running${brokers === 1 ? '' : ` (${brokers} Kafka nodes)`} (${pids()})`)
      for (const l of summary(cfg, brokers)) log(`  ${l}`)
      return { alreadyRunning: true, startedByUs: false, brokers, seconds: (Date.now() - t0) / 1000, connection: st.connection }
    }
    if (st.externalAnswering) {
      log(`Kafka (PLAINTEXT and SASL) and the registry already answer on the configured ports, but were not started by topiq-stack from ${cfg.stackDir}; using them`)
      return { alreadyRunning: true, startedByUs: false, brokers, seconds: (Date.now() - t0) / 1000, connection: st.connection }
    }
    const kafkaUp = st.kafkaNodes.filter((n) => n.running).length
    if (kafkaUp > 0 || st.registry.running) {
      log(
        `a partial or unresponsive stack is running (kafka ${brokers === 1 ? (kafkaUp > 0 ? 'up' : 'down') : `${kafkaUp} of ${brokers} nodes up`}, registry ${st.registry.running ? 'up' : 'down'}); restarting it`,
      )
    }
    // Also stops leftovers of a stack of the other size (only pids that still carry our marker are signalled).
    await stopOurs(cfg, log)
    const java = findJava(cfg.java, opts.env ?? process.env)
    log(`java: ${java.path} (${java.version})`)
    const rt = await ensureRuntime(cfg, log, opts.env ?? process.env)
    const taken = await portsInUse(cfg, brokers)
    if (taken.length > 0) {
      throw new StackError(
        `port(s) already in use by another process: ${taken.join(', ')}.\n` +
          `Stop whatever listens there (\`ss -ltnp\` shows it) or choose other ports with the env vars named.`,
      )
    }
    const tStart = Date.now()
    try {
      const started = await startProcesses(cfg, brokers, java, rt, log)
      await waitReady(cfg, brokers, started, log, tStart)
    } catch (e) {
      // Leave nothing half-started behind (only pids from our pid files that still carry our marker are signalled).
      await stopOurs(cfg, () => undefined)
      throw e
    }
    log(`stack ready in ${secs(Date.now() - t0)} (storage format + JVM start → ready: ${secs(Date.now() - tStart)})`)
    for (const l of summary(cfg, brokers)) log(`  ${l}`)
    return { alreadyRunning: false, startedByUs: true, brokers, seconds: (Date.now() - t0) / 1000, connection: connectionInfo(withBrokers(cfg, brokers)) }
  })
}

/** Same as stackUp: start the stack unless it already runs. Tells whether this call started it. */
export function ensureStack(opts: StackOptions = {}): Promise<UpResult> {
  return stackUp(opts)
}

// ---------------------------------------------------------------------------------------------------------------
// down

export interface DownResult {
  /** Components whose JVM this call stopped (`kafka` once, however many nodes). */
  readonly stopped: readonly ComponentName[]
  /** Kafka nodes this call stopped (pid-file names: `kafka`, or `kafka-1` … `kafka-3`). */
  readonly stoppedKafkaNodes: readonly string[]
}

/**
 * Stops the JVMs this tool started (by pid: SIGTERM, SIGKILL after the grace period): every Kafka node, then the
 * registry; removes the data dir.
 */
export async function stackDown(opts: StackOptions = {}): Promise<DownResult> {
  const cfg = stackConfig(opts.env)
  const log = opts.log ?? defaultLog
  const names = await stopOurs(cfg, log)
  if (existsSync(join(cfg.stackDir, STACK_MARKER))) {
    await rm(cfg.dataDir, { recursive: true, force: true })
  }
  const stoppedKafkaNodes = names.filter((n) => n !== 'registry')
  const stopped: ComponentName[] = [...(stoppedKafkaNodes.length > 0 ? ['kafka' as const] : []), ...(names.includes('registry') ? ['registry' as const] : [])]
  if (stopped.length === 0) log('nothing running')
  else {
    const kafka = stoppedKafkaNodes.length > 1 ? `kafka (${stoppedKafkaNodes.length} nodes)` : 'kafka'
    log(`stopped ${stopped.map((c) => (c === 'kafka' ? kafka : c)).join(' and ')}; removed ${cfg.dataDir} (logs stay in ${cfg.logDir})`)
  }
  return { stopped, stoppedKafkaNodes }
}

// ---------------------------------------------------------------------------------------------------------------
// logs

/** The last `lines` lines of each component's log(s), with headers; `kafka`: each node's of the stack started last. */
export async function stackLogs(which: ComponentName | undefined, lines = 50, opts: StackOptions = {}): Promise<string> {
  const cfg = stackConfig(opts.env)
  const brokers = await recordedBrokers(cfg)
  const files: Array<{ label: string; f: ComponentFiles }> = []
  if (which !== 'registry') for (const n of kafkaNodeFiles(cfg, brokers)) files.push({ label: brokers === 1 ? 'kafka' : `kafka node ${n.id}`, f: n })
  if (which !== 'kafka') files.push({ label: 'registry', f: registryFiles(cfg) })
  const out: string[] = []
  for (const { label, f } of files) {
    for (const file of [f.stdoutFile, f.logFile]) {
      if (file === undefined) continue
      const exists = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
      if (!exists) {
        if (file === f.logFile) out.push(`==> ${file} (${label}) does not exist <==`)
        continue
      }
      const text = await tail(file, lines)
      if (file === f.stdoutFile && text.trim() === '') continue
      out.push(`==> ${file} (${label}) <==\n${text}`)
    }
  }
  return out.join('\n\n')
}

/** Human-readable status lines: each Kafka node, then the registry. */
export function formatStatus(st: StackStatus): string {
  const line = (c: ComponentStatus): string => {
    const state = c.running ? (c.answering ? 'running' : 'running, NOT answering') : c.answering ? 'answering, but not started by topiq-stack' : 'not running'
    return `${c.label.padEnd(8)} ${state}${c.pid !== undefined && c.running ? ` (pid ${c.pid})` : ''}\n         ${c.address}\n         ${c.detail}`
  }
  const header =
    st.brokers === 1
      ? []
      : [`kafka    ${st.brokers}-node KRaft cluster (RF 3, min.insync.replicas 2): ${st.kafka.detail}\n         bootstrap ${st.connection.brokers.join(',')}`]
  return [...header, ...st.kafkaNodes.map(line), line(st.registry)].join('\n')
}

/** Reads the pid files of the stack started last (exported for tests/tools); `kafka` is node 1's. */
export async function stackPids(opts: StackOptions = {}): Promise<Record<ComponentName, number | undefined> & { readonly kafkaNodes: Array<number | undefined> }> {
  const cfg = stackConfig(opts.env)
  const nodes = await Promise.all(kafkaNodeFiles(cfg, await recordedBrokers(cfg)).map((n) => readPid(n.pidFile)))
  return { kafka: nodes[0], kafkaNodes: nodes, registry: await readPid(registryFiles(cfg).pidFile) }
}
