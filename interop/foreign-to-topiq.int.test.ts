// Foreign producers → our typed consumer, on the real broker. confluent-kafka (librdkafka), kafka-python and the Java
// client (interop/java/Producer.java) write whatever they may legally write — every codec, null/repeated/binary
// headers, binary keys, tombstones, empty and non-JSON values, schema-invalid and near-max-size values, transactions,
// registry framing — and the topiq consumer must handle or dead-letter every record, commit to the log end of every
// partition, and not crash.
import { fileURLToPath } from 'node:url'
import { ConfigResourceTypes } from 'kafkajs'
import { withAdmin } from '@topiq/kafka-core/testing'
import { afterAll, describe, expect, it } from 'vitest'
import {
  ASSET,
  at,
  deleteCreatedTopics,
  brokers,
  CREATED,
  deadLetters,
  describeStalled,
  freshTopics,
  groupId,
  recordCase,
  registryUrl,
  tally,
  topiqConsumer,
  stopQuietly,
  waitDrained,
  type DeadLetter,
  type Handled,
  type InteropTopic,
} from './harness.ts'
import { PRODUCER_CLIENTS, PRODUCER_NAME, foreignProduce, killPeers, type ProducedLine, type ProducerClient } from './peers.ts'

/** A working case drains in 2–5 s; a stalled one is given this long before it is counted as stalled. */
const DRAIN_MS = 20_000

// Cases run concurrently, so each ends its own peers (runPeer kills on timeout); this only sweeps up after a crash.
afterAll(async () => {
  killPeers()
  await deleteCreatedTopics()
})

type Outcome = 'handled' | 'dead-lettered'

interface Step {
  args: readonly string[]
  outcome: Outcome
  /** Expected x-dlq-error-code of a dead-lettered step. */
  code?: 'DECODE_FAILED' | 'INVALID_PAYLOAD'
  /** Extra checks on what the handler received from this step's records. */
  check?: (messages: Handled[]) => void
  /** Checks on this step's dead letters (given the args the step ran with). */
  checkDead?: (dead: DeadLetter[], args: readonly string[]) => void
}

/** A dead letter carries the original value bytes unchanged. */
const deadValue = (expected: (args: readonly string[]) => string | null) => (dead: DeadLetter[], args: readonly string[]) =>
  dead.forEach((d) => expect(d.value === null ? null : d.value.toString('hex')).toBe(expected(args)))

interface Case {
  label: string
  /** Default campaign.created.json (plain JSON framing). */
  topic?: InteropTopic
  steps: readonly Step[]
  /** Clients that cannot write this case at all (with the reason); the case is skipped for them. */
  unsupported?: Partial<Record<ProducerClient, string>>
  registry?: boolean
  /** Computes extra args just before producing (e.g. a size from the topic's config). */
  prepare?: (topic: string) => Promise<readonly string[]>
}

/** Valid events after the odd ones, so a partition that does not move on shows up as stalled. */
const tail: Step = { args: ['--count', '3', '--id-prefix', 'tail'], outcome: 'handled' }
const rawHeaders = (m: Handled, name: string): (string | null)[] =>
  m.raw.headers.filter((h) => h.key === name).map((h) => (h.value === null ? null : h.value.toString('hex')))

const REGISTRY_ASSETS = [
  '--framing',
  'registry',
  '--registry-url',
  registryUrl,
  '--schema-file',
  fileURLToPath(new URL(`../schemas/${ASSET}`, import.meta.url)),
  '--template',
  '{"asset_id": "{id}", "version": 1, "updated_at": "2024-01-15T10:00:00Z"}',
]

