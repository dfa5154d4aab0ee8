// kafka-core's seam: the few Kafka operations topiq's producer, consumer and CLI need, behind one interface with
// two implementations — kafkajs (the default; transport-kafkajs.ts) and @platformatic/kafka (transport-platformatic.ts).
// The shapes are kafkajs' (records, headers, batch payloads), narrowed to what topiq uses, so the clients above do
// not change with the transport. Whatever one transport cannot do is refused here, with a CONFIG_INVALID naming it.
import type { IHeaders, KafkaMessage, Message, RecordMetadata } from 'kafkajs'
import type { AssignorName } from './assignors.ts'
import type { ResolvedConnection, TransportName } from './config.ts'
import type { Logger } from './logger.ts'

export type { IHeaders, KafkaMessage, Message, RecordMetadata }

/** Every codec Kafka defines. */
export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
/** -1: all in-sync replicas; 1: the leader; 0: no acknowledgement. */
export type AcksValue = -1 | 0 | 1

export interface TransportOptions {
  /** Retries of connecting and of metadata/admin requests (not of sends: see ProducerConfig.retries). */
  retries?: number
}

export interface ProducerConfig {
  idempotent: boolean
  /** Retries of a failed produce request before the send fails. */
  retries: number
  /** How long a send whose outcome is unknown is retried as the same batch before it fails as outcome-unknown. */
  deliveryTimeoutMs?: number
  /**
   * Where a record without `partition` goes: `murmur2` — Java's default partitioner on the key (random for a null
   * key), as every other client; `source` — `message.partition` modulo the topic's partitions (dead letters keep
   * their source partition).
   */
  partitioner: 'murmur2' | 'source'
  /** Called with each record's partition as the partitioner chooses it (a publish that shared a request finds its own). */
  onPartition?: (message: Message, partition: number) => void
}

export interface ProduceRequest {
  topic: string
  messages: Message[]
  acks: AcksValue
  compression: CompressionName
}

export interface ProduceBatchRequest {
  topicMessages: { topic: string; messages: Message[] }[]
  acks: AcksValue
  compression: CompressionName
}

export interface TransportProducer {
  connect(): Promise<void>
  /**
   * One produce call. Resolves with a result per partition written (`baseOffset` = the partition's first record of
   * this call; records of one partition keep their order). Rejects as kafkajs does; an outcome the transport does
   * not know rejects with an error `isOutcomeUnknown` recognises, with `partitions` outcomes when some were written.
   */
  send(request: ProduceRequest): Promise<RecordMetadata[]>
  sendBatch(request: ProduceBatchRequest): Promise<RecordMetadata[]>
  disconnect(): Promise<void>
}

export interface ConsumerConfig {
  groupId: string
  sessionTimeout: number
  heartbeatInterval: number
  maxWaitTimeInMs: number
  /** Protocol names in preference order (Java's ConsumerProtocol format). */
  partitionAssigners: readonly AssignorName[]
  /** Static membership (KIP-345). */
  groupInstanceId?: string
  /**
   * Records handed to one eachBatch call at most; default: a partition's whole fetched batch, as kafkajs (topiq's
   * consumer bounds its own chunks by maxPollRecords and commits after each; a smaller batch only adds waits for commits).
   */
  maxBatchRecords?: number
}

export interface TopicOffsets {
  topic: string
  partitions: { partition: number; offset: string }[]
}

/** What eachBatch gets: kafkajs' EachBatchPayload, the parts topiq uses. */
export interface BatchPayload {
  batch: {
    topic: string
    partition: number
    highWatermark: string
    /** Records to handle; transaction markers and aborted records (read_committed) are never among them. */
    messages: KafkaMessage[]
    /** First offset at or past the fetch position, or null when nothing was fetched. */
    firstOffset(): string | null
    /** Last offset fetched, markers and aborted records included (the consumer commits past them). */
    lastOffset(): string
    isEmpty(): boolean
  }
  resolveOffset(offset: string): void
  /** Heartbeats if due; throws when the group is rebalancing (the batch's partitions may have moved). */
  heartbeat(): Promise<void>
  commitOffsetsIfNecessary(offsets: { topics: TopicOffsets[] }): Promise<void>
  isRunning(): boolean
  /** True when the batch's partition was revoked or sought since it was fetched. */
  isStale(): boolean
}

export interface RunConfig {
  autoCommit: boolean
  partitionsConsumedConcurrently: number
  eachBatch(payload: BatchPayload): Promise<void>
}

export interface ConsumerEvents {
  /** Joined (or rejoined) the group: this member's partitions by physical topic. */
  groupJoin: (assignment: Record<string, number[]>) => void
  /** Out of the group until the next join. */
  rebalancing: () => void
  stop: () => void
  /** `restart`: the transport rejoins on its own. */
  crash: (error: unknown, restart: boolean) => void
}

export interface TransportConsumer {
  connect(): Promise<void>
  subscribe(options: { topics: string[]; fromBeginning: boolean }): Promise<void>
  run(config: RunConfig): Promise<void>
  on<E extends keyof ConsumerEvents>(event: E, listener: ConsumerEvents[E]): void
  /** Stops fetching these topics (the member stays in its group and heartbeats). */
  pause(topics: { topic: string }[]): void
  resume(topics: { topic: string }[]): void
  /** Waits for the batch in hand, then leaves the group (a static member stays until its session times out). */
  disconnect(): Promise<void>
}

export interface TopicPartitionOffsets {
  partition: number
  offset: string
  high: string
  low: string
}

export interface TopicMetadata {
  name: string
  partitions: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[]
}

export interface CreateTopic {
  topic: string
  numPartitions: number
  replicationFactor: number
  configEntries: { name: string; value: string }[]
}

/** The admin calls topiq makes (topic provisioning, `topiq topics|lag|tail`, the lag sampler). */
export interface TransportAdmin {
  connect(): Promise<void>
  disconnect(): Promise<void>
  listTopics(): Promise<string[]>
  describeCluster(): Promise<{ brokers: { nodeId: number; host: string; port: number }[]; controller: number | null; clusterId: string }>
  createTopics(options: { topics: CreateTopic[]; waitForLeaders: boolean }): Promise<boolean>
  deleteTopics(options: { topics: string[] }): Promise<void>
  fetchTopicMetadata(options: { topics: string[] }): Promise<{ topics: TopicMetadata[] }>
  fetchTopicOffsets(topic: string): Promise<TopicPartitionOffsets[]>
  fetchOffsets(options: { groupId: string; topics?: string[] }): Promise<TopicOffsets[]>
}

export interface Transport {
  readonly name: TransportName
  producer(config: ProducerConfig): TransportProducer
  consumer(config: ConsumerConfig): TransportConsumer
  admin(): TransportAdmin
}

export type TransportFactory = (connection: ResolvedConnection, logger: Logger, options?: TransportOptions) => Transport
