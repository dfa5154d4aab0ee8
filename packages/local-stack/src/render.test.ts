import { describe, expect, it } from 'vitest'
import { stackConfig } from './config.ts'
import {
  escapePropertyValue,
  isValidClusterId,
  mavenDownloadLine,
  mavenErrorSummary,
  mavenFailedArtifact,
  MAVEN_DEPENDENCY_PLUGIN_VERSION,
  newClusterId,
  parseProperties,
  renderLog4j2,
  renderPom,
  renderServerProperties,
  scramArgument,
} from './render.ts'
import { APICURIO_VERSION, KAFKA_VERSION, LOG4J_VERSION, SLF4J_VERSION } from './versions.ts'

describe('server.properties', () => {
  const props = parseProperties(renderServerProperties(stackConfig({}, '/home/dev'), { logDirs: '/data/kafka' }))

  it('is a single KRaft broker+controller with PLAINTEXT, SASL_PLAINTEXT and CONTROLLER listeners on 127.0.0.1', () => {
    expect(props.get('process.roles')).toBe('broker,controller')
    expect(props.get('node.id')).toBe('1')
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:29094')
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:29092,SASL_PLAINTEXT://127.0.0.1:29093,CONTROLLER://127.0.0.1:29094')
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:29092,SASL_PLAINTEXT://127.0.0.1:29093')
    expect(props.get('listener.security.protocol.map')).toBe('PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT')
    expect(props.get('controller.listener.names')).toBe('CONTROLLER')
    expect(props.get('inter.broker.listener.name')).toBe('PLAINTEXT')
    expect(props.get('log.dirs')).toBe('/data/kafka')
  })

  it('enables SCRAM-SHA-256 on the SASL listener', () => {
    expect(props.get('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-256')
    expect(props.get('listener.name.sasl_plaintext.sasl.enabled.mechanisms')).toBe('SCRAM-SHA-256')
    expect(props.get('listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config')).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    )
  })

  it('uses replication factor / min ISR 1, no rebalance delay and no topic auto-creation', () => {
    for (const k of [
      'default.replication.factor',
      'min.insync.replicas',
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'share.coordinator.state.topic.replication.factor',
      'share.coordinator.state.topic.min.isr',
    ]) {
      expect(props.get(k), k).toBe('1')
    }
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0')
    expect(props.get('auto.create.topics.enable')).toBe('false')
  })

  it('follows the configured ports', () => {
    const p = parseProperties(
      renderServerProperties(stackConfig({ TOPIQ_KAFKA_PORT: '1', TOPIQ_KAFKA_SASL_PORT: '2', TOPIQ_KAFKA_CONTROLLER_PORT: '3' }, '/h'), { logDirs: '/d' }),
    )
    expect(p.get('listeners')).toBe('PLAINTEXT://127.0.0.1:1,SASL_PLAINTEXT://127.0.0.1:2,CONTROLLER://127.0.0.1:3')
    expect(p.get('controller.quorum.voters')).toBe('1@127.0.0.1:3')
  })

  it('escapes values the .properties way and round-trips them', () => {
    expect(escapePropertyValue('C:\\data\\kafka')).toBe('C:\\\\data\\\\kafka')
    expect(escapePropertyValue(' lead')).toBe('\\ lead')
    expect(escapePropertyValue('a\nb')).toBe('a\\nb')
    const p = parseProperties(renderServerProperties(stackConfig({}, '/h'), { logDirs: 'C:\\data dir\\kafka' }))
    expect(p.get('log.dirs')).toBe('C:\\data dir\\kafka')
  })
})

describe('KRaft cluster id', () => {
  it('is 22 URL-safe base64 characters (16 bytes), like Kafka Uuid.toString()', () => {
    for (let i = 0; i < 200; i++) {
      const id = newClusterId()
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/)
      expect(id.startsWith('-')).toBe(false)
      expect(Buffer.from(id, 'base64url')).toHaveLength(16)
    }
  })

  it('re-draws ids Kafka refuses (leading "-", zero uuid, metadata topic id)', () => {
    const draws = [Buffer.from([0xf8, ...Array<number>(15).fill(1)]), Buffer.alloc(16), Buffer.from([...Array<number>(15).fill(0), 1]), Buffer.alloc(16, 7)]
    let i = 0
    const id = newClusterId(() => draws[i++] ?? Buffer.alloc(16, 9))
    expect(i).toBe(4)
    expect(id).toBe(Buffer.alloc(16, 7).toString('base64url'))
    expect(isValidClusterId(draws[0]!.toString('base64url'))).toBe(false)
    expect(isValidClusterId('AAAAAAAAAAAAAAAAAAAAAA')).toBe(false)
    expect(isValidClusterId('AAAAAAAAAAAAAAAAAAAAAQ')).toBe(false)
    expect(isValidClusterId('MkU3OEVBNTcwNTJENDM2Qk')).toBe(true)
    expect(isValidClusterId('too-short')).toBe(false)
  })
})

describe('--add-scram argument', () => {
  it('has the kafka-storage syntax', () => {
    expect(scramArgument('topiq-test', 'pw-1.x')).toBe('SCRAM-SHA-256=[name=topiq-test,password=pw-1.x]')
  })

  it('refuses characters that would break that syntax', () => {
    for (const bad of ['a,b', 'a]b', 'a=b', 'a b', 'a"b', '']) expect(() => scramArgument('u', bad), bad).toThrow(/SCRAM password/)
  })
})

