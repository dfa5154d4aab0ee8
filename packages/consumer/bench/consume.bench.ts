// Benchmark: `pnpm --filter @topiq/consumer bench [N]` (or BENCH_N=…, BENCH_ROUNDS=…, BENCH_COMPRESSION=snappy).
// Consumes the same N pre-produced ~1 KiB events (with the producer's CloudEvents headers) with raw kafkajs
// `eachBatch` and with the typed KafkaConsumerClient (decode + validation on, commits every maxPollRecords), each
// in a fresh consumer group, alternating the order over several rounds. Throughput is counted from the first
// message handled to the N-th, so group joins are not measured. See README "Benchmark".
import { cpus, loadavg, totalmem } from 'node:os'
import { performance } from 'node:perf_hooks'
import { randomUUID } from 'node:crypto'
import { validators } from '@topiq/contracts'
import { CompressionTypes, encodeJson, physicalTopic, silentLogger } from '@topiq/kafka-core'
import { benchmarkEvent, createTestTopics, deleteTestTopics, uniquePrefix } from '@topiq/kafka-core/testing'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { KafkaConsumerClient, type ConsumerSettings } from '@topiq/consumer'
import { standardHeaders } from '../src/fixtures/helpers.ts'

const N = Number(process.argv[2] ?? process.env['BENCH_N'] ?? 50_000)
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5)
const COMPRESSION = process.env['BENCH_COMPRESSION'] === 'snappy' ? CompressionTypes.Snappy : CompressionTypes.None
const brokers = (process.env['KAFKA_BROKER'] ?? '127.0.0.1:29092').split(',')
if (!Number.isInteger(N) || N < 100) throw new Error(`N must be an integer ≥ 100 (got ${N})`)
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`)

const prefix = uniquePrefix('consume-bench')
const topic = physicalTopic(prefix, 'campaign.created.json')
const kafka = new Kafka({ clientId: 'consume-bench', brokers, logLevel: logLevel.NOTHING })

async function preProduce(): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
  await producer.connect()
  let bytes = 0
  for (let i = 0; i < N; i += 500) {
    const messages = Array.from({ length: Math.min(500, N - i) }, (_, j) => {
      const event = benchmarkEvent(i + j)
      const value = encodeJson(event)
      bytes += value.length
      return { key: event.campaign_id, value, headers: standardHeaders('campaign.created.json') }
    })
    await producer.send({ topic, acks: -1, compression: COMPRESSION, messages })
    if ((i / 500) % 10 === 0) log(`produced ${i + messages.length}/${N}`)
  }
  await producer.disconnect()
  return bytes / N
}

interface Result {
  seconds: number
  perSecond: number
}

/** Calls `start` with a `tick` to call per message; resolves when N messages were seen, timed first → N-th. */
async function measure(start: (tick: () => void) => Promise<() => Promise<void>>): Promise<Result> {
  let seen = 0
  let first = 0
  let resolveDone!: () => void
  const done = new Promise<void>((resolve) => (resolveDone = resolve))
  let last = 0
  const stop = await start(() => {
    if (seen === 0) first = performance.now()
    if (++seen === N) {
      last = performance.now()
      resolveDone()
    }
  })
  const timer = setTimeout(() => log(`still waiting: ${seen}/${N}`), 60_000)
  await done
  clearTimeout(timer)
  await stop()
  const seconds = (last - first) / 1000
  return { seconds, perSecond: N / seconds }
}

type Path = 'raw' | 'raw+parse' | 'by hand' | 'typed' | 'typed, autoCommit'

const runners: Record<Path, (tick: () => void) => Promise<() => Promise<void>>> = {
  // Raw kafkajs eachBatch, the settings a hand-written consumer would use: default auto-commit after each batch.
  raw: async (tick) => {
    const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxWaitTimeInMs: 500 })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          tick()
          resolveOffset(message.offset)
        }
        await heartbeat()
      },
    })
    return () => consumer.disconnect()
  },
  // The same, plus JSON.parse of each value: the least any real consumer does with a message.
  'raw+parse': async (tick) => {
    const consumer = kafka.consumer({ groupId: `bench-raw-parse-${randomUUID()}`, maxWaitTimeInMs: 500 })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    let sink = 0
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          sink += (JSON.parse(message.value?.toString() ?? 'null') as { name: string }).name.length
          tick()
          resolveOffset(message.offset)
        }
        await heartbeat()
      },
    })
    return async () => {
      await consumer.disconnect()
      if (sink < 0) log('unreachable')
    }
  },
  // What the typed consumer does, written by hand on raw kafkajs: parse, validate with the same precompiled
  // validator, commit every 100 handled messages (awaited, as a hand-written at-least-once loop would).
  'by hand': async (tick) => {
    const consumer = kafka.consumer({ groupId: `bench-by-hand-${randomUUID()}`, maxWaitTimeInMs: 500 })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    const validator = validators['campaign.created.json']
    let sink = 0
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary }) => {
        let sinceCommit = 0
        const commit = (offset: string) =>
          commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(offset) + 1n).toString() }] }] })
        for (const message of batch.messages) {
          const value: unknown = JSON.parse(message.value?.toString() ?? 'null')
          if (!validator(value)) throw new Error('invalid')
          sink += value.name.length
          tick()
          resolveOffset(message.offset)
          if (++sinceCommit === 100) {
            sinceCommit = 0
            await commit(message.offset)
          }
        }
        const last = batch.messages[batch.messages.length - 1]
        if (sinceCommit > 0 && last !== undefined) await commit(last.offset)
        await heartbeat()
      },
    })
    return async () => {
      await consumer.disconnect()
      if (sink < 0) log('unreachable')
    }
  },
  // The typed consumer with its defaults: decode by magic byte, validate, typed message, handler, commit per 100.
  typed: (tick) => typedRunner(tick, {}),
  // The same with autoCommit: true: kafkajs commits the handled offsets once per fetched batch, as in `raw`.
  'typed, autoCommit': (tick) => typedRunner(tick, { autoCommit: true }),
}

async function typedRunner(tick: () => void, settings: ConsumerSettings): Promise<() => Promise<void>> {
  let sink = 0
  const consumer = new KafkaConsumerClient({
    topics: ['campaign.created.json'],
    groupId: `bench-typed-${randomUUID()}`,
    brokers,
    topicPrefix: prefix,
    handleSignals: false,
    logger: silentLogger,
    ...settings,
    messageHandler: (message) => {
      sink += message.value.name.length
      tick()
    },
  })
  await consumer.start({ blocking: false })
  return async () => {
    await consumer.stop()
    if (sink < 0) log('unreachable')
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}

log(`N=${N}, rounds=${ROUNDS}, compression=${COMPRESSION === CompressionTypes.None ? 'none' : 'snappy'}, brokers=${brokers.join(',')}`)
await createTestTopics(brokers, prefix, ['campaign.created.json'])
try {
  const avgBytes = await preProduce()
  log(`pre-produced ${N} events of ${avgBytes.toFixed(0)} B (value) + 7 CloudEvents headers to ${topic}`)
  const paths: Path[] = ['raw', 'raw+parse', 'by hand', 'typed', 'typed, autoCommit']
  const results: Record<Path, number[]> = { raw: [], 'raw+parse': [], 'by hand': [], typed: [], 'typed, autoCommit': [] }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? paths : [...paths].reverse()
    for (const path of order) {
      const load = loadavg()[0]?.toFixed(2)
      const r = await measure(runners[path])
      results[path].push(r.perSecond)
      log(`round ${round + 1} ${path.padEnd(17)} ${r.perSecond.toFixed(0).padStart(7)} msg/s (${r.seconds.toFixed(3)} s; load ${load})`)
    }
  }
  const raw = median(results.raw)
  const rawParse = median(results['raw+parse'])
  const byHand = median(results['by hand'])
  const typed = median(results.typed)
  const typedAuto = median(results['typed, autoCommit'])
  const machine = `${cpus().length} vCPU (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`
  console.log(`\nconsume ${N} × ~1 KiB events, median of ${ROUNDS} rounds (${machine}; load ${loadavg().map((l) => l.toFixed(2)).join(' ')})`)
  console.log('| path | msg/s | vs raw kafkajs eachBatch |')
  console.log('| --- | ---: | ---: |')
  console.log(`| raw kafkajs eachBatch (no decode) | ${raw.toFixed(0)} | 1.00× |`)
  console.log(`| raw kafkajs eachBatch + JSON.parse | ${rawParse.toFixed(0)} | ${(rawParse / raw).toFixed(2)}× |`)
  console.log(`| raw kafkajs eachBatch + JSON.parse + validate + commit per 100 (by hand) | ${byHand.toFixed(0)} | ${(byHand / raw).toFixed(2)}× |`)
  console.log(`| KafkaConsumerClient (decode + validate, commit per 100) | ${typed.toFixed(0)} | ${(typed / raw).toFixed(2)}× |`)
  console.log(`| KafkaConsumerClient, autoCommit: true (commit per fetched batch, as raw) | ${typedAuto.toFixed(0)} | ${(typedAuto / raw).toFixed(2)}× |`)
  console.log(
    `\ntyped / raw = ${(typed / raw).toFixed(2)}× (target ≥ 0.90×); typed / raw+JSON.parse = ${(typed / rawParse).toFixed(2)}×; ` +
      `typed / by hand = ${(typed / byHand).toFixed(2)}×; typed with autoCommit / raw+JSON.parse = ${(typedAuto / rawParse).toFixed(2)}×`,
  )
} finally {
  await deleteTestTopics(brokers, prefix)
}
