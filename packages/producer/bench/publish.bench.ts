// Benchmark: `pnpm --filter @topiq/producer bench [N]` (or BENCH_N=…, BENCH_ROUNDS=…, KAFKA_BROKER=…).
// Raw kafkajs vs `publish` / `publishBatch` on the local broker, same events, same producer settings
// (acks -1, idempotent, snappy, max 1 in-flight, murmur2 partitioner), batch 1 and 100; then the cost of
// validate + headers + serialize per event without the network. Prints a table; see README "Benchmark".
import { createRequire } from 'node:module'
import { cpus, loadavg, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { keyReader, validators, type CampaignCreated } from '@topiq/contracts'
import { CompressionTypes, registerSnappy, silentLogger } from '@topiq/kafka-core'
import { benchmarkEvent, createTestTopics, deleteTestTopics, uniquePrefix } from '@topiq/kafka-core/testing'
import { Kafka, Partitioners, logLevel, type Message, type Producer } from 'kafkajs'
import { buildHeaders, headerTemplate, KafkaProducerClient } from '@topiq/producer'

const TOPIC = 'campaign.created.json'
const N = Number(process.argv[2] ?? process.env['BENCH_N'] ?? 20_000)
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 2)
const WARMUP = Math.min(1_000, N)
const brokers = (process.env['KAFKA_BROKER'] ?? '127.0.0.1:29092').split(',')
if (!Number.isInteger(N) || N < 2_000 || N % 2_000 !== 0) throw new Error(`N must be a multiple of 2000 (got ${N})`)

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)

/** N distinct events of about 1 KiB of JSON each (30 keys spread over the partitions). */
function makeEvents(n: number): CampaignCreated[] {
  return Array.from({ length: n }, (_, i) => benchmarkEvent(i))
}

type Path = 'raw' | 'raw+headers' | 'publish'
const PATHS: readonly Path[] = ['raw', 'raw+headers', 'publish']
interface Runner {
  send1(event: CampaignCreated): Promise<unknown>
  send100(events: CampaignCreated[]): Promise<unknown>
}

function rawRunner(producer: Producer, topic: string, withHeaders: boolean): Runner {
  // What a hand-written kafkajs producer does: key + JSON value, no validation; `raw+headers` also attaches the
  // same seven standard headers publish sends (same bytes on the wire), `raw` sends none.
  const template = headerTemplate(TOPIC, 'bench')
  const message = withHeaders
    ? (e: CampaignCreated): Message => ({ key: e.campaign_id, value: JSON.stringify(e), headers: buildHeaders(template, undefined) })
    : (e: CampaignCreated): Message => ({ key: e.campaign_id, value: JSON.stringify(e) })
  const base = { topic, acks: -1, compression: CompressionTypes.Snappy }
  return {
    send1: (e) => producer.send({ ...base, messages: [message(e)] }),
    send100: (events) => producer.send({ ...base, messages: events.map(message) }),
  }
}

function publishRunner(client: KafkaProducerClient): Runner {
  return {
    send1: (e) => client.publish(TOPIC, e),
    send100: (events) => client.publishBatch(TOPIC, events),
  }
}

async function timed(runner: Runner, events: CampaignCreated[], batch: 1 | 100): Promise<number> {
  const started = performance.now()
  if (batch === 1) for (const e of events) await runner.send1(e)
  else for (let i = 0; i < events.length; i += 100) await runner.send100(events.slice(i, i + 100))
  return performance.now() - started
}

