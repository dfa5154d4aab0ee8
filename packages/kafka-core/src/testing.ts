// Helpers for integration tests against a real broker (the local stack). Not for production code.
import { randomBytes } from 'node:crypto'
import { Connection, NetworkError } from '@platformatic/kafka'
import { Kafka, logLevel, type Admin, type KafkaMessage } from 'kafkajs'
import type { EventMap, TopicName } from '@topiq/contracts'
import { registerCodecs } from './codecs.ts'
import { metricsRegistry } from './metrics.ts'
import { provisionTopics, topicPlan } from './topics.ts'
import { resolveConnection } from './config.ts'
import { silentLogger } from './logger.ts'
import type { TransportAdmin } from './transport.ts'
import { createTransport } from './transports.ts'

/**
 * An `env` option for clients under test: `extra` plus the KAFKA_TRANSPORT the vitest project runs with
 * (integration: kafkajs, integration-platformatic: platformatic), so a test that isolates its client from
 * `process.env` still runs on the project's transport.
 */
export function testEnv(extra: Readonly<Record<string, string | undefined>> = {}): Record<string, string | undefined> {
  return { KAFKA_TRANSPORT: process.env['KAFKA_TRANSPORT'], ...extra }
}

/** An admin of the transport under test (the project's KAFKA_TRANSPORT): the code under test, unlike withAdmin's. */
export async function withTransportAdmin<R>(brokers: readonly string[], use: (admin: TransportAdmin) => Promise<R>): Promise<R> {
  const admin = (await createTransport(resolveConnection({ brokers: [...brokers], env: testEnv() }), silentLogger)).admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect()
  }
}

/** A fresh topic prefix, so test files sharing one broker never see each other's messages. */
export function uniquePrefix(label: string): string {
  return `t-${label.replace(/[^a-z0-9-]/gi, '-')}-${randomBytes(4).toString('hex')}.`
}

/** A plain kafkajs client (never the code under test), quiet, with every codec registered. */
export function rawKafka(brokers: readonly string[]): Kafka {
  registerCodecs()
  return new Kafka({ clientId: 'topiq-test', brokers: [...brokers], logLevel: logLevel.NOTHING })
}

export async function withAdmin<R>(brokers: readonly string[], use: (admin: Admin) => Promise<R>): Promise<R> {
  const admin = rawKafka(brokers).admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect()
  }
}

/** Partition → log end offset (the offset the next message will get). */
export async function endOffsets(brokers: readonly string[], topic: string): Promise<Record<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic)
    return Object.fromEntries(offsets.map((p) => [p.partition, Number(p.high)]))
  })
}

/** Partition → committed offset of `groupId` on `topic` (-1 when nothing was committed). */
export async function committedOffsets(brokers: readonly string[], groupId: string, topic: string): Promise<Record<number, number>> {
  return withAdmin(brokers, async (admin) => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
  })
}

/** Creates the prefixed schema topics and their dead-letter topics. */
export async function createTestTopics(brokers: readonly string[], prefix: string, topics?: readonly TopicName[]): Promise<string[]> {
  return withAdmin(brokers, async (admin) => {
    const plan = topicPlan(prefix, topics)
    await provisionTopics(admin, plan)
    return plan.map((t) => t.topic)
  })
}

export async function deleteTestTopics(brokers: readonly string[], prefix: string): Promise<void> {
  await withAdmin(brokers, async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  })
}

export type ReadMessage = KafkaMessage & { topic: string; partition: number }

/** Reads `count` messages from the start of `topics` with a plain kafkajs consumer; rejects after `timeoutMs`. */
export async function readMessages(
  brokers: readonly string[],
  topics: readonly string[],
  count: number,
  timeoutMs = 20_000,
): Promise<ReadMessage[]> {
  const consumer = rawKafka(brokers).consumer({ groupId: `topiq-test-reader-${randomBytes(4).toString('hex')}` })
  const received: ReadMessage[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${received.length} of ${count} messages from ${topics.join(', ')} within ${timeoutMs} ms`)), timeoutMs)
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          received.push({ ...message, topic, partition })
          if (received.length >= count) {
            clearTimeout(timer)
            resolve()
          }
        },
      })
    })
    return received
  } finally {
    await consumer.disconnect()
  }
}

// Deterministic pseudo-random words: realistic text compresses about 2-3× with snappy, unlike a repeated filler
// character (which makes every message nearly free to compress and CRC, and so overstates fixed per-message costs).
const WORDS = 'campaign asset budget audience email social video banner launch summer spring review approved draft scheduled channel region market creative variant'.split(' ')
function text(seed: number, bytes: number): string {
  let x = seed * 2654435761 + 1
  let out = ''
  while (out.length < bytes) {
    x = (x * 1103515245 + 12345) >>> 0
    out += `${WORDS[x % WORDS.length]}${(x >>> 8) % 1000} `
  }
  return out.slice(0, bytes)
}

/** Event number `i` of the benchmarks: a valid campaign.created.json of about 1 KiB, keyed over 30 campaigns. */
export function benchmarkEvent(i: number): EventMap['campaign.created.json'] {
  return {
    campaign_id: `cmp-${i % 30}`,
    name: `Benchmark campaign ${i}`,
    created_at: new Date(Date.UTC(2024, 0, 15, 10, 0, i % 60)).toISOString(),
    created_by: `user-${i % 97}`,
    status: 'active',
    budget: { amount: 1000 + i, currency: 'EUR' },
    metadata: { channel: 'email', sequence: i, note: text(i, 760) },
  }
}

/**
 * Forgets every metric series and gauge observer of this process (`metricsText()` starts empty). Clients created
 * before keep recording into series that are no longer shown: create them after the reset.
 */
export function resetMetrics(): void {
  metricsRegistry.reset()
}

/**
 * Polls `check` every `intervalMs` until it returns something other than undefined or false, and resolves with it;
 * rejects after `timeoutMs`, naming `what`.
 */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

type SendArgs = [apiKey: number, apiVersion: number, createPayload: () => { buffer?: Buffer }, parser: unknown, reqTags: boolean, resTags: boolean, callback: (error: Error | null, response?: unknown) => void]

/**
 * Fault injection below @platformatic/kafka's retry logic: wraps Connection#send (shared by every connection of this
 * process) for the next `times` Produce requests (api key 0) whose payload contains `marker`.
 * - `lose-response`: the request reaches the broker and is written, the response is read and thrown away (kept in
 *   `lost`), and the client is told the connection closed (the "unknown outcome" of a produce request);
 * - `not-sent`: the request never leaves the process; the client is told the connection closed.
 * `restore()` puts Connection#send back.
 */
export function injectPlatformaticProduceFaults(mode: 'lose-response' | 'not-sent', marker: string, times: number) {
  const proto = Connection.prototype as unknown as { send: (this: Connection, ...args: SendArgs) => void }
  const original = proto.send
  const lost: unknown[] = []
  let left = times
  proto.send = function (this: Connection, ...args: SendArgs) {
    const [apiKey, , createPayload, , , , callback] = args
    if (apiKey === 0 && left > 0 && createPayload().buffer?.includes(marker) === true) {
      left--
      if (mode === 'not-sent') {
        setImmediate(() => callback(new NetworkError('Connection closed (injected: request not sent)')))
        return
      }
      args[6] = (_error, response) => {
        lost.push(response)
        callback(new NetworkError('Connection closed (injected: response lost)'))
      }
    }
    original.apply(this, args)
  }
  return {
    lost,
    get injected() {
      return times - left
    },
    restore: () => {
      proto.send = original
    },
  }
}
