// Every version the local stack resolves from Maven Central lives here, so switching Kafka (e.g. to 3.9.x) is a
// one-line change. Kafka 4.x is KRaft-only and is started from its Maven jars (kafka_2.13 + its dependencies) with
// log4j2 as the SLF4J binding.

export const KAFKA_VERSION = '4.4.0'
export const SCALA_VERSION = '2.13'
export const APICURIO_VERSION = '3.3.3'
export const LOG4J_VERSION = '2.26.1'
/** kafka_2.13 pulls slf4j-api 1.7.x transitively; the log4j2 binding (log4j-slf4j2-impl) needs the 2.x API. */
export const SLF4J_VERSION = '2.0.20'

export interface MavenArtifact {
  readonly groupId: string
  readonly artifactId: string
  readonly version: string
  readonly type?: string
  readonly classifier?: string
}

export const KAFKA_ARTIFACTS: readonly MavenArtifact[] = [
  { groupId: 'org.apache.kafka', artifactId: `kafka_${SCALA_VERSION}`, version: KAFKA_VERSION },
  { groupId: 'org.slf4j', artifactId: 'slf4j-api', version: SLF4J_VERSION },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j2-impl', version: LOG4J_VERSION },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: LOG4J_VERSION },
]

export const APICURIO_ARTIFACT: MavenArtifact = {
  groupId: 'io.apicurio',
  artifactId: 'apicurio-registry-app',
  version: APICURIO_VERSION,
  type: 'tar.gz',
  classifier: 'all',
}

/** Apicurio Registry 3.3.x is compiled for Java 21 (class file 65); Kafka 4.x needs 17+. */
export const MIN_JAVA_FOR_REGISTRY = 21
export const MIN_JAVA_FOR_KAFKA = 17

/** `groupId:artifactId:version[:type[:classifier]]`, the coordinate syntax `mvn dependency:copy -Dartifact=` takes. */
export function coordinate(a: MavenArtifact): string {
  const parts = [a.groupId, a.artifactId, a.version]
  if (a.type !== undefined) parts.push(a.type)
  if (a.classifier !== undefined) parts.push(a.classifier)
  return parts.join(':')
}
