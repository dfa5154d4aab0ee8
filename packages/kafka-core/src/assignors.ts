// Partition assignors that speak the Java client's classic consumer protocol, so topiq members can share a consumer
// group with confluent-kafka (librdkafka), kafka-python and Java members. kafkajs only advertises its own
// "RoundRobinAssigner" protocol name, which no other client knows: the broker then refuses the join with
// INCONSISTENT_GROUP_PROTOCOL ("supported protocols are incompatible").
//
// Wire format (apache/kafka ConsumerProtocolSubscription.json / ConsumerProtocolAssignment.json, never flexible):
//   Subscription: version int16, topics [string], user_data nullable bytes,
//                 owned_partitions [topic string, partitions [int32]] (v1+), generation_id int32 (v2+),
//                 rack_id nullable string (v3+)
//   Assignment:   version int16, assigned_partitions [topic string, partitions [int32]], user_data nullable bytes
// Arrays are an int32 count then the items, strings an int16 byte length then UTF-8, bytes an int32 length (-1 = null).
import type { GroupMember, GroupMemberAssignment, Logger as KafkaJsLogger, PartitionAssigner } from 'kafkajs'
import { KafkaClientError } from './errors.ts'

export const ASSIGNOR_NAMES = ['range', 'roundrobin'] as const
export type AssignorName = (typeof ASSIGNOR_NAMES)[number]

/**
 * Preference order sent in JoinGroup. The broker picks, among the protocols every member supports, the one most
 * members list first. librdkafka ("range,roundrobin"), kafka-python (range, roundrobin) and Java ([range,
 * cooperative-sticky]) all list range first, so putting range first too makes every vote agree: the group settles on
 * range whatever mix of clients is in it, and does not flip strategy as members come and go.
 */
export const DEFAULT_ASSIGNORS: readonly AssignorName[] = ['range', 'roundrobin']

/**
 * We send Subscription v0 (topics, null user data). It is the version every client since Kafka 0.9 decodes, and the
 * fields later versions add only serve assignors we do not offer: owned partitions (v1) and generation (v2) are for
 * sticky/cooperative rebalancing — kafkajs revokes everything before it rejoins (eager), so they would always be
 * empty/-1 — and rack id (v3) is for rack-aware assignment, which needs a client.rack we do not have.
 */
export const SUBSCRIPTION_VERSION = 0
/** The highest Subscription version whose fields we know; a newer one is read as this (Java does the same). */
const MAX_KNOWN_SUBSCRIPTION_VERSION = 3
/** Assignment v0: all versions 0-3 share one layout, and every client reads v0. */
export const ASSIGNMENT_VERSION = 0

export interface TopicPartitions {
  readonly topic: string
  readonly partitions: readonly number[]
}

export interface Subscription {
  readonly version: number
  readonly topics: readonly string[]
  readonly userData: Buffer | null
  /** v1+; empty when absent. */
  readonly ownedPartitions: readonly TopicPartitions[]
  /** v2+; -1 when absent. */
  readonly generationId: number
  /** v3+; null when absent. */
  readonly rackId: string | null
}

export interface Assignment {
  readonly version: number
  readonly partitions: readonly TopicPartitions[]
  readonly userData: Buffer | null
}

/** One member as an assignor sees it. */
export interface MemberSubscription {
  readonly memberId: string
  /** Static membership (group.instance.id): such members sort first, by instance id, as in Java's MemberInfo. */
  readonly groupInstanceId?: string | null
  readonly topics: readonly string[]
}

/** member id → topic → partitions (ascending). Every member is present, possibly with nothing. */
export type GroupAssignment = Map<string, Map<string, number[]>>

// ---------------------------------------------------------------------------------------------------------------
// Encoding

