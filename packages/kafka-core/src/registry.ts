import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { definitions as contractDefinitions, topicMetadata, type TopicName } from '@topiq/contracts'
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
 * Subject of a shared definition (`defs/money.json` → `<prefix>defs.money.json`): registered once, referenced by
 * every topic schema that `$ref`s it. No '/', since subjects are URL path segments.
 */
export function definitionSubjectOf(file: string, topicPrefix = ''): string {
  return `${topicPrefix}${file.replace(/\//g, '.')}`
}

/** Shared definitions by path (`defs/money.json`), as the contracts package exports them. */
export type DefinitionSource = Readonly<Record<string, { readonly schema: unknown } | undefined>>

/** A Confluent schema reference: `name` is the `$ref` exactly as written, resolved to `subject`'s `version`. */
export interface SchemaReference {
  name: string
  subject: string
  version: number
}

/** The non-local `$ref` strings of a schema, each with the definition path it resolves to from `fromFile`. */
export function definitionRefs(schema: unknown, fromFile: string): { name: string; file: string }[] {
  const found = new Map<string, string>()
  const walk = (node: unknown, key?: string) => {
    if (Array.isArray(node)) node.forEach((n) => walk(n))
    else if (isRecord(node) && key !== 'enum' && key !== 'const' && key !== 'default' && key !== 'examples') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) {
          const path = v.split('#')[0] ?? v
          found.set(v, decodeURIComponent(new URL(path, `file:///schemas/${fromFile}`).pathname.slice('/schemas/'.length)))
        } else walk(v, k)
      }
    }
  }
  walk(schema)
  return [...found].map(([name, file]) => ({ name, file })).sort((a, b) => a.name.localeCompare(b.name))
}

/** A schema as the registry holds it, with every schema it references (by the path its `$ref` resolves to), fetched through the registry. */
export interface ResolvedSchema {
  id: number
  schema: Record<string, unknown>
  references: Map<string, Record<string, unknown>>
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
  readonly #definitionVersions = new Map<string, Promise<SchemaReference['version']>>()

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

