// The kafkajs transport (the default): topiq's patched kafkajs 2.2.4 (patches/kafkajs@2.2.4.patch) with topiq's
// codecs and Java-protocol assignors. A thin pass-through: the transport interface has kafkajs' shapes.
import { CompressionTypes, Partitioners, type Consumer, type ConsumerConfig as KafkajsConsumerConfig } from 'kafkajs'
import { partitionAssigners } from './assignors.ts'
import { createKafka } from './kafka.ts'
import type { ResolvedConnection } from './config.ts'
import type { Logger } from './logger.ts'
import type {
  CompressionName,
  ConsumerConfig,
  ConsumerEvents,
  ProducerConfig,
  Transport,
  TransportAdmin,
  TransportConsumer,
  TransportOptions,
  TransportProducer,
} from './transport.ts'

export const KAFKAJS_COMPRESSION: Record<CompressionName, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

export function kafkajsTransport(connection: ResolvedConnection, logger: Logger, options: TransportOptions = {}): Transport {
  const kafka = createKafka(connection, logger, options.retries === undefined ? {} : { retries: options.retries })
  return {
    name: 'kafkajs',
    producer(config: ProducerConfig): TransportProducer {
      const producer = kafka.producer({
        idempotent: config.idempotent,
        // Kafka's idempotence needs at most one in-flight request per connection for ordering with kafkajs
        // (it serialises produce requests per broker anyway); also keeps order for non-idempotent sends.
        maxInFlightRequests: 1,
        // Topics come from schemas/ with their partitions and config (`pnpm topiq topics create`): never let a
        // first publish create one with broker defaults.
        allowAutoTopicCreation: false,
        createPartitioner:
          config.partitioner === 'source'
            ? () =>
                ({ message, partitionMetadata }) =>
                  (message.partition ?? 0) % Math.max(1, partitionMetadata.length)
            : () => {
                // Java-compatible murmur2 partitioning, as every other client: same key, same partition.
                const choose = Partitioners.DefaultPartitioner()
                const onPartition = config.onPartition
                if (onPartition === undefined) return choose
                return (args) => {
                  const partition = choose(args)
                  onPartition(args.message, partition)
                  return partition
                }
              },
        retry: { retries: config.retries },
        // A send whose outcome is unknown is retried as the same batch (same sequence numbers) this long, then
        // rejects with OUTCOME_UNKNOWN and the producer id is replaced (patches/kafkajs@2.2.4.patch, sendMessages.js).
        ...(config.deliveryTimeoutMs === undefined ? {} : { deliveryTimeout: config.deliveryTimeoutMs }),
      })
      return {
        connect: () => producer.connect(),
        disconnect: () => producer.disconnect(),
        send: ({ topic, messages, acks, compression }) => producer.send({ topic, messages, acks, compression: KAFKAJS_COMPRESSION[compression] }),
        sendBatch: ({ topicMessages, acks, compression }) => producer.sendBatch({ topicMessages, acks, compression: KAFKAJS_COMPRESSION[compression] }),
      }
    },
    consumer(config: ConsumerConfig): TransportConsumer {
      const kafkajsConfig: KafkajsConsumerConfig & { groupInstanceId?: string } = {
        groupId: config.groupId,
        sessionTimeout: config.sessionTimeout,
        heartbeatInterval: config.heartbeatInterval,
        maxWaitTimeInMs: config.maxWaitTimeInMs,
        allowAutoTopicCreation: false,
        // Kafka's own protocol names (range, roundrobin) instead of kafkajs' RoundRobinAssigner, which no other client
        // speaks: without them a Python or Java member in the group makes the join fail.
        partitionAssigners: partitionAssigners(config.partitionAssigners),
        // Static membership: kafkajs' JoinGroup v5 field, wired through by our kafkajs patch (its types lack it).
        ...(config.groupInstanceId === undefined ? {} : { groupInstanceId: config.groupInstanceId }),
      }
      const consumer: Consumer = kafka.consumer(kafkajsConfig)
      return {
        connect: () => consumer.connect(),
        subscribe: (options) => consumer.subscribe(options),
        run: (run) =>
          consumer.run({
            autoCommit: run.autoCommit,
            eachBatchAutoResolve: false,
            partitionsConsumedConcurrently: run.partitionsConsumedConcurrently,
            eachBatch: (payload) => run.eachBatch(payload),
          }),
        on<E extends keyof ConsumerEvents>(event: E, listener: ConsumerEvents[E]): void {
          const l = listener as (...args: unknown[]) => void
          if (event === 'groupJoin') consumer.on(consumer.events.GROUP_JOIN, (e) => l(e.payload.memberAssignment))
          else if (event === 'rebalancing') consumer.on(consumer.events.REBALANCING, () => l())
          else if (event === 'stop') consumer.on(consumer.events.STOP, () => l())
          else consumer.on(consumer.events.CRASH, (e) => l(e.payload.error, e.payload.restart))
        },
        pause: (topics) => consumer.pause(topics),
        resume: (topics) => consumer.resume(topics),
        disconnect: () => consumer.disconnect(),
      }
    },
    admin(): TransportAdmin {
      const admin = kafka.admin()
      return {
        connect: () => admin.connect(),
        disconnect: () => admin.disconnect(),
        listTopics: () => admin.listTopics(),
        describeCluster: () => admin.describeCluster(),
        createTopics: (options) => admin.createTopics(options),
        deleteTopics: (options) => admin.deleteTopics(options),
        fetchTopicMetadata: (options) => admin.fetchTopicMetadata(options),
        fetchTopicOffsets: (topic) => admin.fetchTopicOffsets(topic),
        fetchOffsets: async (options) => admin.fetchOffsets(options),
      }
    },
  }
}
