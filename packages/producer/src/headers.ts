import { randomUUID } from 'node:crypto'
import { topicMetadata, type TopicName } from '@topiq/contracts'
import { CONTENT_TYPE, HEADER, KafkaClientError } from '@topiq/kafka-core'

export const SPEC_VERSION = '1.0'

const RESERVED: ReadonlySet<string> = new Set(Object.values(HEADER))

/**
 * Schema identity of a payload: `schemas/<topic>#<fingerprint>`, and in registry mode `;registry-id=<id>` after it
 * (the id the registry gave the schema, also in bytes 1–4 of the value).
 */
export function dataSchemaOf(topic: TopicName, schemaId?: number): string {
  const base = `schemas/${topic}#${topicMetadata[topic].fingerprint}`
  return schemaId === undefined ? base : `${base};registry-id=${schemaId}`
}

let lastMs = 0
let lastIso = new Date(0).toISOString()
/** RFC 3339 time of now; formatted once per millisecond (a batch of 100 shares one `toISOString`). */
export function isoNow(): string {
  const ms = Date.now()
  if (ms !== lastMs) {
    lastMs = ms
    lastIso = new Date(ms).toISOString()
  }
  return lastIso
}

/** The headers every message of a topic shares; computed once per topic and mode. */
export interface HeaderTemplate {
  readonly type: string
  readonly source: string
  readonly contentType: string
  readonly dataSchema: string
}

export function headerTemplate(topic: TopicName, source: string, schemaId?: number): HeaderTemplate {
  return {
    type: topic,
    source,
    contentType: schemaId === undefined ? CONTENT_TYPE.json : CONTENT_TYPE.registryJson,
    dataSchema: dataSchemaOf(topic, schemaId),
  }
}

/**
 * Checks caller headers once per call: a caller header may not reuse a standard name (the producer owns those, and
 * silently dropping either value would hide a bug), and values are strings. Throws CONFIG_INVALID.
 */
export function checkUserHeaders(user: Readonly<Record<string, string>> | undefined): void {
  if (user === undefined) return
  for (const name of Object.keys(user)) {
    if (RESERVED.has(name)) {
      throw new KafkaClientError('CONFIG_INVALID', `header "${name}" is set by the producer (standard headers: ${[...RESERVED].join(', ')}); use another name`)
    }
    const value = user[name]
    if (typeof value !== 'string') throw new KafkaClientError('CONFIG_INVALID', `header "${name}" must be a string, not ${typeof value}`)
  }
}

/**
 * Whether the caller set W3C trace context (`traceparent` or `tracestate`) on an event themselves: then the caller's
 * values are kept as given and the producer writes neither (its `send` span is still recorded). Refusing them would
 * break a relay that republishes an event under its original trace, or an app that propagates a trace without
 * OpenTelemetry; overwriting one and keeping the other would pair a traceparent with a foreign tracestate.
 */
export function callerTraces(user: Readonly<Record<string, string>> | undefined): boolean {
  return user !== undefined && (user['traceparent'] !== undefined || user['tracestate'] !== undefined)
}

/** Standard headers (CloudEvents Kafka binding names) plus already-checked caller headers, kept as given. */
export function headersOf(template: HeaderTemplate, user: Readonly<Record<string, string>> | undefined, eventId: string, time: string): Record<string, string> {
  const headers: Record<string, string> = {
    [HEADER.specVersion]: SPEC_VERSION,
    [HEADER.id]: eventId,
    [HEADER.source]: template.source,
    [HEADER.type]: template.type,
    [HEADER.time]: time,
    [HEADER.contentType]: template.contentType,
    [HEADER.dataSchema]: template.dataSchema,
  }
  return user === undefined ? headers : Object.assign(headers, user)
}

/** The headers of one message: checks the caller's, adds the standard ones (fresh UUID, now). */
export function buildHeaders(
  template: HeaderTemplate,
  user: Readonly<Record<string, string>> | undefined,
  eventId: string = randomUUID(),
  time: string = isoNow(),
): Record<string, string> {
  checkUserHeaders(user)
  return headersOf(template, user, eventId, time)
}
