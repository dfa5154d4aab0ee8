import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export async function git(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout } = await run('git', [...args], { cwd, maxBuffer: 32 * 1024 * 1024 })
  return stdout
}

export async function tryGit(cwd: string, args: readonly string[]): Promise<string | undefined> {
  try {
    return await git(cwd, args)
  } catch {
    return undefined
  }
}

/** Default baseline: the merge base with main (or origin/main), else HEAD. */
export async function defaultBaseRef(cwd: string): Promise<string> {
  for (const main of ['main', 'origin/main', 'master', 'origin/master']) {
    const base = await tryGit(cwd, ['merge-base', 'HEAD', main])
    if (base !== undefined && base.trim() !== '') return base.trim()
  }
  const head = await tryGit(cwd, ['rev-parse', 'HEAD'])
  if (head === undefined) throw new Error(`${cwd} is not a git repository with commits: pass --against <ref>`)
  return head.trim()
}
