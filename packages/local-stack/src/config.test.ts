import { describe, expect, it } from 'vitest'
import {
  connectionInfo,
  DEFAULT_SCRAM_PASSWORD,
  formatEnvExports,
  isStackSize,
  parsePort,
  stackConfig,
  StackConfigError,
  stackNodePorts,
  withBrokers,
} from './config.ts'

const HOME = '/home/dev'

describe('stackConfig', () => {
  it('defaults: ports, cache/stack dirs under ~/.cache/topiq, 120 s ready timeout, dev-only SCRAM password', () => {
    const cfg = stackConfig({}, HOME)
    expect(cfg.host).toBe('127.0.0.1')
    expect(cfg.ports).toEqual({ kafka: 29092, kafkaSasl: 29093, kafkaController: 29094, registry: 8081, registryManagement: 29095 })
    expect(cfg.topiqHome).toBe('/home/dev/.cache/topiq')
    expect(cfg.cacheDir).toBe('/home/dev/.cache/topiq/stack-cache')
    expect(cfg.mavenRepo).toBe('/home/dev/.cache/topiq/stack-cache/m2')
    expect(cfg.stackDir).toBe('/home/dev/.cache/topiq/stack')
    expect(cfg.dataDir).toBe('/home/dev/.cache/topiq/stack/data')
    expect(cfg.readyTimeoutMs).toBe(120_000)
    expect(cfg.scram).toEqual({ mechanism: 'scram-sha-256', username: 'topiq-test', password: DEFAULT_SCRAM_PASSWORD })
    expect(cfg.brokers).toEqual(['127.0.0.1:29092'])
    expect(cfg.saslBrokers).toEqual(['127.0.0.1:29093'])
    expect(cfg.registryUrl).toBe('http://127.0.0.1:8081/apis/ccompat/v7')
    expect(cfg.java).toBeUndefined()
  })

  it('follows XDG_CACHE_HOME, then TOPIQ_HOME, then the explicit dirs', () => {
    expect(stackConfig({ XDG_CACHE_HOME: '/xdg' }, HOME).cacheDir).toBe('/xdg/topiq/stack-cache')
    const cfg = stackConfig({ XDG_CACHE_HOME: '/xdg', TOPIQ_HOME: '~/tq' }, HOME)
    expect(cfg.cacheDir).toBe('/home/dev/tq/stack-cache')
    expect(cfg.stackDir).toBe('/home/dev/tq/stack')
    const explicit = stackConfig({ TOPIQ_HOME: '/tq', TOPIQ_STACK_DIR: '/run/st', TOPIQ_STACK_CACHE_DIR: '/c', TOPIQ_STACK_MAVEN_REPO: '/m2' }, HOME)
    expect([explicit.stackDir, explicit.logDir, explicit.cacheDir, explicit.mavenRepo]).toEqual(['/run/st', '/run/st/logs', '/c', '/m2'])
  })

  it('reads ports, timeouts, heaps and the SCRAM password from the environment', () => {
    const cfg = stackConfig(
      {
        TOPIQ_KAFKA_PORT: '39092',
        TOPIQ_KAFKA_SASL_PORT: '39093',
        TOPIQ_KAFKA_CONTROLLER_PORT: '39094',
        TOPIQ_REGISTRY_PORT: '38081',
        TOPIQ_REGISTRY_MANAGEMENT_PORT: '39095',
        TOPIQ_STACK_READY_TIMEOUT_SECONDS: '2.5',
        TOPIQ_STACK_STOP_GRACE_SECONDS: '3',
        TOPIQ_STACK_SCRAM_PASSWORD: 's3cret',
        TOPIQ_KAFKA_HEAP: '1g',
        TOPIQ_STACK_JAVA: '/opt/jdk/bin/java',
      },
      HOME,
    )
    expect(cfg.brokers).toEqual(['127.0.0.1:39092'])
    expect(cfg.saslBrokers).toEqual(['127.0.0.1:39093'])
    expect(cfg.controller).toBe('127.0.0.1:39094')
    expect(cfg.registryUrl).toBe('http://127.0.0.1:38081/apis/ccompat/v7')
    expect(cfg.ports.registryManagement).toBe(39095)
    expect(cfg.readyTimeoutMs).toBe(2500)
    expect(cfg.stopGraceMs).toBe(3000)
    expect(cfg.scram.password).toBe('s3cret')
    expect(cfg.kafkaHeap).toBe('1g')
    expect(cfg.java).toBe('/opt/jdk/bin/java')
  })

  it('treats empty values as unset', () => {
    expect(stackConfig({ TOPIQ_KAFKA_PORT: '', TOPIQ_STACK_SCRAM_PASSWORD: '  ' }, HOME).brokers).toEqual(['127.0.0.1:29092'])
    expect(stackConfig({ TOPIQ_STACK_SCRAM_PASSWORD: '' }, HOME).scram.password).toBe(DEFAULT_SCRAM_PASSWORD)
  })

  it('rejects bad values, naming the variable', () => {
    expect(() => stackConfig({ TOPIQ_KAFKA_PORT: 'abc' }, HOME)).toThrow(/TOPIQ_KAFKA_PORT="abc" is not a port number/)
    expect(() => stackConfig({ TOPIQ_REGISTRY_PORT: '70000' }, HOME)).toThrow(/TOPIQ_REGISTRY_PORT=70000 is out of range/)
    expect(() => stackConfig({ TOPIQ_KAFKA_SASL_PORT: '0' }, HOME)).toThrow(StackConfigError)
    expect(() => stackConfig({ TOPIQ_STACK_READY_TIMEOUT_SECONDS: '-1' }, HOME)).toThrow(/TOPIQ_STACK_READY_TIMEOUT_SECONDS/)
    expect(() => stackConfig({ TOPIQ_KAFKA_HEAP: 'lots' }, HOME)).toThrow(/TOPIQ_KAFKA_HEAP/)
    expect(() => stackConfig({ TOPIQ_REGISTRY_PORT: '29092' }, HOME)).toThrow(/kafka and registry are both 29092/)
  })

  it('parsePort falls back only when unset', () => {
    expect(parsePort({}, 'P', 1)).toBe(1)
    expect(parsePort({ P: ' 42 ' }, 'P', 1)).toBe(42)
  })
})

