// python/topiq_schemas.py lets Python services validate exactly as our ajv validators do. Its format regexes are
// copies of ajv-formats' full-mode ones: this test fails when ajv-formats changes one and the copy was not updated.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { fullFormats } from 'ajv-formats/dist/formats.js'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const python = readFileSync(fileURLToPath(new URL('../../../python/topiq_schemas.py', import.meta.url)), 'utf8')
const ajvFormatsSource = readFileSync(require.resolve('ajv-formats/dist/formats.js'), 'utf8')

/** The `"name": (r"…", flags)` entries of _REGEX_FORMATS (the uri entry spans lines). */
function pythonRegexes(): Map<string, { source: string; ignoreCase: boolean }> {
  const table = python.slice(python.indexOf('_REGEX_FORMATS = {'), python.indexOf('\n}\n', python.indexOf('_REGEX_FORMATS = {')))
  const entries = new Map<string, { source: string; ignoreCase: boolean }>()
  for (const m of table.matchAll(/"([a-z0-9-]+)": \(\s*r"((?:[^"\\]|\\.)*)",\s*(re\.I|0),?\s*\)/g)) {
    entries.set(m[1] ?? '', { source: m[2] ?? '', ignoreCase: m[3] === 're.I' })
  }
  return entries
}

function ajvRegex(name: string): RegExp {
  if (name === 'uri') {
    // fullFormats.uri is a function around the module's URI constant: read that constant from the source.
    const m = /const URI = \/(.*)\/(i?);\n/.exec(ajvFormatsSource)
    if (m === null) throw new Error('ajv-formats no longer defines `const URI = /…/i`: re-check python/topiq_schemas.py by hand')
    return new RegExp(m[1] ?? '', m[2])
  }
  const format = (fullFormats as Record<string, unknown>)[name]
  if (!(format instanceof RegExp)) throw new Error(`ajv-formats' ${name} is not a regex any more`)
  return format
}

describe('python/topiq_schemas.py parity with ajv-formats', () => {
  const copies = pythonRegexes()

  it('carries the regex formats the schemas may use', () => {
    expect([...copies.keys()].sort()).toEqual(['duration', 'email', 'hostname', 'ipv4', 'uri', 'uuid'])
  })

  it.each(['duration', 'email', 'hostname', 'ipv4', 'uri', 'uuid'])('%s is a verbatim copy of ajv-formats (source and case flag)', (name) => {
    const ajv = ajvRegex(name)
    expect(copies.get(name)).toEqual({ source: ajv.source, ignoreCase: ajv.flags.includes('i') })
  })

  it('implements every format the committed schemas use', () => {
    const dir = fileURLToPath(new URL('../../../schemas/', import.meta.url))
    const text = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.json'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n')
    const used = new Set([...text.matchAll(/"format": *"([a-z-]+)"/g)].map((m) => m[1]))
    expect(used.size).toBeGreaterThan(0)
    for (const name of used) expect(python).toMatch(new RegExp(`checker\\.checks\\("${name}"\\)|"${name}": \\(`))
  })
})
