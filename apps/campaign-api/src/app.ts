import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isContractError, validate, type CampaignCreated, type CampaignUpdated, type TypedPublisher } from '@topiq/contracts'
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { isKafkaClientError, metricsText, type Logger } from '@topiq/kafka-core'
import { getProducer } from '@topiq/producer'

export interface CampaignApiOptions {
  /** Defaults to the process-wide `getProducer()`: one connection shared by every request. */
  publisher?: TypedPublisher<unknown>
  logger: Logger
  /** Longest a request waits for Kafka before answering 503 (a broker that is down must not hang clients). */
  publishTimeoutMs?: number
}

class HttpError extends Error {
  readonly status: number
  readonly body: Record<string, unknown>
  constructor(status: number, body: Record<string, unknown>) {
    super(String(body['error']))
    this.status = status
    this.body = body
  }
}

const MAX_BODY_BYTES = 64 * 1024
const tracer = trace.getTracer('@topiq/example-campaign-api')

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, { error: `body larger than ${MAX_BODY_BYTES} bytes` })
    chunks.push(chunk as Buffer)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (cause) {
    throw new HttpError(400, { error: `body is not valid JSON: ${(cause as Error).message}` })
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, { error: 'body must be a JSON object' })
  return body as Record<string, unknown>
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

export function createCampaignApi(options: CampaignApiOptions): Server {
  const { logger } = options
  const timeoutMs = options.publishTimeoutMs ?? 10_000
  let shared: TypedPublisher<unknown> | undefined
  // getProducer() reads its options only when it creates the shared producer: ask once, then reuse.
  const publisher = () => options.publisher ?? (shared ??= getProducer({ clientId: 'campaign-api', logger }))

  async function publishOr503(work: () => Promise<unknown>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HttpError(503, { error: `Kafka did not confirm within ${timeoutMs} ms; retry later`, retryable: true })), timeoutMs)
    })
    try {
      await Promise.race([work(), deadline])
    } catch (error) {
      if (isKafkaClientError(error)) {
        logger.error('publish failed', { code: error.code, error: error.message })
        throw new HttpError(503, { error: error.message, code: error.code, retryable: error.retriable })
      }
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const correlationId = String(req.headers['x-correlation-id'] ?? randomUUID())
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { status: 'ok' })
    if (req.method === 'GET' && url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
      res.end(metricsText())
      return
    }

    if (req.method === 'POST' && url.pathname === '/campaigns') {
      const body = await readJson(req)
      // The API owns the id and the time; everything else comes from the client and is checked by the schema.
      const candidate = { status: 'draft', ...body, campaign_id: randomUUID(), created_at: new Date().toISOString() }
      const result = validate('campaign.created.json', candidate)
      if (!result.ok) throw new HttpError(400, { error: 'invalid campaign', violations: result.violations })
      const event: CampaignCreated = result.value
      await publishOr503(() => publisher().publish('campaign.created.json', event, { headers: { source: 'campaign-api', correlation_id: correlationId } }))
      logger.info('campaign created', { campaign_id: event.campaign_id, correlation_id: correlationId })
      return send(res, 201, { campaign: event })
    }

    const match = /^\/campaigns\/([^/]+)$/.exec(url.pathname)
    if (req.method === 'PATCH' && match?.[1] !== undefined) {
      const changes = await readJson(req)
      const result = validate('campaign.updated.json', { campaign_id: decodeURIComponent(match[1]), updated_at: new Date().toISOString(), changes })
      if (!result.ok) throw new HttpError(400, { error: 'invalid campaign update', violations: result.violations })
      const event: CampaignUpdated = result.value
      await publishOr503(() => publisher().publish('campaign.updated.json', event, { headers: { source: 'campaign-api', correlation_id: correlationId } }))
      logger.info('campaign updated', { campaign_id: event.campaign_id, correlation_id: correlationId })
      return send(res, 202, { update: event })
    }
    throw new HttpError(404, { error: `no route for ${req.method} ${url.pathname}` })
  }

  return createServer((req, res) => {
    // A SERVER span per request, continuing the caller's trace (W3C traceparent), so the events a request publishes
    // (the producer's `send` spans and their traceparent headers) and the worker's `process` spans join its trace.
    // A no-op unless the app registers an OpenTelemetry SDK; a real service would use @opentelemetry/instrumentation-http.
    const parent = propagation.extract(context.active(), req.headers)
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const routeName = path.startsWith('/campaigns/') ? '/campaigns/:id' : path
    const span = tracer.startSpan(`${req.method ?? 'GET'} ${routeName}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': path, 'http.route': routeName } }, parent)
    res.once('finish', () => {
      span.setAttribute('http.response.status_code', res.statusCode)
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    })
    context.with(trace.setSpan(parent, span), () =>
      route(req, res).catch((error: unknown) => {
        if (error instanceof HttpError) return send(res, error.status, error.body)
        if (isContractError(error)) return send(res, 400, { error: error.message, violations: error.violations })
        logger.error('request failed', { error: (error as Error).message })
        span.recordException(error as Error)
        send(res, 500, { error: 'internal error' })
      }),
    )
  })
}
