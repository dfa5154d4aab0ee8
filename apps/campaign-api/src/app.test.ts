import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { HEADER, KafkaClientError, silentLogger } from '@topiq/kafka-core'
import { TestBus } from '@topiq/test-bus'
import { afterEach, describe, expect, it } from 'vitest'
import { createCampaignApi } from './app.ts'

// Unit tests: the API publishing into the in-memory bus (no broker). api.int.test.ts covers the real stack.
const servers: Server[] = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

async function start(bus: TestBus): Promise<string> {
  const server = createCampaignApi({ publisher: bus, logger: silentLogger })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const send = (url: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })

describe('campaign-api', () => {
  it('POST /campaigns publishes campaign.created.json keyed by campaign_id, with the correlation id', async () => {
    const bus = new TestBus({ clientId: 'campaign-api' })
    const base = await start(bus)
    const response = await send(`${base}/campaigns`, 'POST', { name: 'Summer Campaign', budget: { amount: 1000, currency: 'EUR' } }, { 'x-correlation-id': 'req-456' })
    expect(response.status).toBe(201)
    const { campaign } = (await response.json()) as { campaign: { campaign_id: string } }
    const events = bus.events('campaign.created.json')
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ key: campaign.campaign_id, value: campaign, headers: { source: 'campaign-api', correlation_id: 'req-456', [HEADER.source]: 'campaign-api' } })
    expect(events[0]?.value).toMatchObject({ name: 'Summer Campaign', status: 'draft' })
  })

  it('answers 400 with every violation and publishes nothing', async () => {
    const bus = new TestBus()
    const base = await start(bus)
    const invalid = await send(`${base}/campaigns`, 'POST', { budget: { amount: -5, currency: 'euro' }, colour: 'red' })
    expect(invalid.status).toBe(400)
    const body = (await invalid.json()) as { violations: { path: string }[] }
    expect(body.violations.map((v) => v.path).sort()).toEqual(['$.budget.amount', '$.budget.currency', '$.colour', '$.name'])
    expect((await send(`${base}/campaigns`, 'POST', '{"name": ')).status).toBe(400)
    expect((await send(`${base}/campaigns/c-1`, 'PATCH', {})).status).toBe(400)
    expect(bus.published).toEqual([])
  })

  it('PATCH /campaigns/:id publishes campaign.updated.json', async () => {
    const bus = new TestBus()
    const base = await start(bus)
    expect((await send(`${base}/campaigns/c-77`, 'PATCH', { status: 'paused' })).status).toBe(202)
    expect(bus.events('campaign.updated.json')).toMatchObject([{ key: 'c-77', value: { campaign_id: 'c-77', changes: { status: 'paused' } } }])
  })

  it('answers 503 with the error code when Kafka refuses, and nothing is recorded', async () => {
    const bus = new TestBus()
    const base = await start(bus)
    bus.failNext(new KafkaClientError('CONNECTION_REFUSED', 'could not connect to 127.0.0.1:1', { retriable: true }))
    const response = await send(`${base}/campaigns`, 'POST', { name: 'Autumn' })
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({ code: 'CONNECTION_REFUSED', retryable: true })
    expect(bus.published).toEqual([])
  })
})
