import { randomBytes } from 'node:crypto'
import { isTopicName, validate } from '@topiq/contracts'
import {
  createTransport,
  decodeHeaders,
  decodeValue,
  isKafkaClientError,
  logicalTopic,
  missingTopics,
  physicalTopic,
  provisionTopics,
  topicPlan,
  topicsNotFound,
  translateKafkaError,
  type KafkaMessage,
  type Logger,
  type ProvisionResult,
  type ResolvedConnection,
  type TransportAdmin,
} from '@topiq/kafka-core'

export interface KafkaCommandContext {
  connection: ResolvedConnection
  prefix: string
  logger: Logger
}

async function withAdmin<T>(ctx: KafkaCommandContext, work: (admin: TransportAdmin) => Promise<T>, topic?: string): Promise<T> {
  const admin = (await createTransport(ctx.connection, ctx.logger, { retries: 2 })).admin()
  try {
    await admin.connect()
    return await work(admin)
  } catch (error) {
    throw translateKafkaError(error, { brokers: ctx.connection.brokers, brokerSource: ctx.connection.brokerSource, ...(topic === undefined ? {} : { topic }) })
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

export interface TopicRow {
  topic: string
  exists: boolean
  partitions: number | undefined
  plannedPartitions: number
  deadLetter: boolean
}

/** The Python guide's create-topics.sh: every topic in schemas/ plus its dead-letter topic. Idempotent. */
export async function topicsCreate(ctx: KafkaCommandContext): Promise<ProvisionResult> {
  return withAdmin(ctx, (admin) => provisionTopics(admin, topicPlan(ctx.prefix)))
}

export async function topicsList(ctx: KafkaCommandContext): Promise<TopicRow[]> {
  return withAdmin(ctx, async (admin) => {
    const plan = topicPlan(ctx.prefix)
    const existing = new Set(await admin.listTopics())
    const present = plan.filter((t) => existing.has(t.topic)).map((t) => t.topic)
    const metadata = present.length === 0 ? { topics: [] } : await admin.fetchTopicMetadata({ topics: present })
    const partitions = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]))
    return plan.map((t) => ({ topic: t.topic, exists: existing.has(t.topic), partitions: partitions.get(t.topic), plannedPartitions: t.numPartitions, deadLetter: t.deadLetter }))
  })
}

export interface LagRow {
  topic: string
  partition: number
  committed: string
  end: string
  lag: number
}

/** Per-partition committed offset, end offset and lag for a consumer group (the guide's "monitor consumer lag"). */
export async function groupLag(ctx: KafkaCommandContext, groupId: string, topics?: readonly string[]): Promise<LagRow[]> {
  return withAdmin(ctx, async (admin) => {
    const physical = topics?.map((t) => physicalTopic(ctx.prefix, t))
    const committed = await admin.fetchOffsets({ groupId, ...(physical === undefined ? {} : { topics: physical }) })
    const rows: LagRow[] = []
    for (const { topic, partitions } of committed) {
      const done = new Map(partitions.map((p) => [p.partition, p.offset]))
      // Every partition of the topic, also those the group never committed on (they count in full).
      for (const end of [...(await admin.fetchTopicOffsets(topic))].sort((a, b) => a.partition - b.partition)) {
        const offset = done.get(end.partition) ?? '-1'
        // -1 = nothing committed yet: with auto.offset.reset=earliest the whole retained range is still to read.
        const from = offset === '-1' ? BigInt(end.low) : BigInt(offset)
        rows.push({ topic: logicalTopic(ctx.prefix, topic), partition: end.partition, committed: offset, end: end.high, lag: Number(BigInt(end.high) - from) })
      }
    }
    return rows
  })
}

export interface TailedMessage {
  topic: string
  partition: number
  offset: string
  timestamp: string
  key: string | null
  headers: Record<string, string>
  format: 'json' | 'registry' | 'undecodable'
  schemaId?: number
  value: unknown
  valid: boolean
  problems: string[]
}

