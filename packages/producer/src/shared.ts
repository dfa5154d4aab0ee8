import { KafkaClientError } from '@topiq/kafka-core'
import type { ProducerOptions } from './options.ts'
import { KafkaProducerClient } from './producer.ts'

let shared: KafkaProducerClient | undefined
let hooksInstalled = false

/** How long shutdown waits for the producer to flush and disconnect before letting the process go. */
const SHUTDOWN_TIMEOUT_MS = 5_000
const SIGNALS = ['SIGTERM', 'SIGINT'] as const

/**
 * The process-wide producer (the Python guide's `get_producer()`): created on the first call, connected on the first
 * send, reused by every later call, closed on SIGTERM/SIGINT (then the signal's default exit goes ahead). Options are
 * read on the call that creates it; passing options once it exists throws CONFIG_INVALID rather than ignore them.
 */
export function getProducer(options?: ProducerOptions): KafkaProducerClient {
  if (shared !== undefined && shared.state !== 'closing' && shared.state !== 'closed') {
    if (options !== undefined) {
      throw new KafkaClientError(
        'CONFIG_INVALID',
        'getProducer(options): the shared producer already exists and options are only read when it is created. ' +
          'Pass options on the first call only, or create your own `new KafkaProducerClient(options)`.',
      )
    }
    return shared
  }
  shared = new KafkaProducerClient(options)
  installHooks()
  return shared
}

/** Closes the shared producer (if any); the next `getProducer()` creates a new one. For shutdown code and tests. */
export async function closeProducer(): Promise<void> {
  const producer = shared
  shared = undefined
  removeHooks()
  await producer?.close()
}

function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    // unref: the timer alone must never keep the process alive.
    const timer = setTimeout(resolve, ms)
    timer.unref()
    void promise.finally(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

async function onSignal(signal: NodeJS.Signals): Promise<void> {
  await withTimeout(closeProducer(), SHUTDOWN_TIMEOUT_MS)
  // Our listener replaced Node's default action (exit). If nobody else listens, restore it by re-raising the signal;
  // if the application has its own handler, that handler decides when to exit.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function onBeforeExit(): void {
  // The event loop is empty: nothing will be published any more.
  void closeProducer()
}

const signalListeners = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => void onSignal(s)]))

function installHooks(): void {
  if (hooksInstalled) return
  hooksInstalled = true
  for (const [signal, listener] of signalListeners) process.once(signal, listener)
  process.once('beforeExit', onBeforeExit)
}

function removeHooks(): void {
  if (!hooksInstalled) return
  hooksInstalled = false
  for (const [signal, listener] of signalListeners) process.removeListener(signal, listener)
  process.removeListener('beforeExit', onBeforeExit)
}