class Writer {
  private readonly parts: Buffer[] = []
  int16(n: number): this {
    const b = Buffer.allocUnsafe(2)
    b.writeInt16BE(n)
    this.parts.push(b)
    return this
  }
  int32(n: number): this {
    const b = Buffer.allocUnsafe(4)
    b.writeInt32BE(n)
    this.parts.push(b)
    return this
  }
  string(s: string): this {
    const bytes = Buffer.from(s, 'utf8')
    if (bytes.length > 0x7fff) throw new KafkaClientError('CONFIG_INVALID', `topic name of ${bytes.length} bytes is longer than a Kafka string (32767 bytes): ${s.slice(0, 60)}…`)
    this.int16(bytes.length)
    this.parts.push(bytes)
    return this
  }
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1)
    this.int32(b.length)
    this.parts.push(b)
    return this
  }
  topicPartitions(list: readonly TopicPartitions[]): this {
    this.int32(list.length)
    for (const { topic, partitions } of list) {
      this.string(topic).int32(partitions.length)
      for (const p of partitions) this.int32(p)
    }
    return this
  }
  build(): Buffer {
    return Buffer.concat(this.parts)
  }
}

/** Subscription v0 (see SUBSCRIPTION_VERSION for why v0). */
export function encodeSubscription(subscription: { topics: readonly string[]; userData?: Buffer | null }): Buffer {
  const w = new Writer().int16(SUBSCRIPTION_VERSION).int32(subscription.topics.length)
  for (const t of subscription.topics) w.string(t)
  return w.bytes(subscription.userData ?? null).build()
}

/** Assignment v0; topics in name order, partitions ascending, so the bytes are deterministic. */
export function encodeAssignment(assignment: ReadonlyMap<string, readonly number[]>, userData: Buffer | null = null): Buffer {
  const list = [...assignment.keys()].sort(compareStrings).map((topic) => ({ topic, partitions: [...(assignment.get(topic) ?? [])].sort((a, b) => a - b) }))
  return new Writer().int16(ASSIGNMENT_VERSION).topicPartitions(list).bytes(userData).build()
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding

class Reader {
  offset = 0
  private readonly buf: Buffer
  private readonly what: string
  constructor(buf: Buffer, what: string) {
    this.buf = buf
    this.what = what
  }
  get remaining(): number {
    return this.buf.length - this.offset
  }
  private need(n: number, field: string): void {
    if (this.remaining < n) {
      throw new KafkaClientError(
        'DECODE_FAILED',
        `cannot decode ${this.what}: ${field} needs ${n} byte(s) at byte ${this.offset} but only ${this.remaining} of ${this.buf.length} remain. ` +
          "The member's client does not write Kafka's ConsumerProtocol for this assignor name; give it the plain 'range' or 'roundrobin' assignor of its own library.",
      )
    }
  }
  int16(field: string): number {
    this.need(2, field)
    const v = this.buf.readInt16BE(this.offset)
    this.offset += 2
    return v
  }
  int32(field: string): number {
    this.need(4, field)
    const v = this.buf.readInt32BE(this.offset)
    this.offset += 4
    return v
  }
  nullableString(field: string): string | null {
    const len = this.int16(`${field} length`)
    if (len === -1) return null
    if (len < 0) this.invalid(`${field} length ${len}`)
    this.need(len, field)
    const s = this.buf.toString('utf8', this.offset, this.offset + len)
    this.offset += len
    return s
  }
  string(field: string): string {
    const at = this.offset
    const s = this.nullableString(field)
    if (s === null) this.invalid(`${field} is null (at byte ${at}) but may not be`)
    return s
  }
  nullableBytes(field: string): Buffer | null {
    const len = this.int32(`${field} length`)
    if (len === -1) return null
    if (len < 0) this.invalid(`${field} length ${len}`)
    this.need(len, field)
    const b = Buffer.from(this.buf.subarray(this.offset, this.offset + len))
    this.offset += len
    return b
  }
  array<T>(field: string, item: (index: number) => T): T[] {
    const at = this.offset
    const count = this.int32(`${field} count`)
    if (count < 0) this.invalid(`${field} count ${count} (at byte ${at}); the array may not be null`)
    // Each item takes at least 2 bytes: a count beyond that is corrupt, and must not make us allocate gigabytes.
    if (count * 2 > this.remaining) this.invalid(`${field} count ${count} (at byte ${at}) exceeds the ${this.remaining} byte(s) left`)
    const out: T[] = []
    for (let i = 0; i < count; i++) out.push(item(i))
    return out
  }
  topicPartitions(field: string): TopicPartitions[] {
    return this.array(field, (i) => ({
      topic: this.string(`${field}[${i}].topic`),
      partitions: this.array(`${field}[${i}].partitions`, (j) => this.int32(`${field}[${i}].partitions[${j}]`)),
    }))
  }
  invalid(detail: string): never {
    throw new KafkaClientError('DECODE_FAILED', `cannot decode ${this.what}: ${detail}. The member's client wrote a malformed ConsumerProtocol message.`)
  }
}

/**
 * Decodes a Subscription of any version. Fields of versions above MAX_KNOWN_SUBSCRIPTION_VERSION and trailing bytes
 * are ignored (newer versions only append fields). A field missing entirely at the end takes its default:
 * range and roundrobin only read the topics, so a terse writer costs nothing.
 */
export function decodeSubscription(buf: Buffer, where = 'a member subscription'): Subscription {
  const r = new Reader(buf, where)
  const version = r.int16('version')
  if (version < 0) r.invalid(`version ${version}`)
  const topics = r.array('topics', (i) => r.string(`topics[${i}]`))
  const userData = r.remaining > 0 ? r.nullableBytes('user_data') : null
  const known = Math.min(version, MAX_KNOWN_SUBSCRIPTION_VERSION)
  const ownedPartitions = known >= 1 && r.remaining > 0 ? r.topicPartitions('owned_partitions') : []
  const generationId = known >= 2 && r.remaining > 0 ? r.int32('generation_id') : -1
  const rackId = known >= 3 && r.remaining > 0 ? r.nullableString('rack_id') : null
  return { version, topics, userData, ownedPartitions, generationId, rackId }
}

/** Decodes an Assignment of any version (all share one layout); trailing bytes are ignored. */
export function decodeAssignment(buf: Buffer, where = 'a member assignment'): Assignment {
  const r = new Reader(buf, where)
  const version = r.int16('version')
  if (version < 0) r.invalid(`version ${version}`)
  const partitions = r.topicPartitions('assigned_partitions')
  const userData = r.remaining > 0 ? r.nullableBytes('user_data') : null
  return { version, partitions, userData }
}

// ---------------------------------------------------------------------------------------------------------------
// Assignment (pure): Java's RangeAssignor and RoundRobinAssignor

/** Java's String.compareTo: UTF-16 code units, not locale order (which localeCompare would use). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Java's MemberInfo order: static members first, by group.instance.id; then the rest by member id. */
export function compareMembers(a: MemberSubscription, b: MemberSubscription): number {
  const ai = a.groupInstanceId ?? null
  const bi = b.groupInstanceId ?? null
  if (ai !== null && bi !== null) return compareStrings(ai, bi)
  if (ai !== null) return -1
  if (bi !== null) return 1
  return compareStrings(a.memberId, b.memberId)
}

function emptyAssignment(members: readonly MemberSubscription[]): GroupAssignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]))
}

