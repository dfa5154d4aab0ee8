import { isContractError } from '@topiq/contracts'
import { isKafkaClientError, silentLogger } from '@topiq/kafka-core'
import { describe, expect, it } from 'vitest'
import { backoffSchedule, DEFAULTS, resolveOptions } from './options.ts'
import type { ConsumerOptions } from './options.ts'
import type { TopicName } from '@topiq/contracts'

const base = { groupId: 'g', topics: ['campaign.created.json'] as const, messageHandler: () => true, logger: silentLogger, env: {} }

function configError(options: Record<string, unknown>): string {
  try {
    resolveOptions({ ...base, ...options } as unknown as ConsumerOptions<TopicName>)
  } catch (error) {
    if (isKafkaClientError(error, 'CONFIG_INVALID') || isContractError(error)) return error.message
    throw error
  }
  throw new Error('expected a configuration error')
}

describe('resolveOptions', () => {
  it("applies the Python guide's consumer defaults", () => {
    const o = resolveOptions(base)
    expect(o).toMatchObject({
      autoCommit: false,
      autoOffsetReset: 'earliest',
      maxPollRecords: 100,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 10_000,
      deadLetter: true,
      handleSignals: true,
      topicPrefix: '',
      retry: DEFAULTS.retry,
    })
  })

  it('lets every default be overridden', () => {
    const o = resolveOptions({
      ...base,
      autoCommit: true,
      autoOffsetReset: 'latest',
      maxPollRecords: 50,
      sessionTimeoutMs: 12_000,
      heartbeatIntervalMs: 4_000,
      maxWaitTimeMs: 100,
      retry: { attempts: 5 },
      deadLetter: false,
      handleSignals: false,
      shutdownTimeoutMs: 5_000,
      topicPrefix: 'dev-a.',
      partitionsConsumedConcurrently: 3,
      brokers: 'k1:9092,k2:9092',
    })
    expect(o).toMatchObject({
      autoCommit: true,
      autoOffsetReset: 'latest',
      maxPollRecords: 50,
      sessionTimeoutMs: 12_000,
      heartbeatIntervalMs: 4_000,
      maxWaitTimeMs: 100,
      retry: { attempts: 5, initialBackoffMs: 500, maxBackoffMs: 5_000 },
      deadLetter: false,
      handleSignals: false,
      shutdownTimeoutMs: 5_000,
      topicPrefix: 'dev-a.',
      partitionsConsumedConcurrently: 3,
    })
    expect(o.connection.brokers).toEqual(['k1:9092', 'k2:9092'])
  })

  it('takes the topic prefix from KAFKA_TOPIC_PREFIX when the option is absent', () => {
    expect(resolveOptions({ ...base, env: { KAFKA_TOPIC_PREFIX: 'ci-7.' } }).topicPrefix).toBe('ci-7.')
  })

  it('takes the topics from the keys of a handler map, without duplicates from a topics list', () => {
    const handlers = { 'campaign.updated.json': () => true, 'asset.updated.json': () => undefined }
    expect(resolveOptions({ groupId: 'g', handlers, env: {} }).topics).toEqual(['campaign.updated.json', 'asset.updated.json'])
    expect(resolveOptions({ ...base, topics: ['campaign.created.json', 'campaign.created.json'] }).topics).toEqual(['campaign.created.json'])
  })

  it.each([
    [{ groupId: ' ' }, /groupId must be a non-empty string/],
    [{ topics: [] }, /at least one topic/],
    [{ topics: ['campaign.deleted.json'] }, /unknown topic "campaign.deleted.json".*Known topics/],
    [{ handlers: { 'campaign.created.json': () => true } }, /either `topics` with one `messageHandler`, or `handlers`/],
    [{ messageHandler: undefined }, /either `topics` with one `messageHandler`, or `handlers`/],
    [{ messageHandler: 'nope' }, /messageHandler must be a function/],
    [{ autoOffsetReset: 'beginning' }, /autoOffsetReset must be 'earliest' or 'latest'/],
    [{ maxPollRecords: 0 }, /maxPollRecords must be an integer ≥ 1, got 0/],
    [{ heartbeatIntervalMs: 30_000 }, /heartbeatIntervalMs \(30000\) must be below sessionTimeoutMs \(30000\)/],
    [{ retry: { attempts: 0 } }, /retry.attempts must be an integer ≥ 1/],
    [{ retry: { initialBackoffMs: 2_000, maxBackoffMs: 1_000 } }, /maxBackoffMs \(1000\) must not be below/],
    [{ retry: { attempts: 8, initialBackoffMs: 1_000, maxBackoffMs: 8_000 } }, /wait 39000 ms in total \(1000 \+ 2000 \+ 4000 \+ 8000 \+ 8000 \+ 8000 \+ 8000\), not below sessionTimeoutMs \(30000\)/],
    [{ shutdownTimeoutMs: -1 }, /shutdownTimeoutMs must be an integer ≥ 1/],
    [{ topicPrefix: 'a b' }, /topic prefix "a b" may only contain/],
  ])('rejects %j', (options, message) => {
    expect(configError(options)).toMatch(message)
  })

  it('rejects a handler map entry that is not a function', () => {
    expect(() => resolveOptions({ groupId: 'g', handlers: { 'campaign.created.json': 1 }, env: {} } as unknown as ConsumerOptions<TopicName>)).toThrow(
      /handlers\["campaign.created.json"\] must be a function/,
    )
  })
})

