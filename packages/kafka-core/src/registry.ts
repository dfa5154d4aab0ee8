import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { topicMetadata, type TopicName } from '@topiq/contracts'
import { Ajv } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import ajvFormats from 'ajv-formats'
import type { RegistryOptions } from './config.ts'
import { KafkaClientError } from './errors.ts'

/** Subject naming: TopicNameStrategy, the registry default, on the physical topic (prefix included). */
export function subjectOf(topic: string, topicPrefix = ''): string {
  return `${topicPrefix}${topic}-value`
}

/**
 * The registry library's own ajv knows neither draft 2020-12 (its issue #308) nor formats: hand it ours.
 * Only used when the library compiles a schema (registering, `decode` in tests); publishing validates with the
 * validators precompiled at codegen time.
 */
export function registryAjv(draft2020 = false): Ajv {
  const options = { allErrors: true, strict: false }
  const ajv = draft2020 ? new Ajv2020(options) : new Ajv(options)
  ajvFormats.default(ajv)
  return ajv
}

/**
 * Registers each topic's schema once under `<topic>-value` (JSON Schema type) and caches the id: the library does
 * not cache `getLatestSchemaId`, and a registry round trip per message would dominate publish latency.
 */
export class RegistryClient {
  readonly registry: SchemaRegistry
  readonly url: string
  /** Environments that share a registry through topic prefixes get their own subjects. */
  readonly topicPrefix: string
  private readonly ids = new Map<string, Promise<number>>()

  constructor(options: RegistryOptions, topicPrefix = '') {
    this.url = options.url.replace(/\/+$/, '')
    this.topicPrefix = topicPrefix
    this.registry = new SchemaRegistry(
      {
        host: this.url,
        clientId: 'topiq',
        ...(options.username === undefined ? {} : { auth: { username: options.username, password: options.password ?? '' } }),
      },
      { [SchemaType.JSON]: { ajvInstance: registryAjv() } },
    )
  }

  /** Schema id for the topic's current schema, registering it on first use. */
  schemaIdFor(topic: TopicName): Promise<number> {
    let id = this.ids.get(topic)
    if (id === undefined) {
      id = this.register(topic)
      this.ids.set(topic, id)
      id.catch(() => this.ids.delete(topic)) // a failed registration is retried on the next publish
    }
    return id
  }

  private async register(topic: TopicName): Promise<number> {
    const meta = topicMetadata[topic]
    try {
      const { id } = await this.registry.register(
        { type: SchemaType.JSON, schema: JSON.stringify(meta.schema) },
        { subject: subjectOf(topic, this.topicPrefix), compatibility: COMPATIBILITY[meta.compatibility], updateConfig: true },
      )
      return id
    } catch (cause) {
      const message = (cause as Error).message
      throw new KafkaClientError(
        'REGISTRY_ERROR',
        `cannot register schemas/${topic} as subject "${subjectOf(topic, this.topicPrefix)}" at ${this.url}: ${message}. ` +
          'A 409 means the schema change breaks the subject\'s compatibility level: check it with `pnpm topiq schemas check`.',
        { topic, cause, retriable: !/409|422|Compatib/i.test(message) },
      )
    }
  }
}