describe('connectionInfo', () => {
  it('is what tests need to reach the stack', () => {
    expect(connectionInfo(stackConfig({ TOPIQ_STACK_SCRAM_PASSWORD: 'pw' }, HOME))).toEqual({
      brokers: ['127.0.0.1:29092'],
      saslBrokers: ['127.0.0.1:29093'],
      scram: { mechanism: 'scram-sha-256', username: 'topiq-test', password: 'pw' },
      registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
    })
  })
})

describe('stackNodePorts / withBrokers (up --brokers 3)', () => {
  it('keeps node 1 on the usual ports and puts nodes 2 and 3 on 29192–29197', () => {
    const cfg = stackConfig({}, HOME)
    expect(cfg.kafkaNodeBasePort).toBe(29192)
    expect(stackNodePorts(cfg, 1)).toEqual([{ kafka: 29092, kafkaSasl: 29093, kafkaController: 29094 }])
    expect(stackNodePorts(cfg, 3)).toEqual([
      { kafka: 29092, kafkaSasl: 29093, kafkaController: 29094 },
      { kafka: 29192, kafkaSasl: 29193, kafkaController: 29194 },
      { kafka: 29195, kafkaSasl: 29196, kafkaController: 29197 },
    ])
    const three = withBrokers(cfg, 3)
    expect(three.brokers).toEqual(['127.0.0.1:29092', '127.0.0.1:29192', '127.0.0.1:29195'])
    expect(three.saslBrokers).toEqual(['127.0.0.1:29093', '127.0.0.1:29193', '127.0.0.1:29196'])
    expect(withBrokers(cfg, 1).brokers).toEqual(cfg.brokers)
  })

  it('follows TOPIQ_KAFKA_NODE_BASE_PORT and the node-1 port variables', () => {
    const cfg = stackConfig({ TOPIQ_KAFKA_PORT: '45092', TOPIQ_KAFKA_NODE_BASE_PORT: '45192' }, HOME)
    expect(withBrokers(cfg, 3).brokers).toEqual(['127.0.0.1:45092', '127.0.0.1:45192', '127.0.0.1:45195'])
  })

  it('refuses node ports that clash with another listener or run past 65535', () => {
    expect(() => stackNodePorts(stackConfig({ TOPIQ_REGISTRY_PORT: '29196' }, HOME), 3)).toThrow(/node 3 would listen on 29196, which registry uses/)
    expect(() => stackNodePorts(stackConfig({ TOPIQ_KAFKA_NODE_BASE_PORT: '29093' }, HOME), 3)).toThrow(/node 2 would listen on 29093, which kafkaSasl uses/)
    expect(() => stackNodePorts(stackConfig({ TOPIQ_KAFKA_NODE_BASE_PORT: '65533' }, HOME), 3)).toThrow(/no room/)
    // The single broker does not care where nodes 2+ would go.
    expect(stackNodePorts(stackConfig({ TOPIQ_REGISTRY_PORT: '29196' }, HOME), 1)).toHaveLength(1)
  })

  it('knows the sizes `up --brokers` accepts', () => {
    expect([0, 1, 2, 3, 4, '3'].map(isStackSize)).toEqual([false, true, false, true, false, false])
  })
})

describe('formatEnvExports', () => {
  it('lists every broker of a cluster, node 1 first, and quotes the password for the shell', () => {
    const text = formatEnvExports(connectionInfo(withBrokers(stackConfig({ TOPIQ_STACK_SCRAM_PASSWORD: "it's" }, HOME), 3)))
    expect(text.split('\n')).toEqual([
      'export KAFKA_BROKER=127.0.0.1:29092,127.0.0.1:29192,127.0.0.1:29195',
      'export SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7',
      'export TOPIQ_KAFKA_BROKERS=127.0.0.1:29092,127.0.0.1:29192,127.0.0.1:29195',
      'export TOPIQ_KAFKA_SASL_BROKERS=127.0.0.1:29093,127.0.0.1:29193,127.0.0.1:29196',
      'export TOPIQ_KAFKA_SASL_MECHANISM=scram-sha-256',
      'export TOPIQ_KAFKA_SASL_USERNAME=topiq-test',
      "export TOPIQ_KAFKA_SASL_PASSWORD='it'\\''s' # dev-only",
      'export TOPIQ_SCHEMA_REGISTRY_URL=http://127.0.0.1:8081/apis/ccompat/v7',
    ])
  })
})
