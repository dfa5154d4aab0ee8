#!/usr/bin/env node
// topiq-stack up|down|status|logs [kafka|registry] — a real local Kafka (KRaft) + Apicurio Registry, no Docker.
import { stackConfig } from './config.ts'
import { COMPONENTS, formatStatus, stackDown, stackLogs, stackStatus, stackUp, type ComponentName } from './stack.ts'

const USAGE = `usage: topiq-stack <command>

  up                      start Kafka + Apicurio Registry (downloads them with Maven on first use); no-op if running
  down                    stop what \`up\` started (by pid) and remove its data dir
  status                  show what runs; exit code 0 only when both run and answer
  logs [kafka|registry] [-n LINES]
                          print the tail of the logs (default 50 lines each)
  env                     print the connection settings as shell exports

environment: TOPIQ_HOME, TOPIQ_STACK_DIR, TOPIQ_STACK_CACHE_DIR, TOPIQ_STACK_MAVEN_REPO, TOPIQ_KAFKA_PORT (29092),
  TOPIQ_KAFKA_SASL_PORT (29093), TOPIQ_KAFKA_CONTROLLER_PORT (29094), TOPIQ_REGISTRY_PORT (8081),
  TOPIQ_REGISTRY_MANAGEMENT_PORT (29095), TOPIQ_STACK_READY_TIMEOUT_SECONDS (120), TOPIQ_STACK_STOP_GRACE_SECONDS (20),
  TOPIQ_STACK_SCRAM_PASSWORD (dev-only default), TOPIQ_STACK_JAVA, TOPIQ_STACK_MVN, TOPIQ_KAFKA_HEAP, TOPIQ_REGISTRY_HEAP`

// kafkajs 2.2.4 schedules setTimeout(…, negative) in its request queue; Node ≥ 24 warns about it on every run
// (TimeoutNegativeWarning, harmless: Node uses 1 ms). Keep the CLI's output readable; print every other warning.
process.removeAllListeners('warning')
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') console.error(`(node) ${w.name}: ${w.message}`)
})

function fail(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e)
  console.error(`[topiq-stack] error: ${msg}`)
  process.exit(1)
}

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv
  switch (cmd) {
    case 'up': {
      await stackUp()
      return 0
    }
    case 'down': {
      await stackDown()
      return 0
    }
    case 'status': {
      const st = await stackStatus()
      console.log(formatStatus(st))
      return st.running ? 0 : 1
    }
    case 'logs': {
      let which: ComponentName | undefined
      let lines = 50
      for (let i = 0; i < rest.length; i++) {
        const a = rest[i]
        if (a === '-n' || a === '--lines') {
          lines = Number(rest[++i])
          if (!Number.isInteger(lines) || lines <= 0) throw new Error(`${a} needs a positive number`)
        } else if (a !== undefined && (COMPONENTS as readonly string[]).includes(a)) {
          which = a as ComponentName
        } else {
          throw new Error(`logs: unknown argument ${String(a)} (expected kafka, registry or -n LINES)`)
        }
      }
      console.log(await stackLogs(which, lines))
      return 0
    }
    case 'env': {
      const cfg = stackConfig()
      console.log(
        [
          `export TOPIQ_KAFKA_BROKERS=${cfg.brokers.join(',')}`,
          `export TOPIQ_KAFKA_SASL_BROKERS=${cfg.saslBrokers.join(',')}`,
          `export TOPIQ_KAFKA_SASL_MECHANISM=${cfg.scram.mechanism}`,
          `export TOPIQ_KAFKA_SASL_USERNAME=${cfg.scram.username}`,
          `export TOPIQ_KAFKA_SASL_PASSWORD='${cfg.scram.password.replace(/'/g, `'\\''`)}' # dev-only`,
          `export TOPIQ_SCHEMA_REGISTRY_URL=${cfg.registryUrl}`,
        ].join('\n'),
      )
      return 0
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      console.log(USAGE)
      return cmd === undefined ? 2 : 0
    default:
      console.error(`unknown command: ${cmd}\n\n${USAGE}`)
      return 2
  }
}

main(process.argv.slice(2)).then((code) => process.exit(code), fail)
