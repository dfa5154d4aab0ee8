// `pnpm bench` (root) — raw kafkajs, topiq, @platformatic/kafka, confluent-kafka (librdkafka) and Kafka's own
// ProducerPerformance / ConsumerPerformance side by side on ONE dedicated broker started here (the local stack's JVM
// flags; see jvmOpts below), for four patterns: sequential single sends, batches
// of 100, 1000 concurrent single publishes, consume from the beginning. Each client and pattern runs in its own
// process (its RSS is its own), rounds rotate the client order, and the table shows medians. `topiq, OTel SDK` is
// topiq with the OpenTelemetry SDK registered (tracing on; `topiq` is off): its cost per message is printed at the end.
// See README.md here.
//
// Env: BENCH_ROUNDS (3), BENCH_WARMUP_ROUNDS (1: every client once first, not counted), BENCH_SEQ (1000),
// BENCH_BATCH (20000), BENCH_CONC (20000), BENCH_CONSUME (50000),
// BENCH_RAW_SNAPPY (js | native: the raw kafkajs rows' codec), BENCH_ONLY (comma list of clients: parts of names, or
// `=name` for exactly that client, e.g. `=topiq,=topiq, OTel SDK`), BENCH_PATTERNS,
// BENCH_CPU_PROF (dir: node workers write --cpu-prof there), BENCH_BROKER_JVM_OPTS (the local stack's: C1, serial GC).
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { muteKafkajsTimeoutWarning, silentLogger } from '@topiq/kafka-core'
import { benchmarkEvent, createTestTopics, endOffsets, rawKafka } from '@topiq/kafka-core/testing'
import { ensureRuntime, findJava, KAFKA_VERSION, runtimePaths, stackConfig, startBroker, type TestBroker } from '@topiq/local-stack'
import { KafkaProducerClient } from '@topiq/producer'
import { TOPIC, type Pattern, type WorkerResult, type WorkerSpec } from './spec.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const HERE = fileURLToPath(new URL('.', import.meta.url))
const env = process.env
const num = (name: string, fallback: number) => Number(env[name] ?? fallback)
const ROUNDS = num('BENCH_ROUNDS', 3)
/**
 * Rounds run first and thrown away: a fresh broker is slow at first for the clients that make it work most (the first
 * group creates `__consumer_offsets`, its request paths are not compiled yet; with the JVM's default flags the typed
 * consumer's defaults, a commit per half poll batch, rose 71k → 109k msg/s over 5 rounds while raw kafkajs stayed at
 * 82–95k). A production broker is warm.
 */
const WARMUP_ROUNDS = num('BENCH_WARMUP_ROUNDS', 1)
const SIZES: Record<Pattern, number> = { seq: num('BENCH_SEQ', 1000), batch100: num('BENCH_BATCH', 20_000), conc1000: num('BENCH_CONC', 20_000), consume: num('BENCH_CONSUME', 50_000) }
const WARMUP: Record<Pattern, number> = { seq: 200, batch100: 2_000, conc1000: 2_000, consume: 0 }
const RAW_SNAPPY = env['BENCH_RAW_SNAPPY'] === 'native' ? 'native' : 'js'
const PORTS = { kafka: 39592, kafkaSasl: 39593, kafkaController: 39594 } // 391xx/393xx/394xx belong to other tests
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)
muteKafkajsTimeoutWarning()

