import type { GroupMember, Logger as KafkaJsLogger, PartitionAssigner } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import {
  compareMembers,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  partitionAssigners,
  rangeAssign,
  rangeAssigner,
  roundRobinAssign,
  roundRobinAssigner,
  type GroupAssignment,
  type MemberSubscription,
} from './assignors.ts'
import { isKafkaClientError } from './errors.ts'

// Kafka primitives, written out by hand from the protocol spec so the fixtures do not depend on the code under test.
const i16 = (n: number) => {
  const b = Buffer.alloc(2)
  b.writeInt16BE(n)
  return b
}
const i32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)])
const NULL_STRING = i16(-1)
const NULL_BYTES = i32(-1)
const bytes = (b: Buffer) => Buffer.concat([i32(b.length), b])

/** Plain objects for toEqual: member → topic → partitions. */
function plain(a: GroupAssignment): Record<string, Record<string, number[]>> {
  return Object.fromEntries([...a].map(([m, topics]) => [m, Object.fromEntries(topics)]))
}

describe('Subscription decoding', () => {
  it('decodes a real Java v3 subscription (kafka-clients 4.4.0)', () => {
    // ConsumerProtocolSubscription v3: version, topics, user_data, owned_partitions, generation_id, rack_id.
    const handBuilt = Buffer.concat([
      i16(3),
      i32(2), str('orders'), str('payments'), // topics
      bytes(Buffer.from([1, 2])), // user_data
      i32(1), str('orders'), i32(2), i32(0), i32(2), // owned_partitions: orders [0, 2]
      i32(5), // generation_id
      str('rack-a'), // rack_id
    ])
    // What kafka-clients 4.4.0 actually writes for the same subscription: ConsumerProtocol.serializeSubscription(new
    // Subscription(List.of("orders", "payments"), ByteBuffer.wrap(new byte[]{1, 2}),
    // List.of(new TopicPartition("orders", 0), new TopicPartition("orders", 2)), 5, Optional.of("rack-a"))).
    const fromJava = Buffer.from(
      '00030000000200066f726465727300087061796d656e74730000000201020000000100066f72646572730000000200000000000000020000000500067261636b2d61',
      'hex',
    )
    expect(handBuilt.equals(fromJava)).toBe(true)
    expect(decodeSubscription(fromJava)).toEqual({
      version: 3,
      topics: ['orders', 'payments'],
      userData: Buffer.from([1, 2]),
      ownedPartitions: [{ topic: 'orders', partitions: [0, 2] }],
      generationId: 5,
      rackId: 'rack-a',
    })
  })

  it("decodes Java's default subscription (null user data, nothing owned, no generation, no rack)", () => {
    // kafka-clients 4.4.0, new Subscription(List.of("orders")).
    const fromJava = Buffer.from('00030000000100066f7264657273ffffffff00000000ffffffffffff', 'hex')
    expect(decodeSubscription(fromJava)).toEqual({ version: 3, topics: ['orders'], userData: null, ownedPartitions: [], generationId: -1, rackId: null })
  })

  it('decodes a librdkafka (confluent-kafka) v3 subscription', () => {
    // librdkafka 2.x rd_kafka_consumer_protocol_member_metadata_new: always version 3; a NULL user data is written as
    // EMPTY bytes (Kafka 0.9 could not parse null), no owned partitions as an empty array, generation -1, and no
    // client.rack as a null string. Topics in subscription order.
    const fromLibrdkafka = Buffer.concat([i16(3), i32(2), str('b.topic'), str('a.topic'), bytes(Buffer.alloc(0)), i32(0), i32(-1), NULL_STRING])
    expect(decodeSubscription(fromLibrdkafka)).toEqual({
      version: 3,
      topics: ['b.topic', 'a.topic'],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    })
  })

  it('decodes a v0 subscription as kafka-python and kafkajs write it (empty user data)', () => {
    const v0 = Buffer.concat([i16(0), i32(1), str('orders'), bytes(Buffer.alloc(0))])
    expect(decodeSubscription(v0)).toMatchObject({ version: 0, topics: ['orders'], userData: Buffer.alloc(0), ownedPartitions: [], generationId: -1, rackId: null })
  })

  it('reads v1 and v2 fields and stops there', () => {
    const v1 = Buffer.concat([i16(1), i32(1), str('t'), NULL_BYTES, i32(1), str('t'), i32(1), i32(4)])
    expect(decodeSubscription(v1)).toMatchObject({ version: 1, ownedPartitions: [{ topic: 't', partitions: [4] }], generationId: -1, rackId: null })
    // v2 followed by bytes that a v3 reader would take for a rack id: a v2 reader must not.
    const v2 = Buffer.concat([i16(2), i32(1), str('t'), NULL_BYTES, i32(0), i32(9), str('junk')])
    expect(decodeSubscription(v2)).toMatchObject({ version: 2, generationId: 9, rackId: null })
  })

  it('reads a future version as v3 and ignores the fields it appends', () => {
    const v5 = Buffer.concat([i16(5), i32(1), str('t'), NULL_BYTES, i32(0), i32(2), str('r1'), i32(42), str('unknown future field')])
    expect(decodeSubscription(v5)).toEqual({ version: 5, topics: ['t'], userData: null, ownedPartitions: [], generationId: 2, rackId: 'r1' })
  })

  it('names the field, byte offset and member of a truncated subscription', () => {
    const truncated = Buffer.concat([i16(0), i32(2), str('orders'), i16(8), Buffer.from('pay')])
    let error: unknown
    try {
      decodeSubscription(truncated, 'the "range" subscription of member m-1 in group "g"')
    } catch (e) {
      error = e
    }
    expect(isKafkaClientError(error, 'DECODE_FAILED')).toBe(true)
    expect((error as Error).message).toMatch(/member m-1 in group "g": topics\[1\] needs 8 byte\(s\) at byte 16 but only 3 of 19 remain/)
  })

  it('rejects a null topic list and an absurd array count instead of allocating for it', () => {
    expect(() => decodeSubscription(Buffer.concat([i16(0), i32(-1), NULL_BYTES]))).toThrow(/topics count -1 \(at byte 2\); the array may not be null/)
    expect(() => decodeSubscription(Buffer.concat([i16(0), i32(0x7fffffff)]))).toThrow(/topics count 2147483647 .* exceeds the 0 byte\(s\) left/)
  })
})