const CASES: readonly Case[] = [
  ...(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).map((codec) => ({
    label: `codec ${codec}`,
    steps: [{ args: ['--count', '6', '--codec', codec], outcome: 'handled' as const }],
  })),
  {
    label: 'null header value',
    unsupported: { 'kafka-python': 'kafka-python 3.0 send() accepts only (str, bytes) headers: it cannot write a null header value' },
    steps: [{ args: ['--count', '3', '--headers', 'null'], outcome: 'handled', check: (ms) => ms.forEach((m) => expect(rawHeaders(m, 'x-null')).toEqual([null])) }, tail],
  },
  {
    label: 'repeated header',
    steps: [
      {
        args: ['--count', '3', '--headers', 'repeated'],
        outcome: 'handled',
        check: (ms) =>
          ms.forEach((m) => {
            expect(rawHeaders(m, 'x-repeated')).toEqual([Buffer.from('first').toString('hex'), Buffer.from('second').toString('hex')])
            expect(m.headers['x-repeated']).toBe('second') // the last value, as documented
          }),
      },
      tail,
    ],
  },
  {
    label: 'binary key and header',
    steps: [
      {
        args: ['--count', '3', '--key', 'binary', '--headers', 'binary'],
        outcome: 'handled',
        check: (ms) =>
          ms.forEach((m) => {
            expect(m.raw.key?.subarray(0, 3).toString('hex')).toBe('ff00fe')
            expect(rawHeaders(m, 'x-binary')).toEqual(['00fffe80'])
          }),
      },
      tail,
    ],
  },
  {
    label: 'tombstone',
    steps: [{ args: ['--count', '3', '--value', 'tombstone'], outcome: 'dead-lettered', code: 'DECODE_FAILED', checkDead: deadValue(() => null) }, tail],
  },
  {
    label: 'empty value',
    steps: [{ args: ['--count', '3', '--value', 'empty'], outcome: 'dead-lettered', code: 'DECODE_FAILED', checkDead: deadValue(() => '') }, tail],
  },
  {
    label: 'not JSON',
    steps: [
      { args: ['--count', '3', '--value', 'notjson'], outcome: 'dead-lettered', code: 'DECODE_FAILED', checkDead: deadValue(() => Buffer.from('\xffnot json {', 'latin1').toString('hex')) },
      tail,
    ],
  },
  { label: 'schema-invalid', steps: [{ args: ['--count', '3', '--value', 'invalid'], outcome: 'dead-lettered', code: 'INVALID_PAYLOAD' }, tail] },
  {
    label: 'invalid event of 90% max.message.bytes, gzip',
    prepare: async (topic) => ['--size', String(Math.floor((await maxMessageBytes(topic)) * 0.9))],
    steps: [
      {
        args: ['--count', '1', '--value', 'large', '--codec', 'gzip'],
        outcome: 'dead-lettered',
        code: 'INVALID_PAYLOAD',
        checkDead: (dead, args) => dead.forEach((d) => expect(d.value?.length).toBe(Number(args[args.indexOf('--size') + 1]))),
      },
      tail,
    ],
  },
  {
    label: 'transactions: commit, abort, commit',
    steps: [{ args: ['--count', '4', '--transactional', 'commit,abort,commit'], outcome: 'handled' }],
  },
  {
    // asset.updated.json is the topic whose contract says `framing: registry`; confluent's JSONSerializer registers
    // the schema under <physical topic>-value and frames each value (magic byte 0, schema id, JSON). Producer.java
    // (no serializer on the broker's classpath) registers through the ccompat API and frames the bytes the same way.
    label: 'registry-framed values',
    topic: ASSET,
    registry: true,
    steps: [
      { args: [...REGISTRY_ASSETS, '--count', '4'], outcome: 'handled', check: (ms) => ms.forEach((m) => expect(m.raw.value?.[0]).toBe(0)) },
      { args: [...REGISTRY_ASSETS, '--count', '3', '--value', 'invalid'], outcome: 'dead-lettered', code: 'INVALID_PAYLOAD' },
      { args: [...REGISTRY_ASSETS, '--count', '3'], outcome: 'handled' },
    ],
  },
]

async function maxMessageBytes(topic: string): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }] })
    const value = resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue
    if (value === undefined) throw new Error(`max.message.bytes of ${topic} not found`)
    return Number(value)
  })
}

