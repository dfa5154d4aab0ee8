import { jsonLogger } from '@topiq/kafka-core'
import { TestBus } from '@topiq/test-bus'
import { describe, expect, it } from 'vitest'
import { campaignHandlers, WORKER_GROUP } from './worker.ts'

// Unit tests: the worker's handlers driven by the in-memory bus. worker.int.test.ts runs the same handlers in the
// real consumer against the real local stack.
function setup() {
  const lines: Record<string, unknown>[] = []
  const logger = jsonLogger({ level: 'info', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) })
  const bus = new TestBus({ clientId: 'campaign-api' })
  bus.subscribe({ groupId: WORKER_GROUP, handlers: campaignHandlers(logger) })
  return { bus, lines }
}

describe('campaign-worker handlers', () => {
  it('log a structured line per event, with where it was read and the correlation id', async () => {
    const { bus, lines } = setup()
    const { partition } = await bus.publish(
      'campaign.created.json',
      { campaign_id: 'w-1', name: 'Campaign w-1', created_at: '2024-01-15T10:00:00Z' },
      { headers: { correlation_id: 'req-1' } },
    )
    await bus.publish('campaign.updated.json', { campaign_id: 'w-1', updated_at: '2024-01-15T11:00:00Z', changes: { name: 'Renamed', status: 'active' } })
    expect(await bus.drain()).toEqual({ handled: 2, deadLettered: 0 })
    expect(lines.map((l) => l['message'])).toEqual(['campaign created', 'campaign updated'])
    expect(lines[0]).toMatchObject({ topic: 'campaign.created.json', partition, offset: '0', campaign_id: 'w-1', name: 'Campaign w-1', status: 'draft', correlation_id: 'req-1' })
    expect(lines[1]).toMatchObject({ topic: 'campaign.updated.json', campaign_id: 'w-1', changed: ['name', 'status'] })
  })

  it('never see an event that does not match its schema: the consumer dead-letters it first', async () => {
    const { bus, lines } = setup()
    bus.inject('campaign.created.json', { campaign_id: 'w-2', name: 'No date' }, { key: 'w-2' })
    expect(await bus.drain()).toEqual({ handled: 0, deadLettered: 1 })
    expect(lines).toEqual([])
    expect(bus.deadLetters).toMatchObject([{ reason: 'INVALID_PAYLOAD', groupId: WORKER_GROUP, deadLetterTopic: 'campaign.created-dlq.json', attempts: 0 }])
  })
})
