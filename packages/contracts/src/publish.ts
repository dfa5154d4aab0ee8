import type { EventMap, TopicName } from './generated/index.ts'

/** The payload type of a topic. */
export type EventOf<T extends TopicName> = EventMap[T]

/** A typed message as a consumer sees it; a union over topics when `T` is a union. */
export type MessageOf<T extends TopicName> = {
  [K in T]: {
    topic: K
    partition: number
    offset: string
    key: string | null
    value: EventMap[K]
    headers: Record<string, string>
    timestamp: string
  }
}[T]

export interface PublishOptions {
  /** Message key; defaults to the field the topic's `x-kafka.key` names. */
  key?: string
  /** Extra headers (`source`, `correlation_id`, …), kept as given next to the standard ones. */
  headers?: Readonly<Record<string, string>>
}

/** The typed publish signature every producer implements: the topic name carries its payload type. */
export type Publish<R = void> = <T extends TopicName>(topic: T, payload: EventMap[T], options?: PublishOptions) => Promise<R>

export interface TypedPublisher<R = void> {
  publish: Publish<R>
}
