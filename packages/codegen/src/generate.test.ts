import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CodegenErrors } from './errors.ts'
import { diffGenerated, generate, writeGenerated } from './generate.ts'

const valid = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['order_id', 'placed_at'],
  properties: { order_id: { type: 'string' }, placed_at: { type: 'string', format: 'date-time' } },
  'x-kafka': { key: 'order_id', partitions: 2 },
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'topiq-codegen-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function put(name: string, content: unknown): Promise<void> {
  await writeFile(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content))
}

describe('generate', () => {
  it('emits a type, metadata, a validator and the topic map per schema', async () => {
    await put('order.placed.json', valid)
    const files = await generate(dir)
    expect(files.map((f) => f.path).sort()).toEqual([
      'index.ts',
      'order.placed.json.ts',
      'order.placed.json.validate.d.ts',
      'order.placed.json.validate.js',
      'types.ts',
    ])
    const byPath = Object.fromEntries(files.map((f) => [f.path, f.content]))
    for (const content of Object.values(byPath)) expect(content).toMatch(/^\/\/ Generated from schemas\/.* — do not edit\./)
    expect(byPath['order.placed.json.ts']).toContain('export interface OrderPlaced {')
    expect(byPath['order.placed.json.ts']).toContain('"deadLetterTopic": "order.placed-dlq.json"')
    expect(byPath['order.placed.json.ts']).not.toContain('x-kafka')
    expect(byPath['index.ts']).toContain('"order.placed.json": OrderPlaced')
  })

  it('compiles validators that enforce formats', async () => {
    await put('order.placed.json', valid)
    await writeGenerated(join(dir, 'out'), await generate(dir))
    const { default: validate } = (await import(join(dir, 'out', 'order.placed.json.validate.js'))) as {
      default: ((v: unknown) => boolean) & { errors?: { keyword: string }[] }
    }
    expect(validate({ order_id: 'o1', placed_at: '2024-01-15T10:00:00Z' })).toBe(true)
    expect(validate({ order_id: 'o1', placed_at: 'yesterday' })).toBe(false)
    expect(validate.errors?.map((e) => e.keyword)).toEqual(['format'])
  })

  it('fails the build on badly named schema files, listing every offender and the rule', async () => {
    await put('Campaign_Created.json', valid)
    await put('campaign.json', valid)
    await put('order.placed.json', valid)
    const error = await generate(dir).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CodegenErrors)
    const message = (error as CodegenErrors).message
    expect(message).toContain('"Campaign_Created.json"')
    expect(message).toContain('"campaign.json"')
    expect(message).toContain('domain.action.format')
    expect((error as CodegenErrors).errors).toHaveLength(2)
  })

  it('reports invalid JSON and non-object schemas with the file name', async () => {
    await put('order.placed.json', '{ "type": ')
    await put('order.cancelled.json', { type: 'string' })
    const error = (await generate(dir).catch((e: unknown) => e)) as CodegenErrors
    expect(error.errors.map((e) => [e.code, e.file])).toEqual([
      ['INVALID_SCHEMA', 'order.cancelled.json'],
      ['INVALID_SCHEMA', 'order.placed.json'],
    ])
  })

  it('reports a schema ajv cannot compile', async () => {
    await put('order.placed.json', { ...valid, properties: { ...valid.properties, count: { type: 'strang' } } })
    await expect(generate(dir)).rejects.toThrow(/order.placed.json: ajv cannot compile the schema/)
  })

  it('is deterministic, and writeGenerated removes stale topics', async () => {
    await put('order.placed.json', valid)
    await put('order.shipped.json', valid)
    const out = join(dir, 'out')
    await writeGenerated(out, await generate(dir))
    expect(await writeGenerated(out, await generate(dir))).toEqual([])
    await rm(join(dir, 'order.shipped.json'))
    const next = await generate(dir)
    expect((await diffGenerated(out, next)).sort()).toEqual([
      'index.ts',
      'order.shipped.json.ts',
      'order.shipped.json.validate.d.ts',
      'order.shipped.json.validate.js',
      'types.ts',
    ])
    await writeGenerated(out, next)
    expect((await readdir(out)).some((f) => f.startsWith('order.shipped'))).toBe(false)
    expect(await readFile(join(out, 'index.ts'), 'utf8')).not.toContain('order.shipped')
  })
})

