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

export interface BaseRef {
  /** The commit compared with. */
  sha: string
  /** Which ref it came from and how, for the report (`merge base with origin/main`). */
  description: string
  /** Set when the base cannot see committed changes (a local branch that holds HEAD, or HEAD itself). */
  warning?: string
}

async function sha(cwd: string, ref: string): Promise<string | undefined> {
  return (await tryGit(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]))?.trim() || undefined
}

/**
 * Default baseline: the merge base with the main branch as the remote has it (`origin/HEAD`, `origin/main`,
 * `origin/master`, then the same on other remotes), else with the current branch's upstream, else with a local
 * `main`/`master`. A local branch is what a developer commits a change to, so it is only used when nothing remote
 * exists, and when it already contains HEAD the report says so instead of passing silently.
 */
export async function defaultBase(cwd: string): Promise<BaseRef> {
  const head = await sha(cwd, 'HEAD')
  if (head === undefined) throw new Error(`${cwd} is not a git repository with commits: pass --against <ref>`)
  const remotes = ((await tryGit(cwd, ['remote'])) ?? '').split('\n').filter(Boolean)
  remotes.sort((a, b) => (a === 'origin' ? -1 : b === 'origin' ? 1 : a.localeCompare(b)))
  const remoteRefs = remotes.flatMap((r) => [`refs/remotes/${r}/HEAD`, `refs/remotes/${r}/main`, `refs/remotes/${r}/master`])
  const upstream = (await tryGit(cwd, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']))?.trim()
  const candidates = [...remoteRefs, ...(upstream ? [upstream] : [])]
  for (const ref of candidates) {
    if ((await sha(cwd, ref)) === undefined) continue
    const base = (await tryGit(cwd, ['merge-base', 'HEAD', ref]))?.trim()
    if (!base) continue
    const name = ref.replace(/^refs\/remotes\//, '')
    return { sha: base, description: `merge base of HEAD with ${name}${ref === upstream ? ' (upstream of the current branch)' : ''}` }
  }
  for (const local of ['main', 'master']) {
    if ((await sha(cwd, `refs/heads/${local}`)) === undefined) continue
    const base = (await tryGit(cwd, ['merge-base', 'HEAD', `refs/heads/${local}`]))?.trim()
    if (!base) continue
    if (base === head) {
      return {
        sha: base,
        description: `merge base of HEAD with local ${local} (no remote-tracking main)`,
        warning:
          `local ${local} already contains HEAD, so only uncommitted changes are checked: commits on ${local} are not. ` +
          'Pass --against <ref> (the last released commit, e.g. a tag, or HEAD~1), or fetch a remote so origin/main exists.',
      }
    }
    return { sha: base, description: `merge base of HEAD with local ${local} (no remote-tracking main)` }
  }
  return {
    sha: head,
    description: 'HEAD (no main branch found)',
    warning: 'no main branch, local or remote: only uncommitted changes are checked. Pass --against <ref>.',
  }
}
