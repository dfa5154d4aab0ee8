import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bootstrapSchema } from './bootstrap.ts'
import { generate } from './generate.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'topiq-bootstrap-'))
  await writeFile(
    join(dir, 'types.ts'),
    `export interface CampaignArchived {\n  campaign_id: string\n  /** @format date-time */\n  archived_at: string\n  reason?: 'expired' | 'manual'\n}\n`,
  )
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('bootstrapSchema (TS → JSON Schema)', () => {
  it('writes a schema that codegen accepts', async () => {
    const { path } = await bootstrapSchema({
      topic: 'campaign.archived.json',
      typeFile: join(dir, 'types.ts'),
      typeName: 'CampaignArchived',
      schemasDir: dir,
      key: 'campaign_id',
    })
    const schema = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    expect((schema['required'] as string[]).sort()).toEqual(['archived_at', 'campaign_id'])
    expect(schema['additionalProperties']).toBe(false)
    expect(schema['properties']).toMatchObject({
      archived_at: { type: 'string', format: 'date-time' },
      reason: { enum: ['expired', 'manual'] },
    })
    expect(schema['x-kafka']).toEqual({ partitions: 3, compatibility: 'BACKWARD', key: 'campaign_id' })
    const files = await generate(dir)
    expect(files.find((f) => f.path === 'campaign.archived.json.ts')?.content).toContain('export interface CampaignArchived')
  })

  it('refuses to overwrite an existing schema', async () => {
    const path = join(dir, 'campaign.paused.json')
    await writeFile(path, '{"keep": true}')
    await expect(
      bootstrapSchema({ topic: 'campaign.paused.json', typeFile: join(dir, 'types.ts'), typeName: 'CampaignArchived', schemasDir: dir }),
    ).rejects.toMatchObject({ code: 'SCHEMA_EXISTS' })
    expect(await readFile(path, 'utf8')).toBe('{"keep": true}')
  })

  it('rejects a topic name outside the rule and an unknown type', async () => {
    await expect(
      bootstrapSchema({ topic: 'Campaign.json', typeFile: join(dir, 'types.ts'), typeName: 'CampaignArchived', schemasDir: dir }),
    ).rejects.toMatchObject({ code: 'INVALID_TOPIC_NAME' })
    await expect(
      bootstrapSchema({ topic: 'campaign.gone.json', typeFile: join(dir, 'types.ts'), typeName: 'Nope', schemasDir: dir }),
    ).rejects.toThrow(/Nope/)
  })

  it('names the file when the type is not in it (issue 12)', async () => {
    const typeFile = join(dir, 'types.ts')
    const error = await bootstrapSchema({ topic: 'campaign.gone.json', typeFile, typeName: 'Nope', schemasDir: dir }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TYPE_NOT_FOUND' })
    expect((error as Error).message).toContain(`Nope in ${typeFile}`)
    await expect(
      bootstrapSchema({ topic: 'campaign.gone.json', typeFile: join(dir, 'missing.ts'), typeName: 'Nope', schemasDir: dir }),
    ).rejects.toThrow(`file ${join(dir, 'missing.ts')} does not exist`)
  })

  it('rejects a --key that is not a required property before writing anything (issue 12)', async () => {
    const options = { topic: 'campaign.keyless.json', typeFile: join(dir, 'types.ts'), typeName: 'CampaignArchived', schemasDir: dir }
    const error = await bootstrapSchema({ ...options, key: 'nope' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'INVALID_METADATA', file: 'campaign.keyless.json' })
    expect((error as Error).message).toContain('required properties: archived_at, campaign_id')
    expect((error as Error).message).toContain('nothing was written')
    await expect(access(join(dir, 'campaign.keyless.json'))).rejects.toThrow(/ENOENT/)
    await expect(bootstrapSchema({ ...options, key: 'reason' })).rejects.toMatchObject({ code: 'INVALID_METADATA' })
    await expect(access(join(dir, 'campaign.keyless.json'))).rejects.toThrow(/ENOENT/)
  })
})
