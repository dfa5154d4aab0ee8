import type { EventMap, TopicName } from './generated/index.ts'

/** The payload type of a topic. */
export type EventOf<T extends TopicName> = EventMap[T]

/** One record header exactly as it was written: a name may repeat, and a value may be null (length -1 on the wire). */
export interface RawHeader {
  readonly key: string
  readonly value: Buffer | null
}

/** The record's original bytes, for what UTF-8 decoding loses: binary keys and header values, repeats, nulls. */
export interface RawRecord {
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** Every header in record order per name (names in order of first appearance), repeats and null values kept. */
  readonly headers: readonly RawHeader[]
}

/** A typed message as a consumer sees it; a union over topics when `T` is a union. */
export type MessageOf<T extends TopicName> = {
  [K in T]: {
    topic: K
    partition: number
    offset: string
    /** The key decoded as UTF-8; `raw.key` has its bytes. */
    key: string | null
    value: EventMap[K]
    /** Header values decoded as UTF-8; for a repeated name the last non-null value, a null-only header is absent. */
    headers: Record<string, string>
    timestamp: string
    /** The original bytes (not enumerable: kept out of spreads and JSON). */
    readonly raw: RawRecord
  }
}[T]

export interface PublishOptions {
  /** Message key; defaults to the field the topic's `x-kafka.key` names. */
  key?: string
  /** Extra headers (`source`, `correlation_id`, …), kept as given next to the standard ones. */
  headers?: Readonly<Record<string, string>>
}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never
type IsUnion<T> = [T] extends [UnionToIntersection<T>] ? false : true

/**
 * What `publish<T>` accepts as payload: `EventMap[T]` for one topic. For a union type argument the payload must
 * fit every topic named (an intersection, as TypeScript itself requires for `map[key] = value` with a union key):
 * `EventMap[T]` would be the union of the payloads and let one topic's payload be sent to another topic. Inside a
 * `<T extends TopicName>` helper, `EventMap[T]` is still accepted.
 */
export type PublishPayload<T extends TopicName> = IsUnion<T> extends true ? UnionToIntersection<EventMap[T]> : EventMap[T]

/** The typed publish signature every producer implements: the topic name carries its payload type. */
export type Publish<R = void> = <T extends TopicName>(topic: T, payload: PublishPayload<T>, options?: PublishOptions) => Promise<R>

export interface TypedPublisher<R = void> {
  publish: Publish<R>
}
