import { createServer, type Server } from 'node:net'
import { describe, expect, it } from 'vitest'
import { stackConfig } from './config.ts'
import { renderTestBrokerProperties, usablePorts } from './broker.ts'
import { ephemeralPort, portFree } from './proc.ts'
import { clusterPorts } from './cluster.ts'
import { clusterNodeEntries, parseProperties, renderClusterNodeProperties } from './render.ts'

describe('renderTestBrokerProperties', () => {
  const base = stackConfig({}, '/home/u')
  const props = parseProperties(renderTestBrokerProperties(base, { kafka: 39092, kafkaSasl: 39093, kafkaController: 39094 }, '/tmp/fault/data'))

  it('listens on its own ports, never the shared stack ones', () => {
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:39092,SASL_PLAINTEXT://127.0.0.1:39093,CONTROLLER://127.0.0.1:39094')
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:39092,SASL_PLAINTEXT://127.0.0.1:39093')
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:39094')
    expect([...props.values()].join(' ')).not.toMatch(/:2909[2-4]\b/)
  })

  it('keeps its data in its own dir, with the stack broker settings otherwise', () => {
    expect(props.get('log.dirs')).toBe('/tmp/fault/data')
    expect(props.get('auto.create.topics.enable')).toBe('false')
    expect(props.get('process.roles')).toBe('broker,controller')
  })
})

describe('clusterNodeEntries (startCluster, stack up --brokers 3)', () => {
  const base = stackConfig({}, '/home/u')
  const ports = clusterPorts(3, 39300)
  const node = (i: number) => parseProperties(renderClusterNodeProperties(base, ports, i, { logDirs: `/tmp/c/node-${i + 1}/data` }, 'test'))

  it('gives each node its own ports: PLAINTEXT base + 3i, SASL + 1, controller + 2', () => {
    expect(ports).toEqual([
      { kafka: 39300, kafkaSasl: 39301, kafkaController: 39302 },
      { kafka: 39303, kafkaSasl: 39304, kafkaController: 39305 },
      { kafka: 39306, kafkaSasl: 39307, kafkaController: 39308 },
    ])
    const second = node(1)
    expect(second.get('node.id')).toBe('2')
    expect(second.get('listeners')).toBe('PLAINTEXT://127.0.0.1:39303,SASL_PLAINTEXT://127.0.0.1:39304,CONTROLLER://127.0.0.1:39305')
    expect(second.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:39303,SASL_PLAINTEXT://127.0.0.1:39304')
    expect(second.get('log.dirs')).toBe('/tmp/c/node-2/data')
  })

  it('is one combined quorum of all nodes, the same on every node', () => {
    const voters = '1@127.0.0.1:39302,2@127.0.0.1:39305,3@127.0.0.1:39308'
    for (const i of [0, 1, 2]) {
      expect(node(i).get('controller.quorum.voters')).toBe(voters)
      expect(node(i).get('process.roles')).toBe('broker,controller')
    }
  })

  it('replicates 3 ways with min.insync.replicas 2, internal topics included, and never elects an out-of-sync replica', () => {
    const p = node(0)
    for (const k of ['default.replication.factor', 'offsets.topic.replication.factor', 'transaction.state.log.replication.factor', 'share.coordinator.state.topic.replication.factor']) {
      expect(p.get(k), k).toBe('3')
    }
    for (const k of ['min.insync.replicas', 'transaction.state.log.min.isr', 'share.coordinator.state.topic.min.isr']) expect(p.get(k), k).toBe('2')
    expect(p.get('unclean.leader.election.enable')).toBe('false')
    expect(p.get('auto.create.topics.enable')).toBe('false')
    expect([...p.values()].join(' ')).not.toMatch(/:2909[2-5]\b/)
  })

  it('refuses a one-node "cluster" and an index outside it', () => {
    expect(() => clusterNodeEntries(base, ports.slice(0, 1), 0, { logDirs: '/d' })).toThrow(/at least 2 nodes/)
    expect(() => clusterNodeEntries(base, ports, 3, { logDirs: '/d' })).toThrow(/out of range/)
  })
})

describe('usablePorts (test brokers on ports inside the ephemeral range)', () => {
  const listen = (port: number): Promise<Server> =>
    new Promise((resolve, reject) => {
      const srv = createServer()
      srv.once('error', reject)
      srv.listen({ host: '127.0.0.1', port }, () => resolve(srv))
    })

  it('keeps free ports; replaces one that stays taken with a free one and says so; never hands out a port twice', async () => {
    const busy = await listen(0)
    const taken = (busy.address() as { port: number }).port
    try {
      const free1 = await ephemeralPort('127.0.0.1')
      const free2 = await ephemeralPort('127.0.0.1')
      const lines: string[] = []
      const given = new Set<number>([free2])
      const ports = await usablePorts('127.0.0.1', { kafka: free1, kafkaSasl: taken, kafkaController: free2 }, (l) => lines.push(l), given, 300)
      expect(ports.kafka).toBe(free1)
      expect(ports.kafkaSasl).not.toBe(taken)
      expect(await portFree('127.0.0.1', ports.kafkaSasl)).toBe(true)
      // free2 was already given to another node: it is replaced too, and no port appears twice
      expect(ports.kafkaController).not.toBe(free2)
      expect(new Set([ports.kafka, ports.kafkaSasl, ports.kafkaController, free2]).size).toBe(4)
      expect(lines.join('\n')).toMatch(new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is in use .*kafkaSasl listens on ${ports.kafkaSasl} instead`))
    } finally {
      busy.close()
    }
  })
})
