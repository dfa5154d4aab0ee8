// Normalisation of @platformatic/kafka errors to the kafkajs shapes translateKafkaError reads, built from the
// shapes PLATFORMATIC-4.4.md observed on a live broker (real platformatic error classes, no broker here).
import { AuthenticationError, MultipleErrors, NetworkError, ProtocolError, ResponseError, TimeoutError, UserError } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { translateKafkaError } from '../errors.ts'
import { isRetriable, normalizeError } from './errors.ts'

const context = { brokers: ['127.0.0.1:29092'], brokerSource: 'test', topic: 't' }
const code = (error: unknown) => translateKafkaError(normalizeError(error), context).code

describe('normalizeError', () => {
  it('connection refused → CONNECTION_REFUSED, ECONNREFUSED kept', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:29092'), { code: 'ECONNREFUSED' })
    const error = new MultipleErrors('Cannot connect to any broker.', [new NetworkError('Connection to 127.0.0.1:29092 failed.', { cause: refused })])
    const n = normalizeError(error) as Error & { code?: string }
    expect(n.name).toBe('KafkaJSConnectionError')
    expect(n.code).toBe('ECONNREFUSED')
    expect(n.cause).toBe(error)
    expect(code(error)).toBe('CONNECTION_REFUSED')
    expect(isRetriable(error)).toBe(true)
  })

  it('SASL failure (retriable NetworkError › AuthenticationError) → AUTHENTICATION_FAILED, not retriable, no credentials', () => {
    const protocol = new ResponseError(36, 2, { '': [58, 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256'] }, {})
    const error = new MultipleErrors('metadata failed 1 times.', [
      new MultipleErrors('Cannot connect to any broker.', [
        new NetworkError('Connection to 127.0.0.1:29093 failed.', { cause: new AuthenticationError('SASL authentication failed.', { cause: protocol }) }),
      ]),
    ])
    expect(normalizeError(error).name).toBe('KafkaJSSASLAuthenticationError')
    expect(code(error)).toBe('AUTHENTICATION_FAILED')
    expect(isRetriable(error)).toBe(false)
  })

  it('unknown topic (UserError without a protocol code) → TOPIC_NOT_FOUND', () => {
    const n = normalizeError(new UserError('Unknown topic t.')) as Error & { type?: string }
    expect(n.type).toBe('UNKNOWN_TOPIC_OR_PARTITION')
    expect(code(new UserError('Unknown topic t.'))).toBe('TOPIC_NOT_FOUND')
  })

  it('protocol errors keep their name as `type` (MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED)', () => {
    const tooLarge = new ResponseError(0, 11, { '/responses/0/partition_responses/0': [10, null] }, {})
    expect((normalizeError(tooLarge) as Error & { type?: string }).type).toBe('MESSAGE_TOO_LARGE')
    const denied = new MultipleErrors('x', [new ProtocolError('TOPIC_AUTHORIZATION_FAILED')])
    expect(code(denied)).toBe('NOT_AUTHORIZED')
  })

  it('request timeout → KafkaJSRequestTimeoutError (REQUEST_TIMEOUT)', () => {
    const error = new MultipleErrors('produce failed 1 times.', [new TimeoutError('Request timed out', { canRetry: true })])
    expect(normalizeError(error).name).toBe('KafkaJSRequestTimeoutError')
    expect(code(error)).toBe('REQUEST_TIMEOUT')
  })
})
