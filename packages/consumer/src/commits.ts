import type { BatchPayload } from '@topiq/kafka-core'

/** Kafka commits the offset of the next message to read. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString()
}

/** Where a commit goes: the eachBatch payload's commitOffsetsIfNecessary. */
export type Committer = Pick<BatchPayload, 'commitOffsetsIfNecessary'>

type Waiter = { resolve: () => void; reject: (error: unknown) => void }

/**
 * One OffsetCommit for every partition's commits asked for since the last one went out. A consumer handles the
 * partitions in hand in turns; each turn's commit is asked for at its end, and the commits asked for in one turn of
 * the event loop (a turn of each partition) travel in one request. At most one request is in flight: what is asked
 * for meanwhile goes in the next one, at the end of the event loop's turn in which the answer came (so it carries
 * that round of turns whole). Requests go out in order, so a partition's commits are never reordered; a later offset
 * of a partition replaces an earlier one not sent yet. A request that fails fails every commit it carried. The
 * request goes through the payload that asked last: the batches in hand at one time belong to one generation of the
 * group (both transports revoke eagerly).
 */
export class CommitBatcher {
  #queue = new Map<string, { topic: string; partition: number; offset: string }>()
  #waiters: Waiter[] = []
  #via: Committer | undefined
  /** A request in flight or one about to go out. */
  #busy = false

  /** Resolves when a request carrying this commit is confirmed; rejects with its failure. */
  commit(via: Committer, topic: string, partition: number, offset: string): Promise<void> {
    this.#queue.set(`${partition}:${topic}`, { topic, partition, offset })
    this.#via = via
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }))
    if (!this.#busy) {
      this.#busy = true
      setImmediate(() => this.#send())
    }
    return done
  }

  #send(): void {
    const via = this.#via
    const waiters = this.#waiters
    const byTopic = new Map<string, { partition: number; offset: string }[]>()
    for (const { topic, partition, offset } of this.#queue.values()) {
      const partitions = byTopic.get(topic)
      if (partitions === undefined) byTopic.set(topic, [{ partition, offset }])
      else partitions.push({ partition, offset })
    }
    this.#queue = new Map()
    this.#waiters = []
    this.#via = undefined
    // Never undefined here: a send is scheduled only with something queued, and every commit() sets #via.
    if (via === undefined) return
    const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }))
    Promise.resolve()
      .then(() => via.commitOffsetsIfNecessary({ topics }))
      .then(
        () => {
          for (const w of waiters) w.resolve()
          this.#next()
        },
        (error: unknown) => {
          for (const w of waiters) w.reject(error)
          this.#next()
        },
      )
  }

  #next(): void {
    if (this.#queue.size === 0) this.#busy = false
    else setImmediate(() => this.#send())
  }
}

type Sent = { records: number; promise: Promise<void> }

/**
 * Commits one partition's handled offsets and bounds what a crash can take back: messages handled but not confirmed
 * committed never exceed `bound` (`maxPollRecords`), so redelivery after a crash (a broker's or the consumer's) is at
 * most one poll batch per partition — while a broker is down, the handler stops instead of running through the rest
 * of the fetched batch. The consumer handles a partition in turns; at the end of each a commit is sent (through the
 * CommitBatcher) and travels while other turns run. Before the next turn, ready() holds the handler back
 * (backpressure) until the earliest commits are confirmed, as far as the turn needs room under the bound. A commit not
 * confirmed within `timeoutMs` counts as failed (kafkajs retries a commit to a dead coordinator for a long time).
 * flush() — at the end of every batch, on stop and before a rebalance — sends what is left and waits until it is
 * confirmed. Only offsets of handled messages are ever passed in.
 */
export class PartitionCommits {
  readonly #batcher: CommitBatcher
  readonly #via: Committer
  readonly #topic: string
  readonly #partition: number
  readonly #bound: number
  readonly #timeoutMs: number
  /** Commits sent and not settled yet, oldest first. */
  #unsettled: Sent[] = []
  #failure: { error: unknown } | undefined
  /** Highest handled offset not sent in a commit yet, and how many messages that covers. */
  #pending: string | undefined
  #pendingRecords = 0

