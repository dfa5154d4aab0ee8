import { describe, expect, it } from 'vitest'
import { effectiveConfigEntries, logicalTopic, physicalTopic, resolveReplicationFactor, resolveTopicPrefix, topicPlan } from './topics.ts'

describe('topic plan', () => {
  it('plans every schema topic and its dead-letter topic with the metadata partitions', () => {
    const plan = topicPlan()
    expect(plan.map((t) => t.topic)).toEqual([
      'asset.updated.json',
      'asset.updated-dlq.json',
      'campaign.created.json',
      'campaign.created-dlq.json',
      'campaign.updated.json',
      'campaign.updated-dlq.json',
    ])
    expect(plan.every((t) => t.numPartitions === 3)).toBe(true)
    // No schema sets x-kafka.replicationFactor: left to provisionTopics, which asks the cluster.
    for (const t of plan) expect(t).not.toHaveProperty('replicationFactor')
  })

  it('applies a prefix to physical names only', () => {
    expect(topicPlan('dev-a.', ['campaign.created.json']).map((t) => t.topic)).toEqual(['dev-a.campaign.created.json', 'dev-a.campaign.created-dlq.json'])
    expect(logicalTopic('dev-a.', physicalTopic('dev-a.', 'campaign.created.json'))).toBe('campaign.created.json')
    expect(resolveTopicPrefix(undefined, { KAFKA_TOPIC_PREFIX: 'ci-1.' })).toBe('ci-1.')
    expect(() => resolveTopicPrefix('bad prefix/', {})).toThrow(/may only contain/)
  })
})

describe('replication factor resolution', () => {
  it.each([
    [undefined, 1, 1],
    [undefined, 2, 2],
    [undefined, 3, 3],
    [undefined, 5, 3],
    [undefined, 0, 1], // never 0: the broker names the problem when there is no broker to place it on
    [1, 3, 1],
    [2, 5, 2],
    [5, 7, 5],
    [3, 1, 3], // explicit stays as given even when too large; provisionTopics reports that
  ])('explicit %j with %i broker(s) → %i', (explicit, brokers, rf) => {
    expect(resolveReplicationFactor(explicit, brokers)).toBe(rf)
  })

  it('lowers a min.insync.replicas above the replication factor to it, and leaves the rest alone', () => {
    const entries = [
      { name: 'min.insync.replicas', value: '2' },
      { name: 'retention.ms', value: '1000' },
    ]
    expect(effectiveConfigEntries(entries, 1)).toEqual([
      { name: 'min.insync.replicas', value: '1' },
      { name: 'retention.ms', value: '1000' },
    ])
    expect(effectiveConfigEntries(entries, 2)).toEqual(entries)
    expect(effectiveConfigEntries(entries, 3)).toEqual(entries)
  })
})