describe('Subscription encoding', () => {
  it('writes v0: version 0, topics, null user data', () => {
    // kafka-clients 4.4.0 ConsumerProtocol.deserializeSubscription reads these exact bytes as topics [orders], no
    // owned partitions, no generation, no rack, null user data (checked with the broker's own jar).
    expect(encodeSubscription({ topics: ['orders'] }).toString('hex')).toBe('00000000000100066f7264657273ffffffff')
    expect(encodeSubscription({ topics: ['orders'] })).toEqual(Buffer.concat([i16(0), i32(1), str('orders'), NULL_BYTES]))
  })

  it('round-trips multi-byte topic names by byte length', () => {
    const sub = decodeSubscription(encodeSubscription({ topics: ['zürich.événement.json', 'a'], userData: Buffer.from('x') }))
    expect(sub).toMatchObject({ version: 0, topics: ['zürich.événement.json', 'a'], userData: Buffer.from('x') })
  })
})

describe('Assignment', () => {
  it('decodes a real Java v3 assignment (kafka-clients 4.4.0)', () => {
    // ConsumerProtocol.serializeAssignment(new Assignment(List.of(new TopicPartition("orders", 1), new TopicPartition("orders", 2))))
    const fromJava = Buffer.from('00030000000100066f7264657273000000020000000100000002ffffffff', 'hex')
    expect(fromJava).toEqual(Buffer.concat([i16(3), i32(1), str('orders'), i32(2), i32(1), i32(2), NULL_BYTES]))
    expect(decodeAssignment(fromJava)).toEqual({ version: 3, partitions: [{ topic: 'orders', partitions: [1, 2] }], userData: null })
  })

  it('encodes v0 with topics in name order and partitions ascending', () => {
    const encoded = encodeAssignment(new Map([['b', [2, 0]], ['a', [1]]]))
    expect(encoded).toEqual(Buffer.concat([i16(0), i32(2), str('a'), i32(1), i32(1), str('b'), i32(2), i32(0), i32(2), NULL_BYTES]))
    expect(decodeAssignment(encoded)).toEqual({ version: 0, partitions: [{ topic: 'a', partitions: [1] }, { topic: 'b', partitions: [0, 2] }], userData: null })
  })

  it('encodes an empty assignment that every client can parse', () => {
    expect(encodeAssignment(new Map())).toEqual(Buffer.concat([i16(0), i32(0), NULL_BYTES]))
  })
})

const m = (memberId: string, topics: string[], groupInstanceId: string | null = null): MemberSubscription => ({ memberId, topics, groupInstanceId })

