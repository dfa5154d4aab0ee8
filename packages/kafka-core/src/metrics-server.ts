import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { KafkaClientError } from './errors.ts'
import { metricsText } from './metrics.ts'

export interface ServeMetricsOptions {
  /** 0 picks a free port (read it back from the result). */
  port: number
  /** Default 127.0.0.1: metrics stay off the network unless asked (`0.0.0.0` in a container). */
  host?: string
  /** Answers GET /healthz: 200 when it returns true, 503 otherwise (or when it throws). No /healthz without it. */
  healthz?: () => boolean
  /** Closes the server when aborted. */
  signal?: AbortSignal
}

export interface MetricsServer {
  /** `http://host:port`, without a trailing slash. */
  url: string
  port: number
  /** Stops listening and drops open connections; idempotent. */
  close(): Promise<void>
}

/** The exposition format this endpoint speaks (Prometheus text format 0.0.4). */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

/**
 * A small HTTP server for scrapers and probes: GET /metrics (every topiq metric of this process, `metricsText()`), GET
 * /healthz when `healthz` is given, 404 for anything else. Resolves once it listens.
 */
export async function serveMetrics(options: ServeMetricsOptions): Promise<MetricsServer> {
  const { port, host = '127.0.0.1', healthz, signal } = options
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new KafkaClientError('CONFIG_INVALID', `serveMetrics: port must be an integer from 0 to 65535 (0 picks a free port), got ${String(port)}`)
  }
  signal?.throwIfAborted()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?', 1)[0]
    if (req.method === 'GET' && path === '/metrics') {
      let body: string
      try {
        body = metricsText()
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
        res.end(`rendering metrics failed: ${(error as Error).message}\n`)
        return
      }
      res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' })
      res.end(body)
      return
    }
    if (req.method === 'GET' && path === '/healthz' && healthz !== undefined) {
      let ready = false
      try {
        ready = healthz()
      } catch {
        ready = false // a probe that cannot tell is not ready
      }
      json(res, ready ? 200 : 503, { status: ready ? 'ok' : 'not ready' })
      return
    }
    json(res, 404, { error: `not found: ${req.method ?? 'GET'} ${path ?? '/'} (GET /metrics${healthz === undefined ? '' : ', GET /healthz'})` })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      signal?.removeEventListener('abort', onAbort)
      server.close(() => resolve())
      server.closeAllConnections() // a scraper's keep-alive connection must not hold close() open
    })
    return closing
  }
  const onAbort = (): void => {
    void close()
  }
  signal?.addEventListener('abort', onAbort, { once: true })
  const urlHost = host.includes(':') ? `[${host}]` : host
  return { url: `http://${urlHost}:${bound}`, port: bound, close }
}
