#!/usr/bin/env node
// topiq-stack up [--brokers 3]|down|status|logs [kafka|registry]|env — a real local Kafka (KRaft) + Apicurio Registry, no Docker.
import { parseLogsArgs, parseUpArgs, UsageError } from './args.ts'
import { formatEnvExports } from './config.ts'
import { formatStatus, stackConnection, stackDown, stackLogs, stackStatus, stackUp } from './stack.ts'

const USAGE = `usage: topiq-stack <command>

  up [--brokers 1|3]      start Kafka + Apicurio Registry (downloads them with Maven on first use); no-op if running.
                          --brokers 3: a 3-node KRaft cluster (RF 3, min.insync.replicas 2) instead of one broker;
                          node 1 on the usual ports, nodes 2-3 from TOPIQ_KAFKA_NODE_BASE_PORT (29192-29197).
                          Without --brokers: whatever runs, else one broker. Another size running: \`down\` first.
  down                    stop what \`up\` started (by pid: every Kafka node, then the registry), remove its data dir
  status                  show what runs, each Kafka node; exit code 0 only when all run and answer
  logs [kafka|registry] [-n LINES]
                          print the tail of the logs (default 50 lines each; kafka: every node's)
  env                     print the connection settings as shell exports (every broker while a cluster runs)

environment: TOPIQ_HOME, TOPIQ_STACK_DIR, TOPIQ_STACK_CACHE_DIR, TOPIQ_STACK_MAVEN_REPO, TOPIQ_KAFKA_PORT (29092),
  TOPIQ_KAFKA_SASL_PORT (29093), TOPIQ_KAFKA_CONTROLLER_PORT (29094), TOPIQ_KAFKA_NODE_BASE_PORT (29192), TOPIQ_REGISTRY_PORT (8081),
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
  if (e instanceof UsageError) {
    console.error(`${msg}\n\n${USAGE}`)
    process.exit(2)
  }
  console.error(`[topiq-stack] error: ${msg}`)
  process.exit(1)
}

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv
  switch (cmd) {
    case 'up': {
      const { brokers } = parseUpArgs(rest)
      await stackUp(brokers === undefined ? {} : { brokers })
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
      const { which, lines } = parseLogsArgs(rest)
      console.log(await stackLogs(which, lines))
      return 0
    }
    case 'env': {
      console.log(formatEnvExports(await stackConnection()))
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
