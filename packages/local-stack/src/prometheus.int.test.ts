// startPrometheus against a hand-written /metrics endpoint (no topiq client involved): proves the harness scrapes,
// sees a value change and stops cleanly, independent of the clients whose metrics it will later check.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ensurePrometheus, isPrometheusError, prometheusInstall, startPrometheus, type TestPrometheus } from './prometheus.ts'

const prometheus = await ensurePrometheus()
const install = await prometheusInstall()

let lag = 5
function metricsText(): string {
  return [
    '# HELP topiq_consumer_lag Records not yet committed by the group.',
    '# TYPE topiq_consumer_lag gauge',
    `topiq_consumer_lag{group="harness-group",topic="campaign.created.json",partition="0"} ${lag}`,
    `topiq_consumer_lag{group="harness-group",topic="campaign.created.json",partition="1"} 1`,
    '',
  ].join('\n')
}

async function serveMetrics(): Promise<{ server: Server; target: string }> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(metricsText())
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return { server, target: `127.0.0.1:${address.port}` }
}

const cleanups: Array<() => Promise<unknown>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

describe.skipIf(prometheus === undefined)(`startPrometheus (real Prometheus)${install.ok ? '' : ` — skipped: ${install.reason}`}`, () => {
  let prom: TestPrometheus

  it('scrapes a /metrics endpoint and sees a gauge change', async () => {
    const { server, target } = await serveMetrics()
    cleanups.push(() => new Promise((done) => server.close(done)))
    const dir = await mkdtemp(join(tmpdir(), 'topiq-prom-int-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    prom = await startPrometheus({ targets: [target], dir, scrapeIntervalMs: 200 })
    cleanups.push(() => prom.stop())
    expect(prom.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)

    await prom.waitFor('up{job="topiq"}', (s) => s[0]?.value === 1, 15_000)
    expect(await prom.targetsUp()).toBe(true)
    const first = await prom.waitFor('sum by (group, topic) (topiq_consumer_lag)', (s) => s[0]?.value === 6)
    expect(first).toEqual([{ metric: { group: 'harness-group', topic: 'campaign.created.json' }, value: 6 }])

    lag = 250
    const after = await prom.waitFor('topiq_consumer_lag{partition="0"}', (s) => s[0]?.value === 250)
    expect(after[0]?.metric).toMatchObject({ job: 'topiq', instance: target, partition: '0' })
    expect(await prom.query('scalar(sum(topiq_consumer_lag))')).toEqual([{ metric: {}, value: 251 }])
  })

  it('reports bad PromQL at once, with Prometheus’ own message', async () => {
    const started = Date.now()
    const error = await prom.waitFor('sum by (group (topiq_consumer_lag)', () => true, 10_000).catch((e: unknown) => e)
    expect(isPrometheusError(error) && error.code).toBe('QUERY_FAILED')
    expect((error as Error).message).toMatch(/bad_data/)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('says when a target is down, and stops', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'topiq-prom-int-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    // Port 9 (discard) on loopback: nothing listens there.
    const down = await startPrometheus({ targets: ['127.0.0.1:9'], dir, scrapeIntervalMs: 200 })
    try {
      await down.waitFor('up{job="topiq"}', (s) => s[0]?.value === 0, 15_000)
      expect(await down.targetsUp()).toBe(false)
    } finally {
      await down.stop()
    }
    await expect(fetch(`${down.url}/-/ready`)).rejects.toThrow()
  })
})