describe('log4j2 config', () => {
  it('writes to the given file, XML-escaped', () => {
    const xml = renderLog4j2('/logs/a&b/kafka.log')
    expect(xml).toContain('fileName="/logs/a&amp;b/kafka.log"')
    expect(xml).toContain('<Root level="INFO">')
  })
})

describe('pom', () => {
  const pom = renderPom({ kafkaLibDir: '/c/kafka/libs', apicurioDir: '/c/apicurio', markersDir: '/c/target/markers' })

  it('depends on Kafka, the SLF4J 2 API and the log4j2 binding', () => {
    expect(pom).toContain(`<groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version>`)
    expect(pom).toContain(`<groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>${SLF4J_VERSION}</version>`)
    expect(pom).toContain(`<artifactId>log4j-slf4j2-impl</artifactId><version>${LOG4J_VERSION}</version>`)
    expect(pom).toContain(`<artifactId>log4j-core</artifactId><version>${LOG4J_VERSION}</version>`)
    expect(SLF4J_VERSION.startsWith('2.')).toBe(true)
  })

  it('has a pinned dependency plugin with a `kafka` copy execution and an `apicurio` unpack execution', () => {
    expect(pom).toContain(`<version>${MAVEN_DEPENDENCY_PLUGIN_VERSION}</version>`)
    expect(pom).toMatch(/<id>kafka<\/id>\s*<configuration>\s*<outputDirectory>\/c\/kafka\/libs<\/outputDirectory>/)
    expect(pom).toContain(
      `<artifactItem><groupId>io.apicurio</groupId><artifactId>apicurio-registry-app</artifactId><version>${APICURIO_VERSION}</version>` +
        '<type>tar.gz</type><classifier>all</classifier><outputDirectory>/c/apicurio</outputDirectory></artifactItem>',
    )
    expect(pom).toContain('<markersDirectory>/c/target/markers</markersDirectory>')
    expect(pom).toContain('<packaging>pom</packaging>')
  })

  it('escapes paths', () => {
    expect(renderPom({ kafkaLibDir: '/a&b', apicurioDir: '/x', markersDir: '/m' })).toContain('<outputDirectory>/a&amp;b</outputDirectory>')
  })
})

describe('Maven output', () => {
  // Real Maven 3.8.7 output for artifacts that do not exist.
  const missingDep = [
    '[INFO] BUILD FAILURE',
    '[ERROR] Failed to execute goal on project topiq-local-stack-runtime: Could not resolve dependencies for project local.topiq:topiq-local-stack-runtime:pom:1: Could not find artifact org.apache.kafka:kafka_2.13:jar:4.4.99 in central (https://repo.maven.apache.org/maven2) -> [Help 1]',
    '[ERROR] ',
    '[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.',
    '[ERROR] Re-run Maven using the -X switch to enable full debug logging.',
    '[ERROR] ',
    '[ERROR] For more information about the errors and possible solutions, please read the following articles:',
    '[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/DependencyResolutionException',
  ].join('\n')
  const missingTarGz =
    '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack (apicurio) on project topiq-local-stack-runtime: Unable to find/resolve artifact. Could not find artifact io.apicurio:apicurio-registry-app:tar.gz:all:9.9.9 in central (https://repo.maven.apache.org/maven2) -> [Help 1]'

  it('names the artifact Maven could not resolve', () => {
    expect(mavenFailedArtifact(missingDep)).toBe('org.apache.kafka:kafka_2.13:jar:4.4.99')
    expect(mavenFailedArtifact(missingTarGz)).toBe('io.apicurio:apicurio-registry-app:tar.gz:all:9.9.9')
    expect(mavenFailedArtifact('[ERROR] Could not transfer artifact a:b:jar:1 from/to central: Connect timed out')).toBe('a:b:jar:1')
    expect(
      mavenFailedArtifact(
        '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-dependency-plugin:3.8.1:unpack (apicurio) on project topiq-local-stack-runtime: Unable to find/resolve artifact. io.apicurio:apicurio-registry-app:tar.gz:all:9.9.9 was not found in https://repo.maven.apache.org/maven2 during a previous attempt.',
      ),
    ).toBe('io.apicurio:apicurio-registry-app:tar.gz:all:9.9.9')
    expect(mavenFailedArtifact('[INFO] BUILD SUCCESS')).toBeUndefined()
  })

  it("keeps Maven's own message without the help footer", () => {
    expect(mavenErrorSummary(missingDep)).toBe(
      'Failed to execute goal on project topiq-local-stack-runtime: Could not resolve dependencies for project local.topiq:topiq-local-stack-runtime:pom:1: Could not find artifact org.apache.kafka:kafka_2.13:jar:4.4.99 in central (https://repo.maven.apache.org/maven2)',
    )
  })

  it('turns "Downloaded from" lines into one short line per file', () => {
    expect(mavenDownloadLine('Downloaded from central: https://repo.maven.apache.org/maven2/org/apache/kafka/kafka-clients/4.4.0/kafka-clients-4.4.0.jar (19 MB at 12 MB/s)')).toEqual({
      file: 'kafka-clients-4.4.0.jar',
      detail: '(19 MB at 12 MB/s)',
    })
    expect(mavenDownloadLine('[INFO] Downloaded from central: https://x/y/z.pom (2.1 kB at 30 kB/s)')?.file).toBe('z.pom')
    expect(mavenDownloadLine('Downloading from central: https://x/y/z.pom')).toBeUndefined()
  })
})
