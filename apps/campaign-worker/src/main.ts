// campaign-worker: handles campaign.created.json and campaign.updated.json until SIGTERM/SIGINT, then commits what it
// handled, leaves the group and exits (the consumer's signal handling).
import { jsonLogger } from '@topiq/kafka-core'
import { createWorker, serveWorkerMetrics } from './worker.ts'

const logger = jsonLogger({ name: 'campaign-worker' })
const worker = createWorker({ logger })
const metrics = await serveWorkerMetrics(worker, { port: Number(process.env['METRICS_PORT'] ?? 9464), host: process.env['METRICS_HOST'] ?? '127.0.0.1' })
logger.info('starting', { group: 'campaign-worker', metrics: `${metrics.url}/metrics`, healthz: `${metrics.url}/healthz` })
try {
  await worker.start({ blocking: true })
} finally {
  await metrics.close()
}
logger.info('stopped')
