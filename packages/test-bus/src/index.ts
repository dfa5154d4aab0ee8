export { TestBus } from './bus.ts'
export type { DeadLetter, DeliveryReport, InjectOptions, Rejection, SubscribeOptions, Subscription, TestBusOptions } from './bus.ts'
// What app code depends on so that the real producer and the bus are interchangeable.
export type { MessageOf, Publish, PublishOptions, TypedPublisher } from '@topiq/contracts'
