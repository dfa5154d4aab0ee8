import { describe, expect, it } from 'vitest'
import { partitionLag } from './consumer.ts'

describe('partitionLag', () => {
  it('is the end offset minus the committed offset', () => {
    expect(partitionLag('120', '0', '100', 'earliest')).toBe(20)
    expect(partitionLag('120', '0', '120', 'latest')).toBe(0)
  })

  it('counts everything retained as lag under earliest when the group has committed nothing, nothing under latest', () => {
    expect(partitionLag('120', '30', undefined, 'earliest')).toBe(90)
    expect(partitionLag('120', '30', '-1', 'earliest')).toBe(90)
    expect(partitionLag('120', '30', '-1', 'latest')).toBe(0)
  })

  it('treats a committed offset below the log start (deleted by retention) as no committed offset', () => {
    expect(partitionLag('120', '30', '10', 'earliest')).toBe(90)
    expect(partitionLag('120', '30', '10', 'latest')).toBe(0)
  })

  it('is never negative (a committed offset read after a newer end offset)', () => {
    expect(partitionLag('100', '0', '105', 'earliest')).toBe(0)
  })
})

describe('partitionLag under latest without a committed offset', () => {
  it('counts what arrived since the partition was first sampled', () => {
    expect(partitionLag('130', '30', undefined, 'latest', 120)).toBe(10)
    expect(partitionLag('130', '30', '125', 'latest', 120)).toBe(5) // a commit wins over the first-sampled end
  })
})
