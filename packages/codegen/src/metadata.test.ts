import { describe, expect, it } from 'vitest'
import { readTopicMetadata } from './metadata.ts'

const base = {
  type: 'object',
  required: ['campaign_id'],
  properties: { campaign_id: { type: 'string' }, note: { type: 'string' }, tags: { type: 'array' } },
}

describe('x-kafka topic metadata', () => {
  it('applies defaults when the block is absent, leaving the replication factor to the cluster', () => {
    const metadata = readTopicMetadata('a.b.json', base)
    expect(metadata).not.toHaveProperty('replicationFactor')
    expect(metadata).toEqual({
      partitions: 3,
      key: null,
      compatibility: 'BACKWARD',
      framing: 'json',
      config: {},
    })
  })

  it('reads every field', () => {
    const schema = {
      ...base,
      'x-kafka': { partitions: 6, replicationFactor: 3, key: 'campaign_id', compatibility: 'FULL_TRANSITIVE', framing: 'registry', config: { 'retention.ms': '1000' } },
    }
    expect(readTopicMetadata('a.b.json', schema)).toEqual({
      partitions: 6,
      replicationFactor: 3,
      key: 'campaign_id',
      compatibility: 'FULL_TRANSITIVE',
      framing: 'registry',
      config: { 'retention.ms': '1000' },
    })
  })

  it.each([
    [{ partitions: 0 }, /partitions must be an integer ≥ 1, got 0/],
    [{ partitions: 1.5 }, /partitions must be an integer/],
    [{ replicationFactor: 0 }, /replicationFactor must be an integer ≥ 1, got 0/],
    [{ replicationFactor: 2.5 }, /replicationFactor must be an integer ≥ 1, got 2.5/],
    [{ replicationFactor: '3' }, /replicationFactor must be an integer ≥ 1, got "3"/],
    [
      { replicationFactor: 1, config: { 'min.insync.replicas': '2' } },
      /\.config\["min\.insync\.replicas"\] is 2, more than \.replicationFactor 1/,
    ],
    [{ compatibility: 'SIDEWAYS' }, /compatibility must be one of BACKWARD/],
    [{ key: 'note' }, /key names "note", which must be a required top-level property/],
    [{ key: 'missing' }, /key names "missing"/],
    [{ config: { 'retention.ms': 1000 } }, /config must be an object of string values/],
    [{ partition: 3 }, /unknown field "partition"/],
    [{ framing: 'avro' }, /^a\.b\.json: "x-kafka" \.framing must be one of "json", "registry" \(default "json"\), got "avro"/],
    [{ framing: true }, /\.framing must be one of "json", "registry".*got true/],
    ['three', /must be an object/],
  ])('rejects %j', (block, message) => {
    expect(() => readTopicMetadata('a.b.json', { ...base, 'x-kafka': block })).toThrow(message)
  })

  it('accepts min.insync.replicas up to an explicit replication factor, and any when the factor is left to the cluster', () => {
    const meta = (block: Record<string, unknown>) => readTopicMetadata('a.b.json', { ...base, 'x-kafka': block })
    expect(meta({ replicationFactor: 3, config: { 'min.insync.replicas': '2' } })).toMatchObject({ replicationFactor: 3 })
    expect(meta({ replicationFactor: 2, config: { 'min.insync.replicas': '2' } })).toMatchObject({ replicationFactor: 2 })
    expect(meta({ config: { 'min.insync.replicas': '2' } })).not.toHaveProperty('replicationFactor')
  })

  it('rejects a key property that cannot serve as a message key', () => {
    const schema = { ...base, required: ['tags'], 'x-kafka': { key: 'tags' } }
    expect(() => readTopicMetadata('a.b.json', schema)).toThrow(/must be of type string or integer/)
  })
})