function add(result: GroupAssignment, memberId: string, topic: string, partition: number): void {
  const topics = result.get(memberId)
  if (topics === undefined) return
  const list = topics.get(topic)
  if (list === undefined) topics.set(topic, [partition])
  else list.push(partition)
}

/** Every topic some member subscribes to, in name order. */
export function subscribedTopics(members: readonly MemberSubscription[]): string[] {
  return [...new Set(members.flatMap((m) => m.topics))].sort(compareStrings)
}

/**
 * Java RangeAssignor: per topic, the members subscribed to it in MemberInfo order each take a contiguous range;
 * the first `partitions % members` of them take one extra. Topics without a partition count (unknown to the
 * cluster) are skipped, as Java does.
 */
export function rangeAssign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
  const result = emptyAssignment(members)
  for (const topic of subscribedTopics(members)) {
    const count = partitionsPerTopic.get(topic)
    if (count === undefined) continue
    const consumers = members.filter((m) => m.topics.includes(topic)).sort(compareMembers)
    const perConsumer = Math.floor(count / consumers.length)
    const withExtra = count % consumers.length
    consumers.forEach((m, i) => {
      const start = perConsumer * i + Math.min(i, withExtra)
      const length = perConsumer + (i < withExtra ? 1 : 0)
      for (let p = start; p < start + length; p++) add(result, m.memberId, topic, p)
    })
  }
  return result
}

/**
 * Java RoundRobinAssignor: all partitions of all subscribed topics, sorted by topic then partition, dealt to the
 * members in MemberInfo order, cycling; a member not subscribed to a partition's topic is skipped over.
 */
