// Consumer groups shared with other clients, on the real broker. topiq members advertise Kafka's `range` and
// `roundrobin` protocols (ConsumerProtocol wire format), so they can sit in one group with each other and with the
// real Java consumer (interop/java/GroupMember.java on the broker's own kafka-clients jar, Java's default assignors
// [range, cooperative-sticky]), whichever joins first and whichever is leader.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'
import { physicalTopic, silentLogger } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, uniquePrefix, withAdmin } from '@topiq/kafka-core/testing'
import { connectionInfo, findJava, runtimePaths, stackConfig } from '@topiq/local-stack'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Countdown, produce, validEvents, within } from './fixtures/helpers.ts'
import { KafkaConsumerClient } from './index.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('assignors')
const topic = physicalTopic(prefix, 'campaign.created.json')
const PARTITIONS = [0, 1, 2]
const GROUP_MEMBER_JAVA = fileURLToPath(new URL('../../../interop/java/GroupMember.java', import.meta.url))

type Client = KafkaConsumerClient<'campaign.created.json'>
interface Handled {
  member: string
  partition: number
  id: string
}

const clients: Client[] = []
const javas: JavaMember[] = []

function topiqMember(name: string, groupId: string, handled: Handled[], progress: Countdown): Client {
  const client = new KafkaConsumerClient({
    topics: ['campaign.created.json'],
    groupId,
    brokers,
    topicPrefix: prefix,
    handleSignals: false,
    logger: silentLogger,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 500, // notice a rebalance started by another member quickly
    messageHandler: (m) => {
      handled.push({ member: name, partition: m.partition, id: m.value.campaign_id })
      progress.check()
    },
  })
  clients.push(client)
  return client
}

interface JavaLine {
  type: string
  member: string
  partitions?: [string, number][]
  partition?: number
  value?: { utf8: string | null } | null
  reason?: string
  error?: string
}

/** The real Java consumer in a child process; its JSON lines are collected as they come. */
class JavaMember {
  readonly lines: JavaLine[] = []
  readonly exited: Promise<number | null>
  private readonly child: ChildProcessWithoutNullStreams
  private stderr = ''
  private readonly listeners = new Set<() => void>()
  readonly name: string

  constructor(name: string, groupId: string, onRecord: (line: JavaLine) => void) {
    this.name = name
    const cfg = stackConfig()
    const java = findJava(cfg.java)
    this.child = spawn(
      java.path,
      ['-cp', `${runtimePaths(cfg).kafkaLibDir}/*`, GROUP_MEMBER_JAVA, '--bootstrap', brokers.join(','), '--group', groupId, '--topics', topic, '--name', name, '--max-seconds', '150'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    )
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000)
    })
    createInterface({ input: this.child.stdout }).on('line', (text) => {
      const line = JSON.parse(text) as JavaLine
      this.lines.push(line)
      if (line.type === 'record') onRecord(line)
      for (const l of this.listeners) l()
    })
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)))
    javas.push(this)
  }

  /** Partitions of the latest `assigned` line (empty before the first). */
  assignment(): number[] {
    const last = this.lines.filter((l) => l.type === 'assigned').at(-1)
    return (last?.partitions ?? []).map(([, p]) => p).sort()
  }

  errors(): JavaLine[] {
    return this.lines.filter((l) => l.type === 'error')
  }

  onLine(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Closing stdin is the member's signal to commit, leave the group and exit. */
  async stop(): Promise<number | null> {
    this.child.stdin.end()
    return within(this.exited, 30_000, `java member ${this.name} exiting`)
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }

  describe(): string {
    return `java member ${this.name}: last lines ${JSON.stringify(this.lines.slice(-3))}; stderr tail: ${this.stderr.slice(-600)}`
  }
}

type Member = { name: string; assignment: () => number[]; subscribe: (check: () => void) => () => void }
const ofClient = (name: string, c: Client): Member => ({
  name,
  assignment: () => [...(c.assignment()['campaign.created.json'] ?? [])].sort(),
  subscribe: (check) => c.onAssignment(check),
})
const ofJava = (j: JavaMember): Member => ({ name: j.name, assignment: () => j.assignment(), subscribe: (check) => j.onLine(check) })

/** Resolves when the members' assignments are disjoint, each non-empty, and together cover every partition. */
function settled(members: readonly Member[], timeoutMs: number, describe: () => string = () => ''): Promise<number[][]> {
  return new Promise((resolve, reject) => {
    const unsubscribe: (() => void)[] = []
    const current = () => members.map((m) => m.assignment())
    const done = (result: Error | number[][]) => {
      clearTimeout(timer)
      clearInterval(poll)
      for (const u of unsubscribe) u()
      if (result instanceof Error) reject(result)
      else resolve(result)
    }
    const check = () => {
      const parts = current()
      const all = parts.flat().sort()
      if (parts.every((p) => p.length > 0) && all.length === PARTITIONS.length && all.every((p, i) => p === PARTITIONS[i])) done(parts)
    }
    const timer = setTimeout(
      () => done(new Error(`group did not settle within ${timeoutMs} ms: ${JSON.stringify(Object.fromEntries(members.map((m) => [m.name, m.assignment()])))} ${describe()}`)),
      timeoutMs,
    )
    const poll = setInterval(check, 200) // a revoked-then-assigned sequence may end without a new event on one side
    for (const m of members) unsubscribe.push(m.subscribe(check))
    check()
  })
}

async function groupProtocol(groupId: string): Promise<{ protocol: string; members: number }> {
  return withAdmin(brokers, async (admin) => {
    const { groups } = await admin.describeGroups([groupId])
    return { protocol: groups[0]?.protocol ?? '', members: groups[0]?.members.length ?? 0 }
  })
}

