import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSSASLAuthenticationError } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { translateKafkaError } from './errors.ts'

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