describe('partitionAssignors (consumer groups shared with Python and Java)', () => {
  it("defaults to ['range', 'roundrobin']: range first, as librdkafka, kafka-python and Java list it", () => {
    expect(resolveOptions(base).partitionAssignors).toEqual(['range', 'roundrobin'])
  })

  it('keeps the order given', () => {
    expect(resolveOptions({ ...base, partitionAssignors: ['roundrobin', 'range'] }).partitionAssignors).toEqual(['roundrobin', 'range'])
    expect(resolveOptions({ ...base, partitionAssignors: ['roundrobin'] }).partitionAssignors).toEqual(['roundrobin'])
  })

  it.each([
    [{ partitionAssignors: [] }, /at least one of 'range', 'roundrobin'/],
    [{ partitionAssignors: ['cooperative-sticky'] }, /unknown assignor "cooperative-sticky".*not supported: they need incremental rebalancing/],
    [{ partitionAssignors: ['RoundRobinAssigner'] }, /unknown assignor "RoundRobinAssigner"/],
    [{ partitionAssignors: ['range', 'range'] }, /lists "range" twice/],
    [{ partitionAssignors: 'range' }, /at least one of/],
  ])('rejects %j', (options, message) => {
    expect(configError(options)).toMatch(message)
  })
})

describe('backoffSchedule', () => {
  it('doubles from the initial wait up to the cap, one wait per retry', () => {
    expect(backoffSchedule({ attempts: 1, initialBackoffMs: 500, maxBackoffMs: 5_000 })).toEqual([])
    expect(backoffSchedule(DEFAULTS.retry)).toEqual([500, 1_000])
    expect(backoffSchedule({ attempts: 6, initialBackoffMs: 300, maxBackoffMs: 2_000 })).toEqual([300, 600, 1_200, 2_000, 2_000])
  })

  it('keeps the default total backoff well below the default session timeout', () => {
    const total = backoffSchedule(DEFAULTS.retry).reduce((a, b) => a + b, 0)
    expect(total).toBeLessThan(DEFAULTS.sessionTimeoutMs / 2)
  })
})

describe('registry option (schema-id checks of registry-framed values)', () => {
  it('is resolved like the producer: the option, else SCHEMA_REGISTRY_URL (+ credentials), else none', () => {
    expect(resolveOptions(base).registry).toBeUndefined()
    expect(resolveOptions({ ...base, registry: 'http://r:8081/apis/ccompat/v7' }).registry).toEqual({ url: 'http://r:8081/apis/ccompat/v7' })
    const env = { SCHEMA_REGISTRY_URL: 'http://r:8081', SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'p' }
    expect(resolveOptions({ ...base, env }).registry).toEqual({ url: 'http://r:8081', username: 'u', password: 'p' })
    expect(resolveOptions({ ...base, env, registry: { url: 'http://other' } }).registry).toEqual({ url: 'http://other' })
    expect(resolveOptions({ ...base, env, registry: false }).registry).toBeUndefined()
  })
})

