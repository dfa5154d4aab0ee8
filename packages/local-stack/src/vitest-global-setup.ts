// globalSetup of the root vitest config's `integration` project: makes sure the real local stack runs.
// It starts the stack when nothing answers and LEAVES IT RUNNING afterwards (the next run starts instantly); set
// TOPIQ_STACK_TEARDOWN=1 to stop it again after the run — only if this run started it.
import { ensureStack, stackDown } from './stack.ts'

export default async function setup(): Promise<() => Promise<void>> {
  const up = await ensureStack()
  return async () => {
    if (process.env['TOPIQ_STACK_TEARDOWN'] === '1' && up.startedByUs) await stackDown()
  }
}
