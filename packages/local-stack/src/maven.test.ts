import { describe, expect, it } from 'vitest'
import { stackConfig } from './config.ts'
import { repositoryPath, runtimePaths } from './maven.ts'
import { APICURIO_ARTIFACT, APICURIO_VERSION, coordinate, KAFKA_VERSION } from './versions.ts'

describe('Maven layout', () => {
  it('puts the runtime in versioned dirs of the cache dir', () => {
    const p = runtimePaths(stackConfig({ TOPIQ_HOME: '/tq' }, '/h'))
    expect(p.pom).toBe('/tq/stack-cache/pom.xml')
    expect(p.kafkaLibDir).toBe(`/tq/stack-cache/kafka_2.13-${KAFKA_VERSION}/libs`)
    expect(p.apicurioRunJar).toBe(`/tq/stack-cache/apicurio-registry-${APICURIO_VERSION}/quarkus-run.jar`)
  })

  it('knows where an artifact sits in a local repository and how `dependency:copy` names it', () => {
    expect(repositoryPath(APICURIO_ARTIFACT)).toBe(
      `io/apicurio/apicurio-registry-app/${APICURIO_VERSION}/apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`,
    )
    expect(repositoryPath({ groupId: 'org.slf4j', artifactId: 'slf4j-api', version: '2.0.20' })).toBe('org/slf4j/slf4j-api/2.0.20/slf4j-api-2.0.20.jar')
    expect(coordinate(APICURIO_ARTIFACT)).toBe(`io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`)
  })
})
