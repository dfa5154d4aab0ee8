// The platformatic transport's consumer: kafkajs' eachBatch contract on @platformatic/kafka's Consumer.
//
// Only platformatic's group membership (JoinGroup/SyncGroup, background heartbeats, rejoin), its Fetch (with fetch
// sessions and the read_committed filter, patched: patches/@platformatic__kafka@2.12.1.patch; on connections of its
// own, with data batches' records left as bytes for records.ts) and its OffsetCommit (sent straight on the
// coordinator's connection: #directCommit) / OffsetFetch / ListOffsets are used — not its MessagesStream, which
// flattens record batches (no transaction markers to commit past, no per-partition order across concurrent
// partitions, no eager revocation, buffers of up to highWaterMark records of partitions already lost). On top, as
// kafkajs does it:
// - one fetch loop per leader broker: a fetch, then its partitions' records handed to eachBatch (at most
//   `partitionsConsumedConcurrently` partitions at a time, each partition's chunks in order), and the next fetch only
//   once all of them are done — so what is buffered is one fetch response per broker (backpressure);
// - eager rebalancing: when platformatic starts a rejoin (heartbeat answered REBALANCE_IN_PROGRESS, member fenced…)
//   every partition counts as revoked: heartbeat() throws and isStale() is true in the batches in hand, and the
//   JoinGroup is held (protocolsMetadata hook) until they have returned — their commits still go out with the old
//   generation, which the coordinator accepts while it prepares the rebalance. After the join, positions are read
//   from the committed offsets again;
// - Java's range / roundrobin assignors under their protocol names (assignors.ts), so the group is shared with
//   kafkajs (topiq's assignors), Java, librdkafka and kafka-python members.
import { Consumer, kCreateConnectionPool, kGetApi, kGetConnection, lazyRecords, type Broker, type ConnectionPool, ListOffsetTimestamps, type ClusterMetadata, type Connection, type ExtendedGroupProtocolSubscription, type GroupPartitionsAssignments } from '@platformatic/kafka'
import type { KafkaMessage } from 'kafkajs'
import { rangeAssign, roundRobinAssign, type MemberSubscription } from '../assignors.ts'
import type { ResolvedConnection } from '../config.ts'
import type { Logger } from '../logger.ts'
import type { BatchPayload, ConsumerConfig, ConsumerEvents, RunConfig, TopicOffsets, TransportConsumer, TransportOptions } from '../transport.ts'
import { baseOptions } from './connection.ts'
import { errorTree, normalizeError } from './errors.ts'
import { decodeBatch, decompress, type LazyBatch } from './records.ts'

/** kafkajs' fetch defaults (platformatic's are 50 MB for both, i.e. one partition may fill a whole response). */
const MAX_BYTES = 10 * 1024 * 1024
const MAX_BYTES_PER_PARTITION = 1024 * 1024
/** kafkajs' default rebalance timeout; platformatic requires it ≥ the session timeout. */
const REBALANCE_TIMEOUT = 60_000
const RESTART_DELAY_MS = 1_000
const IS_CONTROL = 0x20

/** What heartbeat() throws (and commitOffsetsIfNecessary after a rejoin) once this batch's partition may have moved. */
export class RebalanceInProgressError extends Error {
  override readonly name = 'KafkaJSError'
  readonly type = 'REBALANCE_IN_PROGRESS'
  readonly retriable = true
  constructor(detail: string) {
    super(`The group is rebalancing, so a rejoin is needed (${detail})`)
  }
}

/** A record batch as the patched platformatic Fetch leaves it (records.ts), after the patched read_committed filter. */
type RawBatch = LazyBatch & { records: unknown[] }
interface RawFetchResponse {
  responses: { topicId: string; partitions: { partitionIndex: number; errorCode: number; highWatermark: bigint; logStartOffset: bigint; records: RawBatch[] | null }[] }[]
}

