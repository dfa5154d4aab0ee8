import { CodegenError } from './errors.ts'

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number]

/**
 * Wire format of the topic's values, the same for every producer of the topic: `json` (plain UTF-8 JSON) or
 * `registry` (Confluent Schema Registry framing: magic byte 0, 4-byte schema id, JSON).
 */
export const FRAMINGS = ['json', 'registry'] as const
export type Framing = (typeof FRAMINGS)[number]

/** The `x-kafka` keyword of a topic schema: the one place topic metadata lives. */
export interface TopicMetadataInput {
  partitions?: number
  /** Unset: as many replicas as the cluster has brokers, up to 3, decided when the topic is created. */
  replicationFactor?: number
  /** Top-level required property whose value becomes the message key. */
  key?: string
  compatibility?: CompatibilityLevel
  framing?: Framing
  /** Extra topic configs (`retention.ms`, `cleanup.policy`, …) passed to topic creation. */
  config?: Record<string, string>
}

export interface TopicMetadata {
  partitions: number
  /** Absent when the schema does not set it: provisioning resolves it from the cluster (min(3, brokers)). */
  replicationFactor?: number
  key: string | null
  compatibility: CompatibilityLevel
  framing: Framing
  config: Record<string, string>
}

export const METADATA_KEYWORD = 'x-kafka'

const DEFAULTS = {
  partitions: 3, // room for a consumer group of three without resizing the topic
  compatibility: 'BACKWARD', // consumers on the new schema can read old events: the registry's default
  framing: 'json', // readable by any client without a registry; `registry` is opted into per topic
} as const

const KNOWN = new Set(['partitions', 'replicationFactor', 'key', 'compatibility', 'framing', 'config'])

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function readTopicMetadata(file: string, schema: Record<string, unknown>): TopicMetadata {
  const raw = schema[METADATA_KEYWORD] ?? {}
  const fail = (what: string): never => {
    throw new CodegenError('INVALID_METADATA', `${file}: "${METADATA_KEYWORD}" ${what}`, { file })
  }
  if (!isRecord(raw)) return fail('must be an object')
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) fail(`has unknown field "${key}" (known: ${[...KNOWN].join(', ')})`)
  }
  const int = (name: string, fallback?: number): number => {
    const value = raw[name] ?? fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      return fail(`.${name} must be an integer ≥ 1, got ${JSON.stringify(value)}`)
    }
    return value
  }
  const compatibility = raw['compatibility'] ?? DEFAULTS.compatibility
  if (typeof compatibility !== 'string' || !(COMPATIBILITY_LEVELS as readonly string[]).includes(compatibility)) {
    fail(`.compatibility must be one of ${COMPATIBILITY_LEVELS.join(', ')}, got ${JSON.stringify(compatibility)}`)
  }
  const framing = raw['framing'] ?? DEFAULTS.framing
  if (typeof framing !== 'string' || !(FRAMINGS as readonly string[]).includes(framing)) {
    fail(
      `.framing must be one of ${FRAMINGS.map((f) => JSON.stringify(f)).join(', ')} (default "json"), got ${JSON.stringify(framing)}: ` +
        '"json" writes plain JSON values, "registry" the Confluent Schema Registry wire format',
    )
  }
  const key = raw['key'] ?? null
  if (key !== null) {
    if (typeof key !== 'string') fail(`.key must be a property name, got ${JSON.stringify(key)}`)
    const properties = isRecord(schema['properties']) ? schema['properties'] : {}
    const required = Array.isArray(schema['required']) ? schema['required'] : []
    const keySchema = properties[key as string]
    if (!isRecord(keySchema) || !required.includes(key)) {
      fail(`.key names "${String(key)}", which must be a required top-level property of the schema`)
    }
    if (isRecord(keySchema) && !['string', 'integer'].includes(String(keySchema['type']))) {
      fail(`.key property "${String(key)}" must be of type string or integer to serve as a message key`)
    }
  }
  const config = raw['config'] ?? {}
  if (!isRecord(config) || Object.values(config).some((v) => typeof v !== 'string')) {
    fail('.config must be an object of string values (Kafka topic configs such as "retention.ms": "604800000")')
  }
  // No default: a number baked in here is wrong for some cluster (1 loses data on a production cluster, 3 cannot be
  // created on the one-broker local stack), so an unset factor is resolved from the cluster at provisioning time.
  const replicationFactor = raw['replicationFactor'] == null ? undefined : int('replicationFactor')
  const minIsr = (config as Record<string, unknown>)['min.insync.replicas']
  if (replicationFactor !== undefined && typeof minIsr === 'string' && Number(minIsr) > replicationFactor) {
    fail(
      `.config["min.insync.replicas"] is ${minIsr}, more than .replicationFactor ${replicationFactor}: ` +
        'acks=all writes could never be acknowledged; lower min.insync.replicas or raise replicationFactor',
    )
  }
  return {
    partitions: int('partitions', DEFAULTS.partitions),
    ...(replicationFactor === undefined ? {} : { replicationFactor }),
    key: key as string | null,
    compatibility: compatibility as CompatibilityLevel,
    framing: framing as Framing,
    config: config as Record<string, string>,
  }
}
