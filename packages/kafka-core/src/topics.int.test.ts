// provisionTopics on real clusters: a topic whose schema sets no x-kafka.replicationFactor gets min(3, brokers)
// replicas — 3 on a DEDICATED 3-node KRaft cluster (own ports 39740–39748 and dir, never the shared stack), 1 on the
// shared single-broker stack; an explicit factor the cluster cannot place fails naming topic, factor and brokers.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigResourceTypes, type Admin } from 'kafkajs'
import { connectionInfo, startCluster, type TestCluster } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isKafkaClientError } from './errors.ts'
import { deleteTestTopics, uniquePrefix, withAdmin, withTransportAdmin } from './testing.ts'
import { provisionTopics, topicPlan, type TopicPlan } from './topics.ts'

const BASE_PORT = 39740
const dir = mkdtempSync(join(tmpdir(), 'topiq-topics-cluster-'))
let cluster: TestCluster | undefined

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, basePort: BASE_PORT, dir, log: (line) => console.info(`[topics-cluster] ${line}`) })
}, 180_000)

afterAll(async () => {
  await cluster?.stop()
  rmSync(dir, { recursive: true, force: true })
}, 90_000)

async function replicasPerPartition(admin: Admin, topic: string): Promise<number[]> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] })
  return (topics[0]?.partitions ?? []).map((p) => p.replicas.length)
}

async function topicConfig(admin: Admin, topic: string, name: string): Promise<string | undefined> {
  const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [name] }] })
  return resources[0]?.configEntries.find((e) => e.configName === name)?.configValue
}

/** provisionTopics with an explicit factor one more than `brokers`: rejected before anything is created. */
async function expectTooManyReplicas(brokers: readonly string[], count: number): Promise<void> {
  const prefix = uniquePrefix('topics-rf-too-high')
  const plan: TopicPlan[] = topicPlan(prefix, ['campaign.created.json']).map((t) => ({ ...t, replicationFactor: count + 1 }))
  const failure = await withTransportAdmin(brokers, (admin) => provisionTopics(admin, plan)).then(
    () => undefined,
    (error: unknown) => error,
  )
  expect(isKafkaClientError(failure, 'CONFIG_INVALID'), String(failure)).toBe(true)
  const message = (failure as Error).message
  expect(message).toContain(`"${prefix}campaign.created.json" wants replication factor ${count + 1}`)
  expect(message).toContain(`the cluster has ${count} live broker(s)`)
  expect(message).toContain('nothing was created')
  expect((await withAdmin(brokers, (admin) => admin.listTopics())).filter((t) => t.startsWith(prefix))).toEqual([])
}

describe('provisionTopics on a 3-broker cluster', () => {
  it('creates every schema topic and its dead-letter topic with 3 replicas, in sync', async () => {
    const brokers = cluster?.brokers ?? []
    const prefix = uniquePrefix('topics-rf3')
    const plan = topicPlan(prefix)
    const result = await withTransportAdmin(brokers, (admin) => provisionTopics(admin, plan))
    expect(result.brokers).toBe(3)
    expect(result.created).toEqual(plan.map((t) => t.topic))
    expect(Object.values(result.replicationFactor)).toEqual(plan.map(() => 3))
    await cluster?.waitInSync(result.created)
    await withAdmin(brokers, async (admin) => {
      for (const t of plan) expect(await replicasPerPartition(admin, t.topic), t.topic).toEqual(Array.from({ length: t.numPartitions }, () => 3))
    })
    // Idempotent: the second call creates nothing.
    const again = await withTransportAdmin(brokers, (admin) => provisionTopics(admin, plan))
    expect(again).toEqual({ created: [], existing: plan.map((t) => t.topic), brokers: 3, replicationFactor: {} })
  }, 60_000)

  it('keeps an explicit replication factor as given, and names topic, factor and brokers when it is too large', async () => {
    const brokers = cluster?.brokers ?? []
    const prefix = uniquePrefix('topics-rf2')
    const plan = topicPlan(prefix, ['asset.updated.json']).map((t) => ({ ...t, replicationFactor: 2 }))
    await withAdmin(brokers, async (admin) => {
      expect((await withTransportAdmin(brokers, (t) => provisionTopics(t, plan))).replicationFactor).toEqual(Object.fromEntries(plan.map((t) => [t.topic, 2])))
      for (const t of plan) expect(await replicasPerPartition(admin, t.topic)).toEqual([2, 2, 2])
    })
    await expectTooManyReplicas(brokers, 3)
  }, 60_000)
})

describe('provisionTopics on the shared single-broker stack', () => {
  const { brokers } = connectionInfo()
  const prefix = uniquePrefix('topics-rf1')
  afterAll(() => deleteTestTopics(brokers, prefix))

  it('creates the schema topics with 1 replica; a min.insync.replicas the schema sets is lowered to it', async () => {
    const plan = topicPlan(prefix).map((t) => (t.deadLetter ? t : { ...t, configEntries: [...t.configEntries, { name: 'min.insync.replicas', value: '2' }] }))
    await withAdmin(brokers, async (admin) => {
      const result = await withTransportAdmin(brokers, (t) => provisionTopics(t, plan))
      expect(result.brokers).toBe(1)
      expect(Object.values(result.replicationFactor)).toEqual(plan.map(() => 1))
      for (const t of plan) expect(await replicasPerPartition(admin, t.topic), t.topic).toEqual([1, 1, 1])
      expect(await topicConfig(admin, `${prefix}campaign.created.json`, 'min.insync.replicas')).toBe('1')
    })
  }, 60_000)

  it('refuses an explicit replication factor of 2, naming topic, factor and the one broker', async () => {
    await expectTooManyReplicas(brokers, 1)
  }, 30_000)
})
