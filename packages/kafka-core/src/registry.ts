import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
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
 * Only used when the library compiles a schema (`decode` in tests); publishing validates with the validators
 * precompiled at codegen time.
 */
export function registryAjv(draft2020 = false): Ajv {
  const options = { allErrors: true, strict: false }
  const ajv = draft2020 ? new Ajv2020(options) : new Ajv(options)
  ajvFormats.default(ajv)
  return ajv
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** JSON equality with object key order ignored (array order kept): what "the same schema" means across clients. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => sameJson(v, b[i]))
  if (!isRecord(a) || !isRecord(b)) return false
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]))
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Where a schema id is registered: one entry per subject version that holds it. */
export interface SchemaVersionRef {
  subject: string
  version: number
}

/** What the registry says about a schema id read from a framed message. */
export type SchemaIdLookup =
  | { readonly found: true; readonly id: number; readonly schemaType: string; readonly schema: string; readonly versions: readonly SchemaVersionRef[] }
  | { readonly found: false; readonly id: number; readonly reason: 'UNKNOWN_SCHEMA_ID'; readonly message: string }

export interface SchemaIdVerifierOptions {
  /** Asks the registry; rejects when it cannot tell (unreachable, 5xx), which is never cached. */
  lookup: (id: number) => Promise<SchemaIdLookup>
  /** How long an unknown id stays unknown before the registry is asked again. */
  missTtlMs?: number
  /** Most unknown ids remembered; the oldest is forgotten first. */
  maxMisses?: number
  now?: () => number
}

const VERIFIER_DEFAULTS = {
  missTtlMs: 5_000, // ids may appear later (a registry replica catching up); a miss is rechecked after this
  maxMisses: 10_000, // a stream of garbage ids must not grow memory without bound
} as const

/**
 * Cached schema-id lookups for consumers of registry-framed topics. Found ids are cached for good (a registry id
 * always names the same schema); unknown ids briefly; lookups in flight are shared; failures are not cached.
 */
export class SchemaIdVerifier {
  readonly #lookup: (id: number) => Promise<SchemaIdLookup>
  readonly #missTtlMs: number
  readonly #maxMisses: number
  readonly #now: () => number
  readonly #found = new Map<number, SchemaIdLookup>()
  readonly #misses = new Map<number, { result: SchemaIdLookup; expiresAt: number }>()
  readonly #inFlight = new Map<number, Promise<SchemaIdLookup>>()

  constructor(options: SchemaIdVerifierOptions) {
    this.#lookup = options.lookup
    this.#missTtlMs = options.missTtlMs ?? VERIFIER_DEFAULTS.missTtlMs
    this.#maxMisses = options.maxMisses ?? VERIFIER_DEFAULTS.maxMisses
    this.#now = options.now ?? Date.now
  }

  /** The cached answer without a round trip (the consumer's hot path), or undefined when the registry must be asked. */
  cached(id: number): SchemaIdLookup | undefined {
    const hit = this.#found.get(id)
    if (hit !== undefined) return hit
    const miss = this.#misses.get(id)
    if (miss === undefined) return undefined
    if (miss.expiresAt > this.#now()) return miss.result
    this.#misses.delete(id)
    return undefined
  }

  verify(id: number): Promise<SchemaIdLookup> {
    const cached = this.cached(id)
    if (cached !== undefined) return Promise.resolve(cached)
    let pending = this.#inFlight.get(id)
    if (pending === undefined) {
      pending = this.#lookup(id).then(
        (result) => {
          this.#inFlight.delete(id)
          if (result.found) this.#found.set(id, result)
          else this.#remember(id, result)
          return result
        },
        (error: unknown) => {
          this.#inFlight.delete(id)
          throw error
        },
      )
      this.#inFlight.set(id, pending)
    }
    return pending
  }

  #remember(id: number, result: SchemaIdLookup): void {
    this.#misses.delete(id) // re-inserted last: Map order is the eviction order
    this.#misses.set(id, { result, expiresAt: this.#now() + this.#missTtlMs })
    while (this.#misses.size > this.#maxMisses) {
      const oldest = this.#misses.keys().next()
      if (oldest.done === true) break
      this.#misses.delete(oldest.value)
    }
  }
}

/** A hung registry must not hang a publish or a consumer forever. */
const REQUEST_TIMEOUT_MS = 10_000

interface RegistryResponse {
  status: number
  body: unknown
}

