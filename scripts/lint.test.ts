import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { lint } from './lint.ts'

describe('project lint', () => {
  it('finds each rule violation with file and line', async () => {
    const root = await mkdtemp(join(tmpdir(), 'topiq-lint-'))
    try {
      await mkdir(join(root, 'packages/p/src'), { recursive: true })
      await writeFile(join(root, 'packages/p/src/index.ts'), "export * from './x.ts'\nconst a: any = 1\n// @ts-ignore\n")
      await writeFile(join(root, 'packages/p/src/x.test-d.ts'), "// @ts-expect-error\nimport { y } from '../../q/src/y.ts'\n")
      const findings = await lint(root)
      expect(findings.map((f) => `${f.file}:${f.line}`)).toEqual([
        'packages/p/src/index.ts:1',
        'packages/p/src/index.ts:2',
        'packages/p/src/index.ts:3',
        'packages/p/src/x.test-d.ts:1',
        'packages/p/src/x.test-d.ts:2',
      ])
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  })

  it('passes on this repository', async () => {
    expect(await lint(fileURLToPath(new URL('..', import.meta.url)))).toEqual([])
  })
})