async function runCase(client: ProducerClient, c: Case): Promise<void> {
  const name = `${PRODUCER_NAME[client]} → topiq: ${c.label}`
  const { prefix, topic, deadLetterTopic } = await freshTopics(`${client}-${c.label}`.slice(0, 30), c.topic)
  const extra = (await c.prepare?.(topic)) ?? []
  const produced: { step: Step; args: string[]; lines: ProducedLine[] }[] = []
  for (const [n, step] of c.steps.entries()) {
    const args = [...step.args, ...extra, '--id-prefix', `s${n}`]
    produced.push({ step, args, lines: await foreignProduce(client, topic, args) })
  }

  const group = groupId(client)
  const { consumer, handled } = topiqConsumer(prefix, group, { topic: c.topic ?? CREATED, ...(c.registry === true ? { registry: registryUrl } : {}) })
  let startError: unknown
  await consumer.start({ blocking: false }).catch((e: unknown) => (startError = e))
  const stalled = await waitDrained(group, topic, DRAIN_MS, () => startError !== undefined || consumer.error !== undefined || consumer.status === 'stopped')
  const stopProblem = await stopQuietly(consumer)
  const dead = await deadLetters(deadLetterTopic)

  const outcomeOf = new Map<string, Step>()
  const aborted = new Set<string>()
  for (const { step, lines } of produced) {
    for (const l of lines) {
      if (l.txn === 'abort') aborted.add(at(l.partition, l.offset))
      else outcomeOf.set(at(l.partition, l.offset), step)
    }
  }
  const handledAt = handled.map((m) => at(m.partition, m.offset))
  const counts = tally(new Set(outcomeOf.keys()), handledAt, dead.map((d) => at(d.partition, d.offset)))
  const wrongOutcome = [
    ...dead.flatMap((d) => {
      const step = outcomeOf.get(at(d.partition, d.offset))
      if (step?.outcome === 'handled') return [`${at(d.partition, d.offset)} dead-lettered (${d.code}) but is a valid event: ${d.error}`]
      if (step?.code !== undefined && step.code !== d.code) return [`${at(d.partition, d.offset)} dead-lettered as ${d.code}, expected ${step.code}`]
      return []
    }),
    ...handledAt.filter((r) => outcomeOf.get(r)?.outcome === 'dead-lettered').map((r) => `${r} handled but should have been dead-lettered`),
  ]
  const failure = consumer.error ?? startError
  const errorText = failure === undefined ? undefined : failure instanceof Error ? `${failure.name}: ${failure.message}` : String(failure)
  const stalledText = describeStalled(stalled, topic)
  recordCase({
    case: name,
    sent: counts.sent,
    handled: counts.handled,
    deadLettered: counts.deadLettered,
    duplicated: counts.duplicated,
    lost: counts.lost.length,
    stalledPartitions: stalled.length,
    crashedConsumers: failure === undefined ? 0 : 1,
    notes: [...(errorText === undefined ? [] : [errorText]), ...stalledText, ...wrongOutcome, ...(stopProblem === undefined ? [] : [stopProblem])],
  })

  // One assertion over everything, so a failing case shows its whole picture at once.
  expect({
    consumerError: errorText,
    stalled: stalledText,
    lost: counts.lost,
    handledAborted: handledAt.filter((r) => aborted.has(r)),
    unexpected: counts.unexpected,
    wrongOutcome,
    stop: stopProblem,
  }).toEqual({ consumerError: undefined, stalled: [], lost: [], handledAborted: [], unexpected: [], wrongOutcome: [], stop: undefined })
  expect(counts.sent).toBeGreaterThan(0)
  for (const { step, args, lines } of produced) {
    const mine = new Set(lines.filter((l) => l.txn !== 'abort').map((l) => at(l.partition, l.offset)))
    step.check?.(handled.filter((m) => mine.has(at(m.partition, m.offset))))
    step.checkDead?.(dead.filter((d) => mine.has(at(d.partition, d.offset))), args)
  }
  if (c.steps.some((s) => s.args.includes('--transactional'))) expect(aborted.size).toBeGreaterThan(0)
}

describe.concurrent.each(PRODUCER_CLIENTS)('%s → topiq consumer', (client) => {
  for (const c of CASES) {
    const reason = c.unsupported?.[client]
    if (reason !== undefined) it.skip(`${c.label} (${reason})`, () => undefined)
    else it(c.label, () => runCase(client, c), 90_000)
  }
})
