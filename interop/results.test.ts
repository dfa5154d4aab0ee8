// The counting behind every case and the summary line (pure; runs with the interop project).
import { describe, expect, it } from 'vitest'
import { summarize, tally } from './results.ts'

describe('tally', () => {
  it('counts distinct handled and dead-lettered records, repeats as duplicates, and names the lost and the unexpected', () => {
    const expected = new Set(['0:0', '0:1', '1:0', '1:1'])
    expect(tally(expected, ['0:0', '0:0', '1:0', '9:9'], ['0:1', '0:1'])).toEqual({
      sent: 4,
      handled: 2,
      deadLettered: 1,
      duplicated: 2,
      lost: ['1:1'],
      unexpected: ['9:9'],
    })
  })
})

describe('summarize', () => {
  it('sums every case into the one line the suite prints', () => {
    const base = { sent: 3, handled: 2, deadLettered: 1, duplicated: 0, lost: 0, stalledPartitions: 0, crashedConsumers: 0 }
    expect(summarize([{ case: 'a', ...base }, { case: 'b', ...base, duplicated: 2, stalledPartitions: 1, crashedConsumers: 1 }])).toBe(
      'interop: 2 cases, sent 6, handled 4, dead-lettered 2, duplicated 2, stalled partitions 1, crashed consumers 1',
    )
    expect(summarize([])).toBe('interop: 0 cases, sent 0, handled 0, dead-lettered 0, duplicated 0, stalled partitions 0, crashed consumers 0')
  })
})
