// One client, one pattern, one process (so RSS, GC and JIT belong to that client alone): started by compare.ts with
// a JSON spec as its only argument; prints one JSON line `{"msgs": n, "seconds": s}` on stdout (`topiq-otel`: with
// `spans` and `otelMetrics`, what the registered OpenTelemetry SDK recorded).
import { randomUUID } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import type { CampaignCreated } from '@topiq/contracts'
import { KafkaConsumerClient } from '@topiq/consumer'
import { CompressionTypes, loadSnappyBlocks, muteKafkajsTimeoutWarning, registerCodecs, silentLogger, type TransportName } from '@topiq/kafka-core'
import { benchmarkEvent } from '@topiq/kafka-core/testing'
import { buildHeaders, headerTemplate, KafkaProducerClient } from '@topiq/producer'
/// <reference path="./kafkajs-snappy.d.ts" />
import kafkajs, { Kafka, logLevel, Partitioners, type Message } from 'kafkajs'
import SnappyCodec from 'kafkajs-snappy'
import { TOPIC, type ProduceClient, type WorkerResult, type WorkerSpec } from './spec.ts'

const spec = JSON.parse(process.argv[2] ?? '{}') as WorkerSpec
muteKafkajsTimeoutWarning()
const physical = spec.prefix + TOPIC
const template = headerTemplate(TOPIC, 'bench')
// `topiq-otel`: topiq's own code path, with the OpenTelemetry SDK registered first (tracing on); `topiq` is tracing off.
const otel = spec.client === 'topiq-otel' ? (await import('./otel-sdk.ts')).registerOtelSdk() : undefined

/** A way to send: one event, or a batch of them; each resolves once acknowledged (acks=all). */
interface Sender {
  one(event: CampaignCreated): Promise<unknown>
  many(events: CampaignCreated[]): Promise<unknown>
  close(): Promise<void>
}

/** Raw kafkajs as its users set it up: kafkajs-snappy (pure JS, the codec kafkajs documents), or topiq's native one. */
function registerRawSnappy(): void {
  if (spec.rawSnappy === 'native') registerCodecs()
  else (kafkajs.CompressionCodecs as Record<number, unknown>)[CompressionTypes.Snappy] = SnappyCodec
}

async function kafkajsSender(withHeaders: boolean): Promise<Sender> {
  registerRawSnappy()
  const producer = new Kafka({ clientId: 'bench-kafkajs', brokers: spec.brokers, logLevel: logLevel.NOTHING }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 3 },
  })
  await producer.connect()
  const message = withHeaders
    ? (e: CampaignCreated): Message => ({ key: e.campaign_id, value: JSON.stringify(e), headers: buildHeaders(template, undefined) })
    : (e: CampaignCreated): Message => ({ key: e.campaign_id, value: JSON.stringify(e) })
  const base = { topic: physical, acks: -1, compression: CompressionTypes.Snappy }
  return {
    one: (e) => producer.send({ ...base, messages: [message(e)] }),
    many: (events) => producer.send({ ...base, messages: events.map(message) }),
    close: () => producer.disconnect(),
  }
}

async function topiqSender(lingerMs?: number, transport: TransportName = 'kafkajs'): Promise<Sender> {
  const client = new KafkaProducerClient({
    brokers: spec.brokers,
    clientId: 'bench',
    topicPrefix: spec.prefix,
    logger: silentLogger,
    env: {},
    transport,
    ...(lingerMs === undefined ? {} : { lingerMs }),
  })
  return {
    one: (e) => client.publish(TOPIC, e),
    many: (events) => client.publishBatch(TOPIC, events),
    close: () => client.close(),
  }
}

async function platformaticSender(): Promise<Sender> {
  const producer = new Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: spec.brokers,
    serializers: stringSerializers,
    idempotent: true,
    acks: -1,
    compression: 'snappy',
    autocreateTopics: false,
    retries: 3,
  })
  // The same seven standard headers topiq writes (same bytes on the wire).
  const message = (e: CampaignCreated) => ({ topic: physical, key: e.campaign_id, value: JSON.stringify(e), headers: buildHeaders(template, undefined) })
  return {
    one: (e) => producer.send({ messages: [message(e)] }),
    many: (events) => producer.send({ messages: events.map(message) }),
    close: () => producer.close(),
  }
}

function sender(client: ProduceClient): Promise<Sender> {
  switch (client) {
    case 'kafkajs':
      return kafkajsSender(false)
    case 'kafkajs+headers':
      return kafkajsSender(true)
    case 'topiq':
    case 'topiq-otel':
      return topiqSender()
    case 'topiq-linger0':
      return topiqSender(0)
    case 'topiq-platformatic':
      return topiqSender(undefined, 'platformatic')
    case 'platformatic':
      return platformaticSender()
  }
}

