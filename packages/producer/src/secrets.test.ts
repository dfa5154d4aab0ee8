// No client object, error or log line may contain the SASL password: inspected, serialised, or failing to connect.
import { inspect } from 'node:util'
import { KafkaConsumerClient } from '@topiq/consumer'
import { describe, expect, it } from 'vitest'
import { KafkaProducerClient } from './producer.ts'
import { recordingLogger } from './test-helpers.ts'

const PASSWORD = 'pw-7f3a-do-not-print'
const sasl = { mechanism: 'scram-sha-256', username: 'someone', password: PASSWORD } as const
// A closed port: connecting fails at once, without any broker.
const brokers = ['127.0.0.1:1']

function everything(value: unknown): string {
  return [inspect(value, { depth: Infinity }), JSON.stringify(value) ?? '', String(value)].join('\n')
}

/** An error with every cause, inspected and serialised. */
function errorText(error: unknown): string {
  const parts: string[] = []
  let current: unknown = error
  for (let i = 0; i < 8 && current !== undefined && current !== null; i++) {
    parts.push(everything(current), (current as Error).message ?? '', (current as Error).stack ?? '')
    current = (current as { cause?: unknown }).cause
  }
  return parts.join('\n')
}

describe('the SASL password never shows', () => {
  it('in a producer: inspect, JSON, and the error and log lines of a failed connect', async () => {
    const logger = recordingLogger()
    const producer = new KafkaProducerClient({ brokers, sasl, logger, env: {}, retries: 1, connectionTimeoutMs: 1_000 })
    expect(everything(producer)).not.toContain(PASSWORD)
    const error = await producer.publish('campaign.created.json', { campaign_id: '1', name: 'n', created_at: '2024-01-15T10:00:00Z' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect((error as { code?: string }).code).toBe('CONNECTION_REFUSED')
    expect(errorText(error)).not.toContain(PASSWORD)
    expect(await producer.sendMessage({ topic: 'campaign.created.json', value: { campaign_id: '1', name: 'n', created_at: '2024-01-15T10:00:00Z' } })).toBe(false)
    expect(logger.lines.length).toBeGreaterThan(0)
    expect(logger.text()).not.toContain(PASSWORD)
    expect(everything(producer)).not.toContain(PASSWORD)
    await producer.close()
  }, 30_000)

  it('in a consumer: inspect, JSON, and the error and log lines of a failed start', async () => {
    const logger = recordingLogger()
    const consumer = new KafkaConsumerClient({
      brokers,
      sasl,
      logger,
      env: {},
      groupId: 'secrets-test',
      topics: ['campaign.created.json'],
      messageHandler: () => true,
      connectionTimeoutMs: 1_000,
    })
    // The check is real: the resolved options do hold the password.
    expect(JSON.stringify((consumer as unknown as { options: unknown }).options)).toContain(PASSWORD)
    expect(everything(consumer)).not.toContain(PASSWORD)
    const error = await consumer.start({ blocking: false }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(errorText(error)).not.toContain(PASSWORD)
    expect(logger.text()).not.toContain(PASSWORD)
    expect(everything(consumer)).not.toContain(PASSWORD)
    await consumer.stop().catch(() => undefined)
  }, 60_000)
})
