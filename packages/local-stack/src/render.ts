// Pure rendering of the files the stack writes: Kafka's server.properties, a log4j2 config, the Maven pom, the
// KRaft cluster id and the --add-scram argument. No I/O here, so all of it is unit-tested.
import { randomBytes } from 'node:crypto'
import type { StackConfig } from './config.ts'
import { APICURIO_ARTIFACT, KAFKA_ARTIFACTS, type MavenArtifact } from './versions.ts'

/** Pinned so the resolution is reproducible (Maven 3.8's default is the ancient 2.8). */
export const MAVEN_DEPENDENCY_PLUGIN_VERSION = '3.8.1'

// ---------------------------------------------------------------------------------------------------------------
// KRaft cluster id

/**
 * A KRaft cluster id as Kafka's `Uuid.randomUuid().toString()` makes it: 16 random bytes, URL-safe base64 without
 * padding (22 chars). Kafka refuses ids that start with '-' (they look like options) and the reserved all-zero /
 * metadata-topic ids, so those are re-drawn.
 */
export function newClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const bytes = random(16)
    if (bytes.length !== 16) throw new Error('random source must return 16 bytes')
    const id = bytes.toString('base64url')
    if (isValidClusterId(id)) return id
  }
}

const RESERVED_CLUSTER_IDS = new Set([
  Buffer.alloc(16).toString('base64url'), // Uuid.ZERO_UUID
  Buffer.from([...Buffer.alloc(15), 1]).toString('base64url'), // Uuid.METADATA_TOPIC_ID (0, 1)
])

export function isValidClusterId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id) && !id.startsWith('-') && !RESERVED_CLUSTER_IDS.has(id)
}

// ---------------------------------------------------------------------------------------------------------------
// SCRAM credential for `kafka-storage format --add-scram`

/** Characters that would break the `SCRAM-SHA-256=[name=…,password=…]` syntax of the storage tool. */
const SCRAM_FORBIDDEN = /[\s,[\]="\\]/

export function scramArgument(username: string, password: string): string {
  for (const [what, value] of [['username', username], ['password', password]] as const) {
    if (value === '') throw new Error(`SCRAM ${what} must not be empty`)
    if (SCRAM_FORBIDDEN.test(value)) {
      throw new Error(`SCRAM ${what} must not contain whitespace or any of , [ ] = " \\ (kafka-storage --add-scram syntax)`)
    }
  }
  return `SCRAM-SHA-256=[name=${username},password=${password}]`
}

// ---------------------------------------------------------------------------------------------------------------
// server.properties

/** Escapes a value for a Java .properties file (backslashes, leading blanks, line breaks). */
export function escapePropertyValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/^[ \t]/, (c) => `\\${c}`)
}

export function renderProperties(entries: ReadonlyArray<readonly [string, string | number | boolean]>, header: string): string {
  const lines = header.split('\n').map((l) => `# ${l}`.trimEnd())
  for (const [k, v] of entries) lines.push(`${k}=${escapePropertyValue(String(v))}`)
  return `${lines.join('\n')}\n`
}

export interface KafkaPaths {
  /** Kafka's log.dirs (the partition data + KRaft metadata log). */
  readonly logDirs: string
}

/** The properties of the single combined broker+controller node. */
export function kafkaServerEntries(cfg: StackConfig, paths: KafkaPaths): Array<readonly [string, string | number | boolean]> {
  const { host, ports } = cfg
  return [
    ['process.roles', 'broker,controller'],
    ['node.id', 1],
    ['controller.quorum.voters', `1@${host}:${ports.kafkaController}`],
    ['listeners', `PLAINTEXT://${host}:${ports.kafka},SASL_PLAINTEXT://${host}:${ports.kafkaSasl},CONTROLLER://${host}:${ports.kafkaController}`],
    ['advertised.listeners', `PLAINTEXT://${host}:${ports.kafka},SASL_PLAINTEXT://${host}:${ports.kafkaSasl}`],
    ['listener.security.protocol.map', 'PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT'],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'PLAINTEXT'],
    ['sasl.enabled.mechanisms', 'SCRAM-SHA-256'],
    ['listener.name.sasl_plaintext.sasl.enabled.mechanisms', 'SCRAM-SHA-256'],
    ['listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config', 'org.apache.kafka.common.security.scram.ScramLoginModule required;'],
    ['log.dirs', paths.logDirs],
    ['num.partitions', 1],
    ['default.replication.factor', 1],
    ['min.insync.replicas', 1],
    ['offsets.topic.replication.factor', 1],
    ['offsets.topic.num.partitions', 1],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['transaction.state.log.num.partitions', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    ['group.initial.rebalance.delay.ms', 0],
    // Producing to / creating consumers on a missing topic must fail, so "topic missing" errors can be tested.
    ['auto.create.topics.enable', false],
    ['delete.topic.enable', true],
    // Sized for a 2-core dev machine.
    ['num.network.threads', 2],
    ['num.io.threads', 2],
    ['num.recovery.threads.per.data.dir', 1],
    ['background.threads', 2],
    ['log.retention.hours', 24],
    ['log.segment.bytes', 16 * 1024 * 1024],
  ]
}

