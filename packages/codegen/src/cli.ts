#!/usr/bin/env node
import { watch } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bootstrapSchema } from './bootstrap.ts'
import { CodegenError, CodegenErrors } from './errors.ts'
import { syncBundle, writeBundle } from './bundle.ts'
import { diffGenerated, generate, writeGenerated } from './generate.ts'

const USAGE = `Usage:
  topiq-codegen generate --schemas <dir> --out <dir> [--watch] [--check]
      Generate typed contracts from one JSON Schema per topic (and the shared definitions in <dir>/defs/).
      --watch  regenerate whenever a schema changes
      --check  write nothing; exit 1 if the committed files differ from what the schemas generate
  topiq-codegen generate --schemas <dir> --bundle <file>
      Generate into one bundle file instead (the turbo-cached step of \`pnpm codegen\`).
  topiq-codegen sync --schemas <dir> --bundle <file> --out <dir>
      Make <out> exactly the bundle's files, removing files no schema generates; regenerates when the bundle is
      missing or was made from other schemas.
  topiq-codegen new <topic> --from-type <file.ts>#<Type> --schemas <dir> [--key <field>] [--partitions <n>]
      Bootstrap schemas/<topic> from an existing TypeScript type (never overwrites).
Exit codes: 0 ok, 1 schema/naming problem or drift, 2 usage error.`

function usage(message: string): never {
  console.error(`${message}\n\n${USAGE}`)
  process.exit(2)
}

async function runGenerate(schemasDir: string, outDir: string, check: boolean): Promise<boolean> {
  let upToDate = true
  const ok = await reported(async () => {
    const files = await generate(schemasDir)
    if (check) {
      const drift = await diffGenerated(outDir, files)
      if (drift.length > 0) {
        console.error(`generated contracts are out of date (${drift.join(', ')}): run \`pnpm codegen\` and commit the result`)
        upToDate = false
        return
      }
      console.log(`contracts up to date (${files.length} files)`)
      return
    }
    const changed = await writeGenerated(outDir, files)
    console.log(changed.length === 0 ? 'contracts unchanged' : `contracts regenerated: ${changed.join(', ')}`)
  })
  return ok && upToDate
}

/** Runs `task`, printing codegen problems (schema, naming) as they are; false when there were any. */
async function reported(task: () => Promise<void>): Promise<boolean> {
  try {
    await task()
    return true
  } catch (error) {
    if (error instanceof CodegenError || error instanceof CodegenErrors) {
      console.error(error.message)
      return false
    }
    throw error
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      schemas: { type: 'string' },
      out: { type: 'string' },
      bundle: { type: 'string' },
      watch: { type: 'boolean', default: false },
      check: { type: 'boolean', default: false },
      'from-type': { type: 'string' },
      key: { type: 'string' },
      partitions: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  const [command, topic] = positionals
  if (values.help || command === undefined) {
    console.log(USAGE)
    process.exit(values.help ? 0 : 2)
  }
  if (values.schemas === undefined) usage('missing --schemas <dir>')
  const schemasDir = resolve(values.schemas)

  if (command === 'generate' && values.bundle !== undefined) {
    const bundlePath = resolve(values.bundle)
    const ok = await reported(async () => {
      const bundle = await writeBundle(schemasDir, bundlePath)
      console.log(`generated ${bundle.files.length} files from ${schemasDir} into ${bundlePath}`)
    })
    process.exit(ok ? 0 : 1)
  }
  if (command === 'sync') {
    if (values.out === undefined || values.bundle === undefined) usage('sync needs --bundle <file> and --out <dir>')
    const outDir = resolve(values.out)
    const bundlePath = resolve(values.bundle)
    const ok = await reported(async () => {
      const { changed, regenerated } = await syncBundle(schemasDir, bundlePath, outDir)
      if (regenerated !== undefined) console.log(`${regenerated}: generated from the schemas`)
      console.log(changed.length === 0 ? 'contracts unchanged' : `contracts regenerated: ${changed.join(', ')}`)
    })
    process.exit(ok ? 0 : 1)
  }
  if (command === 'generate') {
    if (values.out === undefined) usage('missing --out <dir>')
    const outDir = resolve(values.out)
    const ok = await runGenerate(schemasDir, outDir, values.check)
    if (!values.watch) process.exit(ok ? 0 : 1)
    console.log(`watching ${schemasDir} (Ctrl-C to stop)`)
    let timer: NodeJS.Timeout | undefined
    let running = Promise.resolve(true)
    watch(schemasDir, () => {
      clearTimeout(timer)
      // Editors write a file in several steps: wait for the burst to settle, and never run two generations at once.
      timer = setTimeout(() => {
        running = running.then(() => runGenerate(schemasDir, outDir, false))
      }, 150)
    })
    return
  }
  if (command === 'new') {
    if (topic === undefined) usage('missing <topic>, e.g. campaign.archived.json')
    const from = values['from-type']
    const hash = from?.lastIndexOf('#') ?? -1
    if (from === undefined || hash <= 0) usage('missing --from-type <file.ts>#<TypeName>')
    const options = { topic, typeFile: from.slice(0, hash), typeName: from.slice(hash + 1), schemasDir }
    const partitions = values.partitions === undefined ? undefined : Number(values.partitions)
    if (partitions !== undefined && !Number.isInteger(partitions)) usage('--partitions must be an integer')
    try {
      const { path } = await bootstrapSchema({
        ...options,
        ...(values.key === undefined ? {} : { key: values.key }),
        ...(partitions === undefined ? {} : { partitions }),
      })
      console.log(`wrote ${path}\nreview it (descriptions, formats such as date-time), then run \`pnpm codegen\``)
    } catch (error) {
      if (error instanceof CodegenError) {
        console.error(error.message)
        process.exit(1)
      }
      throw error
    }
    return
  }
  usage(`unknown command "${command}"`)
}

await main()
