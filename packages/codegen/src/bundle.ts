// The turbo-cached half of `pnpm codegen`. Turbo restores a cache hit's outputs over what is on disk but never
// deletes a file the cached run did not produce, and it hashes committed files that match a task's `outputs` as
// inputs of that task. So the cached task (`codegen:emit`) writes one untracked bundle file, restored whole on a
// hit, and an uncached task (`codegen`) makes src/generated/ equal to it: stale files of a removed schema go, on a
// cache hit too, and the printed change list is always this run's.

import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DEFINITIONS_DIR } from './defs.ts'
import { generate, writeGenerated, type GeneratedFile } from './generate.ts'

export interface Bundle {
  /** sha256 of every schema and definition file (name and content): which schemas the files were generated from. */
  schemasHash: string
  files: GeneratedFile[]
}

/** Identity of the schemas directory's content, cheap enough to check on every sync. */
export async function schemasHash(schemasDir: string): Promise<string> {
  const hash = createHash('sha256')
  for (const sub of ['', `${DEFINITIONS_DIR}/`]) {
    const names = (await readdir(join(schemasDir, sub)).catch(() => [] as string[])).filter((f) => f.endsWith('.json')).sort()
    for (const name of names) hash.update(`${sub}${name}\0`).update(await readFile(join(schemasDir, sub, name))).update('\0')
  }
  return hash.digest('hex')
}

export async function writeBundle(schemasDir: string, bundlePath: string): Promise<Bundle> {
  const bundle: Bundle = { schemasHash: await schemasHash(schemasDir), files: await generate(schemasDir) }
  await mkdir(dirname(bundlePath), { recursive: true })
  await writeFile(bundlePath, `${JSON.stringify(bundle)}\n`)
  return bundle
}

async function readBundle(bundlePath: string): Promise<Bundle | undefined> {
  const text = await readFile(bundlePath, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const parsed = JSON.parse(text) as Partial<Bundle>
    return typeof parsed.schemasHash === 'string' && Array.isArray(parsed.files) ? (parsed as Bundle) : undefined
  } catch {
    return undefined
  }
}

export interface SyncResult {
  changed: string[]
  /** Set when the bundle was missing or made from other schemas, so the files were generated here instead. */
  regenerated?: string
}

/** Makes `outDir` exactly the bundle's files; a missing or stale bundle (other schemas) is never trusted. */
export async function syncBundle(schemasDir: string, bundlePath: string, outDir: string): Promise<SyncResult> {
  const bundle = await readBundle(bundlePath)
  const current = await schemasHash(schemasDir)
  if (bundle === undefined || bundle.schemasHash !== current) {
    const reason = bundle === undefined ? `no bundle at ${bundlePath}` : `the bundle at ${bundlePath} was made from other schemas`
    const fresh = await writeBundle(schemasDir, bundlePath)
    return { changed: await writeGenerated(outDir, fresh.files), regenerated: reason }
  }
  return { changed: await writeGenerated(outDir, bundle.files) }
}
