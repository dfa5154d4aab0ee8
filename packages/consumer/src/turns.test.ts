import { describe, expect, it } from 'vitest'
import { Turns } from './turns.ts'

describe('Turns', () => {
  it('grants up to the limit at once, then in the order asked for, each turn given back passing to the next', async () => {
    const turns = new Turns(1)
    expect(turns.take()).toBeUndefined()
    const order: string[] = []
    const b = turns.take()?.then(() => order.push('b'))
    const c = turns.take()?.then(() => order.push('c'))
    expect(b).toBeInstanceOf(Promise)
    await Promise.resolve()
    expect(order).toEqual([])
    turns.give()
    await b
    expect(order).toEqual(['b'])
    turns.give()
    await c
    expect(order).toEqual(['b', 'c'])
    turns.give()
    // Free again: granted at once.
    expect(turns.take()).toBeUndefined()
  })

  it('never grants a turn ahead of one already waiting', async () => {
    const turns = new Turns(2)
    expect(turns.take()).toBeUndefined()
    expect(turns.take()).toBeUndefined()
    const waiting = turns.take()
    expect(waiting).toBeInstanceOf(Promise)
    turns.give() // passes straight to the waiting one: no free turn appears for a newcomer
    expect(turns.take()).toBeInstanceOf(Promise)
    await waiting
  })
})
