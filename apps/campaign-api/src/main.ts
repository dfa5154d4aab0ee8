// campaign-api: POST /campaigns → campaign.created.json, PATCH /campaigns/:id → campaign.updated.json.
import { jsonLogger } from '@topiq/kafka-core'
import { closeProducer } from '@topiq/producer'
import { createCampaignApi } from './app.ts'

const logger = jsonLogger({ name: 'campaign-api' })
const host = process.env['HOST'] ?? '127.0.0.1'
const port = Number(process.env['PORT'] ?? 3000)
const server = createCampaignApi({ logger })

server.listen(port, host, () => logger.info('listening', { url: `http://${host}:${port}` }))

async function shutdown(signal: string): Promise<void> {
  logger.info('shutting down', { signal })
  server.close()
  await closeProducer()
  process.exit(0)
}
process.once('SIGTERM', (s) => void shutdown(s))
process.once('SIGINT', (s) => void shutdown(s))