/** The Confluent API's error body: `{error_code, message}`. */
function registryErrorText(response: RegistryResponse): string {
  const body = response.body
  if (isRecord(body) && (body['error_code'] !== undefined || body['message'] !== undefined)) {
    return `error_code ${String(body['error_code'])}: ${String(body['message'])}`
  }
  return typeof body === 'string' && body !== '' ? body.slice(0, 300) : 'no error body'
}

function retriableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

/**
 * Registers each topic's schema once under `<prefix><topic>-value` (JSON Schema type) and caches the id: a registry
 * round trip per message would dominate publish latency. Subjects are shared with other clients: a latest version
 * that is already our schema is used as is, and a subject that exists keeps its owner's compatibility level.
 */
export class RegistryClient {
  /** The registry library, for decoding framed values (tests, tools); registration goes through `fetch` below. */
  readonly registry: SchemaRegistry
  readonly url: string
  /** Environments that share a registry through topic prefixes get their own subjects. */
  readonly topicPrefix: string
  /** Cached id → schema lookups (consumers). */
  readonly verifier: SchemaIdVerifier
  readonly #authorization: string | undefined
  private readonly ids = new Map<string, Promise<number>>()

  constructor(options: RegistryOptions, topicPrefix = '', verifier: Omit<SchemaIdVerifierOptions, 'lookup'> = {}) {
    this.url = options.url.replace(/\/+$/, '')
    this.topicPrefix = topicPrefix
    this.#authorization =
      options.username === undefined ? undefined : `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`
    this.registry = new SchemaRegistry(
      {
        host: this.url,
        clientId: 'topiq',
        ...(options.username === undefined ? {} : { auth: { username: options.username, password: options.password ?? '' } }),
      },
      { [SchemaType.JSON]: { ajvInstance: registryAjv() } },
    )
    this.verifier = new SchemaIdVerifier({ ...verifier, lookup: (id) => this.#lookupId(id) })
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

  /**
   * Whether `id` (read from a framed message) exists in the registry, and under which subject versions. Cached.
   * `{found: false, reason: 'UNKNOWN_SCHEMA_ID'}` lets a consumer dead-letter the message; a registry that cannot
   * answer rejects with a retriable REGISTRY_ERROR instead.
   */
  schemaById(id: number): Promise<SchemaIdLookup> {
    return this.verifier.verify(id)
  }

  async #request(method: 'GET' | 'POST' | 'PUT', path: string, what: string, body?: unknown): Promise<RegistryResponse> {
    const headers: Record<string, string> = { accept: 'application/vnd.schemaregistry.v1+json, application/json' }
    if (body !== undefined) headers['content-type'] = 'application/vnd.schemaregistry.v1+json'
    if (this.#authorization !== undefined) headers['authorization'] = this.#authorization
    let response: Response
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
    } catch (cause) {
      const reason = (cause as Error).cause instanceof Error ? ((cause as Error).cause as Error).message : (cause as Error).message
      throw new KafkaClientError(
        'REGISTRY_ERROR',
        `${what}: schema registry at ${this.url} is unreachable (${method} ${path}: ${reason}). ` +
          'Check SCHEMA_REGISTRY_URL (the Confluent-compatible base URL, e.g. http://127.0.0.1:8081/apis/ccompat/v7) and that the registry is up.',
        { cause, retriable: true },
      )
    }
    const text = await response.text()
    return { status: response.status, body: parseJson(text) ?? text }
  }

  #failure(what: string, method: string, path: string, response: RegistryResponse, topic?: string): KafkaClientError {
    const auth = response.status === 401 || response.status === 403 ? ' Check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD.' : ''
    return new KafkaClientError('REGISTRY_ERROR', `${what}: ${method} ${this.url}${path} answered ${response.status} (${registryErrorText(response)}).${auth}`, {
      ...(topic === undefined ? {} : { topic }),
      retriable: retriableStatus(response.status),
    })
  }

  async #lookupId(id: number): Promise<SchemaIdLookup> {
    const what = `cannot look up schema id ${id}`
    const path = `/schemas/ids/${id}`
    const schema = await this.#request('GET', path, what)
    if (schema.status === 404) {
      return { found: false, id, reason: 'UNKNOWN_SCHEMA_ID', message: `schema id ${id} is not in the registry at ${this.url} (${registryErrorText(schema)})` }
    }
    if (schema.status !== 200 || !isRecord(schema.body)) throw this.#failure(what, 'GET', path, schema)
    const versions = await this.#request('GET', `${path}/versions`, what)
    // Registries without this endpoint (404) still told us the id exists.
    const refs = versions.status === 200 && Array.isArray(versions.body) ? versions.body.filter(isVersionRef) : []
    if (versions.status !== 200 && versions.status !== 404) throw this.#failure(what, 'GET', `${path}/versions`, versions)
    return {
      found: true,
      id,
      schemaType: typeof schema.body['schemaType'] === 'string' ? schema.body['schemaType'] : 'AVRO', // the API omits AVRO
      schema: String(schema.body['schema']),
      versions: refs.map((r) => ({ subject: r.subject, version: r.version })),
    }
  }

