// globalSetup of the `interop` vitest project (after the local stack's): builds or reuses the Python venv of the
// foreign clients (scripts/python-env.sh, cached by the requirements' hash) and, after the run, prints the suite's
// one-line summary from the results file the cases append to.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { summarize, type CaseResult } from './results.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The venv's python (scripts/python-env.sh). */
    interopPython: string
    /** JSON-lines file each case appends its CaseResult to. */
    interopResults: string
  }
}

const root = fileURLToPath(new URL('..', import.meta.url))

function pythonEnv(): Promise<string> {
  return new Promise((resolve, reject) => {
    // Progress (first run: venv + pip install) goes straight to the terminal; the python path comes on stdout.
    const child = spawn('bash', [join(root, 'scripts/python-env.sh')], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve(out.trim().split('\n').at(-1) ?? '')
        : reject(new Error(`scripts/python-env.sh exited with ${code}: the interop suite needs its Python venv (see the lines above)`)),
    )
  })
}

export default async function setup(project: TestProject): Promise<() => void> {
  const started = Date.now()
  const python = await pythonEnv()
  const dir = mkdtempSync(join(tmpdir(), 'topiq-interop-'))
  const results = join(dir, 'results.jsonl')
  project.provide('interopPython', python)
  project.provide('interopResults', results)
  console.log(`interop: python venv ready in ${Date.now() - started} ms (${python})`)
  return () => {
    let lines: CaseResult[] = []
    try {
      lines = readFileSync(results, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as CaseResult)
    } catch {
      // no case ran (filtered out): the summary says 0 cases
    }
    // Which transport topiq ran on: the project's KAFKA_TRANSPORT (interop: kafkajs, interop-platformatic: platformatic).
    console.log(`[${project.name}, topiq on ${String(project.config.env?.['KAFKA_TRANSPORT'] ?? 'kafkajs')}] ${summarize(lines)}`)
    rmSync(dir, { recursive: true, force: true })
  }
}