  /**
   * Registers the shared definitions `schema` (from `schemas/<fromFile>`) refers to, each under its own subject
   * (definitions first), and returns the references to send with it. Cached per definition.
   */
  async referencesFor(schema: unknown, fromFile: string, definitions: DefinitionSource = contractDefinitions, stack: readonly string[] = []): Promise<SchemaReference[]> {
    const references: SchemaReference[] = []
    for (const { name, file } of definitionRefs(schema, fromFile)) {
      const def = definitions[file]
      if (def === undefined) {
        throw new KafkaClientError('REGISTRY_ERROR', `schemas/${fromFile} refers to "${name}" (schemas/${file}), which is not a shared definition: run \`pnpm codegen\` and check the path`)
      }
      if (stack.includes(file)) {
        throw new KafkaClientError('REGISTRY_ERROR', `schemas/${file} refers back to itself (${[...stack, file].join(' → ')}): Confluent schema references cannot form a cycle; inline one side`)
      }
      const subject = definitionSubjectOf(file, this.topicPrefix)
      let version = this.#definitionVersions.get(subject)
      if (version === undefined) {
        version = this.referencesFor(def.schema, file, definitions, [...stack, file]).then((refs) => this.#registerVersion(subject, def.schema, refs, `schemas/${file}`))
        this.#definitionVersions.set(subject, version)
        version.catch(() => this.#definitionVersions.delete(subject))
      }
      references.push({ name, subject, version: await version })
    }
    return references
  }

  /** The subject's version holding exactly this schema and references, registering it when there is none. */
  async #registerVersion(subject: string, schema: unknown, references: readonly SchemaReference[], source: string): Promise<number> {
    const what = `cannot register ${source} as subject "${subject}"`
    const body = { schemaType: SchemaType.JSON, schema: JSON.stringify(schema), ...(references.length === 0 ? {} : { references }) }
    const path = `/subjects/${encodeURIComponent(subject)}`
    const found = await this.#request('POST', path, what, body)
    if (found.status === 200 && isRecord(found.body) && typeof found.body['version'] === 'number') return found.body['version']
    if (found.status !== 404) throw this.#failure(what, 'POST', path, found)
    const registered = await this.#request('POST', `${path}/versions`, what, body)
    if (registered.status !== 200) throw this.#failure(what, 'POST', `${path}/versions`, registered)
    const again = await this.#request('POST', path, what, body)
    if (again.status === 200 && isRecord(again.body) && typeof again.body['version'] === 'number') return again.body['version']
    throw this.#failure(what, 'POST', path, again)
  }

  /** A registered schema and, recursively, every schema its references name: what a reader needs to resolve its `$ref`s. */
  async resolveById(id: number): Promise<ResolvedSchema> {
    const what = `cannot resolve schema id ${id}`
    const path = `/schemas/ids/${id}`
    const response = await this.#request('GET', path, what)
    if (response.status !== 200 || !isRecord(response.body)) throw this.#failure(what, 'GET', path, response)
    const references = new Map<string, Record<string, unknown>>()
    // A reference name is a `$ref` relative to the schema that holds it (`currency.json` inside defs/money.json):
    // keyed by the path it resolves to, as a validator resolves it.
    const follow = async (refs: unknown, from: string) => {
      for (const ref of Array.isArray(refs) ? refs : []) {
        if (!isRecord(ref)) continue
        const key = decodeURIComponent(new URL(String(ref['name']).split('#')[0] ?? '', `file:///schemas/${from}`).pathname.slice('/schemas/'.length))
        if (references.has(key)) continue
        const refPath = `/subjects/${encodeURIComponent(String(ref['subject']))}/versions/${String(ref['version'])}`
        const version = await this.#request('GET', refPath, what)
        if (version.status !== 200 || !isRecord(version.body)) throw this.#failure(what, 'GET', refPath, version)
        references.set(key, JSON.parse(String(version.body['schema'])) as Record<string, unknown>)
        await follow(version.body['references'], key)
      }
    }
    await follow(response.body['references'], '')
    return { id, schema: JSON.parse(String(response.body['schema'])) as Record<string, unknown>, references }
  }

  /**
   * Registers `schema` under `subject` with the shared definitions it `$ref`s as Confluent references (what
   * `schemaIdFor` does for a topic; exposed for tools and tests). A new subject gets `compatibility` first.
   */
  async registerSchema(subject: string, schema: Record<string, unknown>, options: { file: string; compatibility: string; definitions?: DefinitionSource }): Promise<number> {
    const references = await this.referencesFor(schema, options.file, options.definitions)
    return this.#register(subject, schema, references, options.file, options.compatibility)
  }

  private async register(topic: TopicName): Promise<number> {
    const meta = topicMetadata[topic]
    return this.registerSchema(subjectOf(topic, this.topicPrefix), meta.schema, { file: topic, compatibility: meta.compatibility })
  }

  async #register(subject: string, schema: Record<string, unknown>, references: readonly SchemaReference[], topic: string, compatibility: string): Promise<number> {
    const what = `cannot register schemas/${topic} as subject "${subject}"`
    const subjectPath = `/subjects/${encodeURIComponent(subject)}`
    const latest = await this.#request('GET', `${subjectPath}/versions/latest`, what)
    const latestBody = isRecord(latest.body) ? latest.body : undefined
    if (latest.status === 200 && latestBody !== undefined) {
      // Registered already (by us or a peer, whitespace and key order aside): use it; no write, no config change.
      if ((latestBody['schemaType'] ?? 'AVRO') === SchemaType.JSON && sameJson(parseJson(latestBody['schema']), schema) && sameJson(latestBody['references'] ?? [], references)) {
        return Number(latestBody['id'])
      }
    } else if (latest.status === 404) {
      // A new subject gets the topic's level first, so a failed registration leaves nothing half-configured.
      const config = await this.#request('PUT', `/config/${encodeURIComponent(subject)}`, what, { compatibility })
      if (config.status !== 200) throw this.#failure(what, 'PUT', `/config/${subject}`, config, topic)
    } else {
      throw this.#failure(what, 'GET', `${subjectPath}/versions/latest`, latest, topic)
    }
    const body = { schemaType: SchemaType.JSON, schema: JSON.stringify(schema), ...(references.length === 0 ? {} : { references }) }
    const registered = await this.#request('POST', `${subjectPath}/versions`, what, body)
    if (registered.status === 200 && isRecord(registered.body) && typeof registered.body['id'] === 'number') return registered.body['id']
    throw await this.#refused(topic, subject, registered, latestBody)
  }

  /** What the registry refused, the subject's state (level, latest version) and what to do about it. */
  async #refused(topic: string, subject: string, response: RegistryResponse, latest: Record<string, unknown> | undefined): Promise<KafkaClientError> {
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
