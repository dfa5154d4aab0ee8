// KAFKA_SSL=true against the real stack's PLAINTEXT listener: the error must say "not TLS", not "is Kafka running?".
import { connectionInfo } from '@topiq/local-stack'
import { describe, expect, it } from 'vitest'
import { resolveConnection } from './config.ts'
import { translateKafkaError } from './errors.ts'
import { testEnv } from './testing.ts'
import { createTransport } from './transports.ts'
import { silentLogger } from './logger.ts'

describe('TLS against a PLAINTEXT listener', () => {
  it('is TLS_HANDSHAKE_FAILED, naming the broker and what to change', async () => {
    const { brokers } = connectionInfo()
    const connection = resolveConnection({ brokers, env: testEnv({ KAFKA_SSL: 'true' }), connectionTimeoutMs: 3_000 })
    expect(connection.ssl).toBe(true)
    const admin = (await createTransport(connection, silentLogger, { retries: 0 })).admin()
    const failure = await admin.connect().then(
      () => undefined,
      (error: unknown) => error,
    )
    await admin.disconnect().catch(() => undefined)
    expect(failure, 'connecting with TLS to a PLAINTEXT port must fail').toBeDefined()
    const error = translateKafkaError(failure, { brokers: connection.brokers, brokerSource: connection.brokerSource, ssl: true })
    expect(error.code, String((failure as Error).message)).toBe('TLS_HANDSHAKE_FAILED')
    expect(error.message).toContain(brokers.join(','))
    expect(error.message).toMatch(/PLAINTEXT listener\? Unset KAFKA_SSL/)
  })
})