  constructor(batcher: CommitBatcher, via: Committer, topic: string, partition: number, bound: number, timeoutMs = 30_000) {
    this.#batcher = batcher
    this.#via = via
    this.#topic = topic
    this.#partition = partition
    this.#bound = bound
    this.#timeoutMs = timeoutMs
  }

  /** `offset` was handled; it is committed with the next commit sent. */
  handled(offset: string): void {
    this.#pending = offset
    this.#pendingRecords++
  }

  /** End of a turn: sends a commit of everything handled up to `offset`. Throws a commit that failed before. */
  commit(offset: string): void {
    this.handled(offset)
    this.#throwIfFailed()
    this.#send()
  }

  /** Messages handled and not confirmed committed yet. */
  get unconfirmed(): number {
    let records = this.#pendingRecords
    for (const s of this.#unsettled) records += s.records
    return records
  }

  /**
   * Before handling `next` more messages: undefined when they fit under the bound with what is not confirmed yet,
   * else a promise to await first (the confirmation of the earliest commits, as many as make room). Throws (or
   * rejects with) a failed commit.
   */
  ready(next: number): Promise<void> | undefined {
    this.#throwIfFailed()
    let excess = this.unconfirmed + next - this.#bound
    if (excess <= 0) return undefined
    const earliest: Promise<void>[] = []
    for (const s of this.#unsettled) {
      if (excess <= 0) break
      earliest.push(s.promise)
      excess -= s.records
    }
    return Promise.all(earliest).then(() => this.#throwIfFailed())
  }

  /** Commits what is left and waits until every commit sent is confirmed. */
  async flush(): Promise<void> {
    this.#throwIfFailed()
    this.#send()
    await Promise.all(this.#unsettled.map((s) => s.promise))
    this.#throwIfFailed()
  }

  #send(): void {
    if (this.#pending === undefined) return
    const offset = nextOffset(this.#pending)
    const records = this.#pendingRecords
    this.#pending = undefined
    this.#pendingRecords = 0
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`commit of offset ${offset} of ${this.#topic} partition ${this.#partition} was not confirmed within ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      )
    })
    const sent: Sent = { records, promise: Promise.resolve() }
    const settle = () => {
      clearTimeout(timer)
      this.#unsettled = this.#unsettled.filter((s) => s !== sent)
    }
    // Settled here, so a failure is never an unhandled rejection; it is thrown by the next commit(), ready() or flush().
    sent.promise = Promise.race([this.#batcher.commit(this.#via, this.#topic, this.#partition, offset), timeout]).then(settle, (error: unknown) => {
      settle()
      this.#failure ??= { error }
    })
    this.#unsettled.push(sent)
  }

  #throwIfFailed(): void {
    if (this.#failure === undefined) return
    const { error } = this.#failure
    this.#failure = undefined
    throw error
  }
}

/**
 * A fetched batch may end in records kafkajs never hands over: transaction markers and aborted records
 * (read_committed). Once every message of the batch was handled, the consumer commits past them too — otherwise a
 * partition whose log ends in a commit marker stays one short of its end for good (lag 1 after any transactional
 * producer). Returns the last such offset, or undefined when the batch ends in a message. Batches made only of such
 * records reach eachBatch empty (kafkajs patch in patches/).
 */
export function filteredTail(batch: Pick<BatchPayload['batch'], 'firstOffset' | 'lastOffset' | 'messages'>): string | undefined {
  if (batch.firstOffset() === null) return undefined // nothing at or past the fetched offset
  const last = batch.lastOffset()
  const lastMessage = batch.messages[batch.messages.length - 1]
  return lastMessage === undefined || BigInt(last) > BigInt(lastMessage.offset) ? last : undefined
}
