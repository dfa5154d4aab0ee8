// `node --conditions=@topiq/source packages/consumer/bench/decode-cost.ts`: µs per message of each step of the typed
// consumer's decode path (no broker), to see which per-message cost is worth removing.
import { performance } from 'node:perf_hooks'
import { validators } from '@topiq/contracts'
import { decodeMessage } from '../src/message.ts'
import { decodeValue, type KafkaMessage } from '@topiq/kafka-core'
import { benchmarkEvent } from '@topiq/kafka-core/testing'

const N = 20_000
const headers = { ce_id: Buffer.from('0f8e7c7e-8f4e-4b8e-9d5e-3b1b7f1c2a11'), ce_type: Buffer.from('campaign.created.json') }
const raws: KafkaMessage[] = Array.from({ length: N }, (_, i) => {
  const e = benchmarkEvent(i)
  return { key: Buffer.from(e.campaign_id), value: Buffer.from(JSON.stringify(e)), headers, offset: String(i), timestamp: '1700000000000', attributes: 0 }
})
const validate = validators['campaign.created.json']

function measure(label: string, fn: (m: KafkaMessage) => unknown): void {
  let sink = 0
  for (let r = 0; r < 3; r++) for (const m of raws) sink += fn(m) === undefined ? 0 : 1
  const started = performance.now()
  for (let r = 0; r < 5; r++) for (const m of raws) sink += fn(m) === undefined ? 0 : 1
  const us = ((performance.now() - started) * 1000) / (5 * N)
  console.log(`| ${label} | ${us.toFixed(2)} |${sink < 0 ? ' ' : ''}`)
}

console.log('| step (per 1 KiB message) | µs |')
console.log('| --- | ---: |')
measure('JSON.parse(value.toString())', (m) => JSON.parse((m.value as Buffer).toString()))
measure("kafka-core decodeValue (magic byte + JSON.parse)", (m) => decodeValue(m.value))
measure('JSON.parse + precompiled validator', (m) => validate(JSON.parse((m.value as Buffer).toString())))
measure('consumer decodeMessage (decode + validate + typed message)', (m) => decodeMessage('campaign.created.json', 0, m))
