import { defineConfig } from 'vitest/config'

// Tests import workspace packages from source through the `@topiq/source` export condition (STYLE.md item 2),
// so no build step runs before tests.
const conditions = ['@topiq/source', 'node', 'import', 'default']

// The integration and interop suites run twice: on the default transport (kafkajs) and on @platformatic/kafka
// (KAFKA_TRANSPORT=platformatic, read by every producer, consumer and CLI command under test). The second run is
// every file that goes through the transport seam; files that never touch it (local stack, codegen, registry,
// Prometheus, the platformatic compatibility check and the transport conformance suite, which covers both
// transports itself) run once. The two groups (sequence.groupOrder 0 and 1, set on every project: without it all
// projects run at once) never run at the same time: tests that start their own brokers use fixed ports.
const INTEGRATION = ['packages/*/src/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts', 'observability/**/*.int.test.ts']
const TRANSPORT_INDEPENDENT = [
  'packages/local-stack/**',
  'packages/codegen/**',
  'packages/contracts/**',
  'packages/bench/**',
  'packages/test-bus/**',
  'packages/kafka-core/src/registry.int.test.ts',
  'packages/kafka-core/src/transport.int.test.ts',
  'packages/kafka-core/src/platformatic/**',
  'packages/cli/src/schemas-check.int.test.ts',
  'observability/**',
]

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'scripts/**/*.test.ts', 'observability/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          typecheck: {
            enabled: true,
            include: ['packages/*/src/**/*.test-d.ts', 'apps/*/src/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: INTEGRATION,
          exclude: ['**/node_modules/**'],
          // Brings up the real local Kafka + registry (packages/local-stack) unless it is already running.
          globalSetup: ['./packages/local-stack/src/vitest-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          env: { KAFKA_TRANSPORT: 'kafkajs' },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'interop',
          // Foreign clients (confluent-kafka, kafka-python, Java) as peers of ours on the real stack: see README.
          include: ['interop/**/*.test.ts'],
          exclude: ['**/node_modules/**'],
          // The stack (as for `integration`), then the Python venv of the foreign clients (scripts/python-env.sh)
          // and, at the end, the suite's one-line summary.
          globalSetup: ['./packages/local-stack/src/vitest-global-setup.ts', './interop/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxConcurrency: 4,
          env: { KAFKA_TRANSPORT: 'kafkajs' },
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-platformatic',
          include: INTEGRATION,
          exclude: ['**/node_modules/**', ...TRANSPORT_INDEPENDENT],
          globalSetup: ['./packages/local-stack/src/vitest-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          env: { KAFKA_TRANSPORT: 'platformatic' },
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: 'interop-platformatic',
          include: ['interop/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./packages/local-stack/src/vitest-global-setup.ts', './interop/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxConcurrency: 4,
          env: { KAFKA_TRANSPORT: 'platformatic' },
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
