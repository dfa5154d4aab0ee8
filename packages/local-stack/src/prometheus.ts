// Real Prometheus for tests: scrapes the /metrics endpoints a test serves, evaluates alert rules, answers PromQL over
// its HTTP API. The binary comes from scripts/prometheus.sh (Debian's `prometheus` package, installed once), and each
// test gets its own server on a free 127.0.0.1 port with its own TSDB, so tests never share state or touch :9090.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tail } from './proc.ts'

export const PROMETHEUS_ERROR_CODES = ['NOT_INSTALLED', 'INVALID_OPTIONS', 'START_FAILED', 'QUERY_FAILED', 'TIMEOUT'] as const
export type PrometheusErrorCode = (typeof PROMETHEUS_ERROR_CODES)[number]

export class PrometheusError extends Error {
  override readonly name = 'PrometheusError'
  readonly code: PrometheusErrorCode
  constructor(code: PrometheusErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

export function isPrometheusError(e: unknown): e is PrometheusError {
  return e instanceof PrometheusError
}

/** The install script; from src/ and dist/ alike the repo root is three levels up. */
export const PROMETHEUS_SCRIPT = fileURLToPath(new URL('../../../scripts/prometheus.sh', import.meta.url))

export type PrometheusInstall =
  | { readonly ok: true; readonly prometheus: string; readonly promtool: string }
  | { readonly ok: false; readonly reason: string }

let install: Promise<PrometheusInstall> | undefined

/**
 * Runs scripts/prometheus.sh once per process (later calls share the result): the server and promtool paths, or why
 * they cannot be had here. Never throws; its progress (a first install takes a few seconds) goes to stderr.
 */
export function prometheusInstall(): Promise<PrometheusInstall> {
  install ??= new Promise((done) => {
    const child = spawn('bash', [PROMETHEUS_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
      process.stderr.write(d)
    })
    child.on('error', (e) => done({ ok: false, reason: `could not run ${PROMETHEUS_SCRIPT}: ${e.message}` }))
    child.on('close', (code) => {
      const prometheus = out.trim().split('\n').at(-1) ?? ''
      if (code === 0 && prometheus !== '') done({ ok: true, prometheus, promtool: join(dirname(prometheus), 'promtool') })
      else done({ ok: false, reason: `scripts/prometheus.sh exited with ${String(code)}: ${err.trim().split('\n').slice(-3).join(' / ') || 'no output'}` })
    })
  })
  return install
}

/**
 * The Prometheus binary, installing it on first use; undefined (see prometheusInstall() for the reason) where it
 * cannot be installed, so a test can skip. On CI (CI=true) it throws instead: a test that was meant to run must not
 * pass by being skipped.
 */
export async function ensurePrometheus(): Promise<string | undefined> {
  return prometheusOrSkip(await prometheusInstall())
}

/** ensurePrometheus' decision: the binary, undefined (skip), or on CI an error. */
export function prometheusOrSkip(result: PrometheusInstall, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (result.ok) return result.prometheus
  if (env['CI'] === 'true') {
    throw new PrometheusError('NOT_INSTALLED', `Prometheus is needed and could not be installed (CI=true: failing instead of skipping): ${result.reason}`)
  }
  return undefined
}

export interface PrometheusOptions {
  /** host:port of the /metrics endpoints to scrape (job `topiq`). */
  readonly targets: readonly string[]
  /** Scrape and rule evaluation interval. Default 500 ms: tests see a change within a second. */
  readonly scrapeIntervalMs?: number
  /** Holds prometheus.yml, prometheus.log and the TSDB (data/, removed by stop()); created if missing. */
  readonly dir: string
  /** 0 or absent: a free port. */
  readonly port?: number
  /** Alerting/recording rule files to load (resolved against the current directory). */
  readonly ruleFiles?: readonly string[]
  /** The server binary; default: the one scripts/prometheus.sh provides (ensurePrometheus). */
  readonly binary?: string
  /** How long to wait for /-/ready. Default 30 s. */
  readonly readyTimeoutMs?: number
}

export interface PromSample {
  readonly metric: Record<string, string>
  readonly value: number
}

export interface PromAlert {
  readonly labels: Record<string, string>
  readonly annotations: Record<string, string>
  readonly state: 'inactive' | 'pending' | 'firing'
  readonly value: number
}

export interface TestPrometheus {
  /** http://127.0.0.1:<port> */
  readonly url: string
  readonly configFile: string
  readonly logFile: string
  /** An instant query, evaluated now; a scalar result comes back as one sample without labels. */
  query(promql: string): Promise<PromSample[]>
  /** Polls query(promql) until predicate holds and returns that result; times out with the last result. */
  waitFor(promql: string, predicate: (samples: PromSample[]) => boolean, timeoutMs?: number): Promise<PromSample[]>
  /** Every configured target has been scraped and is up. */
  targetsUp(): Promise<boolean>
  /** The alerts of the loaded rules that are pending or firing. */
  alerts(): Promise<PromAlert[]>
  /** SIGTERM (SIGKILL after 10 s), then removes the TSDB. */
  stop(): Promise<void>
}

export interface PrometheusConfigOptions {
  readonly targets: readonly string[]
  readonly scrapeIntervalMs: number
  readonly ruleFiles: readonly string[]
}

const DEFAULT_SCRAPE_INTERVAL_MS = 500
const DEFAULT_READY_TIMEOUT_MS = 30_000
const DEFAULT_WAIT_FOR_MS = 20_000
/** Ports other tests of this repo claim for their own servers (fault-test brokers, clusters): never pick one. */
const RESERVED_PORTS = { from: 39192, to: 39600 } as const
const TARGET = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/

/** Checks the options once and fills in the defaults. */
export function prometheusConfigOptions(options: Pick<PrometheusOptions, 'targets' | 'scrapeIntervalMs' | 'ruleFiles'>): PrometheusConfigOptions {
  const scrapeIntervalMs = options.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS
  if (!Number.isInteger(scrapeIntervalMs) || scrapeIntervalMs < 1) {
    throw new PrometheusError('INVALID_OPTIONS', `scrapeIntervalMs must be a positive whole number of milliseconds, got ${String(scrapeIntervalMs)}`)
  }
  if (options.targets.length === 0) throw new PrometheusError('INVALID_OPTIONS', 'targets is empty: give the host:port of at least one /metrics endpoint')
  for (const t of options.targets) {
    if (!TARGET.test(t)) throw new PrometheusError('INVALID_OPTIONS', `target "${t}" is not host:port (no scheme, no path: Prometheus scrapes http://<target>/metrics)`)
  }
  return { targets: [...options.targets], scrapeIntervalMs, ruleFiles: (options.ruleFiles ?? []).map((f) => resolve(f)) }
}

/** prometheus.yml for one `topiq` job over static targets; rules are evaluated as often as targets are scraped. */
export function renderPrometheusConfig(options: PrometheusConfigOptions): string {
  const interval = `${options.scrapeIntervalMs}ms`
  const q = (s: string): string => JSON.stringify(s) // a JSON string is a YAML flow scalar
  const lines = [
    '# Generated by @topiq/local-stack startPrometheus.',
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    `  evaluation_interval: ${interval}`,
  ]
  if (options.ruleFiles.length > 0) lines.push('rule_files:', ...options.ruleFiles.map((f) => `  - ${q(f)}`))
  lines.push('scrape_configs:', '  - job_name: topiq', '    metrics_path: /metrics', '    static_configs:', `      - targets: [${options.targets.map(q).join(', ')}]`)
  return `${lines.join('\n')}\n`
}

/** A port nobody listens on right now, outside RESERVED_PORTS. */
async function freePort(host: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((done, fail) => {
      const srv = createServer()
      srv.once('error', fail)
      srv.listen({ host, port: 0, exclusive: true }, () => {
        const address = srv.address()
        srv.close(() => done(typeof address === 'object' && address !== null ? address.port : 0))
      })
    })
    if (port !== 0 && (port < RESERVED_PORTS.from || port > RESERVED_PORTS.to)) return port
  }
  throw new PrometheusError('START_FAILED', `no free port on ${host} outside ${RESERVED_PORTS.from}-${RESERVED_PORTS.to}`)
}

/** Prometheus encodes sample values as strings, the special ones as +Inf / -Inf / NaN. */
export function parseSampleValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY
  return Number(raw)
}

