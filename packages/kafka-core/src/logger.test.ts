import { describe, expect, it } from 'vitest'
import { jsonLogger, redact } from './logger.ts'

describe('logging never carries credentials', () => {
  it('redacts secret-looking keys at any depth', () => {
    expect(redact({ sasl: { username: 'u', password: 'p' }, brokers: ['b:1'], nested: { apiKey: 'k', token: 't', ok: 1 } })).toEqual({
      sasl: '[redacted]',
      brokers: ['b:1'],
      nested: { apiKey: '[redacted]', token: '[redacted]', ok: 1 },
    })
  })

  it('writes JSON lines at or above its level', () => {
    const lines: string[] = []
    const log = jsonLogger({ level: 'warn', name: 'test', write: (l) => lines.push(l) })
    log.info('hidden')
    log.warn('shown', { password: 'secret', topic: 't' })
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'warn', logger: 'test', message: 'shown', password: '[redacted]', topic: 't' })
  })
})
