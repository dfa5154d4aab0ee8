// Project lint: the STYLE.md rules a type checker does not enforce. Exit 1 with file:line for each finding.
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface Finding {
  file: string
  line: number
  rule: string
}

const RULES: { rule: string; applies: (file: string) => boolean; pattern: RegExp }[] = [
  { rule: 'no `any` in src (STYLE 8)', applies: (f) => !/\.test(-d)?\.ts$/.test(f), pattern: /(:\s*any\b|\bas any\b|<any>)/ },
  { rule: 'no @ts-ignore (STYLE 8)', applies: () => true, pattern: /@ts-ignore/ },
  { rule: 'no `export *` in an index (STYLE 1)', applies: (f) => f.endsWith('/index.ts'), pattern: /^export \* from/ },
  {
    rule: "no imports into another package's src (STYLE 9)",
    applies: () => true,
    pattern: /from '(\.\.\/)+(packages\/)?[\w-]+\/src\/|from '@topiq\/[\w-]+\/src/,
  },
  { rule: '@ts-expect-error needs its reason (STYLE 3)', applies: () => true, pattern: /@ts-expect-error\s*$/ },
]

async function* sourceFiles(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist' && entry.name !== 'generated') yield* sourceFiles(path)
    } else if (entry.name.endsWith('.ts')) yield path
  }
}

export async function lint(root: string): Promise<Finding[]> {
  const findings: Finding[] = []
  for (const group of ['packages', 'apps']) {
    for (const pkg of await readdir(join(root, group)).catch(() => [] as string[])) {
      for await (const file of sourceFiles(join(root, group, pkg, 'src'))) {
        const rel = relative(root, file)
        const lines = (await readFile(file, 'utf8')).split('\n')
        lines.forEach((text, i) => {
          for (const r of RULES) if (r.applies(rel) && r.pattern.test(text)) findings.push({ file: rel, line: i + 1, rule: r.rule })
        })
      }
    }
  }
  return findings
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url))
  const findings = await lint(root)
  for (const f of findings) console.error(`${f.file}:${f.line}  ${f.rule}`)
  console.log(findings.length === 0 ? 'lint: clean' : `lint: ${findings.length} finding(s)`)
  process.exit(findings.length === 0 ? 0 : 1)
}