describe('range (Java RangeAssignor)', () => {
  it('7 partitions over 3 members: the first 7 % 3 = 1 member (by member id) gets one extra', () => {
    // Given out of order on purpose: the order is by member id, not join order.
    const members = [m('c-3', ['t']), m('a-1', ['t']), m('b-2', ['t'])]
    expect(plain(rangeAssign(members, new Map([['t', 7]])))).toEqual({ 'a-1': { t: [0, 1, 2] }, 'b-2': { t: [3, 4] }, 'c-3': { t: [5, 6] } })
  })

  it("matches Java's documented example: 2 members, 2 topics of 3 partitions", () => {
    const members = [m('C0', ['t0', 't1']), m('C1', ['t0', 't1'])]
    expect(plain(rangeAssign(members, new Map([['t0', 3], ['t1', 3]])))).toEqual({ C0: { t0: [0, 1], t1: [0, 1] }, C1: { t0: [2], t1: [2] } })
  })

  it('ranges each topic over only the members subscribed to it', () => {
    const members = [m('m1', ['x']), m('m2', ['x', 'y']), m('m3', ['y'])]
    expect(plain(rangeAssign(members, new Map([['x', 5], ['y', 2]])))).toEqual({
      m1: { x: [0, 1, 2] },
      m2: { x: [3, 4], y: [0] },
      m3: { y: [1] },
    })
  })

  it('leaves members beyond the partition count with an empty assignment, and skips unknown topics', () => {
    const members = [m('a', ['t', 'gone']), m('b', ['t']), m('c', ['t'])]
    expect(plain(rangeAssign(members, new Map([['t', 2]])))).toEqual({ a: { t: [0] }, b: { t: [1] }, c: {} })
  })

  it('sorts static members (group.instance.id) first, by instance id, as Java MemberInfo does', () => {
    const members = [m('a', ['t']), m('z', ['t'], 'instance-2'), m('y', ['t'], 'instance-1')]
    expect([...members].sort(compareMembers).map((x) => x.memberId)).toEqual(['y', 'z', 'a'])
    expect(plain(rangeAssign(members, new Map([['t', 3]])))).toEqual({ y: { t: [0] }, z: { t: [1] }, a: { t: [2] } })
  })

  it('orders member ids by UTF-16 code unit like Java, not by locale', () => {
    // localeCompare would put "a" before "B"; Java's String.compareTo puts "B" (0x42) first.
    expect(plain(rangeAssign([m('a', ['t']), m('B', ['t'])], new Map([['t', 3]])))).toEqual({ B: { t: [0, 1] }, a: { t: [2] } })
  })
})

describe('roundrobin (Java RoundRobinAssignor)', () => {
  it('7 partitions over 3 members: dealt in member-id order', () => {
    const members = [m('c-3', ['t']), m('a-1', ['t']), m('b-2', ['t'])]
    expect(plain(roundRobinAssign(members, new Map([['t', 7]])))).toEqual({ 'a-1': { t: [0, 3, 6] }, 'b-2': { t: [1, 4] }, 'c-3': { t: [2, 5] } })
  })

  it("matches Java's documented example with identical subscriptions: 2 members, 2 topics of 3 partitions", () => {
    const members = [m('C0', ['t0', 't1']), m('C1', ['t1', 't0'])]
    expect(plain(roundRobinAssign(members, new Map([['t1', 3], ['t0', 3]])))).toEqual({ C0: { t0: [0, 2], t1: [1] }, C1: { t0: [1], t1: [0, 2] } })
  })

  it("matches Java's documented example with different subscriptions: members not subscribed are skipped", () => {
    const members = [m('C0', ['t0']), m('C1', ['t0', 't1']), m('C2', ['t0', 't1', 't2'])]
    expect(plain(roundRobinAssign(members, new Map([['t0', 1], ['t1', 2], ['t2', 3]])))).toEqual({
      C0: { t0: [0] },
      C1: { t1: [0] },
      C2: { t1: [1], t2: [0, 1, 2] },
    })
  })

  it('assigns only subscribed topics and skips topics without partitions', () => {
    const members = [m('a', ['t']), m('b', ['t', 'missing'])]
    expect(plain(roundRobinAssign(members, new Map([['t', 3], ['other', 4]])))).toEqual({ a: { t: [0, 2] }, b: { t: [1] } })
  })
})