/** µs per event of the work publish adds before the network (no broker involved). */
function cpuCost(events: CampaignCreated[]): Record<string, number> {
  const validate = validators[TOPIC]
  const keyOfEvent = keyReader(TOPIC) // looked up once per topic, as publish does
  const template = headerTemplate(TOPIC, 'bench')
  const measure = (fn: (e: CampaignCreated) => unknown): number => {
    for (let r = 0; r < 2; r++) for (const e of events) fn(e) // warm-up (JIT)
    const started = performance.now()
    let sink = 0
    for (let r = 0; r < 5; r++) for (const e of events) sink += fn(e) === undefined ? 0 : 1
    if (sink < 0) log('unreachable')
    return ((performance.now() - started) * 1000) / (events.length * 5)
  }
  return {
    'raw: JSON.stringify': measure((e) => JSON.stringify(e)),
    'validate (precompiled ajv)': measure((e) => validate(e)),
    'key + headers (UUID, time)': measure((e) => buildHeaders(template, undefined) && keyOfEvent(e)),
    'publish pre-network total (validate + key + headers + JSON.stringify)': measure(
      (e) => validate(e) && keyOfEvent(e) !== null && buildHeaders(template, undefined) && JSON.stringify(e),
    ),
  }
}

type EncodeRequest = (args: {
  acks: number
  timeout: number
  compression: number
  topicData: { topic: string; partitions: { partition: number; firstSequence: number; messages: Message[] }[] }[]
}) => { encode(): Promise<Buffer> }

/**
 * Where the time of a message with headers goes inside kafkajs: its own produce-request encoder (an internal module,
 * loaded here only to measure), once with bare messages and once with the seven standard headers.
 */
async function kafkajsEncodeCost(sample: CampaignCreated[]): Promise<Record<string, number>> {
  const encodeRequest = createRequire(import.meta.url)('kafkajs/src/protocol/requests/produce/v3/request.js') as EncodeRequest
  const template = headerTemplate(TOPIC, 'bench')
  const measure = async (withHeaders: boolean): Promise<number> => {
    const messages: Message[] = sample.map((e) => ({ key: e.campaign_id, value: JSON.stringify(e), ...(withHeaders ? { headers: buildHeaders(template, undefined) } : {}) }))
    const once = () => encodeRequest({ acks: -1, timeout: 30_000, compression: 0, topicData: [{ topic: TOPIC, partitions: [{ partition: 0, firstSequence: 0, messages }] }] }).encode()
    for (let i = 0; i < 50; i++) await once()
    const started = performance.now()
    for (let i = 0; i < 300; i++) await once()
    return ((performance.now() - started) * 1000) / (300 * messages.length)
  }
  return { 'bare (key + JSON value)': await measure(false), 'with the 7 standard headers': await measure(true) }
}