type Runner = 'node' | 'python' | 'java'
interface Client {
  readonly name: string
  readonly runner: Runner
  /** Worker client id (node) for each pattern it takes part in. */
  readonly patterns: Partial<Record<Pattern, string>>
  /** Fewer events where a client is too slow for the full count (rate is what is compared). */
  readonly cap?: Partial<Record<Pattern, { n: number; warmup: number }>>
}
const CLIENTS: readonly Client[] = [
  {
    name: 'raw kafkajs',
    runner: 'node',
    patterns: { seq: 'kafkajs', batch100: 'kafkajs', conc1000: 'kafkajs', consume: 'kafkajs+parse' },
    // 1000 concurrent sends on (patched) kafkajs run at a few hundred msg/s: 3000 events take 10-20 s already.
    cap: { conc1000: { n: 3_000, warmup: 1_000 } },
  },
  { name: 'raw kafkajs, 7 headers', runner: 'node', patterns: { seq: 'kafkajs+headers', batch100: 'kafkajs+headers' } },
  { name: 'raw kafkajs, no JSON.parse', runner: 'node', patterns: { consume: 'kafkajs' } },
  { name: 'topiq', runner: 'node', patterns: { seq: 'topiq', batch100: 'topiq', conc1000: 'topiq', consume: 'topiq' } },
  // The same code path with the OpenTelemetry SDK registered as in production (otel-sdk.ts): tracing on vs `topiq` off.
  { name: 'topiq, OTel SDK', runner: 'node', patterns: { seq: 'topiq-otel', batch100: 'topiq-otel', conc1000: 'topiq-otel', consume: 'topiq-otel' } },
  // The same typed clients on the second transport (KAFKA_TRANSPORT=platformatic).
  { name: 'topiq on platformatic', runner: 'node', patterns: { seq: 'topiq-platformatic', batch100: 'topiq-platformatic', conc1000: 'topiq-platformatic', consume: 'topiq-platformatic' } },
  { name: 'topiq, lingerMs: 0', runner: 'node', patterns: { seq: 'topiq-linger0' } },
  { name: 'topiq, autoCommit: true', runner: 'node', patterns: { consume: 'topiq-autocommit' } },
  { name: 'topiq on platformatic, autoCommit: true', runner: 'node', patterns: { consume: 'topiq-platformatic-autocommit' } },
  { name: '@platformatic/kafka', runner: 'node', patterns: { seq: 'platformatic', batch100: 'platformatic', conc1000: 'platformatic', consume: 'platformatic' } },
  { name: 'confluent-kafka (librdkafka)', runner: 'python', patterns: { seq: 'confluent', batch100: 'confluent', conc1000: 'confluent', consume: 'confluent' } },
  { name: 'Java Producer/ConsumerPerformance', runner: 'java', patterns: { conc1000: 'java', consume: 'java' } },
]
const ALL_PATTERNS: readonly Pattern[] = ['seq', 'batch100', 'conc1000', 'consume']
const PATTERNS = ALL_PATTERNS.filter((p) => env['BENCH_PATTERNS'] === undefined || env['BENCH_PATTERNS'].split(',').includes(p))
const PATTERN_TITLE: Record<Pattern, string> = {
  seq: 'sequential single sends (await each; topiq: publish, linger on)',
  batch100: 'batches of 100 (topiq: publishBatch; confluent: produce ×100 + flush)',
  conc1000: '1000 concurrent single publishes (1000 callers each awaiting its own; Java: ProducerPerformance, async)',
  consume: 'consume from the beginning of a pre-filled topic (first message → N-th; raw kafkajs: eachBatch + JSON.parse)',
}
/** The rows compared by the tracing-cost lines: same client, OpenTelemetry SDK registered (on) or not (off). */
const TRACING = { on: 'topiq, OTel SDK', off: 'topiq' } as const

/**
 * BENCH_ONLY, a comma list: an entry selects every client whose name contains it (`topiq`: all topiq rows), or, as
 * `=name`, exactly the client of that name, which may itself contain commas (`=topiq,=topiq, OTel SDK`: the two
 * tracing rows only). An entry that selects nothing is an error, not a silently smaller run.
 */