describe('draft 2020-12', () => {
  it('compiles 2020-12 schemas with the 2020 dialect (prefixItems) and enforces formats', async () => {
    await put('order.placed.json', {
      ...valid,
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      required: ['order_id', 'placed_at', 'lines'],
      properties: { ...valid.properties, lines: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }], items: false, minItems: 2 } },
    })
    await writeGenerated(join(dir, 'out'), await generate(dir))
    const { default: validate } = (await import(join(dir, 'out', 'order.placed.json.validate.js'))) as {
      default: ((v: unknown) => boolean) & { errors?: { keyword: string; instancePath: string }[] }
    }
    const ok = { order_id: 'o1', placed_at: '2024-01-15T10:00:00Z', lines: ['sku-1', 2] }
    expect(validate(ok)).toBe(true)
    expect(validate({ ...ok, lines: ['sku-1', 'two'] })).toBe(false)
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(['/lines/1 type'])
    expect(validate({ ...ok, lines: ['sku-1', 2, 'extra'] })).toBe(false)
    expect(validate({ ...ok, placed_at: 'later' })).toBe(false)
  })
})

describe('shared definitions (schemas/defs/*.json, issue 12)', () => {
  const money = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    description: 'An amount in a currency.',
    type: 'object',
    additionalProperties: false,
    required: ['amount', 'currency'],
    properties: { amount: { type: 'number', minimum: 0 }, currency: { $ref: 'currency.json' } },
  }
  const currency = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'string', pattern: '^[A-Z]{3}$' }
  const withBudget = (extra: Record<string, unknown> = {}) => ({
    ...valid,
    properties: { ...valid.properties, budget: { $ref: 'defs/money.json' }, spent: { $ref: 'defs/money.json', description: 'So far.' }, ...extra },
  })
  beforeEach(async () => {
    await mkdir(join(dir, 'defs'))
    await put('defs/money.json', money)
    await put('defs/currency.json', currency)
  })

  it('generates one shared type per definition, imported (not copied) by each topic that uses it', async () => {
    await put('order.placed.json', withBudget())
    await put('order.refunded.json', withBudget())
    const files = await generate(dir)
    const byPath = Object.fromEntries(files.map((f) => [f.path, f.content]))
    expect(Object.keys(byPath).sort()).toContain('defs/money.json.ts')
    expect(byPath['defs/money.json.ts']).toMatch(/^\/\/ Generated from schemas\/defs\/money.json — do not edit\./)
    expect(byPath['defs/money.json.ts']).toContain("import type { Currency } from './currency.json.ts'")
    expect(byPath['defs/money.json.ts']).toContain('export interface Money {')
    expect(byPath['defs/money.json.ts']).toContain('currency: Currency;')
    expect(byPath['defs/currency.json.ts']).toContain('export type Currency = string;')
    for (const topic of ['order.placed.json.ts', 'order.refunded.json.ts']) {
      expect(byPath[topic]).toContain("import type { Money } from './defs/money.json.ts'")
      expect(byPath[topic]).toContain('budget?: Money;')
      expect(byPath[topic]).not.toContain('interface Money')
      expect(byPath[topic]).toContain('"references": [\n    "defs/currency.json",\n    "defs/money.json"\n  ]')
    }
    expect(byPath['types.ts']).toContain("export type { Money } from './defs/money.json.ts'")
    expect(byPath['index.ts']).toContain('"defs/money.json": { file: "defs/money.json", typeName: "Money", references: defMoney.references, schema: defMoney.schema },')
  })

  it('compiles validators that resolve the definitions, and a changed definition changes the fingerprint', async () => {
    await put('order.placed.json', withBudget())
    const out = join(dir, 'out')
    await writeGenerated(out, await generate(dir))
    const { default: validate } = (await import(join(out, 'order.placed.json.validate.js'))) as {
      default: ((v: unknown) => boolean) & { errors?: { instancePath: string; keyword: string }[] }
    }
    const ok = { order_id: 'o1', placed_at: '2024-01-15T10:00:00Z', budget: { amount: 5, currency: 'EUR' } }
    expect(validate(ok)).toBe(true)
    expect(validate({ ...ok, budget: { amount: 5, currency: 'euro' } })).toBe(false)
    expect(validate.errors?.map((e) => `${e.instancePath} ${e.keyword}`)).toEqual(['/budget/currency pattern'])
    expect(validate({ ...ok, spent: { amount: -1, currency: 'EUR', extra: 1 } })).toBe(false)
    const before = (await generate(dir)).find((f) => f.path === 'order.placed.json.ts')?.content.match(/"fingerprint": "(\w+)"/)?.[1]
    await put('defs/currency.json', { ...currency, pattern: '^[A-Z]{3,4}$' })
    const after = (await generate(dir)).find((f) => f.path === 'order.placed.json.ts')?.content.match(/"fingerprint": "(\w+)"/)?.[1]
    expect(before).toMatch(/^[0-9a-f]{16}$/)
    expect(after).not.toBe(before)
  })

  it('is exempt from the topic naming rule, and a removed definition takes its files along', async () => {
    await put('order.placed.json', valid)
    const out = join(dir, 'out')
    await writeGenerated(out, await generate(dir))
    expect((await readdir(join(out, 'defs'))).sort()).toEqual(['currency.json.ts', 'money.json.ts'])
    await rm(join(dir, 'defs'), { recursive: true })
    const changed = await writeGenerated(out, await generate(dir))
    expect(changed).toContain('defs/money.json.ts')
    expect(await readdir(out)).not.toContain('defs')
  })

  it('reports a $ref to a missing file, into a file, or outside defs/ with the file, the JSON pointer and what to do', async () => {
    await put('order.placed.json', withBudget({ a: { $ref: 'defs/moeny.json' } }))
    await put('order.shipped.json', withBudget({ b: { $ref: 'defs/money.json#/properties/amount' } }))
    await put('order.refunded.json', withBudget({ c: { $ref: 'order.placed.json' } }))
    const error = (await generate(dir).catch((e: unknown) => e)) as CodegenErrors
    expect(error).toBeInstanceOf(CodegenErrors)
    const messages = error.errors.map((e) => e.message)
    expect(messages).toContainEqual(expect.stringMatching(/^order.placed.json at \/properties\/a: "\$ref": "defs\/moeny.json" resolves to schemas\/defs\/moeny.json, which does not exist/))
    expect(messages).toContainEqual(expect.stringMatching(/^order.shipped.json at \/properties\/b: .* points inside a file; refer to a whole definition file/))
    expect(messages).toContainEqual(expect.stringMatching(/^order.refunded.json at \/properties\/c: .* not under schemas\/defs\//))
  })

  it('requires a definition to declare its draft (registries refuse a referenced schema without one)', async () => {
    const { $schema: _draft, ...undeclared } = currency
    await put('defs/currency.json', undeclared)
    await put('order.placed.json', valid)
    await expect(generate(dir)).rejects.toThrow(/schemas\/defs\/currency.json: declare its draft, e.g. "\$schema"/)
  })

  it('refuses a definition in another draft than the topic that uses it', async () => {
    await put('defs/money.json', { ...money, $schema: 'https://json-schema.org/draft/2020-12/schema' })
    await put('order.placed.json', withBudget())
    await expect(generate(dir)).rejects.toThrow(/order.placed.json \(draft http:\/\/json-schema.org\/draft-07\/schema#\) refers to schemas\/defs\/money.json, written in draft https/)
  })
})
