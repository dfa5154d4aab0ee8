import { TOPICS, topicMetadata, type TopicName } from '@topiq/contracts'
import { KafkaClientError } from './errors.ts'
import type { TransportAdmin } from './transport.ts'

/**
 * An optional prefix put in front of every physical topic name (`KAFKA_TOPIC_PREFIX`), so several environments,
 * developers or test runs can share one cluster. Logical names (what the types know) never carry it.
 */
export function resolveTopicPrefix(option: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const prefix = option ?? env['KAFKA_TOPIC_PREFIX'] ?? ''
  if (!/^[A-Za-z0-9._-]*$/.test(prefix)) {
    throw new KafkaClientError('CONFIG_INVALID', `topic prefix "${prefix}" may only contain letters, digits, ".", "_" and "-"`)
  }
  return prefix
}

export function physicalTopic(prefix: string, topic: string): string {
  return prefix + topic
}

export function logicalTopic(prefix: string, physical: string): string {
  return prefix !== '' && physical.startsWith(prefix) ? physical.slice(prefix.length) : physical
}

export interface TopicPlan {
  topic: string
  numPartitions: number
  /** The schema's `x-kafka.replicationFactor`; absent: resolved from the cluster by provisionTopics. */
  replicationFactor?: number
  configEntries: { name: string; value: string }[]
  /** The logical topic it belongs to; the dead-letter topic names its source. */
  of: TopicName
  deadLetter: boolean
}

/** What topicPlan reads of a topic's generated metadata; `replicationFactor` only when the schema sets it. */
interface PlannedMetadata {
  partitions: number
  replicationFactor?: number
  config: Readonly<Record<string, string>>
  deadLetterTopic: string
}

/**
 * Every topic in schemas/ with its partitions and config, plus its dead-letter topic (same replication factor).
 * Sets no `min.insync.replicas` of its own: only what the schema's `x-kafka.config` says, else the broker's default.
 */
export function topicPlan(prefix = '', topics: readonly TopicName[] = TOPICS): TopicPlan[] {
  return topics.flatMap((of) => {
    const meta: PlannedMetadata = topicMetadata[of]
    const configEntries = Object.entries(meta.config).map(([name, value]) => ({ name, value }))
    const base = { numPartitions: meta.partitions, ...(meta.replicationFactor === undefined ? {} : { replicationFactor: meta.replicationFactor }), of }
    return [
      { ...base, topic: physicalTopic(prefix, of), configEntries, deadLetter: false },
      // Dead letters are kept as long as the broker's default retention allows; same partitions, so order per key holds.
      { ...base, topic: physicalTopic(prefix, meta.deadLetterTopic), configEntries: [], deadLetter: true },
    ]
  })
}

/** The topics of `topics` that do not exist on the cluster. */
export async function missingTopics(admin: Pick<TransportAdmin, 'listTopics'>, topics: readonly string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics())
  return topics.filter((t) => !existing.has(t))
}

/**
 * Replicas of a topic whose schema sets no `x-kafka.replicationFactor`: Kafka's production choice of 3, so losing a
 * broker neither stops the topic nor loses acknowledged data, capped at what the cluster can place.
 */
export const DEFAULT_MAX_REPLICATION_FACTOR = 3

/** An explicit replication factor as given; an unset one as many as `brokers` allows, up to 3. */
export function resolveReplicationFactor(explicit: number | undefined, brokers: number): number {
  return explicit ?? Math.max(1, Math.min(DEFAULT_MAX_REPLICATION_FACTOR, brokers))
}

/**
 * The topic configs to create with: a `min.insync.replicas` above a *resolved* replication factor is lowered to it
 * (a schema asking for min ISR 2 still creates on a one-broker dev stack, where acks=all could otherwise never be
 * acknowledged on brokers before Kafka 4); the schema's value applies wherever the cluster has that many replicas.
 * An explicit factor is never combined with a larger min ISR: codegen rejects that schema.
 */
export function effectiveConfigEntries(
  configEntries: readonly { name: string; value: string }[],
  replicationFactor: number,
): { name: string; value: string }[] {
  return configEntries.map((e) =>
    e.name === 'min.insync.replicas' && Number(e.value) > replicationFactor ? { name: e.name, value: String(replicationFactor) } : { ...e },
  )
}

export interface ProvisionResult {
  created: string[]
  existing: string[]
  /** Live brokers the cluster reported; unset replication factors were resolved from this. */
  brokers: number
  /** Created topic → its replication factor. */
  replicationFactor: Record<string, number>
}

/**
 * Creates the planned topics that do not exist yet. Idempotent. An unset replication factor becomes min(3, live
 * brokers) — counted once per call (describeCluster), so a run during a broker outage creates fewer replicas. An
 * explicit one larger than the live brokers fails before anything is created, naming topic, factor and brokers.
 */
export async function provisionTopics(admin: Pick<TransportAdmin, 'listTopics' | 'describeCluster' | 'createTopics'>, plan: readonly TopicPlan[]): Promise<ProvisionResult> {
  const [listed, cluster] = await Promise.all([admin.listTopics(), admin.describeCluster()])
  const existingTopics = new Set(listed)
  const missing = plan.filter((t) => !existingTopics.has(t.topic))
  const existing = plan.filter((t) => existingTopics.has(t.topic)).map((t) => t.topic)
  const brokers = cluster.brokers.length
  if (missing.length === 0) return { created: [], existing, brokers, replicationFactor: {} }

  const topics = missing.map((t) => {
    const replicationFactor = resolveReplicationFactor(t.replicationFactor, brokers)
    return { topic: t.topic, numPartitions: t.numPartitions, replicationFactor, configEntries: effectiveConfigEntries(t.configEntries, replicationFactor) }
  })
  const tooMany = topics.filter((t) => t.replicationFactor > brokers)
  if (tooMany.length > 0) {
    const names = tooMany.map((t) => `"${t.topic}" wants replication factor ${t.replicationFactor}`).join(', ')
    throw new KafkaClientError(
      'CONFIG_INVALID',
      `cannot create topics: ${names}, but the cluster has ${brokers} live broker(s); nothing was created. ` +
        'Lower x-kafka.replicationFactor in the schema (or leave it unset: min(3, brokers)), or start the missing brokers.',
      { ...(tooMany[0] === undefined ? {} : { topic: tooMany[0].topic }) },
    )
  }
  await admin.createTopics({ waitForLeaders: true, topics })
  return {
    created: topics.map((t) => t.topic),
    existing,
    brokers,
    replicationFactor: Object.fromEntries(topics.map((t) => [t.topic, t.replicationFactor])),
  }
}
