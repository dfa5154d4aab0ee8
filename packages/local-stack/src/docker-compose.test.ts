// Docker cannot run here, so this checks /docker-compose.yml statically: listeners, published ports, the registry,
// and that the one-shot `topics` service creates exactly the topics of schemas/*.json plus their dead-letter topics.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { DEFAULTS, stackConfig } from './config.ts'
import { isValidClusterId } from './render.ts'
import { APICURIO_VERSION, KAFKA_VERSION } from './versions.ts'

const repoRoot = join(import.meta.dirname, '..', '..', '..')
const schemasDir = join(repoRoot, 'schemas')
/** docker-compose.yml runs one Kafka broker (KAFKA_DEFAULT_REPLICATION_FACTOR 1). */
const COMPOSE_BROKERS = 1

interface Service {
  image?: string
  ports?: Array<string | { target: number; published: number | string; host_ip?: string }>
  environment?: Record<string, string | number | boolean | null> | string[]
  healthcheck?: { test?: string | string[] }
  depends_on?: Record<string, { condition?: string }> | string[]
  entrypoint?: string | string[]
  command?: string | string[]
}

const compose = parse(readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service | undefined> }

function service(name: string): Service {
  const s = compose.services[name]
  if (s === undefined) throw new Error(`docker-compose.yml has no service "${name}"`)
  return s
}

function env(s: Service): Record<string, string> {
  const out: Record<string, string> = {}
  if (Array.isArray(s.environment)) {
    for (const kv of s.environment) {
      const i = kv.indexOf('=')
      out[i < 0 ? kv : kv.slice(0, i)] = i < 0 ? '' : kv.slice(i + 1)
    }
  } else {
    for (const [k, v] of Object.entries(s.environment ?? {})) out[k] = v === null ? '' : String(v)
  }
  return out
}

/** [{ host, published, target }] from short ("127.0.0.1:29092:29092", "8081:8080") or long port syntax. */
function published(s: Service): Array<{ host: string | undefined; published: number; target: number }> {
  return (s.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { host: p.host_ip, published: Number(p.published), target: p.target }
    const parts = p.replace(/\/tcp$/, '').split(':')
    const target = Number(parts.pop())
    const pub = Number(parts.pop())
    return { host: parts.pop(), published: pub, target }
  })
}

function listenerMap(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const l of (value ?? '').split(',')) {
    const m = /^([A-Z_]+):\/\/(.*)$/.exec(l.trim())
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2]
  }
  return out
}

/**
 * The topics the schemas ask for: `<file>` and `<domain>.<action>-dlq.json`, with x-kafka.partitions (default 3) and
 * x-kafka.replicationFactor; unset, what `topiq topics create` resolves on compose's one broker: min(3, 1) = 1.
 */
function expectedTopics(): Map<string, { partitions: number; replicationFactor: number; config: Record<string, string> }> {
  const out = new Map<string, { partitions: number; replicationFactor: number; config: Record<string, string> }>()
  for (const file of readdirSync(schemasDir).filter((f) => f.endsWith('.json')).sort()) {
    const schema = JSON.parse(readFileSync(join(schemasDir, file), 'utf8')) as {
      'x-kafka'?: { partitions?: number; replicationFactor?: number; config?: Record<string, string> }
    }
    const partitions = schema['x-kafka']?.partitions ?? 3
    const replicationFactor = schema['x-kafka']?.replicationFactor ?? Math.min(3, COMPOSE_BROKERS)
    const [domain, action, format] = file.split('.')
    out.set(file, { partitions, replicationFactor, config: schema['x-kafka']?.config ?? {} })
    out.set(`${String(domain)}.${String(action)}-dlq.${String(format)}`, { partitions, replicationFactor, config: {} })
  }
  return out
}

interface CreateCall {
  readonly args: readonly string[]
  readonly topic: string
  readonly partitions: number
}

function flag(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name)
  return i < 0 ? undefined : args[i + 1]
}

