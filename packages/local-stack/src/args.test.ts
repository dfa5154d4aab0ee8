import { describe, expect, it } from 'vitest'
import { parseLogsArgs, parseUpArgs, UsageError } from './args.ts'

describe('parseUpArgs', () => {
  it('leaves the size unset without --brokers (whatever runs, else one broker)', () => {
    expect(parseUpArgs([])).toEqual({ brokers: undefined })
  })

  it('reads --brokers N and --brokers=N', () => {
    expect(parseUpArgs(['--brokers', '3'])).toEqual({ brokers: 3 })
    expect(parseUpArgs(['--brokers=1'])).toEqual({ brokers: 1 })
    expect(parseUpArgs(['--brokers', '1', '--brokers', '3'])).toEqual({ brokers: 3 })
  })

  it('refuses sizes other than 1 and 3, a missing value and unknown arguments', () => {
    for (const args of [['--brokers', '2'], ['--brokers', '5'], ['--brokers', '0'], ['--brokers', 'three'], ['--brokers', '3.0'], ['--brokers'], ['--brokers=']]) {
      expect(() => parseUpArgs(args), args.join(' ')).toThrow(/--brokers must be 1 or 3/)
    }
    expect(() => parseUpArgs(['-b', '3'])).toThrow(UsageError)
    expect(() => parseUpArgs(['3'])).toThrow(/unknown argument 3/)
  })
})

describe('parseLogsArgs', () => {
  it('defaults to both components, 50 lines', () => {
    expect(parseLogsArgs([])).toEqual({ which: undefined, lines: 50 })
  })

  it('reads the component and -n / --lines', () => {
    expect(parseLogsArgs(['kafka', '-n', '200'])).toEqual({ which: 'kafka', lines: 200 })
    expect(parseLogsArgs(['--lines', '5', 'registry'])).toEqual({ which: 'registry', lines: 5 })
  })

  it('refuses bad line counts and unknown arguments', () => {
    expect(() => parseLogsArgs(['-n', '0'])).toThrow(/positive number/)
    expect(() => parseLogsArgs(['-n'])).toThrow(UsageError)
    expect(() => parseLogsArgs(['zookeeper'])).toThrow(/unknown argument zookeeper/)
  })
})