describe('kafkajs assigners', () => {
  const silent: KafkaJsLogger = {
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    namespace: () => silent,
    setLogLevel: () => undefined,
  }
  /** A stand-in for kafkajs' Cluster: only the two calls the assigners make. */
  function cluster(known: Record<string, number>, fetchable: Record<string, number> = {}) {
    const partitions: Record<string, number> = { ...known }
    const fetched: string[][] = []
    const c = {
      findTopicPartitionMetadata: (topic: string) => Array.from({ length: partitions[topic] ?? 0 }, (_, partitionId) => ({ partitionId })),
      addMultipleTargetTopics: async (topics: string[]) => {
        fetched.push(topics)
        const unknown = topics.filter((t) => fetchable[t] === undefined)
        if (unknown.length > 0) throw new Error(`This server does not host this topic-partition: ${unknown.join()}`)
        for (const t of topics) partitions[t] = fetchable[t] ?? 0
      },
    }
    return { cluster: c as unknown as Parameters<PartitionAssigner>[0]['cluster'], fetched }
  }
  const member = (memberId: string, metadata: Buffer, groupInstanceId: string | null = null): GroupMember =>
    ({ memberId, memberMetadata: metadata, groupInstanceId }) as GroupMember

  it('are named range and roundrobin, in the preference order given', () => {
    const { cluster: c } = cluster({})
    const names = (list: PartitionAssigner[]) => list.map((f) => f({ cluster: c, groupId: 'g', logger: silent }).name)
    expect(names(partitionAssigners())).toEqual(['range', 'roundrobin'])
    expect(names(partitionAssigners(['roundrobin']))).toEqual(['roundrobin'])
  })

  it('advertise a v0 subscription of our topics', () => {
    const { cluster: c } = cluster({})
    const state = rangeAssigner({ cluster: c, groupId: 'g', logger: silent }).protocol({ topics: ['orders'] })
    expect(state).toEqual({ name: 'range', metadata: Buffer.concat([i16(0), i32(1), str('orders'), NULL_BYTES]) })
  })

  it("assign every member (a Java one included) from the members' own subscriptions, fetching topics only others read", async () => {
    const { cluster: c, fetched } = cluster({ mine: 3 }, { theirs: 2 })
    const javaV3 = Buffer.concat([i16(3), i32(2), str('mine'), str('theirs'), NULL_BYTES, i32(0), i32(-1), NULL_STRING])
    const assigner = roundRobinAssigner({ cluster: c, groupId: 'g', logger: silent })
    const out = await assigner.assign({
      members: [member('topiq-b', encodeSubscription({ topics: ['mine'] })), member('java-a', javaV3), member('idle-c', encodeSubscription({ topics: ['mine'] }))],
      topics: ['mine'], // kafkajs passes only the leader's topics
    })
    expect(fetched).toEqual([['theirs']])
    const decoded = Object.fromEntries(out.map((a) => [a.memberId, decodeAssignment(a.memberAssignment).partitions]))
    // Sorted members: idle-c, java-a, topiq-b. mine-0 → idle-c, mine-1 → java-a, mine-2 → topiq-b; theirs → java-a only.
    expect(decoded).toEqual({
      'topiq-b': [{ topic: 'mine', partitions: [2] }],
      'java-a': [{ topic: 'mine', partitions: [1] }, { topic: 'theirs', partitions: [0, 1] }],
      'idle-c': [{ topic: 'mine', partitions: [0] }],
    })
  })

  it('still assign the existing topics when another member subscribes to one that does not exist', async () => {
    const { cluster: c } = cluster({ t: 2 }, { other: 1 })
    const out = await rangeAssigner({ cluster: c, groupId: 'g', logger: silent }).assign({
      members: [member('a', encodeSubscription({ topics: ['t', 'ghost', 'other'] })), member('b', encodeSubscription({ topics: ['t'] }))],
      topics: ['t'],
    })
    const decoded = Object.fromEntries(out.map((a) => [a.memberId, decodeAssignment(a.memberAssignment).partitions]))
    expect(decoded).toEqual({ a: [{ topic: 'other', partitions: [0] }, { topic: 't', partitions: [0] }], b: [{ topic: 't', partitions: [1] }] })
  })

  it('fail with the member and group named when a subscription cannot be decoded', async () => {
    const { cluster: c } = cluster({ t: 1 })
    const assign = rangeAssigner({ cluster: c, groupId: 'g1', logger: silent }).assign({ members: [member('bad-1', Buffer.from([0, 0, 0]))], topics: ['t'] })
    await expect(assign).rejects.toThrow(/the "range" subscription of member bad-1 in group "g1": topics count needs 4 byte\(s\) at byte 2/)
  })
})
