import { describe, expect, it } from 'vitest'
import { EXTERNAL_LISTENER, INTERNAL_LISTENER, resolveConnection, resolveRegistry, runningInContainer } from './config.ts'
import { KafkaClientError } from './errors.ts'

const hostEnv = { KAFKA_IN_CONTAINER: 'false' }

describe('broker selection (the Python guide\'s listeners)', () => {
  it('prefers the option, then KAFKA_BROKER', () => {
    expect(resolveConnection({ brokers: 'a:1,b:2', env: { KAFKA_BROKER: 'c:3' } }).brokers).toEqual(['a:1', 'b:2'])
    const fromEnv = resolveConnection({ env: { KAFKA_BROKER: ' kafka:9092 , other:9092 ' } })
    expect(fromEnv.brokers).toEqual(['kafka:9092', 'other:9092'])
    expect(fromEnv.brokerSource).toBe('KAFKA_BROKER')
  })

  it('defaults to EXTERNAL localhost:29092 on a host and INTERNAL kafka:9092 in a container', () => {
    expect(resolveConnection({ env: hostEnv }).brokers).toEqual([EXTERNAL_LISTENER])
    expect(EXTERNAL_LISTENER).toBe('localhost:29092')
    expect(resolveConnection({ env: { KAFKA_IN_CONTAINER: 'true' } }).brokers).toEqual([INTERNAL_LISTENER])
    expect(INTERNAL_LISTENER).toBe('kafka:9092')
  })

  it('detects containers by marker files unless KAFKA_IN_CONTAINER says otherwise', () => {
    expect(runningInContainer({}, (p) => p === '/.dockerenv')).toBe(true)
    expect(runningInContainer({}, (p) => p === '/run/.containerenv')).toBe(true)
    expect(runningInContainer({}, () => false)).toBe(false)
    expect(runningInContainer({ KAFKA_IN_CONTAINER: '0' }, () => true)).toBe(false)
  })

  it('rejects malformed broker addresses naming the source', () => {
    expect(() => resolveConnection({ env: { KAFKA_BROKER: 'localhost' } })).toThrow(/"localhost" from KAFKA_BROKER is not host:port/)
    expect(() => resolveConnection({ brokers: [] })).toThrow(/no broker address in the brokers option/)
  })
})

describe('credentials', () => {
  it('reads SASL from env', () => {
    const c = resolveConnection({ env: { ...hostEnv, KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' } })
    expect(c.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'u', password: 'hunter2' })
  })

  it('names a missing variable without echoing any secret', () => {
    let error: unknown
    try {
      resolveConnection({ env: { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'hunter2-user' } })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(KafkaClientError)
    expect((error as Error).message).toBe('KAFKA_SASL_MECHANISM is set but KAFKA_SASL_PASSWORD is empty')
    expect(() => resolveConnection({ env: { KAFKA_SASL_MECHANISM: 'gssapi' } })).toThrow(/not one of plain, scram-sha-256/)
  })

  it('keeps TLS verification on: KAFKA_SSL enables TLS, never disables verification', () => {
    expect(resolveConnection({ env: { ...hostEnv, KAFKA_SSL: 'true' } }).ssl).toBe(true)
    expect(resolveConnection({ env: hostEnv }).ssl).toBeUndefined()
    expect(() => resolveConnection({ env: { ...hostEnv, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' } })).toThrow(
      /KAFKA_SSL_CA_FILE=\/nonexistent\/ca.pem cannot be read/,
    )
  })
})

describe('registry mode is opt-in', () => {
  it('is off without option or SCHEMA_REGISTRY_URL', () => {
    expect(resolveRegistry(undefined, {})).toBeUndefined()
    expect(resolveRegistry(false, { SCHEMA_REGISTRY_URL: 'http://r' })).toBeUndefined()
  })
  it('reads the option or the environment', () => {
    expect(resolveRegistry('http://x', {})).toEqual({ url: 'http://x' })
    expect(resolveRegistry(undefined, { SCHEMA_REGISTRY_URL: 'http://r', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' })).toEqual({
      url: 'http://r',
      username: 'u',
      password: 'p',
    })
  })
})

describe('transport selection', () => {
  it('is kafkajs by default, else the option, else KAFKA_TRANSPORT (case and spaces ignored)', () => {
    expect(resolveConnection({ env: hostEnv }).transport).toBe('kafkajs')
    expect(resolveConnection({ env: { ...hostEnv, KAFKA_TRANSPORT: ' Platformatic ' } }).transport).toBe('platformatic')
    expect(resolveConnection({ transport: 'kafkajs', env: { ...hostEnv, KAFKA_TRANSPORT: 'platformatic' } }).transport).toBe('kafkajs')
    expect(resolveConnection({ transport: 'platformatic', env: hostEnv }).transport).toBe('platformatic')
    expect(resolveConnection({ env: { ...hostEnv, KAFKA_TRANSPORT: '' } }).transport).toBe('kafkajs')
  })

  it('rejects an unknown transport, naming where it came from and the choices', () => {
    const fromEnv = () => resolveConnection({ env: { ...hostEnv, KAFKA_TRANSPORT: 'librdkafka' } })
    expect(fromEnv).toThrow(KafkaClientError)
    expect(fromEnv).toThrow('KAFKA_TRANSPORT="librdkafka" is not a transport: use one of kafkajs, platformatic')
    // @ts-expect-error not a transport name
    expect(() => resolveConnection({ transport: 'rdkafka', env: hostEnv })).toThrow('the transport option="rdkafka" is not a transport')
  })
})