function selectClients(list: string | undefined): readonly Client[] {
  if (list === undefined) return CLIENTS
  const norm = (s: string) => s.replace(/\s*,\s*/g, ', ').trim()
  const parts = list.split(',')
  const chosen = new Set<Client>()
  for (let i = 0; i < parts.length; i++) {
    const part = (parts[i] as string).trim()
    if (part === '') continue
    if (part.startsWith('=')) {
      let match: { client: Client; end: number } | undefined // the longest run of parts that names a client
      for (let j = i; j < parts.length; j++) {
        const name = norm(parts.slice(i, j + 1).join(',').trim().slice(1))
        const client = CLIENTS.find((c) => norm(c.name) === name)
        if (client !== undefined) match = { client, end: j }
      }
      if (match === undefined) throw new Error(`BENCH_ONLY: no client is named ${JSON.stringify(part.slice(1).trim())}; clients: ${CLIENTS.map((c) => c.name).join(' | ')}`)
      chosen.add(match.client)
      i = match.end
    } else {
      const matching = CLIENTS.filter((c) => c.name.includes(part))
      if (matching.length === 0) throw new Error(`BENCH_ONLY: no client name contains ${JSON.stringify(part)}; clients: ${CLIENTS.map((c) => c.name).join(' | ')}`)
      for (const c of matching) chosen.add(c)
    }
  }
  return CLIENTS.filter((c) => chosen.has(c))
}
const clients = selectClients(env['BENCH_ONLY'])

interface Measured {
  rate: number
  rssMiB: number
  /** `topiq, OTel SDK`: spans its SDK exported (warm-up included). */
  spans?: number
}

/** The spans a `topiq-otel` run must export: one `send` per publish (per publishBatch call), one `process` per record. */
function expectedSpans(pattern: Pattern, n: number, warmup: number): number {
  return pattern === 'batch100' ? Math.ceil(n / 100) + Math.ceil(warmup / 100) : n + warmup
}

/** Peak RSS of a child (VmHWM, polled: it is a high-water mark, so the last reading before exit is the peak). */
function peakRss(pid: number | undefined, into: { kib: number }): NodeJS.Timeout {
  return setInterval(() => {
    if (pid === undefined) return
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (m !== null) into.kib = Math.max(into.kib, Number(m[1]))
    } catch {
      // exited
    }
  }, 50)
}

function runChild(command: string, args: readonly string[], label: string): Promise<{ stdout: string; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, KAFKAJS_NO_PARTITIONER_WARNING: '1' } })
    const rss = { kib: 0 }
    const poll = peakRss(child.pid, rss)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearInterval(poll)
      clearTimeout(timer)
      if (code === 0) resolve({ stdout, rssMiB: rss.kib / 1024 })
      else reject(new Error(`${label} failed (exit ${String(code)}${signal === null ? '' : `, ${signal}`}):\n${stderr.slice(-3000)}`))
    })
  })
}

function lastJson(stdout: string): WorkerResult {
  const line = stdout.trim().split('\n').pop() ?? ''
  return JSON.parse(line) as WorkerResult
}

const prefixOf = (run: string, client: Client, pattern: Pattern): string =>
  pattern === 'consume' ? `b${run}-consume.` : `b${run}-${client.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${pattern}.`

interface Tools {
  python: string
  java: string
  classpath: string
  payloadFile: string
  brokers: string[]
  run: string
}