/** Of the events labelled `label`: distinct ids handled, extra deliveries, ids never handled. */
function count(handled: readonly Handled[], label: string, n: number) {
  const mine = handled.filter((h) => h.id.startsWith(label))
  const distinct = new Set(mine.map((h) => h.id)).size
  return { distinct, duplicates: mine.length - distinct, missing: n - distinct }
}

beforeAll(async () => {
  await createTestTopics(brokers, prefix, ['campaign.created.json'])
})

afterAll(async () => {
  for (const j of javas) j.kill()
  await Promise.allSettled(clients.map((c) => c.stop()))
  await deleteTestTopics(brokers, prefix)
})

describe('topiq members in one group (range assignor)', () => {
  it('three members each get one partition and together handle every message exactly once', { timeout: 120_000 }, async () => {
    const groupId = `assignors-topiq-${randomUUID().slice(0, 8)}`
    const handled: Handled[] = []
    const progress = new Countdown(() => new Set(handled.map((h) => h.id)).size)
    const members = ['a', 'b', 'c'].map((name) => ({ name, client: topiqMember(name, groupId, handled, progress) }))
    const started = Date.now()
    await within(Promise.all(members.map((m) => m.client.start({ blocking: false }))), 60_000, 'three members joining')
    const parts = await settled(
      members.map((m) => ofClient(m.name, m.client)),
      45_000,
    )
    console.info(`3 topiq members settled in ${Date.now() - started} ms: ${JSON.stringify(parts)}`)
    expect(parts.map((p) => p.length)).toEqual([1, 1, 1])
    expect(await groupProtocol(groupId)).toEqual({ protocol: 'range', members: 3 })

    await produce(brokers, topic, validEvents('three-', 300))
    await progress.reach(300, 60_000, 'messages handled by the three members')
    expect(count(handled, 'three-', 300)).toEqual({ distinct: 300, duplicates: 0, missing: 0 })
    members.forEach((m, i) => {
      const seen = new Set(handled.filter((h) => h.member === m.name).map((h) => h.partition))
      expect([...seen], `member ${m.name} handled exactly its own partition`).toEqual(parts[i])
    })
    await Promise.all(members.map((m) => m.client.stop()))
    for (const m of members) expect(m.client.error).toBeUndefined()
  })
})

describe('a topiq member and a Java member (default assignors [range, cooperative-sticky]) in one group', () => {
  for (const order of ['java first', 'topiq first'] as const) {
    it(`${order}: both get partitions, every message is handled by exactly one of them, nobody crashes`, { timeout: 180_000 }, async () => {
      const groupId = `assignors-java-${order.split(' ')[0]}-${randomUUID().slice(0, 8)}`
      const label = `${order.split(' ')[0]}-`
      const handled: Handled[] = []
      // The group starts at the earliest offset, so it also reads earlier tests' messages: count only this test's.
      const progress = new Countdown(() => new Set(handled.filter((h) => h.id.startsWith(label)).map((h) => h.id)).size)
      const onJavaRecord = (line: JavaLine) => {
        const id = (JSON.parse(line.value?.utf8 ?? '{}') as { campaign_id?: string }).campaign_id ?? '?'
        handled.push({ member: 'java', partition: line.partition ?? -1, id })
        progress.check()
      }
      const client = topiqMember('topiq', groupId, handled, progress)
      const topiq = ofClient('topiq', client)
      let java: JavaMember
      const started = Date.now()
      if (order === 'java first') {
        java = new JavaMember('java', groupId, onJavaRecord)
        // Alone in the group, it takes all three partitions first (so topiq's join is a real rebalance).
        await within(
          new Promise<void>((resolve) => {
            const check = () => java.assignment().length === 3 && resolve()
            java.onLine(check)
            check()
          }),
          60_000,
          'java member alone owning every partition',
        ).catch((e: Error) => Promise.reject(new Error(`${e.message}; ${java.describe()}`)))
        await within(client.start({ blocking: false }), 60_000, 'topiq member joining the java member')
      } else {
        await within(client.start({ blocking: false }), 60_000, 'topiq member joining alone')
        expect(topiq.assignment()).toEqual(PARTITIONS)
        java = new JavaMember('java', groupId, onJavaRecord)
      }
      const parts = await settled([topiq, ofJava(java)], 90_000, () => java.describe())
      console.info(`topiq + java (${order}) settled in ${Date.now() - started} ms: topiq ${JSON.stringify(parts[0])}, java ${JSON.stringify(parts[1])}`)
      expect(await groupProtocol(groupId)).toEqual({ protocol: 'range', members: 2 })

      await produce(brokers, topic, validEvents(label, 300))
      await progress.reach(300, 60_000, `messages handled by topiq + java (${order})`).catch((e: Error) => Promise.reject(new Error(`${e.message}; ${java.describe()}`)))
      expect(count(handled, label, 300)).toEqual({ distinct: 300, duplicates: 0, missing: 0 })
      for (const [name, own] of [['topiq', parts[0]], ['java', parts[1]]] as const) {
        const mine = handled.filter((h) => h.member === name && h.id.startsWith(label))
        expect(mine.length, `${name} handled some of the messages`).toBeGreaterThan(0)
        for (const p of new Set(mine.map((h) => h.partition))) expect(own, `${name} handled only its own partitions`).toContain(p)
      }

      expect(await java.stop(), java.describe()).toBe(0)
      expect(java.lines.at(-1)).toMatchObject({ type: 'stopped', reason: 'stdin-closed' })
      expect(java.errors()).toEqual([])
      expect(client.status).toBe('running')
      await client.stop()
      expect(client.error).toBeUndefined()
    })
  }
})
