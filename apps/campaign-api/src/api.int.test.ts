import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, endOffsets, readMessages, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { KafkaProducerClient } from '@topiq/producer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCampaignApi } from './app.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('api')
let producer: KafkaProducerClient
let server: Server
let base: string

async function listen(s: Server): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

/** Messages ever written to the prefixed topic: proves that nothing was published. */
async function written(topic: string): Promise<number> {
  return Object.values(await endOffsets(brokers, prefix + topic)).reduce((sum, end) => sum + end, 0)
}

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json', 'campaign.updated.json'])
  producer = new KafkaProducerClient({ brokers, topicPrefix: prefix, clientId: 'campaign-api', logger: silentLogger, registry: false })
  server = createCampaignApi({ publisher: producer, logger: silentLogger })
  base = await listen(server)
})

afterAll(async () => {
  server.close()
  await producer.close()
  await deleteTestTopics(brokers, prefix)
})

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) })

describe('campaign-api on the real stack', () => {
  it('POST /campaigns publishes campaign.created.json keyed by campaign_id and answers 201', async () => {
    const response = await post('/campaigns', { name: 'Summer Campaign', budget: { amount: 1000, currency: 'EUR' } }, { 'x-correlation-id': 'req-456' })
    expect(response.status).toBe(201)
    const { campaign } = (await response.json()) as { campaign: { campaign_id: string; name: string; created_at: string; status: string } }
    expect(campaign).toMatchObject({ name: 'Summer Campaign', status: 'draft' })
    const [message] = await readMessages(brokers, [`${prefix}campaign.created.json`], 1)
    expect(message?.key?.toString()).toBe(campaign.campaign_id)
    expect(JSON.parse(message?.value?.toString() ?? '')).toEqual(campaign)
    expect(message?.headers?.['source']?.toString()).toBe('campaign-api')
    expect(message?.headers?.['correlation_id']?.toString()).toBe('req-456')
  })

  it('invalid bodies get 400 with every violation, and nothing is published', async () => {
    const before = await written('campaign.created.json')
    const invalid = await post('/campaigns', { budget: { amount: -5, currency: 'euro' }, colour: 'red' })
    expect(invalid.status).toBe(400)
    const body = (await invalid.json()) as { violations: { path: string }[] }
    expect(body.violations.map((v) => v.path).sort()).toEqual(['$.budget.amount', '$.budget.currency', '$.colour', '$.name'])
    const notJson = await post('/campaigns', '{"name": ')
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { error: string }).error).toMatch(/not valid JSON/)
    expect(await written('campaign.created.json')).toBe(before)
  })

  it('PATCH /campaigns/:id publishes campaign.updated.json', async () => {
    const response = await fetch(`${base}/campaigns/c-77`, { method: 'PATCH', body: JSON.stringify({ status: 'paused' }) })
    expect(response.status).toBe(202)
    const [message] = await readMessages(brokers, [`${prefix}campaign.updated.json`], 1)
    expect(message?.key?.toString()).toBe('c-77')
    expect(JSON.parse(message?.value?.toString() ?? '')).toMatchObject({ campaign_id: 'c-77', changes: { status: 'paused' } })
    const empty = await fetch(`${base}/campaigns/c-77`, { method: 'PATCH', body: '{}' })
    expect(empty.status).toBe(400)
  })

  it('answers 503 quickly, not a hang, when the broker is down', async () => {
    const down = new KafkaProducerClient({ brokers: '127.0.0.1:1', clientId: 'campaign-api', logger: silentLogger, registry: false, retries: 1 })
    const unavailable = createCampaignApi({ publisher: down, logger: silentLogger, publishTimeoutMs: 15_000 })
    const url = await listen(unavailable)
    try {
      const started = Date.now()
      const response = await fetch(`${url}/campaigns`, { method: 'POST', body: JSON.stringify({ name: 'Autumn' }) })
      expect(response.status).toBe(503)
      expect(await response.json()).toMatchObject({ code: 'CONNECTION_REFUSED', retryable: true })
      expect(Date.now() - started).toBeLessThan(15_000)
    } finally {
      unavailable.close()
      await down.close()
    }
  }, 30_000)
})
