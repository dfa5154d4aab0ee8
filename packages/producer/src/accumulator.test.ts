import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { isKafkaClientError } from '@topiq/kafka-core'
import { describe, expect, it } from 'vitest'
import { Accumulator, type AccumulatorOptions } from './accumulator.ts'

/** A transport whose requests finish only when the test says so; records which entries each request carried. */
function harness(options: Partial<AccumulatorOptions<string>> = {}) {
  const requests: string[][] = []
  const finishers: (() => void)[] = []
  const acc = new Accumulator<string>({
    lingerMs: 50,
    batchBytes: 1_000,
    maxBufferedBytes: 10_000,
    deliveryTimeoutMs: 1_000,
    send: (batch) => {
      requests.push([...batch])
      return new Promise<void>((resolve) => finishers.push(resolve))
    },
    ...options,
  })
  const finish = async () => {
    finishers.shift()?.()
    await nextTurn()
  }
  return { acc, requests, finish }
}

describe('Accumulator', () => {
  it('sends the records of one event-loop turn in one request, and a lone record without waiting for lingerMs', async () => {
    const { acc, requests, finish } = harness({ lingerMs: 10_000 })
    for (const r of ['a', 'b', 'c']) acc.append(r, 10)
    expect(requests).toEqual([]) // not before the turn ends: concurrent callers get to join
    await nextTurn()
    expect(requests).toEqual([['a', 'b', 'c']])
    await finish()
    acc.append('lone', 10)
    await nextTurn()
    expect(requests).toEqual([['a', 'b', 'c'], ['lone']]) // lingerMs is 10 s: a lone caller did not wait for it
  })

  it('while a request is in flight, gathers what arrives and sends it in one request when it completes, in order', async () => {
    const { acc, requests, finish } = harness()
    acc.append('first', 10)
    await nextTurn()
    for (let i = 0; i < 5; i++) {
      acc.append(`r${i}`, 10)
      await nextTurn() // callers arriving in separate turns, as web requests do
    }
    expect(requests).toEqual([['first']])
    await finish()
    expect(requests).toEqual([['first'], ['r0', 'r1', 'r2', 'r3', 'r4']])
  })

  it('does not let a slow request hold the buffer past lingerMs: a second request goes out then', async () => {
    const { acc, requests } = harness({ lingerMs: 30 })
    acc.append('first', 10)
    await nextTurn()
    acc.append('waiting', 10)
    await sleep(10)
    expect(requests).toHaveLength(1)
    await sleep(60)
    expect(requests).toEqual([['first'], ['waiting']])
  })

  it('sends at once when the buffer reaches batchBytes', async () => {
    const { acc, requests, finish } = harness({ batchBytes: 100 })
    acc.append('x', 10)
    await nextTurn()
    acc.append('big-1', 60)
    acc.append('big-2', 60) // 120 ≥ 100 while a request is in flight: sent without waiting for it
    expect(requests).toEqual([['x'], ['big-1', 'big-2']])
    await finish()
  })

  it('applies backpressure past maxBufferedBytes, then rejects the waiting caller with BUFFER_FULL', async () => {
    const { acc, requests } = harness({ maxBufferedBytes: 100, batchBytes: 100, deliveryTimeoutMs: 50 })
    expect(acc.append('a', 60)).toBeUndefined()
    await nextTurn()
    const waiting = acc.append('b', 60) // 120 > 100 with 'a' in flight (never finishes here)
    expect(waiting).toBeInstanceOf(Promise)
    const error = await waiting?.then(() => undefined, (e: unknown) => e)
    expect(isKafkaClientError(error, 'BUFFER_FULL')).toBe(true)
    expect((error as Error).message).toMatch(/buffer stayed full .* for deliveryTimeoutMs \(50 ms\).*Nothing of this event was sent/)
    expect(requests).toEqual([['a']])
    expect(acc.pendingBytes).toBe(60)
  })

  it('lets a waiting caller in as soon as a request frees room', async () => {
    const { acc, requests, finish } = harness({ maxBufferedBytes: 100, batchBytes: 100 })
    acc.append('a', 60)
    await nextTurn()
    const waiting = acc.append('b', 60)
    await finish()
    await waiting
    await nextTurn()
    expect(requests).toEqual([['a'], ['b']])
  })

  it('refuses a record larger than maxBufferedBytes at once', async () => {
    const { acc } = harness({ maxBufferedBytes: 100, batchBytes: 100 })
    await expect(acc.append('huge', 101)).rejects.toThrow(/record of 101 bytes cannot fit maxBufferedBytes \(100\)/)
  })

  it('flush() resolves only after everything appended before it was sent', async () => {
    const { acc, requests, finish } = harness()
    acc.append('a', 10)
    await nextTurn()
    acc.append('b', 10)
    let flushed = false
    const flushing = acc.flush().then(() => (flushed = true))
    await nextTurn()
    expect(flushed).toBe(false)
    await finish() // 'a' done; 'b' goes out
    expect(flushed).toBe(false)
    await finish()
    await flushing
    expect(requests).toEqual([['a'], ['b']])
    expect(acc.pendingBytes).toBe(0)
  })
})
