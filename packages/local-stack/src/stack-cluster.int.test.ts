// `pnpm stack up --brokers 3` end to end, as a user runs it: the real CLI (a child `node` process) on its own
// TOPIQ_STACK_DIR (a temp dir) and ports 39700–39710, with the SAME download cache as the shared stack (nothing is
// downloaded again). It never touches the shared stack (127.0.0.1:29092…, 8081, ~/.cache/topiq/stack).
//
//   up --brokers 3 → status → env → logs → kafkajs against the 3 nodes (cluster, RF 3 / min ISR 2 topics,
//   acks=all, a consumer group, SCRAM on every node, `topiq topics create`) → down (pids gone, ports closed, data
//   removed) → status says not running.
//
// afterAll always runs `down` (and SIGKILLs any JVM of this stack dir still alive) and removes the temp dir.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigResourceTypes, Kafka, logLevel, Partitioners, type Admin, type KafkaConfig } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stackConfig, type StackConfig } from './config.ts'
import { commandLine, isOurs, portFree, processMarker, readPid } from './proc.ts'
import { APICURIO_VERSION, KAFKA_VERSION, SCALA_VERSION } from './versions.ts'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
const HOST = '127.0.0.1'
// Ports 39700–39720 are this file's range (other int tests use 39192–39640). Node 1 keeps the stack's own ports;
// nodes 2 and 3 take TOPIQ_KAFKA_NODE_BASE_PORT + 0…2 and + 3…5 (config.ts stackNodePorts).
const PORTS = { kafka: 39700, kafkaSasl: 39701, kafkaController: 39702, registry: 39703, registryManagement: 39704, nodeBase: 39705 } as const
const NODES = [
  { id: 1, plain: 39700, sasl: 39701, controller: 39702 },
  { id: 2, plain: 39705, sasl: 39706, controller: 39707 },
  { id: 3, plain: 39708, sasl: 39709, controller: 39710 },
] as const
const ALL_PORTS = [...NODES.flatMap((n) => [n.plain, n.sasl, n.controller]), PORTS.registry, PORTS.registryManagement]
const PLAIN = NODES.map((n) => `${HOST}:${n.plain}`)
const SASL = NODES.map((n) => `${HOST}:${n.sasl}`)
const REGISTRY_URL = `http://${HOST}:${PORTS.registry}/apis/ccompat/v7`
const COMPONENTS = ['kafka-1', 'kafka-2', 'kafka-3', 'registry'] as const

// The download cache of the shared stack (default env, or TOPIQ_STACK_CACHE_DIR / TOPIQ_HOME when set): warm, so
// `up` only starts JVMs. Everything else of the shared stack's config is replaced below.
const cacheDir = stackConfig().cacheDir

let stackDir = ''
let env: NodeJS.ProcessEnv = {}
let cfg: StackConfig
/** Pids from run/*.pid while the stack ran (by component), so afterAll and the `down` check know what to look for. */
const pids = new Map<string, number>()
const liveClis = new Set<ChildProcess>()
const runId = `${Date.now().toString(36)}-${process.pid}`

interface CliRun {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  readonly seconds: number
}

