/**
 * Turns at the message handler: at most `limit` holders at a time, granted in the order asked for. The consumer takes
 * a turn for each chunk of a partition and gives it back at the chunk's end, so the partitions in hand are handled
 * chunk by chunk in turn — and with a limit of 1 the handler never runs twice at once, whatever the transport hands
 * over concurrently.
 */
export class Turns {
  #free: number
  readonly #waiting: (() => void)[] = []

  constructor(limit: number) {
    this.#free = limit
  }

  /** Undefined when the turn is granted at once, else a promise resolved when it is. */
  take(): Promise<void> | undefined {
    if (this.#free > 0 && this.#waiting.length === 0) {
      this.#free--
      return undefined
    }
    return new Promise<void>((resolve) => this.#waiting.push(resolve))
  }

  /** Gives a turn back: straight to the first one waiting, if any. */
  give(): void {
    const next = this.#waiting.shift()
    if (next === undefined) this.#free++
    else next()
  }
}
