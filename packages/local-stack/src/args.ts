// Argument parsing of the topiq-stack CLI (pure, so it is unit-tested; cli.ts runs on import).
import { isStackSize, STACK_SIZES, type StackSize } from './config.ts'
import { COMPONENTS, type ComponentName } from './stack.ts'

export class UsageError extends Error {
  override readonly name = 'UsageError'
}

export interface UpArgs {
  /** Unset: whatever runs already, else one broker. */
  readonly brokers: StackSize | undefined
}

/** `up [--brokers 1|3]` (also `--brokers=3`). */
export function parseUpArgs(args: readonly string[]): UpArgs {
  let brokers: StackSize | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? ''
    const eq = /^--brokers=(.*)$/.exec(a)
    if (eq === null && a !== '--brokers') throw new UsageError(`up: unknown argument ${a} (expected --brokers ${STACK_SIZES.join('|')})`)
    const raw = eq !== null ? eq[1] : args[++i]
    const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined
    if (!isStackSize(n)) {
      throw new UsageError(`--brokers must be ${STACK_SIZES.join(' or ')}, not ${raw === undefined ? 'missing' : JSON.stringify(raw)} (3: a KRaft cluster with RF 3, min.insync.replicas 2)`)
    }
    brokers = n
  }
  return { brokers }
}

export interface LogsArgs {
  /** Unset: both. */
  readonly which: ComponentName | undefined
  readonly lines: number
}

/** `logs [kafka|registry] [-n LINES]`. */
export function parseLogsArgs(args: readonly string[]): LogsArgs {
  let which: ComponentName | undefined
  let lines = 50
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '-n' || a === '--lines') {
      lines = Number(args[++i])
      if (!Number.isInteger(lines) || lines <= 0) throw new UsageError(`${a} needs a positive number`)
    } else if (a !== undefined && (COMPONENTS as readonly string[]).includes(a)) {
      which = a as ComponentName
    } else {
      throw new UsageError(`logs: unknown argument ${String(a)} (expected kafka, registry or -n LINES)`)
    }
  }
  return { which, lines }
}