async function measure(tools: Tools, client: Client, pattern: Pattern): Promise<Measured> {
  const id = client.patterns[pattern] as string
  const prefix = prefixOf(tools.run, client, pattern)
  const cap = client.cap?.[pattern]
  const n = Math.min(SIZES[pattern], cap?.n ?? Infinity)
  const warmup = Math.min(WARMUP[pattern], cap?.warmup ?? Infinity)
  const spec: WorkerSpec = { client: id as WorkerSpec['client'], pattern, brokers: tools.brokers, prefix, n, warmup, rawSnappy: RAW_SNAPPY }
  if (client.runner === 'node') {
    const prof = env['BENCH_CPU_PROF']
    const flags = prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`, `--cpu-prof-name=${id}-${pattern}-${Date.now()}.cpuprofile`]
    const r = await runChild(process.execPath, ['--conditions=@topiq/source', ...flags, join(HERE, 'node-worker.ts'), JSON.stringify(spec)], `${client.name} ${pattern}`)
    const result = lastJson(r.stdout)
    if (id !== 'topiq-otel') return { rate: result.msgs / result.seconds, rssMiB: r.rssMiB }
    // Tracing on must have traced: a run whose SDK exported nothing would compare two tracing-off runs.
    const spans = result.spans ?? 0
    if (spans === 0) throw new Error(`${client.name} ${pattern}: the OpenTelemetry SDK exported 0 spans, so tracing was not on and the comparison would measure nothing`)
    if ((result.otelMetrics ?? 0) === 0) throw new Error(`${client.name} ${pattern}: no topiq metric reached the OpenTelemetry MeterProvider`)
    const expected = expectedSpans(pattern, n, warmup)
    if (spans !== expected) log(`warning: ${client.name} ${pattern} exported ${spans} spans, expected ${expected} (the BatchSpanProcessor drops spans beyond its queue of 2048)`)
    return { rate: result.msgs / result.seconds, rssMiB: r.rssMiB, spans }
  }
  if (client.runner === 'python') {
    const r = await runChild(tools.python, [join(ROOT, 'packages/bench/python/confluent_bench.py'), JSON.stringify(spec)], `${client.name} ${pattern}`)
    const result = lastJson(r.stdout)
    return { rate: result.msgs / result.seconds, rssMiB: r.rssMiB }
  }
  const topic = prefix + TOPIC
  if (pattern === 'consume') {
    const r = await runChild(
      tools.java,
      ['-cp', tools.classpath, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', tools.brokers.join(','), '--topic', topic, '--num-records', String(n), '--group', `bench-java-${Date.now()}`, '--timeout', '60000'],
      'ConsumerPerformance',
    )
    // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    const row = r.stdout.trim().split('\n').pop()?.split(',').map((s) => s.trim()) ?? []
    return { rate: Number(row[9]), rssMiB: r.rssMiB }
  }
  const records = 5 * n // the JVM needs a longer run to reach speed; its own rate over the whole run
  const r = await runChild(
    tools.java,
    [
      '-cp', tools.classpath, 'org.apache.kafka.tools.ProducerPerformance', '--bootstrap-server', tools.brokers.join(','), '--topic', topic,
      '--num-records', String(records), '--throughput', '-1', '--payload-file', tools.payloadFile,
      '--command-property', 'acks=all', 'enable.idempotence=true', 'compression.type=snappy',
    ],
    'ProducerPerformance',
  )
  const m = /(\d+) records sent, ([\d.]+) records\/sec/.exec(r.stdout.trim().split('\n').pop() ?? '')
  if (m === null) throw new Error(`ProducerPerformance printed no summary:\n${r.stdout.slice(-1000)}`)
  return { rate: Number(m[2]), rssMiB: r.rssMiB }
}

/** Records per record batch in a topic, read back with kafkajs (each record carries its batch as `batchContext`). */
async function recordsPerBatch(brokers: string[], topic: string): Promise<number> {
  const ends = await endOffsets(brokers, topic)
  const total = Object.values(ends).reduce((a, b) => a + b, 0)
  if (total === 0) return Number.NaN
  const consumer = rawKafka(brokers).consumer({ groupId: `bench-batches-${Date.now()}-${Math.random()}`, maxBytes: 50 * 1024 * 1024 })
  const batches = new Set<string>()
  let seen = 0
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen}/${total} records of ${topic}`)), 120_000)
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const context = (m as typeof m & { batchContext?: { firstOffset: string } }).batchContext
            batches.add(`${batch.partition}:${context?.firstOffset ?? m.offset}`)
            seen++
          }
          if (seen >= total) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
  } finally {
    await consumer.disconnect()
  }
  return seen / batches.size
}

