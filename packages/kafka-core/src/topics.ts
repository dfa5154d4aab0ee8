import { TOPICS, topicMetadata, type TopicName } from '@topiq/contracts'
import type { Admin } from 'kafkajs'
import { KafkaClientError } from './errors.ts'

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
  replicationFactor: number
  configEntries: { name: string; value: string }[]
  /** The logical topic it belongs to; the dead-letter topic names its source. */
  of: TopicName
  deadLetter: boolean
}

/** Every topic in schemas/ with its partitions and config, plus its dead-letter topic. */
export function topicPlan(prefix = '', topics: readonly TopicName[] = TOPICS): TopicPlan[] {
  return topics.flatMap((of) => {
    const meta = topicMetadata[of]
    const configEntries = Object.entries(meta.config as Record<string, string>).map(([name, value]) => ({ name, value }))
    const base = { numPartitions: meta.partitions, replicationFactor: meta.replicationFactor, of }
    return [
      { ...base, topic: physicalTopic(prefix, of), configEntries, deadLetter: false },
      // Dead letters are kept as long as the broker's default retention allows; same partitions, so order per key holds.
      { ...base, topic: physicalTopic(prefix, meta.deadLetterTopic), configEntries: [], deadLetter: true },
    ]
  })
}

/** The topics of `topics` that do not exist on the cluster. */
export async function missingTopics(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics())
  return topics.filter((t) => !existing.has(t))
}

export interface ProvisionResult {
  created: string[]
  existing: string[]
}

/** Creates the planned topics that do not exist yet. Idempotent. */
export async function provisionTopics(admin: Admin, plan: readonly TopicPlan[]): Promise<ProvisionResult> {
  const existingTopics = new Set(await admin.listTopics())
  const missing = plan.filter((t) => !existingTopics.has(t.topic))
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(({ topic, numPartitions, replicationFactor, configEntries }) => ({ topic, numPartitions, replicationFactor, configEntries })),
    })
  }
  return {
    created: missing.map((t) => t.topic),
    existing: plan.filter((t) => existingTopics.has(t.topic)).map((t) => t.topic),
  }
}
