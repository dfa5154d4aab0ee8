import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { deleteTestTopics, uniquePrefix } from '@topiq/kafka-core/testing'
import { connectionInfo } from '@topiq/local-stack'
import { afterAll, describe, expect, it } from 'vitest'

const exec = promisify(execFile)
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url))
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url))
const { brokers, registryUrl } = connectionInfo()
const prefix = uniquePrefix('cli')
const created = { campaign_id: 'c-1', name: 'Summer Campaign', created_at: '2024-01-15T10:00:00Z' }

async function topiq(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--conditions=@topiq/source', cli, ...args], {
      cwd: repoRoot,
      env: { ...process.env, KAFKA_BROKER: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, SCHEMA_REGISTRY_URL: '', ...env },
      timeout: 60_000,
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

afterAll(async () => {
  await deleteTestTopics(brokers, prefix)
})

describe('topiq CLI on the real stack', () => {
  it('prints help for each command and exits 2 on bad usage', async () => {
    for (const command of ['topics', 'publish', 'tail', 'lag', 'schemas']) {
      const help = await topiq([command, '--help'])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain(`topiq ${command}`)
    }
    const bad = await topiq(['frobnicate'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown command "frobnicate"')
    expect((await topiq(['lag'])).code).toBe(2)
    expect((await topiq(['tail', 'x', '--nope'])).code).toBe(2)
  })

  it('topics create makes every schema topic and its dead-letter topic, idempotently; list shows them', async () => {
    const before = await topiq(['topics', 'list'])
    expect(before.stdout).toMatch(new RegExp(`${prefix.replace(/\./g, '\\.')}campaign\\.created\\.json\\s+MISSING`))
    const first = await topiq(['topics', 'create'])
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('6 created, 0 already existed')
    expect(first.stdout).toContain(`created  ${prefix}campaign.created-dlq.json`)
    const again = await topiq(['topics', 'create'])
    expect(again.stdout).toContain('0 created, 6 already existed')
    const after = await topiq(['topics', 'list'])
    expect(after.stdout).not.toContain('MISSING')
    expect(after.stdout).toMatch(/asset\.updated\.json\s+exists\s+3/)
  })

  it('publish validates first, then sends; tail shows it; lag follows the group', async () => {
    const invalid = await topiq(['publish', 'campaign.created.json', JSON.stringify({ campaign_id: 5, colour: 'red' })])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('nothing was sent')
    expect(invalid.stderr).toContain('$.campaign_id must be string')
    expect(invalid.stderr).toContain('$.name is required')
    expect(invalid.stderr).toContain('$.colour is not allowed')

    const unknown = await topiq(['publish', 'campaign.deleted.json', '{}'])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('unknown topic "campaign.deleted.json"')

    const dir = await mkdtemp(join(tmpdir(), 'topiq-cli-'))
    await writeFile(join(dir, 'event.json'), JSON.stringify(created))
    const sent = await topiq(['publish', 'campaign.created.json', `@${join(dir, 'event.json')}`, '--header', 'correlation_id=req-456'])
    await rm(dir, { recursive: true, force: true })
    expect(sent.stderr).toBe('')
    expect(sent.code).toBe(0)
    expect(JSON.parse(sent.stdout)).toMatchObject({ topic: 'campaign.created.json' })

    const tailed = await topiq(['tail', 'campaign.created.json', '--from-beginning', '--max', '1', '--timeout', '30', '--group', 'cli-lag-group'])
    expect(tailed.code).toBe(0)
    const line = JSON.parse(tailed.stdout.trim().split('\n')[0] ?? '{}') as Record<string, unknown>
    expect(line).toMatchObject({ topic: 'campaign.created.json', key: 'c-1', value: created, valid: true, format: 'json' })
    expect(line['headers']).toMatchObject({ correlation_id: 'req-456', source: 'topiq-cli', 'content-type': 'application/json' })

    const caughtUp = await topiq(['lag', '--group', 'cli-lag-group'])
    expect(caughtUp.code).toBe(0)
    expect(caughtUp.stdout).toMatch(/total\s+0/)
    expect((await topiq(['publish', 'campaign.created.json', JSON.stringify({ ...created, campaign_id: 'c-2' })])).code).toBe(0)
    const behind = await topiq(['lag', '--group', 'cli-lag-group', '--fail-above', '0'])
    expect(behind.stdout).toMatch(/total\s+1/)
    expect(behind.code).toBe(1)
    expect(behind.stderr).toContain('total lag 1 is above 0')
  }, 120_000)

  it('says clearly when the topic is missing or the broker is down', async () => {
    const missing = await topiq(['tail', 'campaign.created.json', '--max', '1', '--timeout', '5'], { KAFKA_TOPIC_PREFIX: uniquePrefix('none') })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('does not exist')
    expect(missing.stderr).toContain('topics create')
    const down = await topiq(['topics', 'list'], { KAFKA_BROKER: '127.0.0.1:1' })
    expect(down.code).toBe(1)
    expect(down.stderr).toContain('cannot connect to Kafka at 127.0.0.1:1 (brokers from KAFKA_BROKER)')
  }, 60_000)

  it('schemas check: offline on this repo, and with the real registry', async () => {
    const offline = await topiq(['schemas', 'check', '--against', 'HEAD'])
    expect(offline.stdout).toContain('✓ campaign.created.json [BACKWARD')
    expect(offline.code).toBe(0)

    // A throwaway repo whose v1 is registered in the real registry with BACKWARD compatibility.
    const dir = await mkdtemp(join(tmpdir(), 'topiq-check-'))
    const topic = `reg${Date.now().toString(36)}.created.json`
    const v1 = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string' } } }
    // The CLI runs with KAFKA_TOPIC_PREFIX set, so it asks about the prefixed subject.
    const subject = `${registryUrl}/subjects/${prefix}${topic}-value`
    const post = (url: string, body: unknown, method = 'POST') =>
      fetch(url, { method, headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' }, body: JSON.stringify(body) })
    expect((await post(`${subject}/versions`, { schemaType: 'JSON', schema: JSON.stringify(v1) })).ok).toBe(true)
    expect((await post(`${registryUrl}/config/${prefix}${topic}-value`, { compatibility: 'BACKWARD' }, 'PUT')).ok).toBe(true)
    const git = (...args: string[]) => exec('git', args, { cwd: dir })
    await exec('mkdir', ['-p', join(dir, 'schemas')])
    await writeFile(join(dir, 'schemas', topic), JSON.stringify(v1))
    await git('init', '-q', '-b', 'main')
    await git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'init')
    await git('add', '.')
    await git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-qm', 'v1')
    await writeFile(join(dir, 'schemas', topic), JSON.stringify({ ...v1, required: ['id', 'owner'], properties: { ...v1.properties, owner: { type: 'string' } } }))
    const broken = await topiq(['schemas', 'check', '--schemas', join(dir, 'schemas'), '--against', 'HEAD', '--registry', registryUrl])
    await rm(dir, { recursive: true, force: true })
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain('$.owner  REQUIRED_ADDED')
    expect(broken.stderr).toContain('registry: INCOMPATIBLE')
  }, 60_000)
})
