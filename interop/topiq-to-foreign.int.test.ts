// Our typed producer → foreign consumers, on the real broker: confluent-kafka and kafka-python read what topiq
// publishes — plain JSON (campaign.created.json) and registry-framed values (asset.updated.json, whose contract says
// `framing: registry`; confluent's JSONDeserializer resolves the schema id at the registry) — with the producer's
// default snappy compression, our key, and our ce_* headers visible.
import { silentLogger } from '@topiq/kafka-core'
import { KafkaProducerClient } from '@topiq/producer'
import { afterAll, describe, expect, it } from 'vitest'
import { ASSET, at, brokers, CREATED, deleteCreatedTopics, describeStalled, freshTopics, groupId, recordCase, registryUrl, stalledPartitions, type InteropTopic } from './harness.ts'
import { CLIENT_NAME, PYTHON_CLIENTS, Peer, killPeers, type PythonClient } from './peers.ts'
import { testEnv } from '@topiq/kafka-core/testing'

afterAll(async () => {
  killPeers()
  await deleteCreatedTopics()
})

const COUNT = 6
const events = {
  [CREATED]: (i: number) => ({ campaign_id: `c-${i}`, name: `Interop ${i}`, created_at: '2024-01-15T10:00:00Z' }),
  [ASSET]: (i: number) => ({ asset_id: `a-${i}`, version: i + 1, updated_at: '2024-01-15T10:00:00Z' }),
}

async function topiqToForeign(client: PythonClient, topicName: InteropTopic): Promise<void> {
  const framing = topicName === ASSET ? 'registry' : 'plain'
  const name = `topiq → ${CLIENT_NAME[client]}: ${framing} (${topicName})`
  const { prefix, topic } = await freshTopics(`to-${client}-${framing}`, topicName)
  await using producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, registry: registryUrl, logger: silentLogger, env: testEnv() })
  const published = new Map<string, { eventId: string; value: Record<string, unknown>; key: string }>()
  for (let i = 0; i < COUNT; i++) {
    const value = events[topicName](i)
    // Each topic's payload type is checked by the compiler; this loop covers both topics, so it goes through one.
    const result = await producer.publish(topicName, value as never, { headers: { source: 'topiq-interop' } })
    published.set(at(result.partition, result.offset), { eventId: result.eventId, value, key: Object.values(value)[0] as string })
  }

  const group = groupId(`to-${client}`)
  const deserializer = framing === 'registry' && client === 'confluent' ? ['--deserializer', 'registry'] : []
  const peer = new Peer(['consume', '--client', client, '--group', group, '--topics', topic, '--max-seconds', '40', '--stop-after', String(COUNT), '--registry-url', registryUrl, ...deserializer])
  const { code } = await peer.exited
  const records = peer.records()
  const stalled = await stalledPartitions(group, topic)
  const seen = records.map((r) => at(r.partition, r.offset))
  const lost = [...published.keys()].filter((r) => !seen.includes(r))
  recordCase({
    case: name,
    sent: published.size,
    handled: new Set(seen).size,
    deadLettered: 0,
    duplicated: seen.length - new Set(seen).size,
    lost: lost.length,
    stalledPartitions: stalled.length,
    crashedConsumers: code === 0 ? 0 : 1,
    notes: code === 0 ? describeStalled(stalled, topic) : [peer.describe()],
  })

  expect({ exit: code, lost, stalled: describeStalled(stalled, topic), undecodable: records.filter((r) => r.framing === 'undecodable').map((r) => r.error) }, peer.describe()).toEqual({
    exit: 0,
    lost: [],
    stalled: [],
    undecodable: [],
  })
  for (const record of records) {
    const sent = published.get(at(record.partition, record.offset))
    if (sent === undefined) throw new Error(`${CLIENT_NAME[client]} read ${at(record.partition, record.offset)}, which this case did not publish`)
    expect(record.framing).toBe(framing)
    expect(record.value).toEqual(sent.value)
    expect(record.key?.utf8).toBe(sent.key)
    const headers = Object.fromEntries(record.headers.map((h) => [h.key, h.value?.utf8]))
    expect(headers).toMatchObject({ ce_id: sent.eventId, ce_type: topicName, ce_specversion: '1.0', source: 'topiq-interop' })
  }
}

describe.concurrent('topiq producer → foreign consumers', () => {
  for (const client of PYTHON_CLIENTS) {
    it(`${CLIENT_NAME[client]} reads plain JSON events`, () => topiqToForeign(client, CREATED))
    it(`${CLIENT_NAME[client]} reads registry-framed events${client === 'confluent' ? ' with its JSONDeserializer' : ''}`, () => topiqToForeign(client, ASSET))
  }
})