/** One eachBatch call's worth of a partition's fetched records. */
interface Chunk {
  messages: KafkaMessage[]
  firstOffset: bigint
  /** Last offset this chunk covers, markers and aborted records included. */
  lastOffset: bigint
}

interface Batchable {
  topic: string
  partition: number
  highWatermark: string
  chunks: Chunk[]
}

const key = (topic: string, partition: number) => `${topic}\0${partition}`

/**
 * A partition's fetched batches → eachBatch chunks of at most `max` records. Control batches and aborted batches
 * (records emptied by the patched filter) deliver nothing but extend the covered range, so the consumer can commit
 * past them; records before `fetchOffset` (a compressed batch starts earlier) are dropped, as in kafkajs and Java.
 */
export function chunksOf(batches: readonly RawBatch[], fetchOffset: bigint, max: number): Chunk[] {
  const within = batches.filter((b) => b.firstOffset + BigInt(b.lastOffsetDelta) >= fetchOffset)
  const first = within[0]
  const last = within.at(-1)
  if (first === undefined || last === undefined) return []
  const messages: KafkaMessage[] = []
  for (const batch of within) {
    if ((batch.attributes & IS_CONTROL) !== 0) continue
    if (batch.recordsBuffer === undefined && batch.records.length > 0) throw new Error('platformatic decoded the records itself: its topiq patch (lazyRecords) is not applied')
    decodeBatch(batch, fetchOffset, messages)
  }
  const end = last.firstOffset + BigInt(last.lastOffsetDelta)
  let from = first.firstOffset > fetchOffset ? first.firstOffset : fetchOffset
  if (messages.length === 0) return [{ messages, firstOffset: from, lastOffset: end }]
  const chunks: Chunk[] = []
  for (let i = 0; i < messages.length; i += max) {
    const slice = messages.slice(i, i + max)
    const next = messages[i + max]
    const lastOffset = next === undefined ? end : BigInt(next.offset) - 1n
    chunks.push({ messages: slice, firstOffset: from, lastOffset })
    from = lastOffset + 1n
  }
  return chunks
}

/** Java's assignors for platformatic's partitionAssigner hook (the 5th argument, the chosen protocol, is the topiq patch's). */
function assigner(
  _current: string,
  members: Map<string, ExtendedGroupProtocolSubscription & { groupInstanceId?: string | null }>,
  _topics: Set<string>,
  metadata: ClusterMetadata,
  protocol?: string | null,
): GroupPartitionsAssignments[] {
  const subscriptions: MemberSubscription[] = [...members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, topics: m.topics ?? [] }))
  const counts = new Map([...metadata.topics].map(([topic, t]) => [topic, t.partitionsCount]))
  const result = (protocol === 'roundrobin' ? roundRobinAssign : rangeAssign)(subscriptions, counts)
  return [...result].map(([memberId, topics]) => ({ memberId, assignments: new Map([...topics].map(([topic, partitions]) => [topic, { topic, partitions }])) }))
}

const FETCH_API_KEY = 1
type Parse = (...args: unknown[]) => unknown
const lazyParsers = new WeakMap<Parse, Parse>()
/** A Fetch response parser that leaves data batches' records as bytes (the patch's `lazyRecords`), for records.ts. */
function lazyParser(parse: Parse): Parse {
  let lazy = lazyParsers.get(parse)
  if (lazy === undefined) {
    lazy = (...args: unknown[]) => {
      // Parsing is synchronous: the flag covers exactly this response, never another client's in the same process.
      lazyRecords.active = true
      lazyRecords.decompress = decompress
      try {
        return parse(...args)
      } finally {
        lazyRecords.active = false
        lazyRecords.decompress = undefined
      }
    }
    lazyParsers.set(parse, lazy)
  }
  return lazy
}