describe('groupInstanceId (static membership)', () => {
  it('is off by default, taken from the option, else from KAFKA_GROUP_INSTANCE_ID', () => {
    expect(resolveOptions(base).groupInstanceId).toBeUndefined()
    expect(resolveOptions({ ...base, env: { KAFKA_GROUP_INSTANCE_ID: 'worker-0' } }).groupInstanceId).toBe('worker-0')
    expect(resolveOptions({ ...base, groupInstanceId: 'pod-a', env: { KAFKA_GROUP_INSTANCE_ID: 'worker-0' } }).groupInstanceId).toBe('pod-a')
    expect(resolveOptions({ ...base, env: { KAFKA_GROUP_INSTANCE_ID: '' } }).groupInstanceId).toBeUndefined()
  })

  it('refuses ids Kafka would refuse, naming the variable', () => {
    expect(configError({ groupInstanceId: 'has space' })).toMatch(/groupInstanceId \(or KAFKA_GROUP_INSTANCE_ID\) must be 1-249 characters/)
    expect(configError({ groupInstanceId: 'x'.repeat(250) })).toMatch(/1-249 characters/)
  })
})

describe('transport (the Kafka client underneath)', () => {
  it('is kafkajs by default, taken from the option, else from KAFKA_TRANSPORT; anything else is refused naming the choices', () => {
    expect(resolveOptions(base).connection.transport).toBe('kafkajs')
    expect(resolveOptions({ ...base, env: { KAFKA_TRANSPORT: 'platformatic' } }).connection.transport).toBe('platformatic')
    expect(resolveOptions({ ...base, transport: 'kafkajs', env: { KAFKA_TRANSPORT: 'platformatic' } }).connection.transport).toBe('kafkajs')
    expect(configError({ transport: 'node-rdkafka' })).toMatch(/the transport option="node-rdkafka" is not a transport: use one of kafkajs, platformatic/)
  })
})

describe('lagIntervalMs (topiq_consumer_lag sampling)', () => {
  it('is 15 s by default, taken from the option, else from KAFKA_LAG_INTERVAL_MS; 0 turns it off', () => {
    expect(resolveOptions(base).lagIntervalMs).toBe(15_000)
    expect(DEFAULTS.lagIntervalMs).toBe(15_000)
    expect(resolveOptions({ ...base, env: { KAFKA_LAG_INTERVAL_MS: ' 2000 ' } }).lagIntervalMs).toBe(2_000)
    expect(resolveOptions({ ...base, env: { KAFKA_LAG_INTERVAL_MS: '' } }).lagIntervalMs).toBe(15_000)
    expect(resolveOptions({ ...base, lagIntervalMs: 0, env: { KAFKA_LAG_INTERVAL_MS: '2000' } }).lagIntervalMs).toBe(0)
    expect(resolveOptions({ ...base, env: { KAFKA_LAG_INTERVAL_MS: '0' } }).lagIntervalMs).toBe(0)
  })

  it.each([
    [{ lagIntervalMs: -1 }, /lagIntervalMs must be an integer from 0 \(no lag sampling\) to 2147483647 milliseconds, got -1/],
    [{ lagIntervalMs: 1.5 }, /lagIntervalMs must be an integer/],
    [{ lagIntervalMs: 2 ** 31 }, /lagIntervalMs must be an integer/],
    [{ env: { KAFKA_LAG_INTERVAL_MS: '15s' } }, /KAFKA_LAG_INTERVAL_MS must be an integer from 0 .* got "15s"/],
  ])('rejects %j, naming the option or the variable', (options, message) => {
    expect(configError(options)).toMatch(message)
  })
})
