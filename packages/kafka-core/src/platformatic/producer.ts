// The platformatic transport's producer: kafkajs' send/sendBatch contract (and topiq's kafkajs patch: "acknowledged
// means written", outcome unknown) on @platformatic/kafka.
//
// platformatic's Producer#send is not used for sending: its idempotence has two bugs we cannot fix from outside
// (PLATFORMATIC-4.4.md, reproductions 2 and 3: a send acknowledged but never written after another send's failure
// resets the sequences; a later send overtaking a retried one), it retries a fixed number of times with no delivery
// timeout, and it does not tell "not sent" from "may have been written". So this adapter keeps platformatic's
// connections, metadata cache, API version negotiation, InitProducerId and record batch encoding (the exported
// Produce API), and owns what Java's producer owns: the partitioning, the producer id and sequence numbers, the
// retries and the delivery timeout. As in Java and the patched kafkajs:
// - a send takes its partitions and sequence numbers once; every retry is the same batch (same producer id, epoch,
//   base sequence), so the broker de-duplicates a retry of a request that was in fact written;
// - sends to a topic run one at a time, in call order (a later send never overtakes a retried one; no send takes
//   sequence numbers while an earlier one on the same partition may still be retried);
// - while the outcome of a request is unknown (timed out, or the connection closed after it was written) it is retried
//   until known or deliveryTimeoutMs has passed (no new try after it), even beyond `retries`; if still unknown the
//   send rejects with KafkaJSOutcomeUnknownError and the producer id is replaced for later sends;
// - a failure known not to have been written (no connection, a broker's error answer) is an ordinary error.
import zlib from 'node:zlib'
import { kGetApi, kGetConnection, murmur2, Producer, type ClusterMetadata, type Connection } from '@platformatic/kafka'
import type { ResolvedConnection } from '../config.ts'
import { KafkaClientError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { AcksValue, CompressionName, Message, ProducerConfig, RecordMetadata, TransportOptions, TransportProducer } from '../transport.ts'
import { baseOptions } from './connection.ts'
import { errorTree, isRequestTimeout, isRetriable, normalizeError, OutcomeUnknownError, PlatformaticKafkaError } from './errors.ts'

const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000
/** kafkajs' retrier as topiq configures it (kafka.ts): 200 ms doubling, ±20 %, at most 5 s. */
const INITIAL_RETRY_MS = 200
const MAX_RETRY_MS = 5_000
/** Broker-side wait for the in-sync replicas (kafkajs' default send timeout). */
const PRODUCE_TIMEOUT_MS = 30_000
const COMPRESSIONS: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

/** A record as platformatic's record batch encoder takes it. */
interface WireRecord {
  topic: string
  partition: number
  key: Buffer | null
  value: Buffer | null
  headers: Map<Buffer, Buffer | null>
  timestamp?: bigint
}

/** One partition of one send: its records in call order, and once sequenced its producer id, epoch and base sequence. */
interface PartitionBatch {
  key: string
  topic: string
  partition: number
  records: WireRecord[]
  sequenced?: { producerId: bigint; producerEpoch: number; firstSequence: number }
}

type ProduceResponse = { responses?: { name: string; partitionResponses: { index: number; errorCode: number; baseOffset: bigint }[] }[] }
type ProduceApi = ((
  connection: Connection,
  acks: number,
  timeout: number,
  records: WireRecord[],
  options: Record<string, unknown>,
  callback: (error: Error | null, response: ProduceResponse | boolean | undefined) => void,
) => void) & { version: number }

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function backoff(retryCount: number): number {
  const base = Math.min(MAX_RETRY_MS, INITIAL_RETRY_MS * 2 ** retryCount)
  return Math.round(base * (0.8 + Math.random() * 0.4))
}

function bytes(value: string | Buffer | null | undefined): Buffer | null {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value
}

/**
 * kafkajs IHeaders → platformatic's header map: an array is a repeated header (each value in order), null/undefined a
 * null value. A Map keyed by distinct Buffer objects is the only way platformatic writes a repeated name.
 */
export function wireHeaders(headers: Message['headers']): Map<Buffer, Buffer | null> {
  const out = new Map<Buffer, Buffer | null>()
  if (headers === undefined) return out
  for (const [name, value] of Object.entries(headers)) {
    const values = Array.isArray(value) ? value : [value]
    for (const v of values) out.set(Buffer.from(name, 'utf8'), bytes(v as string | Buffer | null | undefined))
  }
  return out
}

/** Java's partitioner on a key (kafka-clients Utils.toPositive(murmur2(key)) % partitions), as kafkajs' default. */
export function javaPartition(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions
}

/**
 * platformatic (via @platformatic/dynamic-buffer 0.3.1 int64ZigZagEncode: `value >> 31n` instead of `>> 63n`) writes a
 * record's timestamp delta wrongly once it is 2^31 ms (24.8 days) or more from the batch's first timestamp: the
 * record is read back with another timestamp. Refused rather than written wrong.
 */
const MAX_TIMESTAMP_DELTA = 2n ** 31n - 1n
function checkTimestampSpread(batch: PartitionBatch): void {
  const first = batch.records[0]?.timestamp ?? 0n
  for (const r of batch.records) {
    const delta = (r.timestamp ?? first) - first
    if (delta > MAX_TIMESTAMP_DELTA || delta < -MAX_TIMESTAMP_DELTA) {
      throw new KafkaClientError(
        'CONFIG_INVALID',
        `the platformatic transport cannot write records whose timestamps are 2^31 ms (24.8 days) or more apart in one send to ${batch.topic}[${batch.partition}] ` +
          '(@platformatic/dynamic-buffer encodes the delta wrongly): send them separately, or use KAFKA_TRANSPORT=kafkajs',
        { topic: batch.topic },
      )
    }
  }
}

/** Thrown (retriable) when an attempt cannot start because metadata lacks a leader for a partition. */
function leaderNotAvailable(topic: string, partition: number): PlatformaticKafkaError {
  return new PlatformaticKafkaError('KafkaJSProtocolError', `There is no leader for ${topic}[${partition}]`, {
    type: 'LEADER_NOT_AVAILABLE',
    retriable: true,
    cause: undefined,
  })
}

const PRODUCER_STATE_LOST = new Set(['UNKNOWN_PRODUCER_ID', 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING'])

function isUnknownTopic(error: unknown): boolean {
  return errorTree(error).some((e) => e.code === 'PLT_KFK_USER' && /^Unknown topic /.test(e.message ?? ''))
}

/** Errors of an attempt after which the metadata (leaders, brokers) must be fetched again. */
function needsMetadata(error: unknown): boolean {
  return errorTree(error).some(
    (e) =>
      (e as { hasStaleMetadata?: boolean }).hasStaleMetadata === true ||
      (e.code === 'PLT_KFK_USER' && /^Unknown topic /.test(e.message ?? '')) ||
      (e.code === 'PLT_KFK_NETWORK' && !isRequestTimeout(e)) ||
      e.code === 'ECONNREFUSED' ||
      (e as { type?: string }).type === 'LEADER_NOT_AVAILABLE' ||
      e.name === 'KafkaJSConnectionError' ||
      e.name === 'KafkaJSConnectionClosedError',
  )
}

export function platformaticProducer(connection: ResolvedConnection, logger: Logger, options: TransportOptions, config: ProducerConfig): TransportProducer {
  // retries 0: every retry is ours (platformatic's retry would resend metadata and SASL failures blindly).
  const client = new Producer({ ...baseOptions(connection, 0), autocreateTopics: false })
  const deliveryTimeoutMs = config.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS
  const produceTimeout = Math.min(PRODUCE_TIMEOUT_MS, connection.requestTimeoutMs)

  // Producer id and sequence numbers (idempotent): taken together; replaced as a whole when fenced.
  let producerInfo: { producerId: bigint; producerEpoch: number; sequences: Map<string, number> } | undefined
  let initializing: Promise<NonNullable<typeof producerInfo>> | undefined
  /** Per topic: the end of the chain of sends to it (call order). */
  const tails = new Map<string, Promise<void>>()
  /** Null-key round robin per topic (kafkajs' default partitioner spreads null keys). */
  const roundRobin = new Map<string, number>()
  let closed = false

  const callback = <T>(run: (cb: (error: Error | null | undefined, result?: T) => void) => void): Promise<T> =>
    new Promise<T>((resolve, reject) => run((error, result) => (error ? reject(error) : resolve(result as T))))

  const fetchMetadata = (topics: string[], forceUpdate: boolean): Promise<ClusterMetadata> => client.metadata({ topics, forceUpdate })

  async function ensureProducerId(): Promise<NonNullable<typeof producerInfo>> {
    if (producerInfo !== undefined) return producerInfo
    initializing ??= client
      .initIdempotentProducer({})
      .then((info) => {
        producerInfo = { producerId: info.producerId, producerEpoch: info.producerEpoch, sequences: new Map() }
        return producerInfo
      })
      .finally(() => {
        initializing = undefined
      })
    return initializing
  }

  /** A send ended with its outcome unknown under `producerId`: later sends take a new one (InitProducerId). */
  function fence(producerId: bigint, reason?: string): void {
    if (producerInfo?.producerId !== producerId) return
    if (reason === undefined) logger.warn('Producer id fenced after a send with an unknown outcome; requesting a new one', { producerId: producerId.toString() })
    else logger.warn(`Producer id replaced after ${reason}`, { producerId: producerId.toString() })
    producerInfo = undefined
  }

  /** Runs `fn` after every earlier send to any of `topics`, and before every later one. */
  async function inOrder<T>(topics: string[], fn: () => Promise<T>): Promise<T> {
    const previous = topics.map((t) => tails.get(t)).filter((p): p is Promise<void> => p !== undefined)
    let release!: () => void
    const mine = new Promise<void>((resolve) => (release = resolve))
    for (const t of topics) tails.set(t, mine)
    try {
      await Promise.all(previous)
      return await fn()
    } finally {
      release()
      for (const t of topics) if (tails.get(t) === mine) tails.delete(t)
    }
  }

  function partitionOf(message: Message, topic: string, count: number): number {
    let partition: number
    if (config.partitioner === 'source') {
      partition = (message.partition ?? 0) % Math.max(1, count)
    } else {
      const key = bytes(message.key)
      // As kafkajs' DefaultPartitioner: an explicit partition wins, else the key's, else round robin.
      if (typeof message.partition === 'number') {
        partition = message.partition
      } else if (key !== null) {
        partition = javaPartition(key, count)
      } else {
        const next = roundRobin.get(topic) ?? Math.floor(Math.random() * count)
        roundRobin.set(topic, next + 1)
        partition = next % count
      }
      config.onPartition?.(message, partition)
    }
    return partition
  }

  async function produce(topicMessages: { topic: string; messages: Message[] }[], acks: AcksValue, compression: CompressionName): Promise<RecordMetadata[]> {
    if (closed) throw new PlatformaticKafkaError('KafkaJSError', 'The producer is disconnected', { retriable: false, cause: undefined })
    if (!COMPRESSIONS.includes(compression)) throw new KafkaClientError('CONFIG_INVALID', `compression "${String(compression)}" is not one of ${COMPRESSIONS.join(', ')}`)
    if (compression === 'zstd' && typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync !== 'function') {
      throw new KafkaClientError('CONFIG_INVALID', `compression "zstd" needs Node ≥ 22.15 on the platformatic transport (this is ${process.version})`)
    }
    if (config.idempotent && acks !== -1) {
      throw new PlatformaticKafkaError('KafkaJSNonRetriableError', "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees", {
        retriable: false,
        cause: undefined,
      })
    }
    const topics = [...new Set(topicMessages.map((t) => t.topic))]
    if (topicMessages.every((t) => t.messages.length === 0)) return []
    return inOrder(topics, () => sendInOrder(topics, topicMessages, acks, compression))
  }

  async function sendInOrder(
    topics: string[],
    topicMessages: { topic: string; messages: Message[] }[],
    acks: AcksValue,
    compression: CompressionName,
  ): Promise<RecordMetadata[]> {
    const deadline = Date.now() + deliveryTimeoutMs
    let batches: Map<string, PartitionBatch> | undefined
    const results = new Map<string, RecordMetadata | null>()
    const written = new Set<string>()
    const inDoubt = new Set<string>()
    let metadata: ClusterMetadata | undefined
    let refresh = false
    let lastError: unknown
    let retryCount = 0

    const attempt = async (): Promise<void> => {
      if (metadata === undefined || refresh) metadata = await fetchMetadata(topics, refresh)
      refresh = false
      const md = metadata
      if (batches === undefined) {
        // Partitioned once: a retry is the same batch (kafkajs patch: a retry must not re-partition).
        const byKey = new Map<string, PartitionBatch>()
        const now = BigInt(Date.now())
        for (const { topic, messages } of topicMessages) {
          const count = md.topics.get(topic)?.partitionsCount ?? 0
          if (count === 0) throw leaderNotAvailable(topic, 0)
          for (const message of messages) {
            const partition = partitionOf(message, topic, count)
            const key = `${topic}:${partition}`
            let batch = byKey.get(key)
            if (batch === undefined) byKey.set(key, (batch = { key, topic, partition, records: [] }))
            batch.records.push({
              topic,
              partition,
              key: bytes(message.key),
              value: bytes(message.value),
              headers: wireHeaders(message.headers),
              // As kafkajs: a record without a timestamp gets the send's time.
              timestamp: message.timestamp === undefined ? now : BigInt(message.timestamp),
            })
          }
        }
        for (const b of byKey.values()) checkTimestampSpread(b)
        batches = byKey
      }
      const pending = [...batches.values()].filter((b) => !results.has(b.key))
      if (pending.length === 0) return
      // Sequence numbers: taken once per partition of this send, with the producer id they belong to.
      if (config.idempotent) {
        for (const b of pending) {
          if (b.sequenced !== undefined) continue
          const info = await ensureProducerId()
          const firstSequence = info.sequences.get(b.key) ?? 0
          info.sequences.set(b.key, (firstSequence + b.records.length) % 2 ** 31)
          b.sequenced = { producerId: info.producerId, producerEpoch: info.producerEpoch, firstSequence }
        }
      }
      // One request per leader (and producer id: a request carries one in its batches' headers).
      const requests = new Map<string, { leader: number; batches: PartitionBatch[] }>()
      for (const b of pending) {
        const leader = md.topics.get(b.topic)?.partitions[b.partition]?.leader ?? -1
        if (leader < 0 || !md.brokers.has(leader)) throw leaderNotAvailable(b.topic, b.partition)
        const id = `${leader}|${b.sequenced?.producerId ?? ''}|${b.sequenced?.producerEpoch ?? ''}`
        const request = requests.get(id) ?? { leader, batches: [] }
        request.batches.push(b)
        requests.set(id, request)
      }
      const settled = await Promise.allSettled([...requests.values()].map((r) => sendRequest(md, r.leader, r.batches, acks, compression)))
      const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown)
      if (failures.length > 0) throw failures.find((f) => !isRetriable(f)) ?? failures[0]
    }

    /** One produce request; records what the broker said per partition, or that the request is in doubt. */
    const sendRequest = async (md: ClusterMetadata, leader: number, requestBatches: PartitionBatch[], acks: AcksValue, compression: CompressionName): Promise<void> => {
      const broker = md.brokers.get(leader)
      const conn = await callback<Connection>((cb) => client[kGetConnection](broker as NonNullable<typeof broker>, cb))
      const api = await callback<ProduceApi>((cb) => client[kGetApi]('Produce', cb as never))
      const first = requestBatches[0]?.sequenced
      const sequences = new Map(requestBatches.map((b) => [`${b.topic}:${b.partition}`, b.sequenced?.firstSequence ?? 0]))
      const produceOptions = {
        compression,
        ...(first === undefined
          ? {}
          : { producerId: first.producerId, producerEpoch: first.producerEpoch, sequences: { getWithDefault: (k: string, d: number) => sequences.get(k) ?? d } }),
      }
      const keys = requestBatches.map((b) => b.key)
      // Not connected now: this attempt sends nothing (platformatic would fail it with the same "Connection closed"
      // it uses for a request lost after it was written).
      if (!conn.isConnected()) throw new PlatformaticKafkaError('KafkaJSConnectionError', 'Not connected', { retriable: true, cause: undefined })
      const records = requestBatches.flatMap((b) => b.records)
      let response: ProduceResponse | boolean | undefined
      try {
        response = await callback<ProduceResponse | boolean | undefined>((cb) => api(conn, acks, produceTimeout, records, produceOptions, cb))
      } catch (error) {
        const answered = errorTree(error).find((e) => e.code === 'PLT_KFK_RESPONSE' && (e as { response?: unknown }).response !== undefined) as
          | { response: ProduceResponse }
          | undefined
        if (answered !== undefined) {
          // The broker answered: per partition, written (0) or not written by this attempt.
          record(answered.response)
        } else if (errorTree(error).some((e) => e.code === 'PLT_KFK_NETWORK' || e.name === 'TimeoutError')) {
          // Timed out or the connection closed with the request written: it may be in the log.
          for (const k of keys) if (!written.has(k)) inDoubt.add(k)
          if (errorTree(error).some(isRequestTimeout)) {
            logger.warn(`Request Produce(key: 0, version: ${api.version}) timed out`, {
              broker: `${broker?.host}:${broker?.port}`,
              retryCount,
              requestTimeout: connection.requestTimeoutMs,
            })
          }
        }
        throw error
      }
      if (acks === 0) {
        for (const k of keys) {
          written.add(k)
          inDoubt.delete(k)
          results.set(k, null)
        }
        return
      }
      record(response as ProduceResponse)
    }

    const record = (response: ProduceResponse): void => {
      for (const { name, partitionResponses } of response.responses ?? []) {
        for (const p of partitionResponses) {
          if (p.errorCode !== 0) continue
          const k = `${name}:${p.index}`
          written.add(k)
          inDoubt.delete(k)
          results.set(k, { topicName: name, partition: p.index, errorCode: 0, baseOffset: p.baseOffset.toString(), logAppendTime: '-1', logStartOffset: '-1' })
        }
      }
    }

    for (;;) {
      // The delivery timeout bounds the whole send: no new try starts after it.
      if (lastError !== undefined && Date.now() >= deadline) break
      try {
        await attempt()
        return [...results.values()].filter((r): r is RecordMetadata => r !== null)
      } catch (error) {
        lastError = error
        refresh = needsMetadata(error)
        // An unknown topic is retried within `retries` as kafkajs does (a topic just created may not be in every
        // broker's metadata yet); platformatic marks it final.
        if (closed || !(isRetriable(error) || isUnknownTopic(error))) break
        if (retryCount >= config.retries) {
          const left = deadline - Date.now()
          if (inDoubt.size === 0 || left <= 0) break
          logger.warn('Retrying a produce request whose outcome is unknown, with the same sequence numbers', {
            error: normalizeError(error).message,
            deliveryTimeoutLeft: left,
          })
          await sleep(Math.min(1_000, left))
          retryCount = 0
          continue
        }
        await sleep(backoff(retryCount))
        retryCount++
      }
    }

    // Failed. Sequence numbers of partitions where nothing of this send can be in the log are given back (no later
    // send to the topic took any meanwhile: sends to a topic are serialised), unless the producer id changed.
    const cause = normalizeError(lastError)
    for (const b of batches?.values() ?? []) {
      const s = b.sequenced
      if (s === undefined || written.has(b.key) || inDoubt.has(b.key)) continue
      if (producerInfo?.producerId === s.producerId && producerInfo.sequences.get(b.key) === (s.firstSequence + b.records.length) % 2 ** 31) {
        producerInfo.sequences.set(b.key, s.firstSequence)
      }
    }
    // The broker lost or rejected this producer's state (as Java: a new producer id for later sends).
    const stateLost = errorTree(lastError).find((e) => e.apiId !== undefined && PRODUCER_STATE_LOST.has(e.apiId))
    if (stateLost !== undefined) {
      for (const b of batches?.values() ?? []) if (b.sequenced !== undefined) fence(b.sequenced.producerId, stateLost.apiId as string)
    }
    if (inDoubt.size === 0 && written.size === 0) throw cause
    if (inDoubt.size > 0) {
      for (const b of batches?.values() ?? []) if (b.sequenced !== undefined && inDoubt.has(b.key)) fence(b.sequenced.producerId)
    }
    const partitions = [...new Set([...inDoubt, ...written])].map((k) => {
      const i = k.lastIndexOf(':')
      const result = results.get(k)
      return {
        topic: k.slice(0, i),
        partition: Number(k.slice(i + 1)),
        written: written.has(k),
        ...(result?.baseOffset === undefined ? {} : { result: { baseOffset: result.baseOffset } }),
      }
    })
    throw new OutcomeUnknownError(cause, partitions)
  }

  return {
    async connect() {
      if (closed) throw new PlatformaticKafkaError('KafkaJSError', 'The producer is disconnected', { retriable: false, cause: undefined })
      // As kafkajs' connect: reach a broker and load the cluster metadata (retried; fails when brokers are down).
      let retryCount = 0
      for (;;) {
        try {
          await fetchMetadata([], true)
          return
        } catch (error) {
          if (!isRetriable(error) || retryCount >= (options.retries ?? 3)) throw normalizeError(error)
          await sleep(backoff(retryCount++))
        }
      }
    },
    send: ({ topic, messages, acks, compression }) => produce([{ topic, messages }], acks, compression),
    sendBatch: ({ topicMessages, acks, compression }) => produce(topicMessages, acks, compression),
    async disconnect() {
      closed = true
      await Promise.all([...tails.values()].map((p) => p.catch(() => {})))
      await client.close(true)
    },
  }
}
