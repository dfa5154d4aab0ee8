import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { jsonLogger, silentLogger } from '@topiq/kafka-core'
import { committedOffsets, createTestTopics, deleteTestTopics, endOffsets, uniquePrefix, waitFor } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { KafkaProducerClient } from '@topiq/producer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorker, WORKER_GROUP } from './worker.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('worker')
const main = fileURLToPath(new URL('./main.ts', import.meta.url))
let producer: KafkaProducerClient

const created = (id: string) => ({ campaign_id: id, name: `Campaign ${id}`, created_at: new Date().toISOString() })


beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json', 'campaign.updated.json'])
  producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, logger: silentLogger, registry: false })
})

afterAll(async () => {
  await producer.close()
  await deleteTestTopics(brokers, prefix)
})

describe('campaign-worker on the real stack', () => {
  it('handles both topics and logs a structured line per event', async () => {
    const lines: Record<string, unknown>[] = []
    const logger = jsonLogger({ level: 'info', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) })
    await producer.publish('campaign.created.json', created('w-1'), { headers: { correlation_id: 'req-1' } })
    await producer.publish('campaign.updated.json', { campaign_id: 'w-1', updated_at: new Date().toISOString(), changes: { name: 'Renamed' } })
    const worker = createWorker({ logger, brokers, topicPrefix: prefix, groupId: `${WORKER_GROUP}-${prefix}`, handleSignals: false })
    await worker.start({ blocking: false })
    try {
      await waitFor(() => lines.filter((l) => String(l['message']).startsWith('campaign ')).length >= 2, 'two handled events')
    } finally {
      await worker.stop()
    }
    expect(lines.find((l) => l['message'] === 'campaign created')).toMatchObject({ campaign_id: 'w-1', name: 'Campaign w-1', correlation_id: 'req-1', topic: 'campaign.created.json' })
    expect(lines.find((l) => l['message'] === 'campaign updated')).toMatchObject({ campaign_id: 'w-1', changed: ['name'] })
  })

  it('exits 0 on SIGTERM with every handled offset committed', async () => {
    for (const id of ['s-1', 's-2', 's-3']) await producer.publish('campaign.created.json', created(id))
    const child = spawn(process.execPath, ['--conditions=@topiq/source', main], {
      env: { ...process.env, KAFKA_BROKER: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, METRICS_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    await waitFor(() => (output.match(/"campaign created"/g) ?? []).length >= 3, 'the child to handle three events', 45_000)
    const signalled = Date.now()
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(Date.now() - signalled).toBeLessThan(25_000)

    // Every partition's committed offset is its end offset (-1, nothing committed, only where nothing was written).
    const topic = `${prefix}campaign.created.json`
    const committed = await committedOffsets(brokers, WORKER_GROUP, topic)
    const ends = await endOffsets(brokers, topic)
    const lag = Object.entries(ends).reduce((sum, [partition, end]) => sum + end - Math.max(committed[Number(partition)] ?? -1, 0), 0)
    expect(lag).toBe(0)
  }, 90_000)
})
