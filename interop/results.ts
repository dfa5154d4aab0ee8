// One line per interop case, appended to the run's results file (harness.ts); the global teardown sums them into
// the summary. No vitest import here: the global setup (main process) uses this too.

export interface CaseResult {
  case: string
  /** Records that a consumer should see (aborted transactional records excluded). */
  sent: number
  /** Distinct records the consumer handled. */
  handled: number
  deadLettered: number
  /** Handler calls beyond the first for the same record. */
  duplicated: number
  /** Sent records neither handled nor dead-lettered. */
  lost: number
  /** Partitions whose committed offset did not reach the log end. */
  stalledPartitions: number
  crashedConsumers: number
  /** What went wrong, for the report (consumer error, stalled partitions, peer errors). */
  notes?: string[]
}

export function summarize(results: readonly CaseResult[]): string {
  const sum = (pick: (r: CaseResult) => number) => results.reduce((n, r) => n + pick(r), 0)
  return (
    `interop: ${results.length} cases, sent ${sum((r) => r.sent)}, handled ${sum((r) => r.handled)}, ` +
    `dead-lettered ${sum((r) => r.deadLettered)}, duplicated ${sum((r) => r.duplicated)}, ` +
    `stalled partitions ${sum((r) => r.stalledPartitions)}, crashed consumers ${sum((r) => r.crashedConsumers)}`
  )
}

export interface Tally {
  sent: number
  handled: number
  deadLettered: number
  duplicated: number
  lost: string[]
  /** Records handled or dead-lettered that should never have been (aborted, or not sent in this case). */
  unexpected: string[]
}

/** Counts per case: `expected` are the records a consumer should see ("p:o"); `seen` every delivery, repeats kept. */
export function tally(expected: ReadonlySet<string>, handled: readonly string[], deadLettered: readonly string[]): Tally {
  const handledSet = new Set(handled)
  const deadSet = new Set(deadLettered)
  const lost = [...expected].filter((r) => !handledSet.has(r) && !deadSet.has(r))
  const unexpected = [...new Set([...handled, ...deadLettered])].filter((r) => !expected.has(r))
  return {
    sent: expected.size,
    handled: [...handledSet].filter((r) => expected.has(r)).length,
    deadLettered: [...deadSet].filter((r) => expected.has(r)).length,
    duplicated: handled.length - handledSet.size + (deadLettered.length - deadSet.size),
    lost,
    unexpected,
  }
}
