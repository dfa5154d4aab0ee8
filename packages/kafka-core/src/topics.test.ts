import { describe, expect, it } from 'vitest'
import { logicalTopic, physicalTopic, resolveTopicPrefix, topicPlan } from './topics.ts'

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
    expect(plan.every((t) => t.numPartitions === 3 && t.replicationFactor === 1)).toBe(true)
  })

  it('applies a prefix to physical names only', () => {
    expect(topicPlan('dev-a.', ['campaign.created.json']).map((t) => t.topic)).toEqual(['dev-a.campaign.created.json', 'dev-a.campaign.created-dlq.json'])
    expect(logicalTopic('dev-a.', physicalTopic('dev-a.', 'campaign.created.json'))).toBe('campaign.created.json')
    expect(resolveTopicPrefix(undefined, { KAFKA_TOPIC_PREFIX: 'ci-1.' })).toBe('ci-1.')
    expect(() => resolveTopicPrefix('bad prefix/', {})).toThrow(/may only contain/)
  })
})
