// tracing.ts with the bare OpenTelemetry API (no SDK, no propagator: what every app gets by default): no header is
// written, nothing is recorded, and a record's process span costs no context per record.
import { describe, expect, it } from 'vitest'
import { injectTraceContext, processSpanTemplate, sendSpanTemplate, startProcessSpan, startSendSpan, traceHeaders } from './tracing.ts'

describe('tracing without an SDK', () => {
  it('writes no trace header and records nothing', () => {
    const span = startSendSpan(sendSpanTemplate({ destination: 'campaign.created.json', clientId: 'api', broker: '127.0.0.1:29092' }))
    expect(span.isRecording()).toBe(false)
    expect(injectTraceContext(span, { ce_id: '1' })).toEqual({ ce_id: '1' })
    expect(traceHeaders(span)).toBeUndefined()
    span.end()
  })

  it('gives every record the same no-op process span, even one carrying a traceparent', () => {
    const template = processSpanTemplate({ destination: 'campaign.created.json', group: 'g', clientId: 'w' })
    const headers = { traceparent: Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01') }
    const a = startProcessSpan(template, headers)
    const b = startProcessSpan(template, undefined)
    expect(a.span.isRecording()).toBe(false)
    expect(a.context).toBeUndefined()
    expect(a).toBe(b)
  })
})
