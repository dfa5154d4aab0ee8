// Unit tests: everything the producer decides before the network. A closed port (127.0.0.1:1) stands in for the
// broker: were anything sent or even connected, connectCount and state would say so.
import { ContractError, isContractError } from '@topiq/contracts'
import { isKafkaClientError, silentLogger, translateKafkaError, type Logger } from '@topiq/kafka-core'
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { KafkaProducerClient, type BatchFailure } from './producer.ts'

const created = { campaign_id: '123', name: 'Summer Campaign', created_at: '2024-01-15T10:00:00Z' }

function offline(logger: Logger = silentLogger): KafkaProducerClient {
  return new KafkaProducerClient({ brokers: '127.0.0.1:1', logger, env: {} })
}

function recordingLogger(): Logger & { lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> | undefined }[] = []
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields })
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}

describe('publish validates before anything is sent', () => {
  it('rejects an invalid payload with every violation and its JSON path, without connecting', async () => {
    const producer = offline()
    const payload = { campaign_id: '', created_at: 'yesterday', budget: { amount: -1, currency: 'euro' }, colour: 'red' }
    const error = await producer.publish('campaign.created.json', payload as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ContractError)
    const contractError = error as ContractError
    expect(contractError.code).toBe('INVALID_PAYLOAD')
    expect(contractError.topic).toBe('campaign.created.json')
    expect(contractError.violations.map((v) => v.path).sort()).toEqual(
      ['$.budget.amount', '$.budget.currency', '$.campaign_id', '$.colour', '$.created_at', '$.name'].sort(),
    )
    expect(contractError.message).toMatch(/nothing was sent/)
    expect(producer.connectCount).toBe(0)
    expect(producer.state).toBe('idle')
  })

  it('rejects an unknown topic (e.g. from untyped JS) with UNKNOWN_TOPIC', async () => {
    const error = await offline().publish('campaign.deleted.json' as never, created as never).catch((e: unknown) => e)
    expect(isContractError(error) && error.code).toBe('UNKNOWN_TOPIC')
  })

  it('rejects a header that reuses a standard name', async () => {
    const error = await offline().publish('campaign.created.json', created, { headers: { ce_type: 'x' } }).catch((e: unknown) => e)
    expect(isKafkaClientError(error, 'CONFIG_INVALID')).toBe(true)
  })

  it('publishBatch is all-or-nothing: one bad payload rejects the batch with indexed paths', async () => {
    const producer = offline()
    const error = await producer.publishBatch('campaign.created.json', [created, { ...created, name: '' }, created, { ...created, campaign_id: 5 as never }]).catch((e: unknown) => e)
    expect(isContractError(error) && error.violations.map((v) => v.path)).toEqual(['$[1].name', '$[3].campaign_id'])
    expect(producer.connectCount).toBe(0)
  })
})

describe('close', () => {
  it('is idempotent, and a publish after it rejects with CLOSED', async () => {
    const producer = offline()
    await producer.close()
    await producer.close()
    expect(producer.state).toBe('closed')
    const error = await producer.publish('campaign.created.json', created).catch((e: unknown) => e)
    expect(isKafkaClientError(error, 'CLOSED')).toBe(true)
  })

  it('await using closes at the end of the block', async () => {
    let seen: KafkaProducerClient | undefined
    {
      await using producer = offline()
      seen = producer
      expect(producer.state).toBe('idle')
    }
    expect(seen.state).toBe('closed')
  })
})

describe('parity layer never throws', () => {
  it('sendMessage returns false and logs every violation for an invalid payload', async () => {
    const logger = recordingLogger()
    const ok = await offline(logger).sendMessage({ topic: 'campaign.created.json', value: { ...created, name: '' } })
    expect(ok).toBe(false)
    const line = logger.lines.find((l) => l.level === 'error')
    expect(line?.message).toBe('kafka message not sent')
    expect(line?.fields).toMatchObject({ topic: 'campaign.created.json', code: 'INVALID_PAYLOAD', violations: [{ path: '$.name', keyword: 'minLength' }] })
  })

  it('sendBatch on a closed client reports every message as send-failed and returns 0', async () => {
    const producer = offline()
    await producer.close()
    let failures: readonly BatchFailure[] = []
    const sent = await producer.sendBatch(
      [
        { topic: 'campaign.created.json', value: created },
        { topic: 'asset.updated.json', value: { asset_id: 'a', version: 1, updated_at: created.created_at } },
      ],
      { onFailure: (f) => (failures = f) },
    )
    expect(sent).toBe(0)
    expect(failures.map((f) => [f.index, f.reason, f.error.code])).toEqual([
      [0, 'send-failed', 'CLOSED'],
      [1, 'send-failed', 'CLOSED'],
    ])
  })
})

describe('configuration', () => {
  it('exposes the resolved settings but never the SASL password', async () => {
    const { inspect } = await import('node:util')
    const producer = new KafkaProducerClient({
      brokers: '127.0.0.1:1',
      sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'hunter2-secret' },
      logger: silentLogger,
    })
    expect(producer).toMatchObject({ acks: -1, idempotent: true, retries: 3, compression: 'snappy', brokers: ['127.0.0.1:1'] })
    expect(inspect(producer, { depth: 10, showHidden: true })).not.toContain('hunter2-secret')
    expect(JSON.stringify(producer)).not.toContain('hunter2-secret')
  })
})

describe('not authorized (unit only: the local stack has no authorizer, so no broker can refuse an ACL here)', () => {
  it("maps kafkajs' retry-wrapped TOPIC_AUTHORIZATION_FAILED, as a send rejects with it, to NOT_AUTHORIZED naming the topic", () => {
    // What producer.send rejects with when the broker denies the topic: the protocol error inside the retrier's.
    const denied = new KafkaJSProtocolError({ message: 'Not authorized to access topics: [Topic authorization failed]', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29 } as never)
    const rejected = new KafkaJSNumberOfRetriesExceeded(denied, { retryCount: 0, retryTime: 300 } as never)
    // The context KafkaProducerClient passes: its brokers, where they came from, the physical topic.
    const error = translateKafkaError(rejected, { brokers: ['b1:9092'], brokerSource: 'KAFKA_BROKER', topic: 'dev.campaign.created.json' })
    expect(error.code).toBe('NOT_AUTHORIZED')
    expect(error.topic).toBe('dev.campaign.created.json')
    expect(error.message).toMatch(/not authorized \(topic "dev.campaign.created.json"\) on b1:9092.*KAFKA_SASL_USERNAME/)
  })
})
