import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { isOutcomeUnknown, outcomeUnknown, translateKafkaError } from './errors.ts'

const context = { brokers: ['127.0.0.1:1'], brokerSource: 'KAFKA_BROKER', topic: 'campaign.created.json' }

describe('translateKafkaError: the Python guide\'s troubleshooting cases', () => {
  it('topic missing → names the topic and the provisioning command', () => {
    const cause = new KafkaJSProtocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true } as never)
    const error = translateKafkaError(new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 3, retryTime: 100 }), context)
    expect(error.code).toBe('TOPIC_NOT_FOUND')
    expect(error.message).toContain('"campaign.created.json" does not exist')
    expect(error.message).toContain('topics create')
  })

  it('connection refused → names the broker, its source and KAFKA_BROKER', () => {
    const error = translateKafkaError(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1', { broker: '127.0.0.1:1', code: 'ECONNREFUSED' }), context)
    expect(error.code).toBe('CONNECTION_REFUSED')
    expect(error.retriable).toBe(true)
    expect(error.message).toMatch(/cannot connect to Kafka at 127\.0\.0\.1:1 \(brokers from KAFKA_BROKER\)/)
    expect(error.message).toContain('localhost:29092')
  })

  it('not authorized and authentication failed are told apart', () => {
    const denied = new KafkaJSProtocolError({ message: 'Not authorized to access topics', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false } as never)
    expect(translateKafkaError(denied, context).code).toBe('NOT_AUTHORIZED')
    // kafkajs' typings declare no constructor arguments; at runtime it takes the message.
    const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error
    const auth = new SaslError('SASL SCRAM SHA256 authentication failed: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256')
    const error = translateKafkaError(auth, context)
    expect(error.code).toBe('AUTHENTICATION_FAILED')
    expect(error.message).toContain('KAFKA_SASL_PASSWORD')
  })

  it('anything else keeps the original message', () => {
    const error = translateKafkaError(new Error('boom'), context)
    expect(error.code).toBe('SEND_FAILED')
    expect(error.message).toContain('boom')
    expect(error.cause).toBeInstanceOf(Error)
  })
})

describe('OUTCOME_UNKNOWN', () => {
  // What patches/kafkajs@2.2.4.patch (sendMessages.js) throws when a send ends without knowing.
  const unknown = Object.assign(new Error('The outcome of the produce request is unknown: its records may have been written'), {
    name: 'KafkaJSOutcomeUnknownError',
  })
  const wrapped = new KafkaJSNumberOfRetriesExceeded(unknown as never, { retryCount: 3, retryTime: 1 } as never)

  it('is recognised through kafkajs retry wrappers, and never as "not sent" / CONNECTION_REFUSED', () => {
    expect(isOutcomeUnknown(wrapped)).toBe(true)
    expect(isOutcomeUnknown(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:1'))).toBe(false)
    const error = translateKafkaError(wrapped, context)
    expect(error.code).toBe('OUTCOME_UNKNOWN')
    expect(error.retriable).toBe(false)
    expect(error.message).toMatch(/may have been written/)
  })

  it('names the event ids, where, and what to do; lists at most 5 ids in the message, all in eventIds and JSON', () => {
    const ids = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7']
    const error = outcomeUnknown(ids, { ...context, cause: wrapped })
    expect(error.code).toBe('OUTCOME_UNKNOWN')
    expect(error.message).toContain('7 event(s) to topic "campaign.created.json" on 127.0.0.1:1 may have been written')
    expect(error.message).toContain('ce_id a1, a2, a3, a4, a5 and 2 more')
    expect(error.message).toMatch(/dedupe on ce_id/)
    expect(error.message).not.toContain('a6')
    expect(error.eventIds).toEqual(ids)
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'OUTCOME_UNKNOWN', eventIds: ids })
    expect(error.cause).toBe(wrapped)
  })
})

describe('TLS_HANDSHAKE_FAILED', () => {
  const plaintextAnswer = Object.assign(new Error('Connection error: 00D8C0F8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), {
    name: 'KafkaJSConnectionError',
    code: 'ERR_SSL_WRONG_VERSION_NUMBER',
  })

  it('with ssl on, a handshake a PLAINTEXT listener broke is told apart from a broker that is down', () => {
    const error = translateKafkaError(new KafkaJSNumberOfRetriesExceeded(plaintextAnswer as never, {} as never), { ...context, ssl: true })
    expect(error.code).toBe('TLS_HANDSHAKE_FAILED')
    expect(error.message).toMatch(/did not speak TLS — is this a PLAINTEXT listener\? Unset KAFKA_SSL/)
    expect(error.message).toContain('127.0.0.1:1')
  })

  it('without ssl the same error stays a connection problem', () => {
    expect(translateKafkaError(plaintextAnswer, context).code).toBe('CONNECTION_REFUSED')
  })
})
