// Unit tests: the topic's framing (x-kafka.framing) decides the wire format, checked before the network. A closed
// port (127.0.0.1:1) stands in for the broker and the registry: were anything sent, connectCount would say so.
import { topicMetadata } from '@topiq/contracts'
import { isKafkaClientError, silentLogger } from '@topiq/kafka-core'
import { describe, expect, it } from 'vitest'
import { KafkaProducerClient, type BatchFailure } from './producer.ts'

const ASSET = 'asset.updated.json'
const asset = { asset_id: 'a1', version: 1, updated_at: '2024-01-15T10:00:00Z' }

describe('framing is a property of the topic', () => {
  it('the committed schemas: asset.updated.json is registry-framed, the campaign topics plain JSON', () => {
    expect(topicMetadata[ASSET].framing).toBe('registry')
    expect(topicMetadata['campaign.created.json'].framing).toBe('json')
    expect(topicMetadata['campaign.updated.json'].framing).toBe('json')
  })

  it('a registry-framed topic without a registry fails with CONFIG_INVALID naming the topic and SCHEMA_REGISTRY_URL, before connecting', async () => {
    const producer = new KafkaProducerClient({ brokers: '127.0.0.1:1', logger: silentLogger, env: {} })
    const error = await producer.publish(ASSET, asset).catch((e: unknown) => e)
    expect(isKafkaClientError(error, 'CONFIG_INVALID')).toBe(true)
    expect((error as Error).message).toMatch(/topic "asset\.updated\.json" is registry-framed .*set SCHEMA_REGISTRY_URL/)
    await expect(producer.publishBatch(ASSET, [asset])).rejects.toMatchObject({ code: 'CONFIG_INVALID', topic: ASSET })
    expect(producer.connectCount).toBe(0)
    await producer.close()
  })

  it('registry: false also refuses a registry-framed topic, even with SCHEMA_REGISTRY_URL set', async () => {
    const producer = new KafkaProducerClient({ brokers: '127.0.0.1:1', logger: silentLogger, registry: false, env: { SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' } })
    await expect(producer.publish(ASSET, asset)).rejects.toMatchObject({ code: 'CONFIG_INVALID' })
    await producer.close()
  })

  it('sendBatch reports a registry-framed message without a registry as a failure, never throws', async () => {
    const producer = new KafkaProducerClient({ brokers: '127.0.0.1:1', logger: silentLogger, env: {} })
    let failures: readonly BatchFailure[] = []
    const sent = await producer.sendBatch([{ topic: ASSET, value: asset }], { onFailure: (f) => (failures = f) })
    expect(sent).toBe(0)
    expect(failures.map((f) => [f.index, f.error.code])).toEqual([[0, 'CONFIG_INVALID']])
    expect(producer.connectCount).toBe(0)
    await producer.close()
  })
})
