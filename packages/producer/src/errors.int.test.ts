// The Python guide's troubleshooting cases against the real stack: each error says what, where and what to do,
// within a bounded time, and never carries a credential.
import { inspect } from 'node:util'
import { isKafkaClientError, type KafkaClientError } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, readMessages, uniquePrefix, testEnv } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaProducerClient } from './producer.ts'
import { decode, recordingLogger } from './test-helpers.ts'

const { brokers, saslBrokers, scram } = connectionInfo()
const prefix = uniquePrefix('producer-errors')
const CREATED = 'campaign.created.json'
const created = { campaign_id: '123', name: 'Summer Campaign', created_at: '2024-01-15T10:00:00Z' }
const WRONG_PASSWORD = 'wrong-password-must-never-be-logged'

async function failure(promise: Promise<unknown>): Promise<{ error: KafkaClientError; ms: number }> {
  const started = Date.now()
  const error = await promise.then(
    () => new Error('expected a rejection'),
    (e: unknown) => e,
  )
  if (!isKafkaClientError(error)) throw error
  return { error, ms: Date.now() - started }
}

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [CREATED])
})

afterAll(async () => {
  await deleteTestTopics(brokers, prefix)
})

describe('topic does not exist', () => {
  it('names the physical topic and the provisioning command, within a bounded time', async () => {
    const missingPrefix = uniquePrefix('producer-missing') // no topics were created under it
    await using client = new KafkaProducerClient({ brokers, topicPrefix: missingPrefix, logger: recordingLogger(), env: testEnv() })
    const { error, ms } = await failure(client.publish(CREATED, created))
    expect(error.code).toBe('TOPIC_NOT_FOUND')
    expect(error.topic).toBe(missingPrefix + CREATED)
    expect(error.message).toContain(`topic "${missingPrefix + CREATED}" does not exist`)
    expect(error.message).toContain('pnpm topiq topics create')
    expect(ms).toBeLessThan(15_000)
  })

  it('sendMessage returns false and logs the reason', async () => {
    const logger = recordingLogger()
    await using client = new KafkaProducerClient({ brokers, topicPrefix: uniquePrefix('producer-missing'), logger, env: testEnv() })
    expect(await client.sendMessage({ topic: CREATED, value: created })).toBe(false)
    const line = logger.lines.find((l) => l.level === 'error')
    expect(line).toMatchObject({ message: 'kafka message not sent', fields: { topic: CREATED, code: 'TOPIC_NOT_FOUND' } })
  })
})

describe('connection refused', () => {
  it('names the broker address and KAFKA_BROKER, and fails fast', async () => {
    await using client = new KafkaProducerClient({ topicPrefix: prefix, logger: recordingLogger(), env: testEnv({ KAFKA_BROKER: '127.0.0.1:1' }) })
    const { error, ms } = await failure(client.publish(CREATED, created))
    expect(error.code).toBe('CONNECTION_REFUSED')
    expect(error.retriable).toBe(true)
    expect(error.message).toContain('127.0.0.1:1')
    expect(error.message).toContain('brokers from KAFKA_BROKER')
    expect(error.message).toContain('localhost:29092')
    expect(ms).toBeLessThan(10_000)
    expect(client.state).toBe('idle') // the next send tries to connect again
  })

  it('sendBatch returns 0 and reports every message as send-failed', async () => {
    const logger = recordingLogger()
    await using client = new KafkaProducerClient({ brokers: '127.0.0.1:1', topicPrefix: prefix, logger, env: testEnv() })
    const failed: number[] = []
    const sent = await client.sendBatch([{ topic: CREATED, value: created }, { topic: CREATED, value: { ...created, campaign_id: '2' } }], {
      onFailure: (f) => failed.push(...f.filter((x) => x.reason === 'send-failed' && x.error.code === 'CONNECTION_REFUSED').map((x) => x.index)),
    })
    expect(sent).toBe(0)
    expect(failed).toEqual([0, 1])
    expect(logger.lines.some((l) => l.level === 'error' && l.message === 'batch of 2 message(s) not sent')).toBe(true)
  })
})

describe('SASL (SCRAM-SHA-256 listener)', () => {
  it('publishes with credentials from the environment', async () => {
    await using client = new KafkaProducerClient({
      logger: recordingLogger(),
      env: testEnv({
        KAFKA_BROKER: saslBrokers.join(','),
        KAFKA_SASL_MECHANISM: scram.mechanism,
        KAFKA_SASL_USERNAME: scram.username,
        KAFKA_SASL_PASSWORD: scram.password,
        KAFKA_TOPIC_PREFIX: prefix,
      }),
    })
    const result = await client.publish(CREATED, { ...created, campaign_id: 'sasl-1' })
    const [message] = (await readMessages(brokers, [prefix + CREATED], 1)).map(decode)
    expect(message).toMatchObject({ key: 'sasl-1', headers: { ce_id: result.eventId } })
  })

  it('a wrong password is AUTHENTICATION_FAILED; the password is in no error, log line or inspect output', async () => {
    const logger = recordingLogger()
    await using client = new KafkaProducerClient({
      brokers: saslBrokers,
      sasl: { mechanism: scram.mechanism, username: scram.username, password: WRONG_PASSWORD },
      topicPrefix: prefix,
      logger,
      env: testEnv(),
    })
    const { error, ms } = await failure(client.publish(CREATED, created))
    expect(error.code).toBe('AUTHENTICATION_FAILED')
    expect(error.message).toContain('KAFKA_SASL_PASSWORD')
    expect(ms).toBeLessThan(15_000)
    expect(await client.sendMessage({ topic: CREATED, value: created })).toBe(false)
    for (const text of [error.message, JSON.stringify(error), inspect(error, { depth: 10 }), logger.text(), inspect(client, { depth: 10 })]) {
      expect(text).not.toContain(WRONG_PASSWORD)
    }
  })
})
