import { KafkaClientError } from '@topiq/kafka-core'

/**
 * The producer's linger buffer: concurrent `publish` calls become few requests. kafkajs sends one produce request
 * per `send()` call and has no linger of its own, so without this every call of a web handler is its own request
 * (and its own record batch, compressed and CRC'd alone, written alone by the broker).
 *
 * When a record is appended:
 * - nothing in flight: it goes out at the end of the current event-loop turn, with every record appended in that
 *   turn (a lone caller waits for nothing; a burst of concurrent callers shares one request);
 * - a request in flight: it waits for that request to finish (the broker is busy anyway) and goes out with everything
 *   that arrived meanwhile, in one request; if the request takes longer than `lingerMs`, the buffer is sent in a
 *   parallel request then (up to `maxInFlight`), so no record waits on a slow request for longer than that;
 * - the buffer holds `batchBytes`: it goes out at once.
 * Memory is bounded: buffered plus in-flight bytes stay under `maxBufferedBytes`; a caller past it waits for room
 * (backpressure) and gets `BUFFER_FULL` after `deliveryTimeoutMs`. Appends keep their order within a request, and
 * requests start in append order, so per-partition order holds (the transport sends them in order).
 */
export interface AccumulatorOptions<T> {
  lingerMs: number
  batchBytes: number
  maxBufferedBytes: number
  /** How long a caller may wait for buffer room before BUFFER_FULL. */
  deliveryTimeoutMs: number
  /** Sends one drained batch; must settle every entry it is given (it owns resolving and rejecting them). */
  send: (batch: readonly T[]) => Promise<void>
  maxInFlight?: number
}

interface Waiter {
  size: number
  resolve: () => void
  reject: (error: Error) => void
  timer: NodeJS.Timeout
}

export class Accumulator<T> {
  readonly #options: Required<AccumulatorOptions<T>>
  #buffer: T[] = []
  #bufferBytes = 0
  /** Buffered + in flight: what maxBufferedBytes bounds. */
  #usedBytes = 0
  #inFlight = 0
  #immediate: NodeJS.Immediate | undefined
  #linger: NodeJS.Timeout | undefined
  #waiters: Waiter[] = []
  readonly #drains = new Set<Promise<void>>()

  constructor(options: AccumulatorOptions<T>) {
    this.#options = { maxInFlight: 5, ...options }
  }

  /** Records and bytes not yet settled (buffered or in flight). */
  get pendingBytes(): number {
    return this.#usedBytes
  }

  /**
   * Queues `entry` (of about `size` bytes). Resolves once it is queued — at once unless the buffer is full, in which
   * case it waits for room and rejects with BUFFER_FULL after deliveryTimeoutMs. The entry's own outcome is for
   * `send` to report.
   */
  append(entry: T, size: number): Promise<void> | undefined {
    const { maxBufferedBytes, deliveryTimeoutMs } = this.#options
    if (size > maxBufferedBytes) {
      return Promise.reject(
        new KafkaClientError('BUFFER_FULL', `a record of ${size} bytes cannot fit maxBufferedBytes (${maxBufferedBytes}); raise maxBufferedBytes or send smaller events`),
      )
    }
    if (this.#waiters.length === 0 && this.#usedBytes + size <= maxBufferedBytes) {
      this.#push(entry, size)
      return undefined // the common case costs no promise
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        size,
        resolve: () => {
          this.#push(entry, size)
          resolve()
        },
        reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter)
          reject(
            new KafkaClientError(
              'BUFFER_FULL',
              `the producer's buffer stayed full (${this.#usedBytes} of maxBufferedBytes ${maxBufferedBytes} bytes unsent) for deliveryTimeoutMs (${deliveryTimeoutMs} ms): ` +
                'the brokers are not taking records as fast as they are published (down, slow, or unreachable). Nothing of this event was sent.',
              { retriable: true },
            ),
          )
        }, deliveryTimeoutMs),
      }
      this.#waiters.push(waiter)
    })
  }

  /** Sends what is buffered now and resolves once every batch started so far has settled. */
  async flush(): Promise<void> {
    while (this.#buffer.length > 0 || this.#drains.size > 0 || this.#waiters.length > 0) {
      if (this.#buffer.length > 0) this.#drain(true)
      if (this.#drains.size > 0) await Promise.allSettled([...this.#drains])
      else if (this.#waiters.length > 0) await new Promise((r) => setImmediate(r))
    }
  }

  /** Sends what is buffered now and resolves once the requests in flight at this moment have settled (later ones not awaited). */
  async sendBuffered(): Promise<void> {
    if (this.#buffer.length > 0) this.#drain(true)
    if (this.#drains.size > 0) await Promise.allSettled([...this.#drains])
  }

  /** Rejects every caller still waiting for room (close gave up on them). */
  rejectWaiting(error: Error): number {
    const waiters = this.#waiters
    this.#waiters = []
    for (const w of waiters) {
      clearTimeout(w.timer)
      w.reject(error)
    }
    return waiters.length
  }

  #push(entry: T, size: number): void {
    this.#buffer.push(entry)
    this.#bufferBytes += size
    this.#usedBytes += size
    if (this.#bufferBytes >= this.#options.batchBytes) this.#drain(true)
    else if (this.#inFlight === 0) this.#immediate ??= setImmediate(() => this.#drain(false))
    else this.#linger ??= setTimeout(() => this.#drain(true), this.#options.lingerMs)
  }

  /** `force`: send even though a request is in flight (batch full, linger expired, flush). */
  #drain(force: boolean): void {
    if (this.#immediate !== undefined) clearImmediate(this.#immediate)
    this.#immediate = undefined
    if (this.#linger !== undefined) clearTimeout(this.#linger)
    this.#linger = undefined
    if (this.#buffer.length === 0) return
    if (this.#inFlight > 0 && (!force || this.#inFlight >= this.#options.maxInFlight)) {
      // Sent when the request in flight completes (see #settled).
      return
    }
    const batch = this.#buffer
    const bytes = this.#bufferBytes
    this.#buffer = []
    this.#bufferBytes = 0
    this.#inFlight++
    const drain = this.#options
      .send(batch)
      .catch(() => undefined) // send settles each entry; a throw here must not stop the accumulator
      .finally(() => {
        this.#drains.delete(drain)
        this.#inFlight--
        this.#usedBytes -= bytes
        this.#settled()
      })
    this.#drains.add(drain)
  }

  /** A request finished: room for waiters, and what accumulated meanwhile goes out now. */
  #settled(): void {
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0] as Waiter
      if (this.#usedBytes + next.size > this.#options.maxBufferedBytes) break
      this.#waiters.shift()
      clearTimeout(next.timer)
      next.resolve()
    }
    if (this.#buffer.length > 0) this.#drain(true)
  }
}
