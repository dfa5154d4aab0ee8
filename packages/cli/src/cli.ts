#!/usr/bin/env node
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { bootstrapSchema, isCodegenError } from '@topiq/codegen'
import { isContractError } from '@topiq/contracts'
import { isKafkaClientError, jsonLogger, resolveConnection, resolveRegistry, resolveTopicPrefix } from '@topiq/kafka-core'
import { groupLag, tail, topicsCreate, topicsList, type KafkaCommandContext } from './kafka-commands.ts'
import { publishCommand } from './publish.ts'
import { formatSchemasCheck, schemasCheck } from './schemas-check.ts'
import { formatTable } from './table.ts'

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const

const COMMON = `Connection (all Kafka commands):
  --brokers <host:port,...>   default: KAFKA_BROKER, else localhost:29092 on a host / kafka:9092 in a container
  --prefix <p>                physical topic prefix (default: KAFKA_TOPIC_PREFIX, else none)
  SASL/TLS from KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SSL, KAFKA_SSL_CA_FILE.
  Kafka client from KAFKA_TRANSPORT: kafkajs (default) or platformatic (@platformatic/kafka).
Exit codes: 0 success, 1 failure (invalid payload, breaking change, Kafka error), 2 usage error.`

const HELP: Record<string, string> = {
  main: `Usage: topiq <command> [options]

Commands:
  topics create       create every topic in schemas/ with its partitions and config, plus dead-letter topics
  topics list         show which of those topics exist
  publish <topic> <json|@file>   validate against the topic's schema, then publish
  tail <topic>        print decoded messages (key, headers, value) as they arrive
  lag --group <id>    committed offset, end offset and lag per partition, with totals
  schemas check       fail when a schema change breaks its topic's compatibility level
  schemas new <topic> --from-type <file.ts>#<Type>   bootstrap a schema from a TypeScript type

Run \`topiq <command> --help\` for its options.

${COMMON}`,
  topics: `Usage: topiq topics create|list [--brokers ...] [--prefix ...]

  create   creates each topic in schemas/ (partitions, replication and config from its x-kafka block) and its
           dead-letter topic <domain>.<action>-dlq.json; topics that exist are left as they are (idempotent).
           Without x-kafka.replicationFactor a topic gets min(3, brokers in the cluster) replicas
  list     one row per planned topic: exists or missing, partitions

${COMMON}`,
  publish: `Usage: topiq publish <topic> <json|@file> [--key <key>] [--header name=value ...] [--registry <url>]

  Validates the payload against schemas/<topic> and publishes it. An invalid payload prints every violation with
  its JSON path and exits 1; nothing is sent. The key defaults to the topic's x-kafka.key field.
  --registry <url>   schema registry for topics with x-kafka.framing "registry" (default: SCHEMA_REGISTRY_URL);
                     the topic's framing, not this flag, decides the wire format

${COMMON}`,
  tail: `Usage: topiq tail <topic> [--group <id>] [--from-beginning] [--max <n>] [--timeout <seconds>]

  Prints one JSON line per message: topic, partition, offset, key, headers, value, whether it is valid against
  the schema and why not. Without --group, a throwaway group is used and no offsets are committed.

${COMMON}`,
  lag: `Usage: topiq lag --group <id> [--topic <topic> ...] [--fail-above <n>]

  Committed offset, end offset and lag per partition for the group, with totals (the Python guide's "monitor
  consumer lag"). --fail-above makes the exit code 1 when total lag is above n (for scripts and alerts).

${COMMON}`,
  schemas: `Usage:
  topiq schemas check [--against <git-ref>] [--registry <url>] [--schemas <dir>]
      Compares every schema with its version at <git-ref> (default: the merge base with main) under the topic's
      compatibility level (x-kafka.compatibility; BACKWARD by default; FORWARD, FULL and *_TRANSITIVE, which
      compare with every committed version). Works offline; with --registry (or SCHEMA_REGISTRY_URL) also asks
      the registry's compatibility endpoint and reports both. Exit 1 on any breaking change.
  topiq schemas new <topic> --from-type <file.ts>#<Type> [--key <field>] [--partitions <n>] [--schemas <dir>]
      Writes schemas/<topic> from an existing TypeScript type (typescript-json-schema); never overwrites.`,
}

class UsageError extends Error {}

function connectionContext(values: { brokers?: string | undefined; prefix?: string | undefined }): KafkaCommandContext {
  return {
    connection: resolveConnection({ ...(values.brokers === undefined ? {} : { brokers: values.brokers }), clientId: 'topiq-cli' }),
    prefix: resolveTopicPrefix(values.prefix),
    logger: jsonLogger({ level: 'error', name: 'topiq' }),
  }
}

