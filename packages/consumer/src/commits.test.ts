import { describe, expect, it } from 'vitest'
import { CommitBatcher, filteredTail, nextOffset, PartitionCommits } from './commits.ts'

type Offsets = { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }

/** A stand-in for the payload's commitOffsetsIfNecessary whose requests complete (or fail) when the test says so. */
function coordinator() {
  const requests: { offsets: Offsets; settle: (error?: Error) => void }[] = []
  const commitOffsetsIfNecessary = (offsets: Offsets) =>
    new Promise<void>((resolve, reject) => {
      requests.push({ offsets, settle: (error) => (error === undefined ? resolve() : reject(error)) })
    })
  /** Each request as `topic/partition@offset` entries. */
  const sent = () => requests.map((r) => r.offsets.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}/${p.partition}@${p.offset}`)))
  return { requests, sent, payload: { commitOffsetsIfNecessary } }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('CommitBatcher', () => {
  it('sends the commits asked for in one turn of the event loop as one request, one request in flight at a time', async () => {
    const { requests, sent, payload } = coordinator()
    const batcher = new CommitBatcher()
    const a = batcher.commit(payload, 't', 0, '10')
    const b = batcher.commit(payload, 't', 1, '20')
    const c = batcher.commit(payload, 'u', 0, '5')
    expect(sent()).toEqual([]) // not before the turn ends
    await tick()
    expect(sent()).toEqual([['t/0@10', 't/1@20', 'u/0@5']])
    // Asked for while the first is in flight: held, a later offset of a partition replacing an earlier one.
    const d = batcher.commit(payload, 't', 0, '30')
    const e = batcher.commit(payload, 't', 0, '40')
    await tick()
    expect(sent()).toHaveLength(1)
    let confirmed = 0
    for (const p of [a, b, c, d, e]) void p.then(() => confirmed++)
    requests[0]?.settle()
    await tick()
    expect(confirmed).toBe(3)
    await tick() // the held ones go out at the end of the turn in which the answer came
    expect(sent()[1]).toEqual(['t/0@40'])
    requests[1]?.settle()
    await Promise.all([d, e])
    expect(confirmed).toBe(5)
    // Idle again: the next commit goes out at the end of its turn.
    const f = batcher.commit(payload, 't', 2, '7')
    await tick()
    expect(sent()[2]).toEqual(['t/2@7'])
    requests[2]?.settle()
    await f
  })

  it('fails every commit a failed request carried, and goes on with the next', async () => {
    const { requests, sent, payload } = coordinator()
    const batcher = new CommitBatcher()
    const a = batcher.commit(payload, 't', 0, '1')
    const b = batcher.commit(payload, 't', 1, '2')
    await tick()
    const c = batcher.commit(payload, 't', 0, '3')
    requests[0]?.settle(new Error('REBALANCE_IN_PROGRESS'))
    await expect(a).rejects.toThrow('REBALANCE_IN_PROGRESS')
    await expect(b).rejects.toThrow('REBALANCE_IN_PROGRESS')
    await tick()
    await tick()
    expect(sent()[1]).toEqual(['t/0@3'])
    requests[1]?.settle()
    await c
  })

  it('sends through the payload that asked last', async () => {
    const first = coordinator()
    const second = coordinator()
    const batcher = new CommitBatcher()
    void batcher.commit(first.payload, 't', 0, '1')
    void batcher.commit(second.payload, 't', 1, '2')
    await tick()
    expect(first.sent()).toEqual([])
    expect(second.sent()).toEqual([['t/0@1', 't/1@2']])
  })
})

/** Handles offsets `from`..`to` (a turn): handled() for each, commit() at its last. */
function turn(commits: PartitionCommits, from: number, to: number): void {
  for (let o = from; o < to; o++) commits.handled(String(o))
  commits.commit(String(to))
}

describe('PartitionCommits', () => {
  it('commits the next offset to read', () => {
    expect(nextOffset('41')).toBe('42')
    expect(nextOffset('9007199254740993')).toBe('9007199254740994')
  })

  it('sends a commit per turn, holds a turn back until the earliest commits make room under the bound, and flush confirms the rest', async () => {
    const { requests, sent, payload } = coordinator()
    const commits = new PartitionCommits(new CommitBatcher(), payload, 't', 0, 100)
    turn(commits, 0, 49)
    expect(commits.unconfirmed).toBe(50)
    expect(commits.ready(50)).toBeUndefined() // 50 unconfirmed + 50 more = the bound: the next half may go on
    await tick()
    expect(sent()).toEqual([['t/0@50']])
    // The second half's commit is sent while the first is still in flight; a third half would exceed the bound.
    turn(commits, 50, 99)
    let ready = false
    const waiting = commits.ready(50)?.then(() => (ready = true))
    expect(waiting).toBeInstanceOf(Promise)
    await tick()
    expect(ready).toBe(false)
    expect(sent()).toHaveLength(1) // one request in flight: the second waits for it
    requests[0]?.settle()
    await waiting
    expect(ready).toBe(true)
    expect(commits.unconfirmed).toBe(50)
    await tick()
    expect(sent()).toEqual([['t/0@50'], ['t/0@100']])
    // A turn of a whole poll batch needs everything confirmed first.
    let whole = false
    const waitingWhole = commits.ready(100)?.then(() => (whole = true))
    await tick()
    expect(whole).toBe(false)
    requests[1]?.settle()
    await waitingWhole
    expect(commits.unconfirmed).toBe(0)
    commits.handled('250')
    commits.handled('342')
    let flushed = false
    const flushing = commits.flush().then(() => (flushed = true))
    await tick()
    expect(sent()).toEqual([['t/0@50'], ['t/0@100'], ['t/0@343']])
    expect(flushed).toBe(false) // until confirmed
    requests[2]?.settle()
    await flushing
    expect(flushed).toBe(true)
  })

  it('flush with nothing handled sends nothing', async () => {
    const { sent, payload } = coordinator()
    await new PartitionCommits(new CommitBatcher(), payload, 't', 0, 100).flush()
    await tick()
    expect(sent()).toEqual([])
  })

  it('surfaces a failed commit at the next commit, and flush then commits everything handled since', async () => {
    const { requests, sent, payload } = coordinator()
    const commits = new PartitionCommits(new CommitBatcher(), payload, 't', 3, 100)
    commits.commit('9')
    await tick()
    requests[0]?.settle(new Error('REBALANCE_IN_PROGRESS'))
    await tick()
    expect(() => commits.commit('19')).toThrow('REBALANCE_IN_PROGRESS')
    const flushing = commits.flush()
    await tick()
    expect(sent()).toEqual([['t/3@10'], ['t/3@20']])
    requests[1]?.settle()
    await flushing
  })

  it('partitions sharing a batcher share requests', async () => {
    const { requests, sent, payload } = coordinator()
    const batcher = new CommitBatcher()
    const p0 = new PartitionCommits(batcher, payload, 't', 0, 100)
    const p1 = new PartitionCommits(batcher, payload, 't', 1, 100)
    turn(p0, 0, 99)
    turn(p1, 100, 199)
    await tick()
    expect(sent()).toEqual([['t/0@100', 't/1@200']])
    requests[0]?.settle()
    await Promise.all([p0.flush(), p1.flush()])
  })
})

describe('PartitionCommits timeout', () => {
  it('counts a commit that is never confirmed as failed after timeoutMs, so a dead coordinator cannot hang the handler', async () => {
    const { sent, payload } = coordinator()
    const commits = new PartitionCommits(new CommitBatcher(), payload, 't', 1, 2, 20)
    commits.commit('4')
    commits.commit('9')
    const waiting = commits.ready(1)
    await expect(waiting).rejects.toThrow('commit of offset 5 of t partition 1 was not confirmed within 20 ms')
    expect(sent()).toEqual([['t/1@10']]) // both asked for in one turn: one request, with the later offset, never answered
  })
})

describe('filteredTail', () => {
  const batch = (offsets: string[], first: string | null, last: string) => ({
    messages: offsets.map((offset) => ({ offset })) as never,
    firstOffset: () => first,
    lastOffset: () => last,
  })

  it('is the last offset when the batch ends in records kafkajs filtered out (a commit marker)', () => {
    expect(filteredTail(batch(['10', '11'], '10', '12'))).toBe('12')
  })

  it('is the last offset of a batch made only of filtered records (aborted data and its marker)', () => {
    expect(filteredTail(batch([], '20', '24'))).toBe('24')
  })

  it('is undefined when the batch ends in a message, or holds nothing at or past the fetched offset', () => {
    expect(filteredTail(batch(['10', '11'], '10', '11'))).toBeUndefined()
    expect(filteredTail(batch([], null, '99'))).toBeUndefined()
  })
})
