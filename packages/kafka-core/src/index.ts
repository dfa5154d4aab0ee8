export { resolveConnection, resolveRegistry, runningInContainer, INTERNAL_LISTENER, EXTERNAL_LISTENER, SASL_MECHANISMS, TRANSPORTS } from './config.ts'
export type { ConnectionOptions, ResolvedConnection, RegistryOptions, SaslOptions, SaslMechanism, TransportName } from './config.ts'
export { createTransport } from './transports.ts'
export { kafkajsTransport, KAFKAJS_COMPRESSION } from './transport-kafkajs.ts'
export type {
  AcksValue,
  BatchPayload,
  CompressionName,
  ConsumerConfig as TransportConsumerConfig,
  ConsumerEvents,
  CreateTopic,
  ProduceBatchRequest,
  ProduceRequest,
  ProducerConfig as TransportProducerConfig,
  RunConfig,
  TopicMetadata,
  TopicOffsets,
  TopicPartitionOffsets,
  Transport,
  TransportAdmin,
  TransportConsumer,
  TransportOptions,
  TransportProducer,
} from './transport.ts'
export { KafkaClientError, errorMessage, isKafkaClientError, isOutcomeUnknown, outcomeUnknown, sendPartitionOutcomes, translateKafkaError, topicsNotFound, KAFKA_CLIENT_ERROR_CODES } from './errors.ts'
export type { KafkaClientErrorCode, ErrorContext, SendPartitionOutcome } from './errors.ts'
export { jsonLogger, silentLogger, redact, LOG_LEVELS } from './logger.ts'
export type { Logger, LogLevel } from './logger.ts'
export { createKafka, muteKafkajsTimeoutWarning, CompressionTypes, logLevel, Partitioners } from './kafka.ts'
export { registerCodecs, registerSnappy, CODECS, loadSnappyBlocks } from './codecs.ts'
export type { Codec, CodecFactory, CodecName, SnappyBlocks } from './codecs.ts'
export type { CreateKafkaOptions, Admin, Consumer, ConsumerConfig, EachBatchPayload, IHeaders, KafkaMessage, Message, Producer, RecordMetadata } from './kafka.ts'
export { HEADER, CONTENT_TYPE, MAGIC_BYTE, encodeJson, encodeWire, decodeValue, decodeHeaders, rawHeaderList } from './serialization.ts'
export type { DecodedValue, RawHeaders } from './serialization.ts'
export { RegistryClient, SchemaIdVerifier, definitionRefs, definitionSubjectOf, registryAjv, sameJson, subjectOf } from './registry.ts'
export type { DefinitionSource, ResolvedSchema, SchemaIdLookup, SchemaIdVerifierOptions, SchemaReference, SchemaVersionRef } from './registry.ts'
export { resolveTopicPrefix, physicalTopic, logicalTopic, topicPlan, provisionTopics, missingTopics, resolveReplicationFactor, DEFAULT_MAX_REPLICATION_FACTOR } from './topics.ts'
export type { TopicPlan, ProvisionResult } from './topics.ts'
export {
  ASSIGNOR_NAMES,
  DEFAULT_ASSIGNORS,
  SUBSCRIPTION_VERSION,
  ASSIGNMENT_VERSION,
  encodeSubscription,
  decodeSubscription,
  encodeAssignment,
  decodeAssignment,
  rangeAssign,
  roundRobinAssign,
  compareMembers,
  subscribedTopics,
  rangeAssigner,
  roundRobinAssigner,
  partitionAssigners,
  isAssignorName,
} from './assignors.ts'
export type { AssignorName, Assignment, GroupAssignment, MemberSubscription, Subscription, TopicPartitions } from './assignors.ts'
export { METRICS, exportedSeriesNames, DURATION_BUCKETS, BATCH_BUCKETS, PUBLISH_OUTCOMES, CONSUME_OUTCOMES } from './metric-names.ts'
export type { MetricSpec, MetricKind, MetricKey } from './metric-names.ts'
export { MetricsRegistry, metricsRegistry, metricsText, secondsSince, escapeLabelValue, escapeHelp, formatNumber, METER_NAME } from './metrics.ts'
export type { CounterKey, CounterSeries, GaugeKey, GaugeObserver, GaugeSample, HistogramKey, HistogramSeries, LabelsOf } from './metrics.ts'
export { serveMetrics, PROMETHEUS_CONTENT_TYPE } from './metrics-server.ts'
export type { MetricsServer, ServeMetricsOptions } from './metrics-server.ts'
export {
  ATTR,
  SPAN_EVENT,
  TRACE_HEADERS,
  TRACER_NAME,
  errorType,
  failSpan,
  hasTraceContext,
  headerValue,
  injectTraceContext,
  kafkaHeaderGetter,
  recordHeaderGetter,
  processSpanTemplate,
  sendSpanTemplate,
  serverOf,
  startProcessSpan,
  startSendSpan,
  traceHeaders,
  tracer,
} from './tracing.ts'
export type { ProcessSpan, ProcessTemplateOptions, SendTemplateOptions, SpanTemplate } from './tracing.ts'
