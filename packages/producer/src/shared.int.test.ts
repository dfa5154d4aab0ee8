// getProducer(): one shared, lazily connected producer per process, closed on shutdown.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { isKafkaClientError } from '@topiq/kafka-core'
import { createTestTopics, deleteTestTopics, readMessages, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { closeProducer, getProducer } from './shared.ts'
import { decode, messageCount } from './test-helpers.ts'

const { brokers } = connectionInfo()
const prefix = uniquePrefix('producer-shared')
const CREATED = 'campaign.created.json'
const created = { campaign_id: 's-1', name: 'Shared', created_at: '2024-01-15T10:00:00Z' }

const savedEnv = { KAFKA_BROKER: process.env['KAFKA_BROKER'], KAFKA_TOPIC_PREFIX: process.env['KAFKA_TOPIC_PREFIX'], TOPIQ_LOG_LEVEL: process.env['TOPIQ_LOG_LEVEL'] }

beforeAll(async () => {
  await createTestTopics(brokers, prefix, [CREATED])
  // getProducer() without options reads the environment, like an application would.
  process.env['KAFKA_BROKER'] = brokers.join(',')
  process.env['KAFKA_TOPIC_PREFIX'] = prefix
  process.env['TOPIQ_LOG_LEVEL'] = 'silent'
})

afterEach(async () => {
  await closeProducer()
})

afterAll(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  await deleteTestTopics(brokers, prefix)
})

describe('getProducer', () => {
  it('returns the same instance on every call and reuses one connection', async () => {
    const first = getProducer()
    expect(first.state).toBe('idle') // lazily connected: nothing happens before the first send
    await first.publish(CREATED, created)
    await getProducer().sendMessage({ topic: CREATED, value: { ...created, campaign_id: 's-2' } })
    await Promise.all([getProducer().publish(CREATED, { ...created, campaign_id: 's-3' }), getProducer().publish(CREATED, { ...created, campaign_id: 's-4' })])
    expect(getProducer()).toBe(first)
    expect(first.connectCount).toBe(1)
    expect(await messageCount(brokers, [prefix + CREATED])).toBeGreaterThanOrEqual(4)
  })

  it('options are read on creation only; closeProducer closes it and the next call creates a new one', async () => {
    const first = getProducer({ clientId: 'shared-test' })
    expect(first.clientId).toBe('shared-test')
    let error: unknown
    try {
      getProducer({ clientId: 'other' })
    } catch (e) {
      error = e
    }
    expect(isKafkaClientError(error, 'CONFIG_INVALID')).toBe(true)
    await closeProducer()
    expect(first.state).toBe('closed')
    const second = getProducer()
    expect(second).not.toBe(first)
    expect(second.state).toBe('idle')
  })
})

const child = fileURLToPath(new URL('./fixtures/shared-child.ts', import.meta.url))

/** Runs the child until `published`, optionally sends a signal, and reports how it ended. */
function runChild(mode: string, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--conditions=@topiq/source', child, mode], {
      env: { ...process.env, KAFKA_BROKER: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, TOPIQ_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let publishedAt = 0
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`child "${mode}" did not exit within 30 s; stdout: ${stdout}; stderr: ${stderr}`))
    }, 30_000)
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (publishedAt === 0 && stdout.includes('published')) {
        publishedAt = Date.now()
        if (signal !== undefined) proc.kill(signal)
      }
    })
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    proc.on('exit', (code, sig) => {
      clearTimeout(timer)
      resolve({ code, signal: sig, stdout, stderr, ms: publishedAt === 0 ? -1 : Date.now() - publishedAt })
    })
  })
}

describe('shutdown of the shared producer (child processes)', () => {
  it('SIGTERM closes it, then the default exit happens (killed by SIGTERM, not swallowed)', async () => {
    const result = await runChild('signal', 'SIGTERM')
    expect(result.stdout).toContain('published')
    expect(result.stderr).toContain('kafka producer closed')
    expect(result.signal).toBe('SIGTERM')
    expect(result.ms).toBeLessThan(10_000)
  })

  it("with the application's own SIGTERM handler, closes the producer and leaves the exit to the application", async () => {
    const result = await runChild('app-handler', 'SIGTERM')
    expect(result.stderr).toContain('kafka producer closed')
    expect(result).toMatchObject({ code: 7, signal: null })
  })

  it('a script that calls closeProducer() exits by itself with code 0', async () => {
    const result = await runChild('close')
    expect(result).toMatchObject({ code: 0, signal: null })
    expect(result.stderr).toContain('kafka producer closed')
    const keys = (await readMessages(brokers, [prefix + CREATED], 7)).map(decode).map((m) => m.key)
    expect(keys).toEqual(expect.arrayContaining(['child-signal', 'child-app-handler', 'child-close']))
  })
})
