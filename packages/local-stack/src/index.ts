export {
  connectionInfo,
  DEFAULT_SCRAM_PASSWORD,
  DEFAULTS,
  formatEnvExports,
  HOST,
  isStackSize,
  SCRAM_USERNAME,
  stackConfig,
  StackConfigError,
  stackNodePorts,
  STACK_SIZES,
  withBrokers,
  type ConnectionInfo,
  type Env,
  type StackConfig,
  type StackPorts,
  type StackSize,
} from './config.ts'
export { findJava, JavaNotFoundError, type JavaRuntime } from './java.ts'
export { ensureRuntime, MavenResolveError, runtimePaths, type Log, type RuntimePaths } from './maven.ts'
export { probeKafka, probeKafkaSasl, probeRegistry, type ProbeResult } from './probe.ts'
export {
  COMPONENTS,
  ensureStack,
  formatStatus,
  kafkaNodeFiles,
  stackConnection,
  stackDown,
  StackError,
  stackLogs,
  stackPids,
  stackStatus,
  stackUp,
  type ComponentName,
  type ComponentStatus,
  type DownResult,
  type KafkaNodeFiles,
  type StackOptions,
  type StackStatus,
  type UpResult,
} from './stack.ts'
export { APICURIO_VERSION, KAFKA_VERSION, SCALA_VERSION } from './versions.ts'
export { renderTestBrokerProperties, startBroker, type TestBroker, type TestBrokerOptions, type TestBrokerPorts } from './broker.ts'
export { clusterPorts, startCluster, type ClusterNode, type ClusterOptions, type PartitionState, type TestCluster } from './cluster.ts'
export { clusterNodeEntries, renderClusterNodeProperties, type NodePorts } from './render.ts'
export {
  ensurePrometheus,
  isPrometheusError,
  parseSampleValue,
  prometheusConfigOptions,
  prometheusInstall,
  prometheusOrSkip,
  PrometheusError,
  PROMETHEUS_ERROR_CODES,
  PROMETHEUS_SCRIPT,
  renderPrometheusConfig,
  startPrometheus,
  type PromAlert,
  type PrometheusConfigOptions,
  type PrometheusErrorCode,
  type PrometheusInstall,
  type PrometheusOptions,
  type PromSample,
  type TestPrometheus,
} from './prometheus.ts'