interface ApiEnvelope {
  status: 'success' | 'error'
  data?: unknown
  errorType?: string
  error?: string
}

type InstantValue = [number, string]

/** The samples of an /api/v1/query answer's data (vector or scalar). */
export function samplesOf(data: unknown, promql: string): PromSample[] {
  const d = data as { resultType?: string; result?: unknown }
  if (d.resultType === 'vector') {
    return (d.result as Array<{ metric: Record<string, string>; value: InstantValue }>).map((r) => ({ metric: r.metric, value: parseSampleValue(r.value[1]) }))
  }
  if (d.resultType === 'scalar') return [{ metric: {}, value: parseSampleValue((d.result as InstantValue)[1]) }]
  throw new PrometheusError('QUERY_FAILED', `${promql} gives a ${String(d.resultType)}, not an instant vector or scalar (a range selector like [1m] needs a function such as rate())`)
}

// Prometheus does not notice that its parent died. This shell holds the read end of a pipe from the test process: when
// that process exits, even by SIGKILL, the pipe closes and the shell stops the server — if the pid still is that
// server (its command line carries the TSDB path), so a recycled pid is never signalled.
const WATCHDOG = `while read -r _; do :; done
if tr '\\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"; then kill -TERM "$1"; fi`

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Starts a Prometheus server scraping `targets`, waits until it is ready and returns its handle. */
export async function startPrometheus(options: PrometheusOptions): Promise<TestPrometheus> {
  const config = prometheusConfigOptions(options)
  const binary = options.binary ?? (await ensurePrometheus())
  if (binary === undefined) {
    const result = await prometheusInstall()
    throw new PrometheusError('NOT_INSTALLED', `Prometheus is not available: ${result.ok ? 'unknown reason' : result.reason}`)
  }
  const dir = resolve(options.dir)
  const dataDir = join(dir, 'data')
  const configFile = join(dir, 'prometheus.yml')
  const logFile = join(dir, 'prometheus.log')
  await mkdir(dir, { recursive: true })
  await rm(dataDir, { recursive: true, force: true })
  await writeFile(configFile, renderPrometheusConfig(config))
  const host = '127.0.0.1'
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS
  const fixedPort = options.port !== undefined && options.port !== 0 ? options.port : undefined

  // A picked port can be taken between the probe and Prometheus' bind: pick another and try again.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await freePort(host))
    const server = await launch({ binary, configFile, dataDir, logFile, host, port, readyTimeoutMs }).catch(async (e: unknown) => {
      const log = await tail(logFile, 30)
      if (fixedPort === undefined && attempt < 3 && /address already in use/.test(log)) return undefined
      throw e instanceof PrometheusError ? new PrometheusError(e.code, `${e.message}\nlast lines of ${logFile}:\n${log}`) : e
    })
    if (server !== undefined) return handle({ ...server, url: `http://${host}:${port}`, configFile, logFile, dataDir, targets: config.targets })
  }
}

