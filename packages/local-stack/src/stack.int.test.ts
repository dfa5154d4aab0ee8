// Integration test on the REAL local stack (started by vitest-global-setup.ts when it is not running):
// kafkajs 2.2.4 against the Kafka version in versions.ts, over PLAINTEXT and SASL/SCRAM-SHA-256, and the
// Confluent-compatible API of Apicurio Registry.
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Kafka, logLevel, Partitioners, type KafkaConfig } from 'kafkajs'
import { afterAll, describe, expect, it } from 'vitest'
import { connectionInfo, KAFKA_VERSION } from './index.ts'

const info = connectionInfo()
const runId = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`
const repoRoot = join(import.meta.dirname, '..', '..', '..')

function kafkaClient(extra: Partial<KafkaConfig> & Pick<KafkaConfig, 'brokers'>): Kafka {
  return new Kafka({ clientId: `local-stack-int-${runId}`, logLevel: logLevel.NOTHING, connectionTimeout: 5000, ...extra })
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e: unknown) => {
        clearTimeout(t)
        reject(e instanceof Error ? e : new Error(String(e)))
      },
    )
  })
}

const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

/** createTopics → produce one message → consume it in a consumer group → committed offset is visible to admin. */
async function roundTrip(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  cleanups.push(() => admin.disconnect())
  expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })).toBe(true)
  cleanups.push(() => admin.deleteTopics({ topics: [topic] }))
  expect(await admin.listTopics()).toContain(topic)

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  cleanups.push(() => producer.disconnect())
  const value = JSON.stringify({ runId, topic })
  const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: 'key-1', value, headers: { origin: 'local-stack-int' } }] })
  expect(meta?.errorCode).toBe(0)

  const groupId = `local-stack-int-${runId}-${topic}`
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 })
  await consumer.connect()
  cleanups.push(() => consumer.disconnect())
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  const received = new Promise<{ key: string; value: string; origin: string }>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        resolve({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', origin: message.headers?.['origin']?.toString() ?? '' })
      },
    })
  })
  expect(await withTimeout(received, 40_000, `consuming from ${topic}`)).toEqual({ key: 'key-1', value, origin: 'local-stack-int' })
  await consumer.disconnect() // commits the consumed offset

  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] })
  expect(offsets[0]?.partitions[0]?.offset).toBe('1')
}

describe(`local stack (Kafka ${KAFKA_VERSION} + Apicurio Registry) with kafkajs`, () => {
  it('creates a topic, produces and consumes one message over PLAINTEXT', async () => {
    await roundTrip(kafkaClient({ brokers: info.brokers }), `local-stack-int.plain-${runId}`)
  })

  it('does the same over SASL_PLAINTEXT with SCRAM-SHA-256', async () => {
    await roundTrip(kafkaClient({ brokers: info.saslBrokers, sasl: { ...info.scram } }), `local-stack-int.scram-${runId}`)
  })

  it('refuses a wrong SCRAM password', async () => {
    const kafka = kafkaClient({
      brokers: info.saslBrokers,
      sasl: { mechanism: 'scram-sha-256', username: info.scram.username, password: `${info.scram.password}-wrong` },
      retry: { retries: 0 },
    })
    const admin = kafka.admin({ retry: { retries: 0 } })
    const err = await admin.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    await admin.disconnect().catch(() => undefined)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe('KafkaJSSASLAuthenticationError')
    expect((err as Error).message).toMatch(/SASL SCRAM SHA256 authentication failed.*invalid credentials/i)
  })

  it('does not auto-create topics: producing to a missing topic fails', async () => {
    const kafka = kafkaClient({ brokers: info.brokers, retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 } })
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true })
    await producer.connect()
    cleanups.push(() => producer.disconnect())
    const err = await producer.send({ topic: `local-stack-int.missing-${runId}`, messages: [{ value: 'x' }] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(Error)
    expect(String((err as Error & { cause?: unknown }).message) + String((err as Error & { cause?: unknown }).cause ?? '')).toMatch(
      /does not host this topic-partition|UNKNOWN_TOPIC_OR_PARTITION|topic-partition/i,
    )
    const admin = kafka.admin()
    await admin.connect()
    cleanups.push(() => admin.disconnect())
    expect(await admin.listTopics()).not.toContain(`local-stack-int.missing-${runId}`)
  })

  it('registers a JSON Schema through the Confluent-compatible registry API and reads it back', async () => {
    const subject = `local-stack-int.campaign.created-${runId}-value`
    const schemaText = readFileSync(join(repoRoot, 'schemas', 'campaign.created.json'), 'utf8')
    const schema = JSON.parse(schemaText) as unknown
    const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json' }

    const post = await fetch(`${info.registryUrl}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schemaType: 'JSON', schema: JSON.stringify(schema) }),
    })
    const created = (await post.json()) as { id?: number }
    expect(post.status, JSON.stringify(created)).toBe(200)
    expect(typeof created.id).toBe('number')

    const subjects = (await (await fetch(`${info.registryUrl}/subjects`)).json()) as string[]
    expect(subjects).toContain(subject)

    const latest = await fetch(`${info.registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`)
    expect(latest.status).toBe(200)
    const body = (await latest.json()) as { subject: string; version: number; id: number; schemaType?: string; schema: string }
    expect(body.subject).toBe(subject)
    expect(body.version).toBe(1)
    expect(body.id).toBe(created.id)
    expect(body.schemaType).toBe('JSON')
    expect(JSON.parse(body.schema)).toEqual(schema)

    const byId = await fetch(`${info.registryUrl}/schemas/ids/${String(created.id)}`)
    expect(byId.status).toBe(200)
    expect(JSON.parse(((await byId.json()) as { schema: string }).schema)).toEqual(schema)
  })
})
