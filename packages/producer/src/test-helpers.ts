// Helpers for this package's integration tests (excluded from the build).
import { decodeHeaders, decodeValue } from '@topiq/kafka-core'
import { withAdmin, type ReadMessage } from '@topiq/kafka-core/testing'
import type { Logger } from '@topiq/kafka-core'

/** Messages ever written to `topics` (sum of the partitions' high watermarks): proves "nothing was sent". */
export async function messageCount(brokers: readonly string[], topics: readonly string[]): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    let total = 0
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) total += Number(p.high) - Number(p.low)
    }
    return total
  })
}

export interface Decoded {
  topic: string
  partition: number
  key: string | null
  headers: Record<string, string>
  value: unknown
  raw: Buffer | null
}

export function decode(message: ReadMessage): Decoded {
  return {
    topic: message.topic,
    partition: message.partition,
    key: message.key === null ? null : message.key.toString('utf8'),
    headers: decodeHeaders(message.headers),
    value: decodeValue(message.value).value,
    raw: message.value,
  }
}

export type LogLine = { level: string; message: string; fields: Record<string, unknown> | undefined }

export function recordingLogger(): Logger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = []
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields })
  return { lines, text: () => JSON.stringify(lines), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
