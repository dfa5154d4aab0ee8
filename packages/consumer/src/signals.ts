// One process-wide SIGTERM/SIGINT handler for every consumer started with `handleSignals`: they all stop together
// (stop fetching, finish the message in hand, commit, leave the group), then the process exits once. A handler per
// consumer would let the first one to finish exit the process while the others are still committing.
import type { Logger } from '@topiq/kafka-core'

export interface Stoppable {
  stop(): Promise<void>
  readonly shutdownTimeoutMs: number
  readonly logger: Logger
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const
const members = new Set<Stoppable>()
let installed = false
let shuttingDown = false

/** Exit codes: 0 when every consumer stopped cleanly, 1 when one failed or the shutdown timed out. */
export const EXIT_CLEAN = 0
export const EXIT_FORCED = 1

function onSignal(signal: NodeJS.Signals): void {
  const stopping = [...members]
  const logger = stopping[0]?.logger
  if (shuttingDown) {
    logger?.error('second signal during shutdown: exiting now; handled but uncommitted messages will be redelivered', { signal })
    process.exit(EXIT_FORCED)
  }
  shuttingDown = true
  const timeoutMs = Math.max(0, ...stopping.map((m) => m.shutdownTimeoutMs))
  logger?.info('signal received: stopping consumers (finish in-flight messages, commit, leave group)', { signal, consumers: stopping.length })
  // stop() enforces shutdownTimeoutMs itself; this is the backstop should a stop() never settle.
  const backstop = setTimeout(() => {
    logger?.error('shutdown exceeded shutdownTimeoutMs: forcing exit', { signal, shutdownTimeoutMs: timeoutMs })
    process.exit(EXIT_FORCED)
  }, timeoutMs + 1_000)
  void Promise.allSettled(stopping.map((m) => m.stop())).then((results) => {
    clearTimeout(backstop)
    const failed = results.filter((r) => r.status === 'rejected')
    for (const r of failed) logger?.error('consumer did not stop cleanly', { error: r.reason })
    if (failed.length === 0) logger?.info('consumers stopped cleanly: offsets committed, group left', { signal })
    process.exit(failed.length === 0 ? EXIT_CLEAN : EXIT_FORCED)
  })
}

export function registerShutdown(member: Stoppable): void {
  members.add(member)
  if (!installed) {
    for (const signal of SIGNALS) process.on(signal, onSignal)
    installed = true
  }
}

export function unregisterShutdown(member: Stoppable): void {
  members.delete(member)
  // During a signal-driven shutdown the handler stays, so a second signal forces the exit instead of killing us.
  if (installed && members.size === 0 && !shuttingDown) {
    for (const signal of SIGNALS) process.off(signal, onSignal)
    installed = false
  }
}
