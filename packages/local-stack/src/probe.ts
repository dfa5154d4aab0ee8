// "Does it really answer?" checks: a kafkajs admin round trip and the registry's ccompat API.
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import type { StackConfig } from './config.ts'

export interface ProbeResult {
  readonly ok: boolean
  readonly detail: string
  /** Kafka: how many brokers the cluster reports (a forming cluster reports fewer than it has). */
  readonly brokers?: number
}

// kafkajs' request queue arms timers with negative delays (its known TimeoutNegativeWarning); the warning says nothing
// to someone running `pnpm stack up`, so the probe drops that one warning type (kafka-core's createKafka does the same).
let muted = false
function muteTimeoutNegativeWarning(): void {
  if (muted) return
  muted = true
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0]
    const type = typeof options === 'string' ? options : (options as { type?: string } | undefined)?.type
    if (type === 'TimeoutNegativeWarning' || (warning instanceof Error && warning.name === 'TimeoutNegativeWarning')) return
    emitWarning(warning, ...rest)
  }) as typeof process.emitWarning
}

function message(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e)
}

async function adminRoundTrip(brokers: readonly string[], sasl: SASLOptions | undefined, timeoutMs: number): Promise<ProbeResult> {
  muteTimeoutNegativeWarning()
  const kafka = new Kafka({
    clientId: 'topiq-stack-probe',
    brokers: [...brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    ...(sasl !== undefined ? { sasl } : {}),
  })
  const admin = kafka.admin({ retry: { retries: 0 } })
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    const meta = await admin.fetchTopicMetadata()
    return { ok: true, brokers: cluster.brokers.length, detail: `cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ${meta.topics.length} topic(s)` }
  } catch (e) {
    return { ok: false, detail: message(e) }
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** kafkajs admin describeCluster + fetchTopicMetadata over PLAINTEXT. */
export function probeKafka(cfg: StackConfig, timeoutMs = 5000): Promise<ProbeResult> {
  return adminRoundTrip(cfg.brokers, undefined, timeoutMs)
}

/** The same over SASL_PLAINTEXT with the SCRAM-SHA-256 test user. */
export function probeKafkaSasl(cfg: StackConfig, timeoutMs = 5000): Promise<ProbeResult> {
  return adminRoundTrip(cfg.saslBrokers, { mechanism: 'scram-sha-256', username: cfg.scram.username, password: cfg.scram.password }, timeoutMs)
}

/** `GET {registryUrl}/subjects` must answer 200. */
export async function probeRegistry(cfg: StackConfig, timeoutMs = 5000): Promise<ProbeResult> {
  try {
    const res = await fetch(`${cfg.registryUrl}/subjects`, { signal: AbortSignal.timeout(timeoutMs) })
    const body = await res.text()
    if (res.status !== 200) return { ok: false, detail: `GET /subjects answered ${res.status}: ${body.slice(0, 200)}` }
    return { ok: true, detail: `GET /subjects → 200 ${body.slice(0, 80)}` }
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : ''
    return { ok: false, detail: `${message(e)}${cause}` }
  }
}
