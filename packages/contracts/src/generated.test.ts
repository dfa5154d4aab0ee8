import { fileURLToPath } from 'node:url'
import { generate, diffGenerated } from '@topiq/codegen'
import { describe, expect, it } from 'vitest'

const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url))
const generatedDir = fileURLToPath(new URL('./generated', import.meta.url))

describe('committed contracts', () => {
  it('match what schemas/ generates (run `pnpm codegen` and commit when this fails)', async () => {
    const files = await generate(schemasDir)
    expect(files.length).toBeGreaterThan(3)
    expect(await diffGenerated(generatedDir, files)).toEqual([])
  })
})