function createCalls(s: Service): CreateCall[] {
  const script = [s.entrypoint, s.command].flat().filter((x): x is string => typeof x === 'string').join('\n').replace(/\\\n/g, ' ')
  return script
    .split('\n')
    .filter((l) => /kafka-topics(\.sh)?\s/.test(l) && /\s--create(\s|$)/.test(l))
    .map((l) => {
      const args = l.trim().split(/\s+/).map((a) => a.replace(/^["']|["']$/g, ''))
      return { args, topic: flag(args, '--topic') ?? '', partitions: Number(flag(args, '--partitions')) }
    })
}

/** Schemas whose `x-kafka.framing` is "registry": their producers need the registry. */
function registryFramedTopics(): string[] {
  return readdirSync(schemasDir)
    .filter((f) => f.endsWith('.json'))
    .filter((f) => (JSON.parse(readFileSync(join(schemasDir, f), 'utf8')) as { 'x-kafka'?: { framing?: string } })['x-kafka']?.framing === 'registry')
    .sort()
}

describe('docker-compose.yml', () => {
  it('lists the registry-framed topics of schemas/ and the registry URL from the host and from containers', () => {
    const text = readFileSync(join(repoRoot, 'docker-compose.yml'), 'utf8')
    const listed = /^# Registry-framed topics \(x-kafka\.framing "registry" in their schema\): (.*)$/m.exec(text)?.[1]
    expect(listed?.split(/,\s*/).filter(Boolean).sort()).toEqual(registryFramedTopics())
    expect(text).toContain(`http://localhost:${DEFAULTS.registryPort}/apis/ccompat/v7 from the host`)
    const target = published(service('registry'))[0]?.target
    expect(text).toContain(`http://registry:${String(target)}/apis/ccompat/v7 from other containers`)
  })

  it(`runs apache/kafka:${KAFKA_VERSION} in KRaft mode with INTERNAL kafka:9092, EXTERNAL localhost:29092 and a controller`, () => {
    const kafka = service('kafka')
    expect(kafka.image).toBe(`apache/kafka:${KAFKA_VERSION}`)
    const e = env(kafka)
    expect(e['KAFKA_PROCESS_ROLES']).toBe('broker,controller')
    expect(isValidClusterId(e['CLUSTER_ID'] ?? '')).toBe(true)
    const advertised = listenerMap(e['KAFKA_ADVERTISED_LISTENERS'])
    expect(advertised['INTERNAL']).toBe('kafka:9092')
    expect(advertised['EXTERNAL']).toBe('localhost:29092')
    const listeners = listenerMap(e['KAFKA_LISTENERS'])
    expect(listeners['INTERNAL']).toMatch(/:9092$/)
    expect(listeners['EXTERNAL']).toMatch(/:29092$/)
    expect(listeners['CONTROLLER']).toMatch(/:9093$/)
    expect(e['KAFKA_CONTROLLER_QUORUM_VOTERS']).toBe('1@kafka:9093')
    expect(e['KAFKA_CONTROLLER_LISTENER_NAMES']).toBe('CONTROLLER')
    expect(e['KAFKA_INTER_BROKER_LISTENER_NAME']).toBe('INTERNAL')
    expect(e['KAFKA_LISTENER_SECURITY_PROTOCOL_MAP']?.split(',').sort()).toEqual(['CONTROLLER:PLAINTEXT', 'EXTERNAL:PLAINTEXT', 'INTERNAL:PLAINTEXT'])
    expect(e['KAFKA_AUTO_CREATE_TOPICS_ENABLE']).toBe('false')
    expect(e['KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR']).toBe('1')
    expect(kafka.healthcheck?.test).toBeDefined()
  })

  it('publishes 29092 (the same port the no-Docker stack uses), on 127.0.0.1 only', () => {
    const ports = published(service('kafka'))
    expect(ports).toContainEqual({ host: '127.0.0.1', published: DEFAULTS.kafkaPort, target: 29092 })
    expect(stackConfig({}).brokers).toEqual([`127.0.0.1:${DEFAULTS.kafkaPort}`])
    expect(ports.every((p) => p.host === '127.0.0.1')).toBe(true)
  })

  it(`runs apicurio/apicurio-registry:${APICURIO_VERSION} on the registry port of the stack config`, () => {
    const registry = service('registry')
    expect(registry.image).toBe(`apicurio/apicurio-registry:${APICURIO_VERSION}`)
    const ports = published(registry)
    expect(ports).toEqual([{ host: '127.0.0.1', published: DEFAULTS.registryPort, target: 8080 }])
    expect(new URL(stackConfig({}).registryUrl).port).toBe(String(DEFAULTS.registryPort))
    expect(JSON.stringify(registry.healthcheck?.test)).toContain('/apis/ccompat/v7/subjects')
  })

  it('creates exactly the topics of schemas/*.json and their dead-letter topics, with x-kafka.partitions and replication', () => {
    const topics = service('topics')
    expect(topics.depends_on).toMatchObject({ kafka: { condition: 'service_healthy' } })
    const calls = createCalls(topics)
    const expected = expectedTopics()
    expect(expected.size).toBeGreaterThan(0)
    expect(calls.map((c) => c.topic).sort()).toEqual([...expected.keys()].sort())
    for (const c of calls) {
      const want = expected.get(c.topic)
      expect(c.partitions, c.topic).toBe(want?.partitions)
      expect(c.args, c.topic).toContain('--if-not-exists')
      expect(flag(c.args, '--bootstrap-server'), c.topic).toBe('kafka:9092')
      expect(flag(c.args, '--replication-factor'), c.topic).toBe(String(want?.replicationFactor))
      const configs = c.args.flatMap((a, i) => (a === '--config' ? [c.args[i + 1] ?? ''] : []))
      expect(configs.sort(), c.topic).toEqual(Object.entries(want?.config ?? {}).map(([k, v]) => `${k}=${v}`).sort())
    }
  })
})