async function kafkaToolsClasspath(): Promise<{ java: string; classpath: string }> {
  const cfg = stackConfig(env)
  await ensureRuntime(cfg, log, env) // the stack's Kafka jars (cached; downloaded once)
  const dir = join(cfg.cacheDir, `kafka-tools-${KAFKA_VERSION}`)
  const jar = join(dir, `kafka-tools-${KAFKA_VERSION}.jar`)
  if (!existsSync(jar)) {
    // Kafka's perf tools are not in kafka_2.13's dependencies: one more artifact into the same cache and Maven repo
    // (its own dependencies — argparse4j, jackson, kafka-clients — are the broker's, already in libs/).
    log(`fetching org.apache.kafka:kafka-tools:${KAFKA_VERSION} with Maven into ${dir}`)
    await promisify(execFile)(
      env['TOPIQ_STACK_MVN'] ?? 'mvn',
      ['-B', '-q', `-Dmaven.repo.local=${cfg.mavenRepo}`, 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy', `-Dartifact=org.apache.kafka:kafka-tools:${KAFKA_VERSION}`, `-DoutputDirectory=${dir}`],
      { cwd: cfg.cacheDir },
    )
  }
  return { java: findJava(cfg.java, env).path, classpath: `${dir}/*:${runtimePaths(cfg).kafkaLibDir}/*` }
}

/**
 * CPU seconds the dedicated broker has used (user + system, /proc; NaN elsewhere). Logged per run: the broker shares
 * the machine's cores with the client, so a client that makes it work harder (more commits) pays for it here.
 */
function brokerCpuSeconds(): number {
  const pid = broker?.pid()
  if (pid === undefined) return Number.NaN
  try {
    // Fields after the command name (which may hold spaces): utime and stime, fields 14 and 15, in USER_HZ (100 on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

// ---------------------------------------------------------------------------------------------------------------
const machine = `${cpus().length} vCPU (${cpus()[0]?.model.trim() ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, Kafka ${KAFKA_VERSION} single node`
log(`${machine}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
log(`rounds ${ROUNDS} after ${WARMUP_ROUNDS} warm-up round(s); events per run: ${PATTERNS.map((p) => `${p} ${SIZES[p]}`).join(', ')}; raw kafkajs snappy: ${RAW_SNAPPY}`)
const python = await promisify(execFile)('bash', [join(ROOT, 'scripts/python-env.sh')]).then((r) => r.stdout.trim())
const { java, classpath } = await kafkaToolsClasspath()
const dir = mkdtempSync(join(tmpdir(), 'topiq-bench-'))
// The local stack's broker flags (C1 only, serial GC) unless BENCH_BROKER_JVM_OPTS says otherwise. The broker shares
// the machine's two cores with the client measured: with the JVM's defaults (C2, G1) it kept compiling for minutes
// after its start, and a client that makes it work (a commit per half poll batch) paid for that on its own cores —
// broker CPU per consume run 0.23–0.50 s and 72–108k msg/s round to round, against 0.12–0.15 s and 117–125k with these.
const jvmOpts = env['BENCH_BROKER_JVM_OPTS'] ?? stackConfig({}).kafkaJvmOpts.join(' ')
log(`starting a dedicated broker on 127.0.0.1:${PORTS.kafka} (JVM ${jvmOpts}; data in ${dir})`)
let broker: TestBroker | undefined
const stop = async () => {
  await broker?.stop().catch(() => undefined)
  rmSync(dir, { recursive: true, force: true })
}
// Ctrl-C, or a SIGTERM from `timeout`/CI: stop the dedicated broker before exiting, never leave its JVM behind.
process.once('SIGINT', () => void stop().then(() => process.exit(130)))
process.once('SIGTERM', () => void stop().then(() => process.exit(143)))
try {
  broker = await startBroker({ ports: PORTS, dir: join(dir, 'broker'), env: { ...env, TOPIQ_KAFKA_JVM_OPTS: jvmOpts }, log })
  const brokers = [...broker.brokers]
  const run = Date.now().toString(36)
  // Every consume row reads the same pre-filled topic (prefixOf gives all clients one prefix for consume).
  const consumePrefix = prefixOf(run, CLIENTS[0] as Client, 'consume')
  const payloadFile = join(dir, 'payloads.txt')
  writeFileSync(payloadFile, `${Array.from({ length: 1000 }, (_, i) => JSON.stringify(benchmarkEvent(i))).join('\n')}\n`)
  const tools: Tools = { python, java, classpath, payloadFile, brokers, run }

  const prefixes = new Set<string>()
  for (const c of clients) for (const p of PATTERNS) if (c.patterns[p] !== undefined) prefixes.add(prefixOf(run, c, p))
  for (const prefix of prefixes) await createTestTopics(brokers, prefix, [TOPIC])
  log(`created ${prefixes.size} topics (3 partitions each)`)
  if (PATTERNS.includes('consume')) {
    // Each record carries a W3C traceparent, as the events of a traced producer do: the `topiq, OTel SDK` consumer
    // row pays for extracting it and for parenting and linking its `process` spans (the others carry it unread).
    log(`pre-filling the consume topic with ${SIZES.consume} events (topiq publishBatch of 500: 7 headers + traceparent, snappy)`)
    const producer = new KafkaProducerClient({ brokers, topicPrefix: consumePrefix, clientId: 'bench', logger: silentLogger, env: {} })
    for (let i = 0; i < SIZES.consume; i += 500) {
      const traceparent = `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`
      await producer.publishBatch(TOPIC, Array.from({ length: Math.min(500, SIZES.consume - i) }, (_, j) => benchmarkEvent(i + j)), { headers: { traceparent } })
    }
    await producer.close()
  }

  const results = new Map<string, Measured[]>() // `${client}|${pattern}`
  for (let round = -WARMUP_ROUNDS; round < ROUNDS; round++) {
    for (const pattern of PATTERNS) {
      const taking = clients.filter((c) => c.patterns[pattern] !== undefined)
      const order = taking.map((_, i) => taking[(((i + round) % taking.length) + taking.length) % taking.length] as Client)
      for (const client of order) {
        const cpuBefore = brokerCpuSeconds()
        const m = await measure(tools, client, pattern)
        const cpu = brokerCpuSeconds() - cpuBefore
        const key = `${client.name}|${pattern}`
        if (round >= 0) results.set(key, [...(results.get(key) ?? []), m])
        log(`${round < 0 ? `warm-up ${round + WARMUP_ROUNDS + 1}/${WARMUP_ROUNDS} (not counted)` : `round ${round + 1}/${ROUNDS}`} ${pattern.padEnd(8)} ${client.name.padEnd(34)} ${Math.round(m.rate).toString().padStart(7)} msg/s  RSS ${m.rssMiB.toFixed(0)} MiB  broker CPU ${cpu.toFixed(2)} s${m.spans === undefined ? '' : `  spans ${m.spans}`}  (load ${loadavg()[0]?.toFixed(2)})`)
      }
    }
  }

  log('reading every topic back to count records per batch')
  const perBatch = new Map<string, number>()
  for (const c of clients) {
    for (const p of PATTERNS) {
      if (c.patterns[p] === undefined || p === 'consume') continue
      perBatch.set(`${c.name}|${p}`, await recordsPerBatch(brokers, prefixOf(run, c, p) + TOPIC))
    }
  }
  const consumeBatches = PATTERNS.includes('consume') ? await recordsPerBatch(brokers, consumePrefix + TOPIC) : Number.NaN

  console.log(`\n${machine}; ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up, median msg/s; 1 KiB campaign.created.json events, acks=all, idempotent, snappy; load after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  console.log(`raw kafkajs uses ${RAW_SNAPPY === 'js' ? 'kafkajs-snappy (pure JS)' : "topiq's native snappy"}; topiq, @platformatic/kafka and confluent-kafka send the 7 CloudEvents headers topiq writes, raw kafkajs none unless said`)
  const medians = new Map<string, number>()
  for (const [key, ms] of results) medians.set(key, median(ms.map((m) => m.rate)))
  for (const pattern of PATTERNS) {
    const base = medians.get(`raw kafkajs|${pattern}`)
    console.log(`\n${PATTERN_TITLE[pattern]}, N=${SIZES[pattern]}${pattern === 'consume' ? `, records per batch in the topic: ${consumeBatches.toFixed(0)}` : ''}`)
    console.log(`| client | msg/s | vs raw kafkajs | rounds (min–max) | peak RSS MiB |${pattern === 'consume' ? '' : ' records/batch |'}`)
    console.log(`| --- | ---: | ---: | ---: | ---: |${pattern === 'consume' ? '' : ' ---: |'}`)
    for (const c of clients) {
      const ms = results.get(`${c.name}|${pattern}`)
      if (ms === undefined) continue
      const rate = medians.get(`${c.name}|${pattern}`) as number
      const rates = ms.map((m) => m.rate)
      const ratio = base === undefined ? '–' : `${(rate / base).toFixed(2)}×`
      const batch = pattern === 'consume' ? '' : ` ${perBatch.get(`${c.name}|${pattern}`)?.toFixed(1) ?? '–'} |`
      const capped = c.cap?.[pattern] === undefined ? '' : ` (N=${Math.min(SIZES[pattern], c.cap[pattern]?.n ?? Infinity)})`
      console.log(`| ${c.name}${capped} | ${Math.round(rate)} | ${ratio} | ${Math.round(Math.min(...rates))}–${Math.round(Math.max(...rates))} | ${median(ms.map((m) => m.rssMiB)).toFixed(0)} |${batch}`)
    }
  }
  const ratio = (a: string, b: string) => (medians.get(a) ?? Number.NaN) / (medians.get(b) ?? Number.NaN)
  console.log('\ntargets (medians):')
  console.log(`- 1000 concurrent: topiq / raw kafkajs = ${ratio('topiq|conc1000', 'raw kafkajs|conc1000').toFixed(2)}× (≥ 10×); topiq / confluent-kafka = ${ratio('topiq|conc1000', 'confluent-kafka (librdkafka)|conc1000').toFixed(2)}× (≥ 0.5×)`)
  console.log(`- batch 100: topiq / raw kafkajs with the same headers = ${ratio('topiq|batch100', 'raw kafkajs, 7 headers|batch100').toFixed(2)}× (≥ 0.95×); / raw kafkajs without = ${ratio('topiq|batch100', 'raw kafkajs|batch100').toFixed(2)}× (≥ 0.8×)`)
  console.log(`- consume: topiq (validating) / raw kafkajs eachBatch + JSON.parse = ${ratio('topiq|consume', 'raw kafkajs|consume').toFixed(2)}× (≥ 0.9×)`)
  console.log(`- sequential: topiq (linger on) / raw kafkajs = ${ratio('topiq|seq', 'raw kafkajs|seq').toFixed(2)}× (≥ 0.9×)`)
  const plt = 'topiq on platformatic'
  console.log(`- platformatic transport, consume: ${plt} / raw kafkajs eachBatch + JSON.parse = ${ratio(`${plt}|consume`, 'raw kafkajs|consume').toFixed(2)}× (≥ 1.3×)`)
  console.log(`- platformatic transport, batch 100: ${plt} / raw kafkajs with the same headers = ${ratio(`${plt}|batch100`, 'raw kafkajs, 7 headers|batch100').toFixed(2)}× (≥ 1.2×)`)
  console.log(`- platformatic transport, linger (1000 concurrent): ${plt} / topiq on kafkajs = ${ratio(`${plt}|conc1000`, 'topiq|conc1000').toFixed(2)}× (≥ 1×)`)
  const traced = PATTERNS.filter((p) => medians.has(`${TRACING.on}|${p}`) && medians.has(`${TRACING.off}|${p}`))
  if (traced.length > 0) {
    console.log(`\ntracing cost (medians; on: \`${TRACING.on}\`, SDK registered, BatchSpanProcessor and metric reader on discarding exporters; off: \`${TRACING.off}\`, no SDK):`)
    for (const p of traced) {
      const on = medians.get(`${TRACING.on}|${p}`) as number
      const off = medians.get(`${TRACING.off}|${p}`) as number
      const us = (1 / on - 1 / off) * 1e6
      const spans = (results.get(`${TRACING.on}|${p}`) ?? []).map((m) => m.spans ?? 0)
      const [low, high] = [Math.min(...spans), Math.max(...spans)]
      console.log(
        `- ${p}: OTel SDK on vs off: ${Math.round(on)} vs ${Math.round(off)} msg/s = ${(on / off).toFixed(2)}×, ${us < 0 ? '-' : '+'}${Math.abs(us).toFixed(Math.abs(us) < 10 ? 2 : 1)} µs per message (spans exported per run: ${low === high ? low : `${low}–${high}`})`,
      )
    }
  }
} finally {
  log('stopping the dedicated broker')
  await stop()
}