type Send = (apiKey: number, apiVersion: number, payload: unknown, parse: Parse, ...rest: unknown[]) => unknown
const lazyConnections = new WeakMap<Connection, Connection>()
/** The connection as platformatic's fetch sees it through our pool: its Fetch responses are parsed lazily. */
function lazyConnection(connection: Connection): Connection {
  let lazy = lazyConnections.get(connection)
  if (lazy === undefined) {
    const send = (connection as unknown as { send: Send }).send
    lazy = Object.create(connection, {
      send: { value: (apiKey: number, apiVersion: number, payload: unknown, parse: Parse, ...rest: unknown[]) => send.call(connection, apiKey, apiVersion, payload, apiKey === FETCH_API_KEY ? lazyParser(parse) : parse, ...rest) },
    }) as Connection
    lazyConnections.set(connection, lazy)
  }
  return lazy
}

type Listeners = { [E in keyof ConsumerEvents]: ConsumerEvents[E][] }

class PlatformaticTransportConsumer implements TransportConsumer {
  readonly #connection: ResolvedConnection
  readonly #logger: Logger
  readonly #options: TransportOptions
  readonly #config: ConsumerConfig
  readonly #listeners: Listeners = { groupJoin: [], rebalancing: [], stop: [], crash: [] }
  #client: Consumer | undefined
  #topics: string[] = []
  #fromBeginning = false
  #run: RunConfig | undefined
  #running = false
  #stopping: Promise<void> | undefined
  /** Bumped when the partitions are revoked (a rejoin starts) and when they are assigned: a batch of an older generation is stale. */
  #generation = 0
  /** Between a join and the next revocation. */
  #joined = false
  #assignment = new Map<string, number[]>()
  /** Next offset to fetch per partition of the current assignment. */
  #positions = new Map<string, bigint>()
  readonly #paused = new Set<string>()
  readonly #loops = new Map<number, Promise<void>>()
  readonly #inFlight = new Set<Promise<unknown>>()
  /** Partitions handled concurrently: a counter and the waiters for a slot. */
  #active = 0
  readonly #slots: (() => void)[] = []
  #restartTimer: NodeJS.Timeout | undefined
  /**
   * Fetches go on connections of their own, as platformatic's MessagesStream does: a broker answers one connection's
   * requests in order, so a fetch in flight (a long poll at the log end) would hold heartbeats and commits back — Java's
   * consumer talks to its group coordinator on a connection of its own for the same reason. Each connection is seen
   * through lazyConnection; one pool object (platformatic keys fetch sessions by it).
   */
  #fetchConnections: ConnectionPool | undefined
  readonly #pool = {
    get: (broker: Broker, callback: (error: Error | null, connection?: Connection) => void) => {
      this.#fetchConnections ??= this.#requireClient('fetch')[kCreateConnectionPool]()
      this.#fetchConnections.get(broker, (error, connection) => callback(error, connection === undefined ? undefined : lazyConnection(connection)))
    },
  }

  constructor(connection: ResolvedConnection, logger: Logger, options: TransportOptions, config: ConsumerConfig) {
    this.#connection = connection
    this.#logger = logger
    this.#options = options
    this.#config = config
  }

  on<E extends keyof ConsumerEvents>(event: E, listener: ConsumerEvents[E]): void {
    this.#listeners[event].push(listener)
  }

  #emit<E extends keyof ConsumerEvents>(event: E, ...args: Parameters<ConsumerEvents[E]>): void {
    for (const listener of this.#listeners[event]) {
      try {
        ;(listener as (...a: unknown[]) => void)(...args)
      } catch (error) {
        this.#logger.warn('consumer event listener threw', { event, error: error instanceof Error ? error.message : String(error) })
      }
    }
  }

  get #rebalanceTimeout(): number {
    return Math.max(REBALANCE_TIMEOUT, this.#config.sessionTimeout)
  }

  async connect(): Promise<void> {
    const c = this.#config
    const client = new Consumer({
      ...baseOptions(this.#connection, this.#options.retries),
      groupId: c.groupId,
      ...(c.groupInstanceId === undefined ? {} : { groupInstanceId: c.groupInstanceId }),
      groupProtocol: 'classic',
      sessionTimeout: c.sessionTimeout,
      heartbeatInterval: c.heartbeatInterval,
      rebalanceTimeout: this.#rebalanceTimeout,
      maxWaitTime: c.maxWaitTimeInMs,
      minBytes: 1,
      maxBytes: MAX_BYTES,
      maxBytesPerPartition: MAX_BYTES_PER_PARTITION,
      autocommit: false,
      // Java's protocol names, in preference order (range first); ConsumerProtocol v0 subscriptions.
      protocols: c.partitionAssigners.map((name) => ({ name, version: 0 })),
      partitionAssigner: assigner as never,
      // Called at the start of every (re)join: revoke, wait for the batches in hand, then let JoinGroup go out.
      protocolsMetadata: () => this.#beforeJoin(),
    })
    // A background rejoin that failed is emitted as 'error' (an EventEmitter throws an unhandled one).
    client.on('error', (error: unknown) => this.#onBackgroundError(error))
    client.on('consumer:group:join', (event: { assignments: { topic: string; partitions: number[] }[] | null }) => this.#onJoin(event.assignments ?? []))
    client.on('consumer:group:rebalance', () => this.#revoke('the coordinator answered REBALANCE_IN_PROGRESS'))
    this.#client = client
    try {
      await client.listApis()
    } catch (error) {
      await client.close(true).catch(() => undefined)
      throw normalizeError(error)
    }
  }

  async subscribe(options: { topics: string[]; fromBeginning: boolean }): Promise<void> {
    this.#topics = [...new Set([...this.#topics, ...options.topics])]
    this.#fromBeginning = options.fromBeginning
  }

  async run(config: RunConfig): Promise<void> {
    const client = this.#requireClient('run')
    this.#run = config
    this.#running = true
    client.topics.trackAll(...this.#topics)
    try {
      await client.joinGroup({})
    } catch (error) {
      this.#running = false
      throw normalizeError(error)
    }
  }

  pause(topics: { topic: string }[]): void {
    for (const { topic } of topics) this.#paused.add(topic)
  }

  resume(topics: { topic: string }[]): void {
    for (const { topic } of topics) this.#paused.delete(topic)
    this.#startLoops(this.#generation)
  }

  disconnect(): Promise<void> {
    this.#stopping ??= this.#shutdown()
    return this.#stopping
  }

  async #shutdown(): Promise<void> {
    const wasRunning = this.#running
    this.#running = false
    clearTimeout(this.#restartTimer)
    for (const wake of this.#slots.splice(0)) wake()
    await Promise.allSettled([...this.#inFlight])
    this.#joined = false
    if (wasRunning) this.#emit('stop')
    const fetchConnections = this.#fetchConnections
    this.#fetchConnections = undefined
    if (fetchConnections !== undefined) await new Promise<void>((resolve) => fetchConnections.close(() => resolve()))
    // Leaves the group (LeaveGroup), except a static member (patched: it stays until its session times out).
    await this.#client?.close(true).catch((error: unknown) => this.#logger.warn('closing the platformatic consumer failed', { error: normalizeError(error).message }))
  }

  #requireClient(action: string): Consumer {
    if (this.#client === undefined) throw new Error(`${action}() before connect()`)
    return this.#client
  }

  // ------------------------------------------------------------------------------------------------------------
  // Group membership

  /** The partitions may move: batches in hand see heartbeat() throw and isStale() true; nothing new starts. */
  #revoke(reason: string): void {
    if (!this.#joined) return
    this.#joined = false
    this.#generation++
    this.#logger.debug('rebalance: partitions revoked', { groupId: this.#config.groupId, reason })
    this.#emit('rebalancing')
  }

  /** protocolsMetadata hook: runs before each JoinGroup. Returns the subscription's user data (empty). */
  async #beforeJoin(): Promise<Buffer> {
    this.#revoke('rejoining the group')
    clearTimeout(this.#restartTimer)
    await this.#drain(this.#rebalanceTimeout - this.#config.sessionTimeout / 2)
    return Buffer.alloc(0)
  }

  /** Waits for the batches in hand (their commits included), at most `ms`. */
  async #drain(ms: number): Promise<void> {
    if (this.#inFlight.size === 0) return
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#logger.warn('batches in hand did not finish before the rejoin deadline; rejoining anyway', { groupId: this.#config.groupId, waitedMs: ms })
        resolve()
      }, Math.max(0, ms))
    })
    await Promise.race([Promise.allSettled([...this.#inFlight]), timeout])
    clearTimeout(timer)
  }

  #onJoin(assignments: { topic: string; partitions: number[] }[]): void {
    if (!this.#running) return
    this.#assignment = new Map(assignments.filter((a) => a.partitions.length > 0).map((a) => [a.topic, [...a.partitions].sort((x, y) => x - y)]))
    this.#start()
  }

  /** (Re)start consuming the current assignment from the committed offsets. */
  #start(): void {
    this.#generation++
    this.#joined = true
    this.#positions = new Map()
    this.#emit('groupJoin', Object.fromEntries(this.#assignment))
    const generation = this.#generation
    this.#resolvePositions(generation).then(
      () => this.#startLoops(generation),
      (error: unknown) => this.#fail(error, generation),
    )
  }

  /** Committed offsets of the assigned partitions; where none, the log start (fromBeginning) or end. */
  async #resolvePositions(generation: number): Promise<void> {
    const client = this.#requireClient('run')
    const topics = [...this.#assignment].map(([topic, partitions]) => ({ topic, partitions }))
    if (topics.length === 0) return
    const committed = await client.listCommittedOffsets({ topics })
    const missing = new Map<string, number[]>()
    const positions = new Map<string, bigint>()
    for (const { topic, partitions } of topics) {
      const offsets = committed.get(topic)
      for (const p of partitions) {
        const offset = offsets?.[p]
        if (offset !== undefined && offset >= 0n) positions.set(key(topic, p), offset)
        else missing.set(topic, [...(missing.get(topic) ?? []), p])
      }
    }
    if (missing.size > 0) {
      for (const [topic, partitions] of missing) {
        const reset = await this.#resetOffsets(topic, partitions)
        for (const [p, offset] of reset) positions.set(key(topic, p), offset)
      }
    }
    if (generation !== this.#generation) return
    this.#positions = positions
  }

  async #resetOffsets(topic: string, partitions: number[]): Promise<Map<number, bigint>> {
    const client = this.#requireClient('run')
    const timestamp = this.#fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST
    const offsets = await client.listOffsets({ topics: [topic], partitions: { [topic]: partitions }, timestamp })
    const list = offsets.get(topic) ?? []
    return new Map(partitions.map((p) => [p, list[p] ?? 0n]))
  }

  /** A rejoin platformatic started in the background failed: it will not try again on its own. */
  #onBackgroundError(error: unknown): void {
    if (!this.#running) return
    const normalized = normalizeError(error) as Error & { retriable?: boolean }
    const restart = normalized.retriable === true
    this.#joined = false
    this.#emit('crash', normalized, restart)
    if (!restart) {
      void this.disconnect()
      return
    }
    this.#restartTimer = setTimeout(() => {
      if (!this.#running) return
      this.#client?.joinGroup({}).catch((e: unknown) => this.#onBackgroundError(e))
    }, RESTART_DELAY_MS)
  }

  /**
   * A failure while consuming. Retriable (broker or coordinator briefly unavailable): 'crash' with restart, then
   * consumption starts again from the committed offsets; otherwise (topic deleted, not authorized, a handler's
   * error) 'crash' without restart and the consumer stops.
   */
  #fail(error: unknown, generation: number): void {
    if (!this.#running || generation !== this.#generation) return
    const normalized = normalizeError(error) as Error & { retriable?: boolean; type?: string }
    const restart = normalized.retriable === true && normalized.type !== 'UNKNOWN_TOPIC_OR_PARTITION' && normalized.type !== 'UNKNOWN_TOPIC_ID'
    this.#generation++
    this.#joined = false
    this.#logger.warn('platformatic consumer failed', { groupId: this.#config.groupId, error: normalized.message, restart })
    this.#emit('crash', normalized, restart)
    if (!restart) {
      void this.disconnect()
      return
    }
    this.#restartTimer = setTimeout(() => {
      if (this.#running && !this.#joined) this.#start()
    }, RESTART_DELAY_MS)
  }

  // ------------------------------------------------------------------------------------------------------------
  // Fetching

  #fetchable(generation: number): boolean {
    return this.#running && this.#joined && generation === this.#generation
  }

  /** Starts a fetch loop for every leader broker of an assigned, unpaused partition that has none. */
  #startLoops(generation: number): void {
    if (!this.#fetchable(generation)) return
    const client = this.#requireClient('run')
    client.metadata({ topics: [...this.#assignment.keys()] }).then(
      (metadata) => {
        if (!this.#fetchable(generation)) return
        for (const [topic, partitions] of this.#assignment) {
          if (this.#paused.has(topic)) continue
          for (const p of partitions) {
            const leader = metadata.topics.get(topic)?.partitions[p]?.leader
            if (leader === undefined || leader < 0 || this.#loops.has(leader)) continue
            const loop = this.#loop(leader, generation).finally(() => {
              this.#loops.delete(leader)
              // Leadership may have moved, or a partition was resumed meanwhile. And a loop of an older generation may
              // end only after the next join (its fetch outlived the rejoin): that join found a loop for this broker
              // and started none, so the current generation's loop starts here.
              if (this.#running && this.#joined) setImmediate(() => this.#startLoops(this.#generation))
            })
            this.#loops.set(leader, loop)
          }
        }
      },
      (error: unknown) => this.#fail(error, generation),
    )
  }

  async #loop(node: number, generation: number): Promise<void> {
    const client = this.#requireClient('run')
    while (this.#fetchable(generation)) {
      const metadata = await client.metadata({ topics: [...this.#assignment.keys()] })
      const requested = new Map<string, { topic: string; partition: number; offset: bigint }>()
      const byTopic = new Map<string, { partition: number; fetchOffset: bigint; partitionMaxBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number }[]>()
      const topicNames = new Map<string, string>()
      for (const [topic, partitions] of this.#assignment) {
        if (this.#paused.has(topic)) continue
        const t = metadata.topics.get(topic)
        if (t === undefined) continue
        for (const partition of partitions) {
          const offset = this.#positions.get(key(topic, partition))
          if (offset === undefined || t.partitions[partition]?.leader !== node) continue
          requested.set(key(topic, partition), { topic, partition, offset })
          topicNames.set(t.id, topic)
          const list = byTopic.get(t.id) ?? []
          list.push({ partition, fetchOffset: offset, partitionMaxBytes: MAX_BYTES_PER_PARTITION, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })
          byTopic.set(t.id, list)
        }
      }
      if (requested.size === 0) return
      let response: RawFetchResponse
      try {
        response = (await client.fetch({
          node,
          topics: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
          maxWaitTime: this.#config.maxWaitTimeInMs,
          minBytes: 1,
          maxBytes: MAX_BYTES,
          connectionPool: this.#pool as never, // its own connections; records left for records.ts
        })) as unknown as RawFetchResponse
      } catch (error) {
        if (!this.#fetchable(generation)) return
        if (await this.#outOfRange(error, topicNames, requested)) continue
        this.#fail(error, generation)
        return
      }
      if (!this.#fetchable(generation)) return
      const work: Batchable[] = []
      try {
        for (const topicResponse of response.responses) {
          const topic = topicNames.get(topicResponse.topicId)
          if (topic === undefined) continue
          for (const p of topicResponse.partitions) {
            const asked = requested.get(key(topic, p.partitionIndex))
            if (asked === undefined || p.records === null || p.records.length === 0) continue
            const chunks = chunksOf(p.records, asked.offset, this.#config.maxBatchRecords ?? Number.POSITIVE_INFINITY)
            if (chunks.length > 0) work.push({ topic, partition: p.partitionIndex, highWatermark: p.highWatermark.toString(), chunks })
          }
        }
      } catch (error) {
        // A record that runs past its batch (records.ts): the partition cannot be read past it.
        this.#fail(error, generation)
        return
      }
      await Promise.all(work.map((w) => this.#handlePartition(w, generation)))
    }
  }

  /** OFFSET_OUT_OF_RANGE (committed offset deleted by retention): reset as auto.offset.reset says. */
  async #outOfRange(error: unknown, topicNames: Map<string, string>, requested: Map<string, { topic: string; partition: number }>): Promise<boolean> {
    if (!errorTree(error).some((e) => e.apiId === 'OFFSET_OUT_OF_RANGE')) return false
    const reset = new Map<string, number[]>()
    const response = (error as { response?: RawFetchResponse }).response
    for (const t of response?.responses ?? []) {
      const topic = topicNames.get(t.topicId)
      if (topic === undefined) continue
      for (const p of t.partitions) if (p.errorCode === 1) reset.set(topic, [...(reset.get(topic) ?? []), p.partitionIndex])
    }
    // Without a per-partition answer, reset every partition of the request.
    if (reset.size === 0) for (const { topic, partition } of requested.values()) reset.set(topic, [...(reset.get(topic) ?? []), partition])
    for (const [topic, partitions] of reset) {
      const offsets = await this.#resetOffsets(topic, partitions)
      for (const [p, offset] of offsets) {
        this.#logger.warn('offset out of range; reset', { topic, partition: p, offset: offset.toString(), fromBeginning: this.#fromBeginning })
        this.#positions.set(key(topic, p), offset)
      }
    }
    return true
  }

  async #slot(): Promise<void> {
    const limit = Math.max(1, this.#run?.partitionsConsumedConcurrently ?? 1)
    while (this.#active >= limit && this.#running) await new Promise<void>((resolve) => this.#slots.push(resolve))
    this.#active++
  }

  #release(): void {
    this.#active--
    this.#slots.shift()?.()
  }

  /** One partition's chunks, in order, each an eachBatch call; stops at a pause, a rebalance or an unfinished chunk. */
  async #handlePartition(w: Batchable, generation: number): Promise<void> {
    await this.#slot()
    try {
      for (const chunk of w.chunks) {
        if (!this.#fetchable(generation) || this.#paused.has(w.topic)) return
        const done = this.#eachBatch(w, chunk, generation)
        this.#inFlight.add(done)
        let complete: boolean
        try {
          complete = await done.then(
            (ok) => ok,
            () => false,
          )
        } finally {
          this.#inFlight.delete(done)
        }
        if (!complete) return
      }
    } finally {
      this.#release()
    }
  }

  /** One eachBatch call; true when every record of the chunk was resolved (the partition goes on past the chunk). */
  async #eachBatch(w: Batchable, chunk: Chunk, generation: number): Promise<boolean> {
    const run = this.#run as RunConfig
    const client = this.#requireClient('run')
    const { topic, partition } = w
    let resolved: bigint | undefined
    const lastMessage = chunk.messages.at(-1)
    const stale = () => generation !== this.#generation || !(this.#assignment.get(topic)?.includes(partition) ?? false)
    const payload: BatchPayload = {
      batch: {
        topic,
        partition,
        highWatermark: w.highWatermark,
        messages: chunk.messages,
        firstOffset: () => chunk.firstOffset.toString(),
        lastOffset: () => chunk.lastOffset.toString(),
        isEmpty: () => chunk.messages.length === 0,
      },
      resolveOffset: (offset: string) => {
        const o = BigInt(offset)
        if (resolved === undefined || o > resolved) resolved = o
      },
      heartbeat: async () => {
        // platformatic heartbeats in the background; a rebalance it noticed has revoked this batch's partition.
        if (stale()) throw new RebalanceInProgressError(`${topic} partition ${partition} was revoked`)
      },
      commitOffsetsIfNecessary: async (offsets: { topics: TopicOffsets[] }) => {
        // After a rejoin the partition may be someone else's: never commit for it with the new generation.
        if (this.#joined && generation !== this.#generation) throw new RebalanceInProgressError(`${topic} partition ${partition} was reassigned`)
        await this.#commit(client, offsets.topics)
      },
      isRunning: () => this.#running,
      isStale: stale,
    }
    try {
      await run.eachBatch(payload)
    } catch (error) {
      if (error instanceof RebalanceInProgressError || generation !== this.#generation || !this.#running) return false
      this.#fail(error, generation)
      return false
    }
    const complete = lastMessage === undefined || (resolved !== undefined && resolved >= BigInt(lastMessage.offset))
    const next = complete ? chunk.lastOffset + 1n : resolved === undefined ? undefined : resolved + 1n
    if (run.autoCommit && next !== undefined && generation === this.#generation) {
      try {
        await this.#commit(client, [{ topic, partitions: [{ partition, offset: next.toString() }] }])
      } catch (error) {
        this.#fail(error, generation)
        return false
      }
    }
    if (next !== undefined && generation === this.#generation) this.#positions.set(key(topic, partition), next)
    return complete && this.#running
  }

  async #commit(client: Consumer, topics: TopicOffsets[]): Promise<void> {
    if (!topics.some((t) => t.partitions.length > 0)) return
    const direct = this.#directCommit(client, topics)
    if (direct !== undefined) {
      try {
        await direct
        return
      } catch {
        // Anything but a plain success goes through platformatic's commit below: it finds the coordinator again,
        // retries, rejoins on a stale generation and reports the error. The offsets are the same: committing twice is
        // harmless.
      }
    }
    const offsets = topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: BigInt(p.offset), leaderEpoch: -1 })))
    try {
      await client.commit({ offsets })
    } catch (error) {
      throw normalizeError(error)
    }
  }

  /**
   * The OffsetCommit platformatic's commit() sends, sent straight on the coordinator's connection (from platformatic's
   * pool, as its own commits) with the member's generation — without the coordinator lookup, metadata check, retry
   * wrapper and diagnostics around it on every call (a third of a commit's CPU, and the consumer commits every half
   * poll batch). Undefined when the coordinator or the membership is not known: then platformatic's path does all
   * of that.
   */
  #directCommit(client: Consumer, topics: TopicOffsets[]): Promise<void> | undefined {
    const coordinator = client.coordinatorId
    const broker = coordinator === null ? undefined : client.currentMetadata?.brokers.get(coordinator)
    const memberId = client.memberId
    if (broker === undefined || memberId === null || !this.#joined) return undefined
    const request = topics.map((t) => ({
      name: t.topic,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, committedMetadata: null })),
    }))
    return new Promise<void>((resolve, reject) => {
      client[kGetConnection](broker, (error, connection) => {
        if (error) return reject(error)
        client[kGetApi]('OffsetCommit', ((error: Error | null, api: OffsetCommitApi) => {
          if (error) return reject(error)
          api(connection as Connection, client.groupId, client.generationId, memberId, null, request, (error) => (error ? reject(error) : resolve()))
        }) as never)
      })
    })
  }
}

type OffsetCommitApi = (
  connection: Connection,
  groupId: string,
  generationId: number,
  memberId: string,
  groupInstanceId: null,
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: null }[] }[],
  callback: (error: Error | null | undefined) => void,
) => void

export function platformaticConsumer(connection: ResolvedConnection, logger: Logger, options: TransportOptions, config: ConsumerConfig): TransportConsumer {
  return new PlatformaticTransportConsumer(connection, logger, options, config)
}
