import { isKafkaClientError } from '@topiq/kafka-core'
import { describe, expect, it } from 'vitest'
import { PRODUCER_DEFAULTS, resolveProducerOptions, type ProducerOptions } from './options.ts'

const env = {} // no KAFKA_* variables: the defaults alone

function configError(options: ProducerOptions): string {
  try {
    resolveProducerOptions({ env, ...options })
  } catch (error) {
    if (isKafkaClientError(error, 'CONFIG_INVALID')) return error.message
    throw error
  }
  throw new Error('expected CONFIG_INVALID')
}

describe('resolveProducerOptions', () => {
  it("defaults to the Python guide's producer configuration", () => {
    const resolved = resolveProducerOptions({ env })
    expect(resolved).toMatchObject({ acks: -1, idempotent: true, retries: 3, compression: 'snappy', topicPrefix: '', registry: undefined })
    expect(PRODUCER_DEFAULTS).toEqual({
      acks: -1,
      retries: 3,
      deliveryTimeoutMs: 120_000,
      compression: 'snappy',
      lingerMs: 5,
      batchBytes: 1_048_576,
      maxBufferedBytes: 33_554_432,
    })
  })

  it('runs on kafkajs unless the transport option or KAFKA_TRANSPORT says platformatic; anything else is refused', () => {
    expect(resolveProducerOptions({ env }).connection.transport).toBe('kafkajs')
    expect(resolveProducerOptions({ env: { KAFKA_TRANSPORT: 'platformatic' } }).connection.transport).toBe('platformatic')
    expect(resolveProducerOptions({ env: { KAFKA_TRANSPORT: 'platformatic' }, transport: 'kafkajs' }).connection.transport).toBe('kafkajs')
    expect(configError({ env: { KAFKA_TRANSPORT: 'rdkafka' } })).toMatch(/KAFKA_TRANSPORT="rdkafka" is not a transport: use one of kafkajs, platformatic/)
  })

  it('takes the linger settings, and refuses ones that cannot work', () => {
    expect(resolveProducerOptions({ env, lingerMs: 0 }).lingerMs).toBe(0)
    expect(resolveProducerOptions({ env, lingerMs: 20, batchBytes: 65_536, maxBufferedBytes: 1_000_000 })).toMatchObject({ lingerMs: 20, batchBytes: 65_536, maxBufferedBytes: 1_000_000 })
    expect(() => resolveProducerOptions({ env, lingerMs: -1 })).toThrow(/lingerMs must be 0 \(one request per call\) or a positive number/)
    expect(() => resolveProducerOptions({ env, batchBytes: 0 })).toThrow(/batchBytes must be a positive integer/)
    expect(() => resolveProducerOptions({ env, batchBytes: 2048, maxBufferedBytes: 1024 })).toThrow(/maxBufferedBytes \(1024\) must be at least batchBytes \(2048\)/)
  })

  it('takes brokers from options, then KAFKA_BROKER, then the listener for where it runs', () => {
    expect(resolveProducerOptions({ env, brokers: 'b1:1,b2:2' }).connection.brokers).toEqual(['b1:1', 'b2:2'])
    expect(resolveProducerOptions({ env: { KAFKA_BROKER: 'k:9' } }).connection.brokers).toEqual(['k:9'])
    expect(resolveProducerOptions({ env: { KAFKA_IN_CONTAINER: 'true' } }).connection.brokers).toEqual(['kafka:9092'])
    expect(resolveProducerOptions({ env: { KAFKA_IN_CONTAINER: 'false' } }).connection.brokers).toEqual(['localhost:29092'])
  })

  it('overrides each default, like the guide (acks=1, retries=5); acks other than -1 turn idempotence off', () => {
    const resolved = resolveProducerOptions({ env, acks: 1, retries: 5, compression: 'gzip' })
    expect(resolved).toMatchObject({ acks: 1, idempotent: false, retries: 5, compression: 'gzip' })
    expect(resolveProducerOptions({ env, idempotent: false }).idempotent).toBe(false)
  })

  it.each(['snappy', 'gzip', 'lz4', 'zstd', 'none'] as const)('accepts compression %s, every codec Kafka defines', (compression) => {
    expect(resolveProducerOptions({ env, compression }).compression).toBe(compression)
  })

  it('reads the topic prefix, registry and SASL settings from the environment', () => {
    const resolved = resolveProducerOptions({
      env: {
        KAFKA_TOPIC_PREFIX: 'dev.',
        SCHEMA_REGISTRY_URL: 'http://r:8081',
        KAFKA_SASL_MECHANISM: 'scram-sha-256',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      },
    })
    expect(resolved.topicPrefix).toBe('dev.')
    expect(resolved.registry).toEqual({ url: 'http://r:8081' })
    expect(resolved.connection.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'p' })
    expect(resolveProducerOptions({ env: { SCHEMA_REGISTRY_URL: 'http://r:8081' }, registry: false }).registry).toBeUndefined()
  })

  it('rejects contradictory or malformed options, saying which and why', () => {
    expect(configError({ idempotent: true, acks: 1 })).toMatch(/idempotent: true needs acks: -1/)
    expect(configError({ retries: 0 })).toMatch(/at least 1 with idempotent/)
    expect(configError({ retries: -1 })).toMatch(/retries must be an integer/)
    expect(configError({ acks: 2 as never })).toMatch(/acks must be -1/)
    expect(configError({ compression: 'brotli' as never })).toMatch(/compression must be one of snappy, gzip, lz4, zstd, none, not brotli/)
    expect(configError({ ack: 1 } as never)).toMatch(/unknown option "ack"/)
    expect(configError({ requestTimeoutMs: 0 })).toMatch(/requestTimeoutMs must be a positive/)
    expect(configError({ brokers: 'no-port' })).toMatch(/not host:port/)
    expect(configError({ topicPrefix: 'a/b' })).toMatch(/topic prefix/)
  })

  it('never puts a SASL password into a configuration error', () => {
    const message = configError({ sasl: { mechanism: 'plain', username: 'u', password: 'hunter2-secret' }, acks: 7 as never })
    expect(message).not.toContain('hunter2-secret')
  })
})