interface LaunchSpec {
  binary: string
  configFile: string
  dataDir: string
  logFile: string
  host: string
  port: number
  readyTimeoutMs: number
}

interface Launched {
  child: ChildProcess
  watchdog: ChildProcess
  exited: () => boolean
  exit: Promise<void>
}

async function launch(spec: LaunchSpec): Promise<Launched> {
  const url = `http://${spec.host}:${spec.port}`
  const tsdbFlag = `--storage.tsdb.path=${spec.dataDir}`
  const fd = openSync(spec.logFile, 'w')
  let child: ChildProcess
  try {
    child = spawn(spec.binary, [`--config.file=${spec.configFile}`, tsdbFlag, `--web.listen-address=${spec.host}:${spec.port}`, '--log.level=warn'], {
      cwd: dirname(spec.configFile),
      stdio: ['ignore', fd, fd],
    })
  } finally {
    closeSync(fd)
  }
  let exited = false
  let spawnError: Error | undefined
  const exit = new Promise<void>((done) => {
    child.once('error', (e) => {
      spawnError = e
      exited = true
      done()
    })
    child.once('exit', () => {
      exited = true
      done()
    })
  })
  const watchdog = spawn('sh', ['-c', WATCHDOG, 'topiq-prometheus-watchdog', String(child.pid ?? 0), tsdbFlag], { stdio: ['pipe', 'ignore', 'ignore'] })
  watchdog.on('error', () => undefined) // without sh the server just lacks its safety net
  const launched: Launched = { child, watchdog, exited: () => exited, exit }

  const deadline = Date.now() + spec.readyTimeoutMs
  for (;;) {
    if (exited) {
      watchdog.stdin?.end()
      throw new PrometheusError('START_FAILED', `prometheus ${spawnError ? `could not be started (${spawnError.message})` : `exited with ${String(child.exitCode ?? child.signalCode)}`} before it was ready on ${url}`)
    }
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return launched
    if (Date.now() > deadline) {
      await terminate(launched)
      throw new PrometheusError('TIMEOUT', `prometheus on ${url} was not ready within ${spec.readyTimeoutMs} ms`)
    }
    await sleep(100)
  }
}

