import { describe, expect, it } from 'vitest'
import { connectionInfo, stackConfig, withBrokers } from './config.ts'
import { formatStatus, kafkaNodeFiles, type ComponentStatus, type StackStatus } from './stack.ts'

const cfg = stackConfig({ TOPIQ_STACK_DIR: '/st' }, '/home/u')

describe('kafkaNodeFiles', () => {
  it('keeps the single broker where it always was', () => {
    expect(kafkaNodeFiles(cfg, 1)).toEqual([
      {
        id: 1,
        name: 'kafka',
        ports: { kafka: 29092, kafkaSasl: 29093, kafkaController: 29094 },
        pidFile: '/st/run/kafka.pid',
        logFile: '/st/logs/kafka.log',
        stdoutFile: '/st/logs/kafka.stdout.log',
        formatLog: '/st/logs/kafka-format.log',
        properties: '/st/conf/server.properties',
        log4j2: '/st/conf/log4j2.xml',
        log4j2Format: '/st/conf/log4j2-format.xml',
        dataDir: '/st/data/kafka',
        marker: '-Dtopiq.stack=kafka@/st',
        address: 'PLAINTEXT 127.0.0.1:29092, SASL_PLAINTEXT 127.0.0.1:29093, controller 127.0.0.1:29094',
      },
    ])
  })

  it('gives each cluster node its own pid file, logs, config, data dir and process marker, node 1 on the usual ports', () => {
    const nodes = kafkaNodeFiles(cfg, 3)
    expect(nodes.map((n) => [n.id, n.name, n.ports.kafka, n.ports.kafkaSasl, n.ports.kafkaController])).toEqual([
      [1, 'kafka-1', 29092, 29093, 29094],
      [2, 'kafka-2', 29192, 29193, 29194],
      [3, 'kafka-3', 29195, 29196, 29197],
    ])
    const second = nodes[1]
    expect(second?.pidFile).toBe('/st/run/kafka-2.pid')
    expect(second?.logFile).toBe('/st/logs/kafka-2.log')
    expect(second?.properties).toBe('/st/conf/server-2.properties')
    expect(second?.dataDir).toBe('/st/data/kafka-2')
    expect(second?.marker).toBe('-Dtopiq.stack=kafka-2@/st')
    // A node's marker must not match another's (isOurs is a substring test).
    for (const a of nodes) for (const b of nodes) if (a !== b) expect(b.marker.includes(a.marker)).toBe(false)
    expect(kafkaNodeFiles(cfg, 1)[0]?.marker).not.toBe(nodes[0]?.marker)
  })
})

const component = (over: Partial<ComponentStatus>): ComponentStatus => ({
  name: 'kafka',
  label: 'kafka',
  pid: 10,
  running: true,
  answering: true,
  detail: 'PLAINTEXT: ok',
  address: 'PLAINTEXT 127.0.0.1:29092',
  logFile: '/st/logs/kafka.log',
  ...over,
})

describe('formatStatus', () => {
  it('prints the single broker and the registry as before', () => {
    const kafka = component({})
    const registry = component({ name: 'registry', label: 'registry', pid: 11, address: 'http://127.0.0.1:8081/apis/ccompat/v7', detail: 'ccompat API: ok' })
    const st: StackStatus = { running: true, externalAnswering: false, brokers: 1, kafka, kafkaNodes: [kafka], registry, connection: connectionInfo(cfg) }
    expect(formatStatus(st)).toBe(
      [
        'kafka    running (pid 10)',
        '         PLAINTEXT 127.0.0.1:29092',
        '         PLAINTEXT: ok',
        'registry running (pid 11)',
        '         http://127.0.0.1:8081/apis/ccompat/v7',
        '         ccompat API: ok',
      ].join('\n'),
    )
  })

  it('lists every node of a cluster under a summary line, with the state of each', () => {
    const nodes = [
      component({ label: 'kafka 1', pid: 21 }),
      component({ label: 'kafka 2', pid: 22, answering: false, detail: 'PLAINTEXT: sees 2 of 3 brokers' }),
      component({ label: 'kafka 3', pid: undefined, running: false, answering: false, detail: 'PLAINTEXT: FAILED (ECONNREFUSED)' }),
    ]
    const kafka = component({ running: false, answering: false, detail: '2 of 3 nodes running, 1 answering' })
    const registry = component({ name: 'registry', label: 'registry', pid: 11, address: 'http://r', detail: 'ok' })
    const st: StackStatus = { running: false, externalAnswering: false, brokers: 3, kafka, kafkaNodes: nodes, registry, connection: connectionInfo(withBrokers(cfg, 3)) }
    const lines = formatStatus(st).split('\n')
    expect(lines[0]).toBe('kafka    3-node KRaft cluster (RF 3, min.insync.replicas 2): 2 of 3 nodes running, 1 answering')
    expect(lines[1]).toBe('         bootstrap 127.0.0.1:29092,127.0.0.1:29192,127.0.0.1:29195')
    expect(lines.filter((l) => /^kafka \d/.test(l))).toEqual(['kafka 1  running (pid 21)', 'kafka 2  running, NOT answering (pid 22)', 'kafka 3  not running'])
    expect(lines).toContain('         PLAINTEXT: sees 2 of 3 brokers')
    expect(lines.at(-3)).toBe('registry running (pid 11)')
  })
})