const prefix = uniquePrefix('bench')
log(`N=${N} events of ~${Buffer.byteLength(JSON.stringify(makeEvents(1)[0]))} B, ${ROUNDS} passes, brokers ${brokers.join(',')}, topic ${prefix}${TOPIC}`)
log(`machine: ${cpus().length} vCPU (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
await createTestTopics(brokers, prefix, [TOPIC])
registerSnappy()
const raw = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING }).producer({
  idempotent: true,
  maxInFlightRequests: 1,
  allowAutoTopicCreation: false,
  createPartitioner: Partitioners.DefaultPartitioner,
  retry: { retries: 3 },
})
const client = new KafkaProducerClient({ brokers, clientId: 'bench-publish', topicPrefix: prefix, logger: silentLogger, env: {} })
const events = makeEvents(N)
// Per batch size and path: total ms, and the rate of every chunk (to show the spread).
const totals: Record<string, Record<Path, { ms: number; chunkRates: number[] }>> = {}
try {
  await raw.connect()
  const runners: Record<Path, Runner> = { raw: rawRunner(raw, prefix + TOPIC, false), 'raw+headers': rawRunner(raw, prefix + TOPIC, true), publish: publishRunner(client) }
  for (const path of PATHS) {
    await timed(runners[path], events.slice(0, WARMUP), 1)
    await timed(runners[path], events.slice(0, WARMUP), 100)
  }
  // Fine-grained interleaving: every chunk of events goes through all three paths back to back, in rotating order,
  // so load from other processes on this shared 2-core machine (and broker drift) hits every path alike.
  for (const batch of [100, 1] as const) {
    const chunk = batch === 100 ? 2_000 : 200
    const fresh = (): { ms: number; chunkRates: number[] } => ({ ms: 0, chunkRates: [] })
    const perPath: Record<Path, { ms: number; chunkRates: number[] }> = { raw: fresh(), 'raw+headers': fresh(), publish: fresh() }
    totals[String(batch)] = perPath
    let turn = 0
    for (let round = 0; round < ROUNDS; round++) {
      for (let start = 0; start < N; start += chunk) {
        const slice = events.slice(start, start + chunk)
        const order = PATHS.map((_, i) => PATHS[(i + turn) % PATHS.length] as Path)
        turn++
        for (const path of order) {
          const ms = await timed(runners[path], slice, batch)
          perPath[path].ms += ms
          perPath[path].chunkRates.push(slice.length / (ms / 1000))
        }
      }
      const rate = (path: Path) => Math.round((perPath[path].chunkRates.length * chunk) / (perPath[path].ms / 1000))
      log(`batch ${batch}, pass ${round + 1}/${ROUNDS}: raw ${rate('raw')}, raw+headers ${rate('raw+headers')}, publish ${rate('publish')} msg/s so far`)
    }
  }
} finally {
  await raw.disconnect()
  await client.close()
  await deleteTestTopics(brokers, prefix).catch(() => undefined)
}

function quartiles(values: number[]): string {
  const s = [...values].sort((a, b) => a - b)
  const at = (q: number) => (s[Math.min(s.length - 1, Math.floor(q * s.length))] as number).toFixed(2)
  return `${at(0.25)}–${at(0.75)}`
}
const rows = (['100', '1'] as const).map((batch) => {
  const r = totals[batch] as Record<Path, { ms: number; chunkRates: number[] }>
  const n = ROUNDS * N
  const rate = (path: Path) => n / (r[path].ms / 1000)
  // Per-chunk ratios pair measurements taken back to back, under the same load.
  const chunkRatios = (base: Path) => r.publish.chunkRates.map((p, i) => p / (r[base].chunkRates[i] as number))
  return {
    batch,
    raw: rate('raw'),
    rawHeaders: rate('raw+headers'),
    publish: rate('publish'),
    vsSame: `${(rate('publish') / rate('raw+headers')).toFixed(3)} (IQR ${quartiles(chunkRatios('raw+headers'))})`,
    vsBare: `${(rate('publish') / rate('raw')).toFixed(3)} (IQR ${quartiles(chunkRatios('raw'))})`,
  }
})
console.log(`\nthroughput, ${ROUNDS} × ${N} events of ~1 KiB per path (acks -1, idempotent, snappy), paths interleaved per chunk`)
console.log('| batch | raw msg/s | raw+headers msg/s | publish msg/s | publish / raw+headers | publish / raw |')
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |')
for (const row of rows) {
  console.log(`| ${row.batch} | ${Math.round(row.raw)} | ${Math.round(row.rawHeaders)} | ${Math.round(row.publish)} | ${row.vsSame} | ${row.vsBare} |`)
}
console.log(`\nCPU cost per event before the network (µs, ${Math.min(N, 5_000)} events × 5, no broker)`)
console.log('| step | µs/event |')
console.log('| --- | ---: |')
for (const [step, us] of Object.entries(cpuCost(events.slice(0, 5_000)))) console.log(`| ${step} | ${us.toFixed(2)} |`)
console.log(`\nkafkajs produce-request encoding alone (no network, no compression), µs per message, batches of 100`)
console.log('| message | µs/message |')
console.log('| --- | ---: |')
for (const [label, us] of Object.entries(await kafkajsEncodeCost(events.slice(0, 100)))) console.log(`| ${label} | ${us.toFixed(2)} |`)
console.log(`\nload average after the run: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
