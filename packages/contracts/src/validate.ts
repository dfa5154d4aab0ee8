import type { ErrorObject } from 'ajv'
import { ContractError, type Violation } from './errors.ts'
import { TOPICS, topicMetadata, validators, type EventMap, type TopicName } from './generated/index.ts'

export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly topic: string; readonly violations: readonly Violation[] }

const topicSet: ReadonlySet<string> = new Set(TOPICS)

export function isTopicName(name: string): name is TopicName {
  return topicSet.has(name)
}

export function unknownTopicError(topic: string): ContractError {
  return new ContractError(
    'UNKNOWN_TOPIC',
    topic,
    `unknown topic "${topic}": no schema named schemas/${topic}. Known topics: ${TOPICS.join(', ')}. ` +
      'Add a schema file for it and run `pnpm codegen`.',
  )
}

/** JSON pointer (`/items/2/name`) → JSON path (`$.items[2].name`). */
function toJsonPath(pointer: string, extra?: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (extra !== undefined) segments.push(extra)
  return segments.reduce(
    (path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `${path}.${s}` : `${path}[${JSON.stringify(s)}]`),
    '$',
  )
}

function describe(error: ErrorObject): Violation {
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return { path: toJsonPath(error.instancePath, String(params['missingProperty'])), keyword: 'required', message: 'is required but missing' }
    case 'additionalProperties':
      return {
        path: toJsonPath(error.instancePath, String(params['additionalProperty'])),
        keyword: 'additionalProperties',
        message: 'is not allowed by the schema (additionalProperties: false)',
      }
    case 'enum':
      return {
        path: toJsonPath(error.instancePath),
        keyword: 'enum',
        message: `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      }
    case 'format':
      return { path: toJsonPath(error.instancePath), keyword: 'format', message: `must be a valid ${String(params['format'])} string` }
    default:
      return { path: toJsonPath(error.instancePath), keyword: error.keyword, message: error.message ?? 'is invalid' }
  }
}

/**
 * Checks `value` against the topic's precompiled validator. Returns the value typed on success, or every violation
 * with its JSON path. An unknown topic is a programming error and throws `ContractError` (`UNKNOWN_TOPIC`).
 */
export function validate<T extends TopicName>(topic: T, value: unknown): ValidationResult<EventMap[T]>
export function validate(topic: string, value: unknown): ValidationResult<EventMap[TopicName]>
export function validate(topic: string, value: unknown): ValidationResult<EventMap[TopicName]> {
  if (!isTopicName(topic)) throw unknownTopicError(topic)
  const validator = validators[topic]
  if (validator(value)) return { ok: true, value }
  return { ok: false, topic, violations: (validator.errors ?? []).map(describe) }
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `  ${v.path} ${v.message}`).join('\n')
}

/** Like `validate`, but throws `ContractError` (`INVALID_PAYLOAD`) listing every violation. */
export function assertValid<T extends TopicName>(topic: T, value: unknown): EventMap[T] {
  const result = validate(topic, value)
  if (result.ok) return result.value
  throw new ContractError(
    'INVALID_PAYLOAD',
    topic,
    `payload for topic "${topic}" does not match schemas/${topic} (${result.violations.length} violation(s)):\n` +
      formatViolations(result.violations),
    result.violations,
  )
}

/**
 * A function reading the message key of a topic's payloads: the value of the field its `x-kafka.key` names, as a
 * string; `null` when the topic has no key field or the payload lacks it. Look it up once per topic on hot paths.
 */
export function keyReader<T extends TopicName>(topic: T): (payload: EventMap[T]) => string | null {
  const field: string | null = topicMetadata[topic].key
  if (field === null) return () => null
  return (payload) => {
    const value = (payload as unknown as Record<string, unknown>)[field]
    return value === undefined || value === null ? null : String(value)
  }
}

/** The message key for a payload: the value of the field named by the topic's `x-kafka.key`, if any. */
export function keyOf<T extends TopicName>(topic: T, payload: EventMap[T]): string | undefined {
  return keyReader(topic)(payload) ?? undefined
}

/** The INVALID_PAYLOAD error of a publish refused before sending (producer and test bus alike); `where`: payload or batch. */
export function invalidPayloadError(topic: string, violations: readonly Violation[], where = 'payload'): ContractError {
  return new ContractError(
    'INVALID_PAYLOAD',
    topic,
    `${where} for topic "${topic}" does not match schemas/${topic} (${violations.length} violation(s)); nothing was sent:\n` + formatViolations(violations),
    violations,
  )
}
