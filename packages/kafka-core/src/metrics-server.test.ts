import { afterEach, describe, expect, it } from 'vitest'
import { isKafkaClientError } from './errors.ts'
import { metricsRegistry } from './metrics.ts'
import { PROMETHEUS_CONTENT_TYPE, serveMetrics, type MetricsServer } from './metrics-server.ts'
import { resetMetrics } from './testing.ts'

const servers: MetricsServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
  resetMetrics()
})

async function serve(options: Parameters<typeof serveMetrics>[0]): Promise<MetricsServer> {
  const server = await serveMetrics(options)
  servers.push(server)
  return server
}

describe('serveMetrics', () => {
  it('serves GET /metrics in the Prometheus text format on a free port of 127.0.0.1', async () => {
    metricsRegistry.counter('publishMessages', { topic: 'campaign.created.json', outcome: 'sent' }).add(4)
    const server = await serve({ port: 0 })
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    const res = await fetch(`${server.url}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE)
    expect(await res.text()).toContain('topiq_publish_messages_total{topic="campaign.created.json",outcome="sent"} 4\n')
  })

  it('answers /healthz from the callback (200 / 503, a throwing callback is not ready), 404 otherwise', async () => {
    let ready = false
    const server = await serve({ port: 0, healthz: () => ready })
    let res = await fetch(`${server.url}/healthz`)
    expect([res.status, await res.json()]).toEqual([503, { status: 'not ready' }])
    ready = true
    res = await fetch(`${server.url}/healthz`)
    expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }])
    expect((await fetch(`${server.url}/nope`)).status).toBe(404)
    expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(404)

    const throwing = await serve({
      port: 0,
      healthz: () => {
        throw new Error('boom')
      },
    })
    expect((await fetch(`${throwing.url}/healthz`)).status).toBe(503)
    const plain = await serve({ port: 0 })
    expect((await fetch(`${plain.url}/healthz`)).status).toBe(404)
  })

  it('closes on close() (idempotent) and when its signal aborts', async () => {
    const server = await serve({ port: 0 })
    await Promise.all([server.close(), server.close()])
    await expect(fetch(`${server.url}/metrics`)).rejects.toThrow()

    const controller = new AbortController()
    const aborted = await serve({ port: 0, signal: controller.signal })
    expect((await fetch(`${aborted.url}/metrics`)).status).toBe(200)
    controller.abort()
    await aborted.close() // resolves once the abort-triggered close is done
    await expect(fetch(`${aborted.url}/metrics`)).rejects.toThrow()
  })

  it('refuses a bad port and an already aborted signal', async () => {
    await expect(serveMetrics({ port: 70_000 })).rejects.toSatisfy((e: unknown) => isKafkaClientError(e, 'CONFIG_INVALID'))
    await expect(serveMetrics({ port: 1.5 })).rejects.toSatisfy((e: unknown) => isKafkaClientError(e, 'CONFIG_INVALID'))
    await expect(serveMetrics({ port: 0, signal: AbortSignal.abort() })).rejects.toThrow()
  })
})
