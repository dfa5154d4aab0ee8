import { describe, expect, it } from 'vitest'
import { filteredTail, nextOffset, PartitionCommits } from './commits.ts'

type Offsets = { topics: { topic: string; partitions: { partition: number; offset: string }[] }[] }

/** A stand-in for kafkajs' commitOffsetsIfNecessary whose commits complete (or fail) when the test says so. */
function coordinator() {
  const sent: { offset: string; settle: (error?: Error) => void }[] = []
  const commitOffsetsIfNecessary = (offsets?: Offsets) =>
    new Promise<void>((resolve, reject) => {
      const offset = offsets?.topics[0]?.partitions[0]?.offset ?? '?'
      sent.push({ offset, settle: (error) => (error === undefined ? resolve() : reject(error)) })
    })
  return { sent, payload: { commitOffsetsIfNecessary } }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('PartitionCommits', () => {
  it('commits the next offset to read', () => {
    expect(nextOffset('41')).toBe('42')
    expect(nextOffset('9007199254740993')).toBe('9007199254740994')
  })

  it('sends a commit per chunk, folds chunks into the next commit while one is in flight, and flush confirms the rest', async () => {
    const { sent, payload } = coordinator()
    const commits = new PartitionCommits(payload, 't', 0)
    expect(commits.commit('99')).toBeUndefined()
    expect(sent.map((c) => c.offset)).toEqual(['100'])
    // The first is still in flight: the handler must wait for it (backpressure), then this one goes out.
    let waited = false
    const waiting = commits.commit('199')?.then(() => (waited = true))
    expect(waiting).toBeInstanceOf(Promise)
    await tick()
    expect(waited).toBe(false)
    expect(sent).toHaveLength(1)
    sent[0]?.settle()
    await waiting
    expect(sent.map((c) => c.offset)).toEqual(['100', '200'])
    sent[1]?.settle()
    await tick()
    commits.handled('250')
    commits.commit('299')
    expect(sent.map((c) => c.offset)).toEqual(['100', '200', '300'])
    commits.handled('342')
    let flushed = false
    const flushing = commits.flush().then(() => (flushed = true))
    await tick()
    expect(flushed).toBe(false) // waits for the commit in flight first
    sent[2]?.settle()
    await tick()
    expect(sent.map((c) => c.offset)).toEqual(['100', '200', '300', '343'])
    expect(flushed).toBe(false)
    sent[3]?.settle()
    await flushing
    expect(flushed).toBe(true)
  })

  it('flush with nothing handled sends nothing', async () => {
    const { sent, payload } = coordinator()
    await new PartitionCommits(payload, 't', 0).flush()
    expect(sent).toEqual([])
  })

  it('surfaces a failed commit at the next commit, and flush then commits everything handled since', async () => {
    const { sent, payload } = coordinator()
    const commits = new PartitionCommits(payload, 't', 3)
    commits.commit('9')
    sent[0]?.settle(new Error('REBALANCE_IN_PROGRESS'))
    await tick()
    expect(() => commits.commit('19')).toThrow('REBALANCE_IN_PROGRESS')
    const flushing = commits.flush()
    await tick()
    expect(sent.map((c) => c.offset)).toEqual(['10', '20'])
    sent[1]?.settle()
    await flushing
  })
})

describe('PartitionCommits timeout', () => {
  it('counts a commit that is never confirmed as failed after timeoutMs, so a dead coordinator cannot hang the handler', async () => {
    const { sent, payload } = coordinator()
    const commits = new PartitionCommits(payload, 't', 1, 20)
    commits.commit('4')
    const waiting = commits.commit('9')
    await expect(waiting).rejects.toThrow('commit of offset 5 of t partition 1 was not confirmed within 20 ms')
    expect(sent.map((c) => c.offset)).toEqual(['5'])
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
