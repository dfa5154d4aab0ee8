import { defineConfig } from 'vitest/config'

// Tests import workspace packages from source through the `@topiq/source` export condition (STYLE.md item 2),
// so no build step runs before tests.
const conditions = ['@topiq/source', 'node', 'import', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
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
          include: ['packages/*/src/**/*.int.test.ts', 'apps/*/src/**/*.int.test.ts', 'observability/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          // Brings up the real local Kafka + registry (packages/local-stack) unless it is already running.
          globalSetup: ['./packages/local-stack/src/vitest-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
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
        },
      },
    ],
  },
})
