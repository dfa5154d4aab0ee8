// The platformatic transport's admin: kafkajs' Admin answers (shapes, strings for offsets, '-1' where nothing is
// committed) from @platformatic/kafka's Admin. Retries are ours (platformatic's would retry an authentication failure);
// errors are normalised (errors.ts).
import { Admin, ListOffsetTimestamps, type ClusterMetadata } from '@platformatic/kafka'
import type { ResolvedConnection } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { CreateTopic, TopicMetadata, TopicOffsets, TopicPartitionOffsets, TransportAdmin, TransportOptions } from '../transport.ts'
import { baseOptions } from './connection.ts'
import { errorTree, isRetriable, normalizeError } from './errors.ts'

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const WAIT_FOR_LEADERS_MS = 30_000

export function platformaticAdmin(connection: ResolvedConnection, _logger: Logger, options: TransportOptions): TransportAdmin {
  const admin = new Admin({ ...baseOptions(connection, 0), autocreateTopics: false })
  const retries = options.retries ?? 3

  /** kafkajs' retrier as topiq configures it: 200 ms doubling, ±20 %, at most 5 s; errors normalised. */
  async function retrying<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call()
      } catch (error) {
        if (attempt >= retries || !isRetriable(error)) throw normalizeError(error)
        await sleep(Math.round(Math.min(5_000, 200 * 2 ** attempt) * (0.8 + Math.random() * 0.4)))
      }
    }
  }

  const metadata = (topics: string[], forceUpdate = true): Promise<ClusterMetadata> => retrying(() => admin.metadata({ topics, forceUpdate }))

  const partitionsOf = async (topic: string): Promise<number[]> => {
    const md = await metadata([topic])
    const count = md.topics.get(topic)?.partitionsCount ?? 0
    return Array.from({ length: count }, (_, i) => i)
  }

  async function waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + WAIT_FOR_LEADERS_MS
    for (;;) {
      const md = await admin.metadata({ topics, forceUpdate: true }).catch(() => undefined)
      const ready =
        md !== undefined &&
        topics.every((t) => {
          const meta = md.topics.get(t)
          return meta !== undefined && meta.partitionsCount > 0 && meta.partitions.every((p) => p !== undefined && p.leader >= 0)
        })
      if (ready) return
      if (Date.now() > deadline) throw normalizeError(new Error(`partitions of ${topics.join(', ')} have no leader after ${WAIT_FOR_LEADERS_MS} ms`))
      await sleep(100)
    }
  }

  async function createOne(topic: CreateTopic): Promise<boolean> {
    try {
      await retrying(() =>
        admin.createTopics({
          topics: [topic.topic],
          partitions: topic.numPartitions,
          replicas: topic.replicationFactor,
          configs: topic.configEntries.map((c) => ({ name: c.name, value: c.value })),
        }),
      )
      return true
    } catch (error) {
      // kafkajs: an existing topic is no error, createTopics resolves false.
      if (errorTree(error).some((e) => e.apiId === 'TOPIC_ALREADY_EXISTS' || (e as { type?: string }).type === 'TOPIC_ALREADY_EXISTS')) return false
      throw error
    }
  }

  return {
    async connect() {
      await metadata([])
    },
    async disconnect() {
      await admin.close()
    },
    listTopics: () => retrying(() => admin.listTopics({ includeInternals: true })),
    async describeCluster() {
      const md = await metadata([])
      return {
        brokers: [...md.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port })),
        controller: md.controllerId ?? null,
        clusterId: md.id,
      }
    },
    async createTopics({ topics, waitForLeaders: wait }) {
      const created = await Promise.all(topics.map(createOne))
      if (wait) await waitForLeaders(topics.map((t) => t.topic))
      return created.every(Boolean)
    },
    async deleteTopics({ topics }) {
      await retrying(() => admin.deleteTopics({ topics }))
    },
    async fetchTopicMetadata({ topics }) {
      const names = topics.length > 0 ? topics : await retrying(() => admin.listTopics({ includeInternals: false }))
      const md = await metadata(names)
      const out: TopicMetadata[] = names.map((name) => {
        const meta = md.topics.get(name)
        return {
          name,
          partitions: (meta?.partitions ?? []).map((p, partitionId) => ({
            partitionErrorCode: 0,
            partitionId,
            leader: p.leader,
            replicas: [...p.replicas],
            isr: [...p.isr],
            offlineReplicas: [...p.offlineReplicas],
          })),
        }
      })
      return { topics: out }
    },
    async fetchTopicOffsets(topic) {
      const partitions = await partitionsOf(topic)
      const list = (timestamp: bigint) =>
        retrying(() => admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] }))
      const [latest, earliest] = await Promise.all([list(ListOffsetTimestamps.LATEST), list(ListOffsetTimestamps.EARLIEST)])
      const low = new Map(earliest.flatMap((t) => t.partitions).map((p) => [p.partitionIndex, p.offset.toString()]))
      const out: TopicPartitionOffsets[] = latest
        .flatMap((t) => t.partitions)
        .map((p) => ({ partition: p.partitionIndex, offset: p.offset.toString(), high: p.offset.toString(), low: low.get(p.partitionIndex) ?? '0' }))
      return out.sort((a, b) => a.partition - b.partition)
    },
    async fetchOffsets({ groupId, topics }) {
      // kafkajs: with topics, every partition of each (metadata), '-1' where nothing is committed; without, only
      // what the group committed.
      const requested =
        topics === undefined ? null : await Promise.all(topics.map(async (name) => ({ name, partitionIndexes: await partitionsOf(name) })))
      const [group] = await retrying(() => admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: requested }] }))
      const out: (TopicOffsets & { partitions: { partition: number; offset: string; metadata: string | null }[] })[] = (group?.topics ?? []).map((t) => ({
        topic: t.name,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset.toString(), metadata: p.metadata === '' ? null : (p.metadata ?? null) }))
          .sort((a, b) => a.partition - b.partition),
      }))
      if (requested !== null) {
        // In the order asked for, as kafkajs.
        const byName = new Map(out.map((t) => [t.topic, t]))
        return requested.map(
          (r) =>
            byName.get(r.name) ?? { topic: r.name, partitions: r.partitionIndexes.map((partition) => ({ partition, offset: '-1', metadata: null })) },
        )
      }
      return out
    },
  }
}
