// `node packages/bench/src/profile-top.ts <file.cpuprofile> [count]`: the functions with the most self time in a
// V8 CPU profile (what `node --cpu-prof` writes; the benchmark's BENCH_CPU_PROF=dir makes one per worker).
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export function topSelfTime(profile: Profile, count = 25): { name: string; ms: number; share: number }[] {
  const frames = new Map<number, string>()
  for (const n of profile.nodes) {
    const { functionName, url, lineNumber } = n.callFrame
    const file = url.replace(/^.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^file:\/\/.*\/packages\//, '')
    frames.set(n.id, `${functionName || '(anonymous)'} ${file === '' ? '' : `${file}:${lineNumber + 1}`}`.trim())
  }
  const self = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    total += dt
    const name = frames.get(id) ?? '?'
    self.set(name, (self.get(name) ?? 0) + dt)
  })
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }))
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const file = process.argv[2]
  if (file === undefined) throw new Error('usage: profile-top.ts <file.cpuprofile> [count]')
  for (const row of topSelfTime(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(process.argv[3] ?? 25))) {
    console.log(`${(row.share * 100).toFixed(1).padStart(5)} %  ${row.ms.toFixed(0).padStart(6)} ms  ${row.name}`)
  }
}