export function renderServerProperties(cfg: StackConfig, paths: KafkaPaths): string {
  return renderProperties(
    kafkaServerEntries(cfg, paths),
    'Generated by @topiq/local-stack (topiq-stack up); rewritten on every start.\n' +
      'Single KRaft broker+controller for local development and tests. Listens on 127.0.0.1 only.',
  )
}

/** The three ports of one Kafka node. */
export interface NodePorts {
  readonly kafka: number
  readonly kafkaSasl: number
  readonly kafkaController: number
}

/**
 * Node `index` (0-based) of an n-node KRaft cluster in which every node is broker AND controller ("combined"):
 * 3 JVMs instead of 6 on a 2-core machine, and a 3-voter quorum still survives the loss of any one node. The stack's
 * single-node settings otherwise, with Kafka's production durability: replication factor n (at most 3) for topics
 * and internal topics, min.insync.replicas 2, so acks=all survives one broker down and refuses writes with two.
 */
export function clusterNodeEntries(cfg: StackConfig, nodes: readonly NodePorts[], index: number, paths: KafkaPaths): Array<readonly [string, string | number | boolean]> {
  const self = nodes[index]
  if (self === undefined) throw new Error(`node index ${index} out of range: the cluster has ${nodes.length} node(s)`)
  if (nodes.length < 2) throw new Error('a cluster needs at least 2 nodes; use kafkaServerEntries for one')
  const { host } = cfg
  const rf = Math.min(3, nodes.length)
  const minIsr = Math.min(2, rf)
  const overrides = new Map<string, string | number | boolean>([
    ['node.id', index + 1],
    ['controller.quorum.voters', nodes.map((n, i) => `${i + 1}@${host}:${n.kafkaController}`).join(',')],
    ['listeners', `PLAINTEXT://${host}:${self.kafka},SASL_PLAINTEXT://${host}:${self.kafkaSasl},CONTROLLER://${host}:${self.kafkaController}`],
    ['advertised.listeners', `PLAINTEXT://${host}:${self.kafka},SASL_PLAINTEXT://${host}:${self.kafkaSasl}`],
    ['default.replication.factor', rf],
    ['min.insync.replicas', minIsr],
    ['offsets.topic.replication.factor', rf],
    ['transaction.state.log.replication.factor', rf],
    ['transaction.state.log.min.isr', minIsr],
    ['share.coordinator.state.topic.replication.factor', rf],
    ['share.coordinator.state.topic.min.isr', minIsr],
  ])
  const entries = kafkaServerEntries(cfg, paths).map(([k, v]) => [k, overrides.get(k) ?? v] as const)
  // A dead broker is fenced, and its partitions get new leaders, after broker.session.timeout.ms (Kafka's 9 s).
  // Never elect an out-of-sync replica (Kafka's default, stated because the fault tests rely on it).
  entries.push(['unclean.leader.election.enable', false])
  return entries
}

export function renderClusterNodeProperties(cfg: StackConfig, nodes: readonly NodePorts[], index: number, paths: KafkaPaths, header: string): string {
  return renderProperties(clusterNodeEntries(cfg, nodes, index, paths), header)
}

