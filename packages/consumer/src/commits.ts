import type { BatchPayload } from '@topiq/kafka-core'

/** Kafka commits the offset of the next message to read. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString()
}

/**
 * Commits one partition's handled offsets with at most one commit in flight, and bounds what a crash can take back.
 * At the end of each chunk a commit is sent; the next chunk is handled while it travels. If it is still on its way
 * when that next chunk ends, the handler waits for it (backpressure) before this chunk's commit goes out. So messages
 * handled but not confirmed committed are never more than two chunks: the consumer uses chunks of half
 * `maxPollRecords`, which bounds redelivery after a crash (a broker's or the consumer's) to one poll batch per
 * partition — while a broker is down, the handler stops instead of running through the rest of the fetched batch.
 * A commit not confirmed within `timeoutMs` counts as failed (kafkajs retries a commit to a dead coordinator for a
 * long time). flush() — at the end of every batch, on stop and before a rebalance — sends what is left and waits until
 * it is confirmed. Only offsets of handled messages are ever passed in.
 */
export class PartitionCommits {
  private readonly payload: Pick<BatchPayload, 'commitOffsetsIfNecessary'>
  private readonly topic: string
  private readonly partition: number
  private readonly timeoutMs: number
  private inFlight: Promise<void> | undefined
  private failure: { error: unknown } | undefined
  /** Highest handled offset not sent in a commit yet. */
  private pending: string | undefined

  constructor(payload: Pick<BatchPayload, 'commitOffsetsIfNecessary'>, topic: string, partition: number, timeoutMs = 30_000) {
    this.payload = payload
    this.topic = topic
    this.partition = partition
    this.timeoutMs = timeoutMs
  }

  /** `offset` was handled; it is committed with the next commit sent. */
  handled(offset: string): void {
    this.pending = offset
  }

  /**
   * End of a chunk: commits everything handled up to `offset`. Returns undefined when it could be sent at once, or a
   * promise to await before handling more (the previous commit is still on its way). Throws a failed commit.
   */
  commit(offset: string): Promise<void> | undefined {
    this.pending = offset
    this.throwIfFailed()
    if (this.inFlight === undefined) {
      this.send()
      return undefined
    }
    return this.inFlight.then(() => {
      this.throwIfFailed()
      if (this.inFlight === undefined) this.send()
    })
  }

  /** Commits what is left and waits until every commit sent is confirmed. */
  async flush(): Promise<void> {
    await this.inFlight
    this.throwIfFailed()
    this.send()
    await this.inFlight
    this.throwIfFailed()
  }

  private send(): void {
    if (this.pending === undefined) return
    const offset = nextOffset(this.pending)
    const offsets = { topics: [{ topic: this.topic, partitions: [{ partition: this.partition, offset }] }] }
    this.pending = undefined
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`commit of offset ${offset} of ${this.topic} partition ${this.partition} was not confirmed within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      )
    })
    // Settled here, so a failure is never an unhandled rejection; it is thrown by the next commit() or flush().
    this.inFlight = Promise.race([this.payload.commitOffsetsIfNecessary(offsets), timeout]).then(
      () => {
        clearTimeout(timer)
        this.inFlight = undefined
      },
      (error: unknown) => {
        clearTimeout(timer)
        this.inFlight = undefined
        this.failure ??= { error }
      },
    )
  }

  private throwIfFailed(): void {
    if (this.failure === undefined) return
    const { error } = this.failure
    this.failure = undefined
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