const eventsFrom = (from: number, count: number) => Array.from({ length: count }, (_, i) => benchmarkEvent(from + i))

/** The events through the pattern. */
async function runPattern(s: Sender, events: CampaignCreated[]): Promise<void> {
  if (spec.pattern === 'seq') {
    for (const e of events) await s.one(e)
  } else if (spec.pattern === 'batch100') {
    for (let i = 0; i < events.length; i += 100) await s.many(events.slice(i, i + 100))
  } else {
    // 1000 concurrent callers (a web server's request handlers), each awaiting its own publish before the next.
    let next = 0
    const caller = async () => {
      while (next < events.length) await s.one(events[next++] as CampaignCreated)
    }
    await Promise.all(Array.from({ length: Math.min(1000, events.length) }, caller))
  }
}

async function produce(client: ProduceClient): Promise<WorkerResult> {
  const s = await sender(client)
  try {
    await runPattern(s, eventsFrom(1_000_000, spec.warmup)) // connect, metadata, JIT: not timed
    const events = eventsFrom(0, spec.n) // made before the clock starts: building them is not the client's work
    const started = performance.now()
    await runPattern(s, events)
    return { msgs: spec.n, seconds: (performance.now() - started) / 1000 }
  } finally {
    await s.close()
  }
}

/** Resolves `{msgs, seconds}` from the first message seen to the n-th (group join not timed). */
function counter(n: number): { tick: () => void; done: Promise<WorkerResult> } {
  let seen = 0
  let first = 0
  let resolve!: (r: WorkerResult) => void
  const done = new Promise<WorkerResult>((r) => (resolve = r))
  return {
    tick: () => {
      if (seen === 0) first = performance.now()
      if (++seen === n) resolve({ msgs: n, seconds: (performance.now() - first) / 1000 })
    },
    done,
  }
}

async function consume(): Promise<WorkerResult> {
  const { tick, done } = counter(spec.n)
  let sink = 0
  const groupId = `bench-${spec.client}-${randomUUID()}`
  if (spec.client === 'kafkajs' || spec.client === 'kafkajs+parse') {
    registerRawSnappy()
    const consumer = new Kafka({ clientId: 'bench-kafkajs', brokers: spec.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId, maxWaitTimeInMs: 500 })
    await consumer.connect()
    await consumer.subscribe({ topics: [physical], fromBeginning: true })
    const parse = spec.client === 'kafkajs+parse'
    await consumer.run({
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        for (const message of batch.messages) {
          if (parse) sink += (JSON.parse(message.value?.toString() ?? 'null') as CampaignCreated).name.length
          tick()
          resolveOffset(message.offset)
        }
        await heartbeat()
      },
    })
    const result = await done
    await consumer.disconnect()
    return result
  }
  if (spec.client.startsWith('topiq')) {
    const consumer = new KafkaConsumerClient({
      ...(spec.client.endsWith('-autocommit') ? { autoCommit: true } : {}),
      transport: spec.client.startsWith('topiq-platformatic') ? 'platformatic' : 'kafkajs',
      topics: [TOPIC],
      groupId,
      brokers: spec.brokers,
      topicPrefix: spec.prefix,
      handleSignals: false,
      logger: silentLogger,
      env: {},
      messageHandler: (message) => {
        sink += message.value.name.length
        tick()
      },
    })
    await consumer.start({ blocking: false })
    const result = await done
    await consumer.stop()
    return result
  }
  const consumer = new Consumer({ clientId: 'bench-platformatic', groupId, bootstrapBrokers: spec.brokers, deserializers: stringDeserializers, maxWaitTime: 500 })
  const stream = await consumer.consume({ topics: [physical], mode: 'earliest', autocommit: true })
  stream.on('data', (message) => {
    sink += (JSON.parse(message.value) as CampaignCreated).name.length
    tick()
  })
  const result = await done
  await stream.close()
  await consumer.close()
  if (sink < 0) process.stderr.write('unreachable\n')
  return result
}

const result = spec.pattern === 'consume' ? await consume() : await produce(spec.client as ProduceClient)
const telemetry = otel === undefined ? {} : await otel.finish() // after the clock, and after the client closed
const snappy = spec.client.startsWith('kafkajs') ? spec.rawSnappy : spec.client.startsWith('topiq-platformatic') ? 'wasm' : spec.client.startsWith('topiq') ? loadSnappyBlocks().implementation : 'wasm'
process.stdout.write(`${JSON.stringify({ ...result, ...telemetry, snappy })}\n`)