/** Parses simple `key=value` .properties text (enough for what renderProperties writes). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue
    const i = line.indexOf('=')
    if (i < 0) continue
    out.set(line.slice(0, i).trim(), line.slice(i + 1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c)))
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// log4j2

function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** A log4j2 config that sends everything Kafka logs at INFO (noisy loggers at WARN) to one file. */
export function renderLog4j2(logFile: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by @topiq/local-stack; rewritten on every start. -->
<Configuration status="warn">
  <Appenders>
    <File name="file" fileName="${xmlAttr(logFile)}" append="true">
      <PatternLayout pattern="[%d{ISO8601}] %-5p %m (%c{1.})%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO">
      <AppenderRef ref="file"/>
    </Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.authorizer.logger" level="WARN"/>
  </Loggers>
</Configuration>
`
}

// ---------------------------------------------------------------------------------------------------------------
// Maven pom

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function artifactXml(a: MavenArtifact, tag: string, indent: string): string {
  const inner = [
    `<groupId>${xmlText(a.groupId)}</groupId>`,
    `<artifactId>${xmlText(a.artifactId)}</artifactId>`,
    `<version>${xmlText(a.version)}</version>`,
    ...(a.type !== undefined ? [`<type>${xmlText(a.type)}</type>`] : []),
    ...(a.classifier !== undefined ? [`<classifier>${xmlText(a.classifier)}</classifier>`] : []),
  ]
  return `${indent}<${tag}>${inner.join('')}</${tag}>`
}

export interface PomPaths {
  /** Where `dependency:copy-dependencies@kafka` puts Kafka's jars (the broker's classpath). */
  readonly kafkaLibDir: string
  /** Where `dependency:unpack@apicurio` extracts the Apicurio Registry distribution. */
  readonly apicurioDir: string
  /** Unpack markers of the dependency plugin (wiped before each resolution). */
  readonly markersDir: string
}

/**
 * The pom the stack resolves its runtime with. Two executions, run one at a time so a failure names its artifact:
 *   mvn -B -f pom.xml dependency:copy-dependencies@kafka   (Kafka + the SLF4J→log4j2 binding, transitively)
 *   mvn -B -f pom.xml dependency:unpack@apicurio           (the Apicurio Registry tar.gz, extracted)
 */
export function renderPom(
  paths: PomPaths,
  kafka: readonly MavenArtifact[] = KAFKA_ARTIFACTS,
  apicurio: MavenArtifact = APICURIO_ARTIFACT,
): string {
  const deps = kafka.map((a) => artifactXml(a, 'dependency', '    ')).join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by @topiq/local-stack: the runtime of the local Kafka + Apicurio Registry stack. -->
<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.topiq</groupId>
  <artifactId>topiq-local-stack-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
${deps}
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>${MAVEN_DEPENDENCY_PLUGIN_VERSION}</version>
        <executions>
          <execution>
            <id>kafka</id>
            <configuration>
              <outputDirectory>${xmlText(paths.kafkaLibDir)}</outputDirectory>
              <includeScope>runtime</includeScope>
              <overWriteReleases>true</overWriteReleases>
            </configuration>
          </execution>
          <execution>
            <id>apicurio</id>
            <configuration>
              <markersDirectory>${xmlText(paths.markersDir)}</markersDirectory>
              <artifactItems>
${artifactXml(apicurio, 'artifactItem', '                ').replace('</artifactItem>', `<outputDirectory>${xmlText(paths.apicurioDir)}</outputDirectory></artifactItem>`)}
              </artifactItems>
            </configuration>
          </execution>
        </executions>
      </plugin>
    </plugins>
  </build>
</project>
`
}

// ---------------------------------------------------------------------------------------------------------------
// Maven output

/** The lines of Maven's output that explain a failure (its [ERROR] lines minus the generic help footer). */
export function mavenErrorSummary(output: string, maxLines = 8): string {
  const lines = output
    .split('\n')
    .map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trimEnd())
    .filter((l) => l.startsWith('[ERROR]'))
    .map((l) => l.replace(/^\[ERROR\]\s?/, '').replace(/\s*-> \[Help \d+\]\s*$/, ''))
    .filter((l) => l.trim() !== '')
    .filter((l) => !/^(To see the full stack trace|Re-run Maven using|For more information about the errors|\[Help \d+\])/.test(l.trim()))
    .filter((l) => !/^-> \[Help/.test(l.trim()))
  return lines.slice(0, maxLines).join('\n')
}

/** The artifact coordinate Maven names in a resolution error, if it names one. */
export function mavenFailedArtifact(output: string): string | undefined {
  const clean = output.replace(/\x1b\[[0-9;]*m/g, '')
  const patterns = [
    /Could not find artifact (\S+)/,
    /Could not transfer artifact (\S+)/,
    /Failure to find (\S+)/,
    /(\S+:\S+) was not found in /,
    /Failed to read artifact descriptor for (\S+)/,
    /Unable to resolve artifact[^:]*: (\S+)/,
    /Plugin (\S+) or one of its dependencies could not be resolved/,
  ]
  for (const p of patterns) {
    const m = p.exec(clean)
    if (m?.[1] !== undefined) return m[1]
  }
  return undefined
}

/** `Downloaded from central: https://…/kafka-clients-4.4.0.jar (19 MB at 12 MB/s)` → a short progress line. */
export function mavenDownloadLine(line: string): { file: string; detail: string } | undefined {
  const m = /^(?:\[INFO\]\s*)?Downloaded from [^:]+: (\S+)\s*(\(.*\))?\s*$/.exec(line.replace(/\x1b\[[0-9;]*m/g, '').trim())
  if (m === null || m[1] === undefined) return undefined
  const file = m[1].slice(m[1].lastIndexOf('/') + 1)
  return { file, detail: m[2] ?? '' }
}
