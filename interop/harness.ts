// The topiq side of the interop cases: a KafkaConsumerClient run until its group's committed offsets reach the log
// end (or a bound), the dead letters it wrote, and the per-case counts every case records for the summary line.
import { appendFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { DLQ_HEADER, KafkaConsumerClient, type MessageOf } from '@topiq/consumer'
import { topicMetadata, type TopicName } from '@topiq/contracts'
import { silentLogger } from '@topiq/kafka-core'
import { committedOffsets, createTestTopics, endOffsets, readMessages, uniquePrefix, withAdmin, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { inject } from 'vitest'
import type { CaseResult } from './results.ts'

export { tally } from './results.ts'

export const { brokers, registryUrl } = connectionInfo()
export const CREATED = 'campaign.created.json' satisfies TopicName
/** The registry-framed topic (`x-kafka.framing: "registry"`). */
export const ASSET = 'asset.updated.json' satisfies TopicName
export type InteropTopic = typeof CREATED | typeof ASSET

export function recordCase(result: CaseResult): void {
  appendFileSync(inject('interopResults'), `${JSON.stringify(result)}\n`)
}

const prefixes = new Set<string>()

/** A fresh prefix with `logical` and its dead-letter topic created under it (deleted by deleteCreatedTopics()). */
export async function freshTopics(label: string, logical: InteropTopic = CREATED): Promise<{ prefix: string; topic: string; deadLetterTopic: string }> {
  const prefix = uniquePrefix(`interop-${label}`)
  prefixes.add(prefix)
  await createTestTopics(brokers, prefix, [logical])
  return { prefix, topic: prefix + logical, deadLetterTopic: prefix + topicMetadata[logical].deadLetterTopic }
}

/** afterAll: the shared broker keeps no topic of this file's cases. */
export async function deleteCreatedTopics(): Promise<void> {
  if (prefixes.size === 0) return
  await withAdmin(brokers, async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => [...prefixes].some((p) => t.startsWith(p)))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  })
  prefixes.clear()
}

export function groupId(label: string): string {
  return `interop-${label}-${randomBytes(4).toString('hex')}`
}

/** "partition:offset", the identity of a record within one topic. */
export const at = (partition: number, offset: number | string): string => `${partition}:${offset}`

export interface Stalled {
  partition: number
  committed: number
  end: number
}

/** Partitions of `topic` whose committed offset (for `group`) is short of the log end; empty partitions are fine. */
export async function stalledPartitions(group: string, topic: string): Promise<Stalled[]> {
  const [ends, committed] = await Promise.all([endOffsets(brokers, topic), committedOffsets(brokers, group, topic)])
  return Object.entries(ends)
    .map(([p, end]) => ({ partition: Number(p), end, committed: committed[Number(p)] ?? -1 }))
    .filter((s) => s.end > 0 && s.committed < s.end)
}

/** Polls until no partition is stalled or `timeoutMs` passes (or `giveUp()` says waiting is pointless). */
export async function waitDrained(group: string, topic: string, timeoutMs: number, giveUp: () => boolean = () => false): Promise<Stalled[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const stalled = await stalledPartitions(group, topic)
    if (stalled.length === 0 || Date.now() >= deadline || giveUp()) return stalled
    await new Promise((r) => setTimeout(r, 300))
  }
}

export type Handled = MessageOf<InteropTopic>

/** A topiq consumer of `topic` under `prefix` that records every message its handler sees. */
export function topiqConsumer(
  prefix: string,
  group: string,
  options: { topic?: InteropTopic; registry?: string; heartbeatIntervalMs?: number } = {},
): { consumer: KafkaConsumerClient<InteropTopic>; handled: Handled[] } {
  const handled: Handled[] = []
  const consumer = new KafkaConsumerClient<InteropTopic>({
    brokers,
    groupId: group,
    topicPrefix: prefix,
    topics: [options.topic ?? CREATED],
    messageHandler: (message) => {
      handled.push(message)
    },
    handleSignals: false,
    ...(options.heartbeatIntervalMs === undefined ? {} : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
    shutdownTimeoutMs: 10_000,
    logger: silentLogger,
    env: testEnv(),
    registry: options.registry ?? false,
  })
  return { consumer, handled }
}

/** Stops a consumer without letting a hung stop hang the case. */
export async function stopQuietly(consumer: { stop(): Promise<void> }, boundMs = 12_000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined
  const bound = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`stop() did not finish within ${boundMs} ms`), boundMs)))
  try {
    return await Promise.race([consumer.stop().then(() => undefined), bound])
  } catch (error) {
    return `stop() rejected: ${error instanceof Error ? error.message : String(error)}`
  } finally {
    clearTimeout(timer)
  }
}

export interface DeadLetter {
  partition: number
  offset: string
  code: string
  error: string
  value: Buffer | null
}

/** Everything in the dead-letter topic, mapped back to the original record. */
export async function deadLetters(topic: string): Promise<DeadLetter[]> {
  const count = Object.values(await endOffsets(brokers, topic)).reduce((a, b) => a + b, 0)
  if (count === 0) return []
  const header = (m: { headers?: Record<string, unknown> }, name: string): string => {
    const v = m.headers?.[name]
    return Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : ''
  }
  return (await readMessages(brokers, [topic], count)).map((m) => ({
    partition: Number(header(m, DLQ_HEADER.originalPartition)),
    offset: header(m, DLQ_HEADER.originalOffset),
    code: header(m, DLQ_HEADER.errorCode),
    error: header(m, DLQ_HEADER.error),
    value: m.value,
  }))
}

export function describeStalled(stalled: readonly Stalled[], topic: string): string[] {
  return stalled.map((s) => `${topic} partition ${s.partition}: committed ${s.committed}, log end ${s.end}`)
}