/** `node --conditions=@topiq/source <script> …args` from the repo root (what `pnpm stack …` / `pnpm topiq …` run). */
function runNode(script: string, args: readonly string[], timeoutMs: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const t0 = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@topiq/source', script, ...args], {
      cwd: repoRoot,
      env: { ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    liveClis.add(child)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${script} ${args.join(' ')} did not finish in ${timeoutMs} ms\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`))
    }, timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      liveClis.delete(child)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      liveClis.delete(child)
      resolve({ code, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000 })
    })
  })
}

const stack = (args: readonly string[], timeoutMs = 60_000): Promise<CliRun> => runNode('packages/local-stack/src/cli.ts', args, timeoutMs)
const show = (r: CliRun): string => `exit ${String(r.code)}${r.signal === null ? '' : ` (${r.signal})`} after ${r.seconds.toFixed(1)} s\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`

function kafka(extra: Partial<KafkaConfig> & Pick<KafkaConfig, 'brokers'>): Kafka {
  return new Kafka({ clientId: `stack-cluster-int-${runId}`, logLevel: logLevel.NOTHING, connectionTimeout: 5000, requestTimeout: 30_000, ...extra })
}

async function withAdmin<T>(client: Kafka, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = client.admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface PartitionState {
  readonly partition: number
  readonly leader: number
  readonly replicas: number[]
  readonly isr: number[]
}

async function partitions(admin: Admin, topic: string): Promise<PartitionState[]> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] })
  return (meta.topics[0]?.partitions ?? [])
    .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas].sort(), isr: [...p.isr].sort() }))
    .sort((a, b) => a.partition - b.partition)
}

/** Polls until every partition has 3 replicas, all in sync (normally at once), for up to 30 s. */
async function fullyInSync(admin: Admin, topic: string): Promise<PartitionState[]> {
  const deadline = Date.now() + 30_000
  for (;;) {
    const ps = await partitions(admin, topic)
    if ((ps.length > 0 && ps.every((p) => p.replicas.length === 3 && p.isr.length === 3)) || Date.now() > deadline) return ps
    await sleep(500)
  }
}

async function topicConfig(admin: Admin, topic: string, name: string): Promise<string | undefined> {
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }] })
  return res.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue
}

/** Every live process (Linux: /proc) whose command line carries a marker of this stack dir (`-Dtopiq.stack=…@<dir>`). */
function processesOfThisStack(): string[] {
  if (!existsSync('/proc/self/cmdline')) return []
  const found: string[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const cmd = commandLine(Number(entry))
    const marker = cmd?.match(/-Dtopiq\.stack=(\S+)@(\S+)/)
    if (marker?.[2] === stackDir) found.push(`${entry} ${marker[1] ?? ''}`)
  }
  return found
}

function readRecordedPids(): void {
  for (const c of COMPONENTS) {
    const file = join(stackDir, 'run', `${c}.pid`)
    if (!existsSync(file)) continue
    const n = Number(readFileSync(file, 'utf8').trim())
    if (Number.isInteger(n) && n > 0) pids.set(c, n)
  }
}

beforeAll(async () => {
  stackDir = await mkdtemp(join(tmpdir(), 'topiq-stack-cluster-'))
  env = {
    ...process.env,
    TOPIQ_STACK_DIR: stackDir,
    TOPIQ_STACK_CACHE_DIR: cacheDir,
    TOPIQ_KAFKA_PORT: String(PORTS.kafka),
    TOPIQ_KAFKA_SASL_PORT: String(PORTS.kafkaSasl),
    TOPIQ_KAFKA_CONTROLLER_PORT: String(PORTS.kafkaController),
    TOPIQ_REGISTRY_PORT: String(PORTS.registry),
    TOPIQ_REGISTRY_MANAGEMENT_PORT: String(PORTS.registryManagement),
    TOPIQ_KAFKA_NODE_BASE_PORT: String(PORTS.nodeBase),
    TOPIQ_STACK_READY_TIMEOUT_SECONDS: '150',
    // What a user's shell might carry must not redirect the topiq CLI run below.
    KAFKA_BROKER: undefined,
    KAFKA_TOPIC_PREFIX: undefined,
  }
  cfg = stackConfig(env)
  expect(cfg.stackDir).toBe(stackDir)
  expect(cfg.cacheDir).toBe(cacheDir)
  // A warm cache (what the shared stack downloaded); otherwise `up` would spend its time in Maven.
  for (const d of [`kafka_${SCALA_VERSION}-${KAFKA_VERSION}/libs`, `apicurio-registry-${APICURIO_VERSION}`]) {
    expect(existsSync(join(cacheDir, d)), `${join(cacheDir, d)} (run \`pnpm stack up\` once to fill the cache)`).toBe(true)
  }
  const taken: number[] = []
  for (const p of ALL_PORTS) if (!(await portFree(HOST, p))) taken.push(p)
  expect(taken, `ports of this test already in use (a leftover of an earlier run?)`).toEqual([])
})