export function roundRobinAssign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
  const result = emptyAssignment(members)
  const ring = [...members].sort(compareMembers)
  let next = 0
  for (const topic of subscribedTopics(members)) {
    const count = partitionsPerTopic.get(topic) ?? 0
    for (let p = 0; p < count; p++) {
      // Terminates: the topic came from some member's subscription.
      while (!(ring[next % ring.length]?.topics.includes(topic) ?? false)) next++
      const member = ring[next % ring.length]
      if (member !== undefined) add(result, member.memberId, topic, p)
      next++
    }
  }
  return result
}

const ASSIGN: Record<AssignorName, typeof rangeAssign> = { range: rangeAssign, roundrobin: roundRobinAssign }

// ---------------------------------------------------------------------------------------------------------------
// kafkajs adapter

type Cluster = Parameters<PartitionAssigner>[0]['cluster']

/** Partition counts for `topics`; fetches metadata for topics only other members subscribe to. */
async function partitionCounts(cluster: Cluster, topics: readonly string[], logger: KafkaJsLogger, groupId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  const missing: string[] = []
  const read = (topic: string): boolean => {
    const n = cluster.findTopicPartitionMetadata(topic).length
    if (n > 0) counts.set(topic, n)
    return n > 0
  }
  for (const t of topics) if (!read(t)) missing.push(t)
  if (missing.length === 0) return counts
  // kafkajs refreshed metadata for the leader's own topics only; others' topics must be added to its target list.
  try {
    await cluster.addMultipleTargetTopics(missing)
  } catch {
    // One unknown topic fails the whole batch: retry one by one so the existing ones are still assigned.
    for (const t of missing) await cluster.addMultipleTargetTopics([t]).catch(() => undefined)
  }
  const unknown = missing.filter((t) => !read(t))
  if (unknown.length > 0) {
    logger.warn('Topics subscribed to by group members do not exist; their partitions are not assigned (as in Java)', { groupId, topics: unknown })
  }
  return counts
}

function assigner(name: AssignorName): PartitionAssigner {
  return ({ cluster, groupId, logger }) => ({
    name,
    version: SUBSCRIPTION_VERSION,
    async assign({ members }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
      // kafkajs passes only the leader's own topics; Java assigns every topic any member subscribes to.
      const subscriptions: MemberSubscription[] = members.map((m) => {
        // JoinGroup v5+ responses carry group.instance.id; kafkajs' type omits it.
        const groupInstanceId = (m as GroupMember & { groupInstanceId?: string | null }).groupInstanceId ?? null
        const sub = decodeSubscription(m.memberMetadata, `the "${name}" subscription of member ${m.memberId} in group "${groupId}"`)
        return { memberId: m.memberId, groupInstanceId, topics: sub.topics }
      })
      const counts = await partitionCounts(cluster, subscribedTopics(subscriptions), logger, groupId)
      const result = ASSIGN[name](subscriptions, counts)
      logger.info(`Group assignment by "${name}"`, {
        groupId,
        assignment: Object.fromEntries([...result].map(([member, topics]) => [member, Object.fromEntries(topics)])),
      })
      // Every member gets an Assignment, even an empty one: some clients cannot parse the empty bytes the broker
      // would otherwise hand a member the leader left out.
      return members.map((m) => ({ memberId: m.memberId, memberAssignment: encodeAssignment(result.get(m.memberId) ?? new Map()) }))
    },
    protocol({ topics }: { topics: string[] }) {
      return { name, metadata: encodeSubscription({ topics }) }
    },
  })
}

/** kafkajs assigner speaking Java's `range` protocol. */
export const rangeAssigner: PartitionAssigner = assigner('range')
/** kafkajs assigner speaking Java's `roundrobin` protocol. */
export const roundRobinAssigner: PartitionAssigner = assigner('roundrobin')

/** The kafkajs `partitionAssigners` option for `names`, in that preference order. */
export function partitionAssigners(names: readonly AssignorName[] = DEFAULT_ASSIGNORS): PartitionAssigner[] {
  return names.map((n) => (n === 'range' ? rangeAssigner : roundRobinAssigner))
}

export function isAssignorName(value: unknown): value is AssignorName {
  return typeof value === 'string' && (ASSIGNOR_NAMES as readonly string[]).includes(value)
}