async function terminate(p: Launched): Promise<void> {
  if (!p.exited()) {
    p.child.kill('SIGTERM')
    const gone = await Promise.race([p.exit.then(() => true), sleep(10_000).then(() => false)])
    if (!gone) {
      p.child.kill('SIGKILL')
      await p.exit
    }
  }
  p.watchdog.stdin?.end()
}

function handle(p: Launched & { url: string; configFile: string; logFile: string; dataDir: string; targets: readonly string[] }): TestPrometheus {
  const api = async (path: string): Promise<unknown> => {
    let res: Response
    try {
      res = await fetch(`${p.url}${path}`, { signal: AbortSignal.timeout(10_000) })
    } catch (e) {
      const why = p.exited() ? `prometheus has exited (log: ${p.logFile})` : (e as Error).message
      throw new PrometheusError('QUERY_FAILED', `GET ${p.url}${path}: ${why}`, { cause: e })
    }
    const body = (await res.json().catch(() => ({ status: 'error', error: `HTTP ${res.status}, not JSON` }))) as ApiEnvelope
    if (body.status !== 'success') throw new PrometheusError('QUERY_FAILED', `GET ${p.url}${path}: ${body.errorType ?? 'error'}: ${body.error ?? `HTTP ${res.status}`}`)
    return body.data
  }

  const query = async (promql: string): Promise<PromSample[]> => samplesOf(await api(`/api/v1/query?query=${encodeURIComponent(promql)}`), promql)

  return {
    url: p.url,
    configFile: p.configFile,
    logFile: p.logFile,
    query,
    async waitFor(promql, predicate, timeoutMs = DEFAULT_WAIT_FOR_MS) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        // A query Prometheus refuses (bad PromQL) throws at once rather than after the timeout.
        const samples = await query(promql)
        if (predicate(samples)) return samples
        if (Date.now() > deadline) {
          throw new PrometheusError('TIMEOUT', `${promql}: condition not met within ${timeoutMs} ms; last result: ${JSON.stringify(samples)}`)
        }
        await sleep(200)
      }
    },
    async targetsUp() {
      const data = (await api('/api/v1/targets?state=active')) as { activeTargets: Array<{ labels: Record<string, string>; health: string }> }
      return p.targets.every((t) => data.activeTargets.some((a) => a.labels['instance'] === t && a.health === 'up'))
    },
    async alerts() {
      const data = (await api('/api/v1/alerts')) as { alerts: Array<Omit<PromAlert, 'value'> & { value: string }> }
      return data.alerts.map((a) => ({ labels: a.labels, annotations: a.annotations, state: a.state, value: parseSampleValue(a.value) }))
    },
    async stop() {
      await terminate(p)
      await rm(p.dataDir, { recursive: true, force: true })
    },
  }
}