  /** The subject's compatibility level, saying whether it is the subject's own or the registry-wide default. */
  async #levelOf(subject: string): Promise<string> {
    const own = await this.#request('GET', `/config/${encodeURIComponent(subject)}`, 'compatibility').catch(() => undefined)
    if (own?.status === 200 && isRecord(own.body)) return `${String(own.body['compatibilityLevel'])} (the subject's own level)`
    const global = await this.#request('GET', '/config', 'compatibility').catch(() => undefined)
    if (global?.status === 200 && isRecord(global.body)) return `${String(global.body['compatibilityLevel'])} (the registry-wide default)`
    return 'unknown'
  }

  private async register(topic: TopicName): Promise<number> {
    const meta = topicMetadata[topic]
    const subject = subjectOf(topic, this.topicPrefix)
    const what = `cannot register schemas/${topic} as subject "${subject}"`
    const subjectPath = `/subjects/${encodeURIComponent(subject)}`
    const latest = await this.#request('GET', `${subjectPath}/versions/latest`, what)
    const latestBody = isRecord(latest.body) ? latest.body : undefined
    if (latest.status === 200 && latestBody !== undefined) {
      // Registered already (by us or a peer, whitespace and key order aside): use it; no write, no config change.
      if ((latestBody['schemaType'] ?? 'AVRO') === SchemaType.JSON && sameJson(parseJson(latestBody['schema']), meta.schema)) {
        return Number(latestBody['id'])
      }
    } else if (latest.status === 404) {
      // A new subject gets the topic's level first, so a failed registration leaves nothing half-configured.
      const config = await this.#request('PUT', `/config/${encodeURIComponent(subject)}`, what, { compatibility: meta.compatibility })
      if (config.status !== 200) throw this.#failure(what, 'PUT', `/config/${subject}`, config, topic)
    } else {
      throw this.#failure(what, 'GET', `${subjectPath}/versions/latest`, latest, topic)
    }
    const registered = await this.#request('POST', `${subjectPath}/versions`, what, { schemaType: SchemaType.JSON, schema: JSON.stringify(meta.schema) })
    if (registered.status === 200 && isRecord(registered.body) && typeof registered.body['id'] === 'number') return registered.body['id']
    throw await this.#refused(topic, subject, registered, latestBody)
  }

  /** What the registry refused, the subject's state (level, latest version) and what to do about it. */
  async #refused(topic: TopicName, subject: string, response: RegistryResponse, latest: Record<string, unknown> | undefined): Promise<KafkaClientError> {
    const level = await this.#levelOf(subject)
    const held =
      latest === undefined
        ? 'it has no version yet'
        : `its latest version is ${String(latest['version'])} (schema id ${String(latest['id'])}, type ${String(latest['schemaType'] ?? 'AVRO')}), a different schema than ours`
    const todo =
      response.status === 409
        ? `Our schema is not compatible with what the subject holds under its level. If another client owns "${subject}", agree on one schema ` +
          `with it (see GET ${this.url}/subjects/${subject}/versions/latest) and make schemas/${topic} compatible, or have the subject's level ` +
          `changed (PUT ${this.url}/config/${subject}); if the change is ours, \`pnpm topiq schemas check\` lists what breaks.`
        : response.status === 422
          ? `The registry refused the schema itself: check that schemas/${topic} is valid JSON Schema.`
          : response.status === 401 || response.status === 403
            ? 'Check SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD (the user needs write access to the subject).'
            : 'Retry later; if it persists, check the registry logs.'
    return new KafkaClientError(
      'REGISTRY_ERROR',
      `cannot register schemas/${topic} as subject "${subject}" at ${this.url}: the registry answered ${response.status} ` +
        `(${registryErrorText(response)}). The subject's compatibility is ${level}; ${held}. ${todo}`,
      { topic, retriable: retriableStatus(response.status) },
    )
  }
}

function isVersionRef(value: unknown): value is SchemaVersionRef {
  return isRecord(value) && typeof value['subject'] === 'string' && typeof value['version'] === 'number'
}
