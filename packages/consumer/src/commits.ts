import type { EachBatchPayload } from '@topiq/kafka-core'

/** Kafka commits the offset of the next message to read. */
export function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString()
}

/**
 * Commits one partition's handled offsets without making the handler wait: after each chunk a commit is sent unless
 * the previous one is still on its way, in which case a later one carries this chunk too (at most one in flight, so
 * they land in order and a slow coordinator gets fewer, not more, requests). flush() — at the end of every batch,
 * on stop and before a rebalance — sends what is left and waits until it is confirmed. Only offsets of handled
 * messages are ever passed in.
 */
export class PartitionCommits {
  private readonly payload: Pick<EachBatchPayload, 'commitOffsetsIfNecessary'>
  private readonly topic: string
  private readonly partition: number
  private inFlight: Promise<void> | undefined
  private failure: { error: unknown } | undefined
  /** Highest handled offset not sent in a commit yet. */
  private pending: string | undefined

  constructor(payload: Pick<EachBatchPayload, 'commitOffsetsIfNecessary'>, topic: string, partition: number) {
    this.payload = payload
    this.topic = topic
    this.partition = partition
  }

  /** `offset` was handled; it is committed with the next commit sent. */
  handled(offset: string): void {
    this.pending = offset
  }

  /** End of a chunk: commits everything handled up to `offset`, now or with the next commit. Throws a failed commit. */
  commit(offset: string): void {
    this.pending = offset
    this.throwIfFailed()
    if (this.inFlight === undefined) this.send()
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
    const offsets = { topics: [{ topic: this.topic, partitions: [{ partition: this.partition, offset: nextOffset(this.pending) }] }] }
    this.pending = undefined
    // Settled here, so a failure is never an unhandled rejection; it is thrown by the next commit() or flush().
    this.inFlight = this.payload.commitOffsetsIfNecessary(offsets).then(
      () => {
        this.inFlight = undefined
      },
      (error: unknown) => {
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
export function filteredTail(batch: Pick<EachBatchPayload['batch'], 'firstOffset' | 'lastOffset' | 'messages'>): string | undefined {
  if (batch.firstOffset() === null) return undefined // nothing at or past the fetched offset
  const last = batch.lastOffset()
  const lastMessage = batch.messages[batch.messages.length - 1]
  return lastMessage === undefined || BigInt(last) > BigInt(lastMessage.offset) ? last : undefined
}
