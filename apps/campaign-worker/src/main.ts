// campaign-worker: handles campaign.created.json and campaign.updated.json until SIGTERM/SIGINT, then commits what it
// handled, leaves the group and exits (the consumer's signal handling).
import { jsonLogger } from '@topiq/kafka-core'
import { createWorker } from './worker.ts'

const logger = jsonLogger({ name: 'campaign-worker' })
const worker = createWorker({ logger })
logger.info('starting', { group: 'campaign-worker' })
await worker.start({ blocking: true })
logger.info('stopped')
