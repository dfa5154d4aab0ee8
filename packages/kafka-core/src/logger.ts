/** Structured logger used by the clients. Pass your own (pino, winston, …) through options. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  error(message: string, fields?: Record<string, unknown>): void
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

const SECRET_KEY = /pass(word)?|secret|token|credential|authorization|sasl|api[-_]?key/i
const REDACTED = '[redacted]'

/** Replaces the values of secret-looking keys, at any depth. Logs and errors never carry credentials. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1))
  if (value instanceof Error) return { name: value.name, message: value.message }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1)
  return out
}

/** JSON lines on stderr, one per event, at or above `level` (env `TOPIQ_LOG_LEVEL`, default `info`). */
export function jsonLogger(options: { level?: LogLevel; name?: string; write?: (line: string) => void } = {}): Logger {
  const envLevel = process.env['TOPIQ_LOG_LEVEL']
  const level: LogLevel =
    options.level ?? ((LOG_LEVELS as readonly string[]).includes(envLevel ?? '') ? (envLevel as LogLevel) : 'info')
  const threshold = LOG_LEVELS.indexOf(level)
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`))
  const log = (at: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(at) < threshold) return
    const entry = { time: new Date().toISOString(), level: at, ...(options.name ? { logger: options.name } : {}), message }
    write(JSON.stringify(fields === undefined ? entry : { ...entry, ...(redact(fields) as Record<string, unknown>) }))
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} }