export async function main(argv: readonly string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      brokers: { type: 'string' },
      prefix: { type: 'string' },
      key: { type: 'string' },
      header: { type: 'string', multiple: true },
      registry: { type: 'string' },
      group: { type: 'string' },
      topic: { type: 'string', multiple: true },
      'from-beginning': { type: 'boolean', default: false },
      max: { type: 'string' },
      timeout: { type: 'string' },
      'fail-above': { type: 'string' },
      against: { type: 'string' },
      schemas: { type: 'string' },
      'from-type': { type: 'string' },
      partitions: { type: 'string' },
    },
  })
  const [command, sub, ...rest] = positionals
  if (command === undefined) {
    out(HELP['main'] ?? '')
    return values.help ? EXIT.ok : EXIT.usage
  }
  const help = HELP[command]
  if (help === undefined) throw new UsageError(`unknown command "${command}"`)
  if (values.help) {
    out(help)
    return EXIT.ok
  }
  const int = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined
    const n = Number(value)
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${value}"`)
    return n
  }
  const schemasDir = resolve(values.schemas ?? 'schemas')

  switch (command) {
    case 'topics': {
      const ctx = connectionContext(values)
      if (sub === 'create') {
        const { created, existing, replicationFactor } = await topicsCreate(ctx)
        for (const t of created) out(`created  ${t}  (replication factor ${replicationFactor[t] ?? '?'})`)
        for (const t of existing) out(`exists   ${t}`)
        out(`${created.length} created, ${existing.length} already existed (brokers ${ctx.connection.brokers.join(',')})`)
        return EXIT.ok
      }
      if (sub === 'list') {
        const rows = await topicsList(ctx)
        out(formatTable(['topic', 'status', 'partitions'], rows.map((r) => [r.topic, r.exists ? 'exists' : 'MISSING', r.exists ? String(r.partitions) : `(${r.plannedPartitions} planned)`])))
        const missing = rows.filter((r) => !r.exists).length
        if (missing > 0) out(`${missing} topic(s) missing: run \`topiq topics create\``)
        return EXIT.ok
      }
      throw new UsageError('topics needs "create" or "list"')
    }
    case 'publish': {
      const [payload] = rest
      if (sub === undefined || payload === undefined) throw new UsageError('publish needs <topic> and <json|@file>')
      const headers: Record<string, string> = {}
      for (const h of values.header ?? []) {
        const eq = h.indexOf('=')
        if (eq <= 0) throw new UsageError(`--header must be name=value, got "${h}"`)
        headers[h.slice(0, eq)] = h.slice(eq + 1)
      }
      const ctx = connectionContext(values)
      const registry = resolveRegistry(values.registry)
      const result = await publishCommand(ctx, { topic: sub, payload, headers, ...(values.key === undefined ? {} : { key: values.key }), ...(registry === undefined ? {} : { registry }) })
      out(JSON.stringify(result))
      return EXIT.ok
    }
    case 'tail': {
      if (sub === undefined) throw new UsageError('tail needs <topic>')
      const ctx = connectionContext(values)
      const controller = new AbortController()
      const stop = () => controller.abort()
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)
      const max = int('max', values.max)
      const timeout = int('timeout', values.timeout)
      try {
        await tail(ctx, {
          topic: sub,
          fromBeginning: values['from-beginning'],
          ...(values.group === undefined ? {} : { group: values.group }),
          ...(max === undefined ? {} : { max }),
          ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
          signal: controller.signal,
          onMessage: (m) => out(JSON.stringify(m)),
        })
      } finally {
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
      }
      return EXIT.ok
    }
    case 'lag': {
      if (values.group === undefined) throw new UsageError('lag needs --group <id>')
      const ctx = connectionContext(values)
      const rows = await groupLag(ctx, values.group, values.topic)
      if (rows.length === 0) {
        out(`group "${values.group}" has no committed offsets${values.topic ? ` on ${values.topic.join(', ')}` : ''}: it has not consumed yet, or the name is wrong`)
        return EXIT.ok
      }
      const total = rows.reduce((sum, r) => sum + r.lag, 0)
      out(formatTable(['topic', 'partition', 'committed', 'end', 'lag'], [...rows.map((r) => [r.topic, String(r.partition), r.committed, r.end, String(r.lag)]), ['total', '', '', '', String(total)]]))
      const failAbove = int('fail-above', values['fail-above'])
      if (failAbove !== undefined && total > failAbove) {
        err(`total lag ${total} is above ${failAbove}: add consumers to the group (up to the partition count), or look for a slow or failing handler`)
        return EXIT.failure
      }
      return EXIT.ok
    }
    case 'schemas': {
      if (sub === 'check') {
        const repoRoot = resolve(schemasDir, '..')
        const registry = resolveRegistry(values.registry)
        const report = await schemasCheck({
          repoRoot,
          schemasDir,
          ...(values.against === undefined ? {} : { against: values.against }),
          ...(registry === undefined ? {} : { registryUrl: registry.url, topicPrefix: resolveTopicPrefix(values.prefix) }),
        })
        const text = formatSchemasCheck(report)
        if (report.ok) out(text)
        else err(text)
        return report.ok ? EXIT.ok : EXIT.failure
      }
      if (sub === 'new') {
        const [topic] = rest
        const from = values['from-type']
        const hash = from?.lastIndexOf('#') ?? -1
        if (topic === undefined || from === undefined || hash <= 0) throw new UsageError('schemas new needs <topic> --from-type <file.ts>#<Type>')
        const partitions = int('partitions', values.partitions)
        const { path } = await bootstrapSchema({
          topic,
          typeFile: from.slice(0, hash),
          typeName: from.slice(hash + 1),
          schemasDir,
          ...(values.key === undefined ? {} : { key: values.key }),
          ...(partitions === undefined ? {} : { partitions }),
        })
        out(`wrote ${path}\nreview it (descriptions, formats such as date-time), then run \`pnpm codegen\``)
        return EXIT.ok
      }
      throw new UsageError('schemas needs "check" or "new"')
    }
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

export async function run(argv: readonly string[]): Promise<number> {
  try {
    return await main(argv)
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`topiq: ${(error as Error).message}\nRun \`topiq --help\`.`)
      return EXIT.usage
    }
    if (isContractError(error) || isKafkaClientError(error) || isCodegenError(error)) {
      console.error(`topiq: ${error.message}`)
      return EXIT.failure
    }
    console.error(`topiq: ${(error as Error).message ?? String(error)}`)
    return EXIT.failure
  }
}

if (import.meta.main) process.exitCode = await run(process.argv.slice(2))
