import { describe, expect, it } from 'vitest'
import { parseJavaVersion } from './java.ts'

describe('parseJavaVersion', () => {
  it('reads the major version of modern and legacy version strings', () => {
    expect(parseJavaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toEqual({ major: 17, version: '17.0.15' })
    expect(parseJavaVersion('openjdk version "25.0.3" 2026-04-21 LTS')).toEqual({ major: 25, version: '25.0.3' })
    expect(parseJavaVersion('openjdk version "21" 2023-09-19')).toEqual({ major: 21, version: '21' })
    expect(parseJavaVersion('java version "1.8.0_392"')).toEqual({ major: 8, version: '1.8.0_392' })
    expect(parseJavaVersion('openjdk version "22-ea" 2024-03-19')).toEqual({ major: 22, version: '22-ea' })
  })

  it('returns undefined for output that is not a java version', () => {
    expect(parseJavaVersion('bash: java: command not found')).toBeUndefined()
  })
})