export interface TailOptions {
  topic: string
  group?: string
  fromBeginning: boolean
  /** Stop after this many messages. */
  max?: number
  /** Stop after this long without reaching `max` (ms). */
  timeoutMs?: number
  onMessage: (message: TailedMessage) => void
  signal?: AbortSignal
}

/** Prints decoded messages as they arrive; invalid ones are shown with their problems, never skipped. */
export async function tail(ctx: KafkaCommandContext, options: TailOptions): Promise<number> {
  const physical = physicalTopic(ctx.prefix, options.topic)
  const transport = await createTransport(ctx.connection, ctx.logger, { retries: 2 })
  const consumer = transport.consumer({
    // Without --group, a throwaway group that commits nothing, so tailing never moves anyone's offsets.
    groupId: options.group ?? `topiq-tail-${randomBytes(4).toString('hex')}`,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 500,
    partitionAssigners: ['range', 'roundrobin'],
  })
  let seen = 0
  const errorContext = { brokers: ctx.connection.brokers, brokerSource: ctx.connection.brokerSource, topic: physical }
  try {
    await consumer.connect()
    const admin = transport.admin()
    await admin.connect()
    const missing = await missingTopics(admin, [physical]).finally(() => admin.disconnect())
    if (missing.length > 0) throw topicsNotFound(missing, ctx.connection.brokers, { topicPrefix: ctx.prefix })
    await consumer.subscribe({ topics: [physical], fromBeginning: options.fromBeginning })
    await new Promise<void>((resolve, reject) => {
      const timer = options.timeoutMs === undefined ? undefined : setTimeout(resolve, options.timeoutMs)
      options.signal?.addEventListener('abort', () => resolve(), { once: true })
      consumer
        .run({
          autoCommit: false,
          partitionsConsumedConcurrently: 1,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
            let last: string | undefined
            for (const message of batch.messages) {
              if (options.max !== undefined && seen >= options.max) break
              seen += 1
              options.onMessage(tailed(ctx, batch.topic, batch.partition, message))
              resolveOffset(message.offset)
              last = message.offset
            }
            // With --group, what was shown is committed (the next tail of that group goes on from there).
            if (options.group !== undefined && last !== undefined) {
              const offset = (BigInt(last) + 1n).toString()
              await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }] })
            }
            if (options.max !== undefined && seen >= options.max) {
              clearTimeout(timer)
              resolve()
            }
          },
        })
        .catch(reject)
    })
    return seen
  } catch (error) {
    throw translateKafkaError(error, errorContext)
  } finally {
    await consumer.disconnect().catch(() => undefined)
  }
}

/** One record as `topiq tail` shows it: decoded and checked against its topic's contract. */
function tailed(ctx: KafkaCommandContext, topic: string, partition: number, message: KafkaMessage): TailedMessage {
  const logical = logicalTopic(ctx.prefix, topic)
  const out: TailedMessage = {
    topic: logical,
    partition,
    offset: message.offset,
    timestamp: message.timestamp,
    key: message.key?.toString('utf8') ?? null,
    headers: decodeHeaders(message.headers),
    format: 'undecodable',
    value: message.value?.toString('base64') ?? null,
    valid: false,
    problems: [],
  }
  try {
    const decoded = decodeValue(message.value)
    out.format = decoded.format
    if (decoded.format === 'registry') out.schemaId = decoded.schemaId
    out.value = decoded.value
    if (isTopicName(logical)) {
      const result = validate(logical, decoded.value)
      out.valid = result.ok
      if (!result.ok) out.problems = result.violations.map((v) => `${v.path} ${v.message}`)
    } else {
      out.problems = [`no schema for topic ${logical}: shown undecoded against any contract`]
    }
  } catch (error) {
    out.problems = [isKafkaClientError(error) ? error.message : String(error)]
  }
  return out
}