afterAll(async () => {
  for (const c of liveClis) c.kill('SIGKILL')
  if (stackDir === '') return
  readRecordedPids() // a failed `up` may have written pid files the tests never read
  const down = await stack(['down'], 90_000).catch((e: unknown) => e)
  if (down instanceof Error) console.error(`afterAll: down failed: ${down.message}`)
  // Belt and braces: any JVM of this stack dir that `down` missed is SIGKILLed (by pid, only while it carries our marker).
  for (const [name, pid] of pids) {
    if (isOurs(pid, processMarker(name, stackDir))) {
      console.error(`afterAll: ${name} (pid ${pid}) survived \`down\`; SIGKILL`)
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
  }
  await rm(stackDir, { recursive: true, force: true })
}, 120_000)

describe('pnpm stack up --brokers 3 (real CLI, own dir and ports 39700–39710, shared download cache)', () => {
  it('up --brokers 3 exits 0 and prints the listeners of each node', async () => {
    const up = await stack(['up', '--brokers', '3'], 200_000)
    console.info(`[stack-cluster] up --brokers 3: ${show(up)}`)
    expect(up.code, show(up)).toBe(0)
    expect(up.seconds).toBeLessThan(180)
    const out = up.stdout
    // Nothing was downloaded: the shared cache was used as it is.
    expect(out).not.toMatch(/downloading|resolving .* with Maven/i)
    expect(out).toContain(`starting Kafka ${KAFKA_VERSION}: 3 nodes on ${PLAIN.join(', ')}`)
    for (const n of NODES) {
      expect(out).toMatch(new RegExp(`Kafka node ${n.id} answers on ${HOST}:${n.plain} after`))
      expect(out).toMatch(new RegExp(`Kafka node ${n.id} SASL/SCRAM-SHA-256 login as ${cfg.scram.username} works on ${HOST}:${n.sasl} after`))
    }
    expect(out).toMatch(/Kafka cluster of 3 brokers formed after [\d.]+ s/)
    expect(out).toContain(`registry answers at ${REGISTRY_URL} after`)
    expect(out).toMatch(/stack ready in [\d.]+ s/)
    // The summary: every node's PLAINTEXT, SASL and controller listener, node 1 first.
    expect(out).toContain(`Kafka PLAINTEXT        ${PLAIN.join(',')}`)
    expect(out).toContain(`Kafka SASL SCRAM-256   ${SASL.join(',')}`)
    expect(out).toContain(`Kafka controller       ${NODES.map((n) => `${HOST}:${n.controller}`).join(',')}`)
    expect(out).toContain('Kafka cluster          3 brokers (each also a KRaft controller): replication factor 3, min.insync.replicas 2')
    expect(out).toContain(`Schema registry        ${REGISTRY_URL}`)

    // The files the README describes, and 4 JVMs that carry this dir's marker.
    expect(readFileSync(join(stackDir, 'conf', 'brokers'), 'utf8').trim()).toBe('3')
    expect(existsSync(join(stackDir, '.topiq-stack'))).toBe(true)
    for (const i of [1, 2, 3]) {
      expect(existsSync(join(stackDir, 'conf', `server-${i}.properties`))).toBe(true)
      expect(existsSync(join(stackDir, 'data', `kafka-${i}`))).toBe(true)
      expect(existsSync(join(stackDir, 'logs', `kafka-${i}.log`))).toBe(true)
    }
    readRecordedPids()
    expect([...pids.keys()].sort()).toEqual([...COMPONENTS])
    for (const [name, pid] of pids) expect(isOurs(pid, processMarker(name, stackDir)), `${name} pid ${pid}`).toBe(true)
    expect(new Set(pids.values()).size).toBe(4)
  }, 210_000)

  it('status exits 0 and reports 3 running, answering Kafka nodes and the registry', async () => {
    const st = await stack(['status'])
    console.info(`[stack-cluster] status: ${show(st)}`)
    expect(st.code, show(st)).toBe(0)
    const out = st.stdout
    expect(out).toContain('kafka    3-node KRaft cluster (RF 3, min.insync.replicas 2): 3 of 3 nodes running, 3 answering')
    expect(out).toContain(`bootstrap ${PLAIN.join(',')}`)
    for (const n of NODES) {
      expect(out).toContain(`kafka ${n.id}  running (pid ${String(pids.get(`kafka-${n.id}`))})`)
      expect(out).toContain(`PLAINTEXT ${HOST}:${n.plain}, SASL_PLAINTEXT ${HOST}:${n.sasl}, controller ${HOST}:${n.controller}`)
    }
    // Each node's probe sees the whole cluster over both listeners.
    expect(out.match(/PLAINTEXT: ok \(cluster \S+, 3 broker\(s\)/g)?.length).toBe(3)
    expect(out.match(/SASL\/SCRAM-SHA-256: ok \(cluster \S+, 3 broker\(s\)/g)?.length).toBe(3)
    expect(out).not.toMatch(/NOT answering|FAILED|not running/)
    expect(out).toContain(`registry running (pid ${String(pids.get('registry'))})`)
    expect(out).toMatch(/ccompat API: ok \(GET \/subjects → 200/)
  }, 60_000)

  it('env prints every node of the cluster and the registry', async () => {
    const r = await stack(['env'])
    console.info(`[stack-cluster] env: ${show(r)}`)
    expect(r.code, show(r)).toBe(0)
    // KAFKA_BROKER and SCHEMA_REGISTRY_URL are what the topiq libraries and CLI read; the TOPIQ_ names add SASL.
    expect(r.stdout.trim().split('\n')).toEqual([
      `export KAFKA_BROKER=${PLAIN.join(',')}`,
      `export SCHEMA_REGISTRY_URL=${REGISTRY_URL}`,
      `export TOPIQ_KAFKA_BROKERS=${PLAIN.join(',')}`,
      `export TOPIQ_KAFKA_SASL_BROKERS=${SASL.join(',')}`,
      'export TOPIQ_KAFKA_SASL_MECHANISM=scram-sha-256',
      `export TOPIQ_KAFKA_SASL_USERNAME=${cfg.scram.username}`,
      `export TOPIQ_KAFKA_SASL_PASSWORD='${cfg.scram.password}' # dev-only`,
      `export TOPIQ_SCHEMA_REGISTRY_URL=${REGISTRY_URL}`,
    ])
    const subjects = await fetch(`${REGISTRY_URL}/subjects`)
    expect(subjects.status).toBe(200)
    expect(await subjects.json()).toEqual([])
  }, 60_000)

  it('logs kafka shows every node', async () => {
    const r = await stack(['logs', 'kafka', '-n', '3'])
    expect(r.code, show(r)).toBe(0)
    for (const i of [1, 2, 3]) expect(r.stdout).toContain(`${join(stackDir, 'logs', `kafka-${i}.log`)} (kafka node ${i}) <==`)
    expect(r.stdout).not.toContain('(registry)')
  }, 60_000)

  it('kafkajs: 3 brokers; RF 3 / min ISR 2 topics fully in sync; acks=all produce and a consumer group work', async () => {
    const t0 = Date.now()
    const client = kafka({ brokers: PLAIN })
    const explicitTopic = `stack-cluster.rf3-${runId}`
    const defaultTopic = `stack-cluster.defaults-${runId}`
    await withAdmin(client, async (admin) => {
      const cluster = await admin.describeCluster()
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual([...PLAIN].sort())
      expect(cluster.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3])
      expect([1, 2, 3]).toContain(cluster.controller)

      const broker = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configNames: ['default.replication.factor', 'min.insync.replicas', 'unclean.leader.election.enable'] }],
      })
      const brokerConf = Object.fromEntries((broker.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]))
      expect(brokerConf).toEqual({ 'default.replication.factor': '3', 'min.insync.replicas': '2', 'unclean.leader.election.enable': 'false' })

      expect(
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            { topic: explicitTopic, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] },
            // No replicationFactor / numPartitions: kafkajs sends -1, so the broker's defaults apply.
            { topic: defaultTopic },
          ],
        }),
      ).toBe(true)
      for (const topic of [explicitTopic, defaultTopic]) {
        const ps = await fullyInSync(admin, topic)
        console.info(`[stack-cluster] ${topic}: ${JSON.stringify(ps)}`)
        expect(ps.length).toBe(topic === explicitTopic ? 3 : 1)
        for (const p of ps) {
          expect(p.replicas).toEqual([1, 2, 3])
          expect(p.isr).toEqual([1, 2, 3])
        }
        expect(await topicConfig(admin, topic, 'min.insync.replicas')).toBe('2')
      }
      // Leaders are spread over the nodes.
      expect(new Set((await partitions(admin, explicitTopic)).map((p) => p.leader)).size).toBeGreaterThan(1)
    })

    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    try {
      const sent = await producer.send({ topic: explicitTopic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` })) })
      expect(sent.length).toBeGreaterThan(0)
      for (const m of sent) expect(m.errorCode).toBe(0)
      const [d] = await producer.send({ topic: defaultTopic, acks: -1, messages: [{ key: 'k', value: 'defaults' }] })
      expect(d?.errorCode).toBe(0)
    } finally {
      await producer.disconnect()
    }
    await withAdmin(client, async (admin) => {
      const offsets = await admin.fetchTopicOffsets(explicitTopic)
      expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(30)
    })

    // A consumer group (its __consumer_offsets is RF 3 / min ISR 2 as well) reads all 30.
    const groupId = `stack-cluster-${runId}`
    const consumer = client.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 })
    await consumer.connect()
    try {
      await consumer.subscribe({ topics: [explicitTopic], fromBeginning: true })
      const seen = new Set<string>()
      const all = new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            seen.add(message.value?.toString() ?? '')
            if (seen.size === 30) resolve()
          },
        })
      })
      await Promise.race([all, sleep(60_000).then(() => Promise.reject(new Error(`consumed ${seen.size} of 30 in 60 s`)))])
      expect(seen.size).toBe(30)
    } finally {
      await consumer.disconnect()
    }
    await withAdmin(client, async (admin) => {
      const committed = await admin.fetchOffsets({ groupId, topics: [explicitTopic] })
      expect(committed[0]?.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(30)
      const co = await fullyInSync(admin, '__consumer_offsets')
      expect(co.length).toBeGreaterThan(0)
      for (const p of co) expect(p.replicas).toEqual([1, 2, 3])
    })
    console.info(`[stack-cluster] kafkajs cluster/topics/produce/consume: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }, 150_000)

  it('SASL/SCRAM-SHA-256 authenticates on the SASL listener of each node (and refuses a wrong password)', async () => {
    for (const [i, n] of NODES.entries()) {
      const address = SASL[i] ?? ''
      const client = kafka({ brokers: [address], sasl: { mechanism: 'scram-sha-256', username: cfg.scram.username, password: cfg.scram.password }, retry: { retries: 1 } })
      const cluster = await withAdmin(client, (admin) => admin.describeCluster())
      // Over the SASL listener the cluster advertises every node's SASL listener.
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`).sort(), `node ${n.id}`).toEqual([...SASL].sort())

      const wrong = kafka({ brokers: [address], sasl: { mechanism: 'scram-sha-256', username: cfg.scram.username, password: `${cfg.scram.password}-wrong` }, retry: { retries: 0 } })
      const admin = wrong.admin({ retry: { retries: 0 } })
      const err = await admin.connect().then(
        () => undefined,
        (e: unknown) => e,
      )
      await admin.disconnect().catch(() => undefined)
      expect((err as Error | undefined)?.name, `node ${n.id}`).toBe('KafkaJSSASLAuthenticationError')
    }
    // A produce with acks=all through the SASL listener of node 3 only.
    const topic = `stack-cluster.sasl-${runId}`
    const client = kafka({ brokers: [SASL[2] ?? ''], sasl: { mechanism: 'scram-sha-256', username: cfg.scram.username, password: cfg.scram.password } })
    await withAdmin(client, (admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 3 }] }))
    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    try {
      const [m] = await producer.send({ topic, acks: -1, messages: [{ value: 'over scram' }] })
      expect(m?.errorCode).toBe(0)
    } finally {
      await producer.disconnect()
    }
  }, 90_000)

  // `topiq topics create` gives a topic whose schema sets no x-kafka.replicationFactor (none of schemas/ does)
  // min(3, brokers) replicas, asked of the cluster when it runs: 3 on this stack, each in sync. min.insync.replicas
  // is the broker's 2, so acks=all needs the leader and a follower.
  it('`topiq topics create` on this stack: topics without x-kafka.replicationFactor get 3 replicas, acks=all works on them', async () => {
    const prefix = `stack-cluster-${runId}.`
    const r = await runNode('packages/cli/src/cli.ts', ['topics', 'create', '--brokers', PLAIN.join(','), '--prefix', prefix], 90_000)
    console.info(`[stack-cluster] topiq topics create: ${show(r)}`)
    expect(r.code, show(r)).toBe(0)
    const created = [...r.stdout.matchAll(/^created {2}(\S+) {2}\(replication factor 3\)$/gm)].map((m) => m[1] ?? '')
    expect(created.length).toBeGreaterThan(0)
    // Every created line matched (each with factor 3): the total printed is the count of those lines.
    expect(r.stdout).toContain(`${created.length} created, 0 already existed (brokers ${PLAIN.join(',')})`)
    const client = kafka({ brokers: PLAIN })
    await withAdmin(client, async (admin) => {
      const rf: Record<string, number[]> = {}
      for (const t of created) {
        const ps = await partitions(admin, t)
        expect(ps.length, t).toBeGreaterThan(0)
        rf[t] = [...new Set(ps.map((p) => p.replicas.length))]
        for (const p of ps) expect(p.isr, `${t}/${p.partition}`).toEqual(p.replicas)
      }
      console.info(`[stack-cluster] replicas per partition of the topics \`topiq topics create\` made: ${JSON.stringify(rf)}`)
      expect(Object.values(rf).flat()).toEqual(created.map(() => 3))
      expect(await topicConfig(admin, created[0] ?? '', 'min.insync.replicas')).toBe('2')
    })
    const producer = client.producer({ createPartitioner: Partitioners.DefaultPartitioner })
    await producer.connect()
    try {
      const [m] = await producer.send({ topic: created[0] ?? '', acks: -1, messages: [{ key: 'k', value: '{}' }] })
      expect(m?.errorCode).toBe(0)
    } finally {
      await producer.disconnect()
    }
  }, 120_000)

  it('down exits 0, every process it started is gone, the ports are closed and the data dir is removed', async () => {
    expect([...pids.keys()].sort()).toEqual([...COMPONENTS])
    const r = await stack(['down'], 90_000)
    console.info(`[stack-cluster] down: ${show(r)}`)
    expect(r.code, show(r)).toBe(0)
    for (const name of COMPONENTS) expect(r.stdout).toMatch(new RegExp(`${name}: stopped pid ${String(pids.get(name))} \\(SIGTERM, [\\d.]+ s\\)`))
    expect(r.stdout).toContain(`stopped kafka (3 nodes) and registry; removed ${join(stackDir, 'data')} (logs stay in ${join(stackDir, 'logs')})`)
    for (const [name, pid] of pids) expect(isOurs(pid, processMarker(name, stackDir)), `${name} pid ${pid} still runs`).toBe(false)
    expect(processesOfThisStack(), 'processes whose command line still names this stack dir').toEqual([])
    const open: number[] = []
    for (const p of ALL_PORTS) if (!(await portFree(HOST, p))) open.push(p)
    expect(open, 'ports still listening after down').toEqual([])
    expect(existsSync(join(stackDir, 'data'))).toBe(false)
    expect(readdirSync(join(stackDir, 'run')).filter((f) => f.endsWith('.pid'))).toEqual([])
    for (const name of COMPONENTS) expect(await readPid(join(stackDir, 'run', `${name}.pid`))).toBeUndefined()
    expect(existsSync(join(stackDir, 'logs', 'kafka-1.log'))).toBe(true) // logs stay, as promised

    const st = await stack(['status'])
    expect(st.code, show(st)).toBe(1)
    expect(st.stdout).toContain('0 of 3 nodes running, 0 answering')
    expect(st.stdout).toMatch(/registry not running/)

    const again = await stack(['down'])
    expect(again.code, show(again)).toBe(0)
    expect(again.stdout).toContain('nothing running')
  }, 120_000)
})
