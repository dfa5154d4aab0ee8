// Runs interop/python/peer.py (confluent-kafka or kafka-python) or a Java peer (interop/java/*.java) as a child
// process and reads its JSON lines.
// Every child is tracked: killPeers() (afterEach/afterAll) ends whatever a failed case left running.
import { spawn, type ChildProcess } from 'node:child_process'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findJava, runtimePaths, stackConfig } from '@topiq/local-stack'
import { inject } from 'vitest'

export type PythonClient = 'confluent' | 'kafka-python'
export const PYTHON_CLIENTS: readonly PythonClient[] = ['confluent', 'kafka-python']
export const CLIENT_NAME: Record<PythonClient, string> = { confluent: 'confluent-kafka', 'kafka-python': 'kafka-python' }
/** Foreign producers of the foreign → topiq cases: the Python clients and the Java client (interop/java/Producer.java). */
export type ProducerClient = PythonClient | 'java'
export const PRODUCER_CLIENTS: readonly ProducerClient[] = [...PYTHON_CLIENTS, 'java']
export const PRODUCER_NAME: Record<ProducerClient, string> = { ...CLIENT_NAME, java: 'Java kafka-clients' }

/** Bytes as the peer prints them: the UTF-8 text when valid, always the hex. */
export type PeerBytes = { utf8: string | null; hex: string } | null

export interface ProducedLine {
  type: 'produced'
  topic: string
  partition: number
  offset: number
  key: PeerBytes
  txn: 'commit' | 'abort' | null
}
export interface RecordLine {
  type: 'record'
  topic: string
  partition: number
  offset: number
  key: PeerBytes
  headers: { key: string; value: PeerBytes }[]
  framing: 'plain' | 'registry' | 'tombstone' | 'undecodable'
  schema_id?: number
  value: unknown
  error?: string
}
export interface AssignmentLine {
  type: 'assigned' | 'revoked'
  partitions: [string, number][]
}
export interface ErrorLine {
  type: 'error'
  error: string
  code: string
}
export interface StoppedLine {
  type: 'stopped'
  records: number
}
export type PeerLine = ProducedLine | RecordLine | AssignmentLine | ErrorLine | StoppedLine

const PEER = fileURLToPath(new URL('./python/peer.py', import.meta.url))
const JAVA_MEMBER = fileURLToPath(new URL('./java/GroupMember.java', import.meta.url))
const JAVA_PRODUCER = fileURLToPath(new URL('./java/Producer.java', import.meta.url))

export interface Launcher {
  command: string
  prefix: readonly string[]
  keepStdinOpen?: boolean
}

/** A single-file Java program on the broker's own kafka-clients jars, with the stack's Java. */
function javaLauncher(program: string, keepStdinOpen: boolean): Launcher {
  const java = findJava(process.env['TOPIQ_STACK_JAVA']).path
  const libs = runtimePaths(stackConfig()).kafkaLibDir
  return { command: java, prefix: ['-cp', `${libs}/*`, program], keepStdinOpen }
}

/** interop/java/GroupMember.java on the broker's own kafka-clients jars, with the stack's Java. */
export function javaMember(args: readonly string[]): Peer {
  return new Peer(args, javaLauncher(JAVA_MEMBER, true))
}
const running = new Set<ChildProcess>()

/** A running peer: its lines so far, and how it ended. */
export class Peer {
  readonly args: readonly string[]
  readonly program: string
  readonly lines: PeerLine[] = []
  stderr = ''
  /** stdout lines that were not JSON. */
  readonly noise: string[] = []
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly child: ChildProcess
  private readonly listeners = new Set<() => void>()

  /** `launcher` defaults to interop/python/peer.py in the suite's venv; see javaMember() for the Java one. */
  constructor(args: readonly string[], launcher: Launcher = { command: inject('interopPython'), prefix: [PEER] }) {
    this.args = args
    this.program = basename(launcher.prefix.at(-1) ?? launcher.command)
    const child = spawn(launcher.command, [...launcher.prefix, ...args], {
      // GroupMember.java leaves its group when stdin closes: keep a pipe open for as long as it should run.
      stdio: [launcher.keepStdinOpen === true ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    })
    this.child = child
    running.add(child)
    let partial = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = partial + chunk.toString()
      const lines = text.split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (line.trim() === '') continue
        try {
          this.lines.push(JSON.parse(line) as PeerLine)
        } catch {
          this.noise.push(line) // a library's log line on stdout: kept for the failure message, never fatal
        }
      }
      for (const listener of this.listeners) listener()
    })
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()))
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        running.delete(child)
        for (const listener of this.listeners) listener()
        resolve({ code, signal })
      })
      child.on('error', (error) => {
        this.stderr += `spawn failed: ${error.message}`
        resolve({ code: -1, signal: null })
      })
    })
  }

  get done(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null
  }

  records(): RecordLine[] {
    return this.lines.filter((l): l is RecordLine => l.type === 'record')
  }

  errors(): ErrorLine[] {
    return this.lines.filter((l): l is ErrorLine => l.type === 'error')
  }

  /** The partitions of the latest assignment (empty before the first). */
  assignment(): [string, number][] {
    const last = this.lines.filter((l): l is AssignmentLine => l.type === 'assigned').at(-1)
    return last?.partitions ?? []
  }

  /** Resolves once `ready()` holds; rejects after `timeoutMs` or when the peer exits first, saying what it printed. */
  waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (ready()) finish()
        else if (this.done) finish(new Error(`${this.describe()} exited before ${what}`))
      }
      const timer = setTimeout(() => finish(new Error(`${this.describe()}: no ${what} within ${timeoutMs} ms`)), timeoutMs)
      const finish = (error?: Error): void => {
        clearTimeout(timer)
        this.listeners.delete(check)
        if (error === undefined) resolve()
        else reject(error)
      }
      this.listeners.add(check)
      check()
    })
  }

  /** SIGTERM (the peer finishes its record, leaves the group), SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.done) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }

  describe(): string {
    const errors = this.errors().map((e) => e.error)
    // peer.py's watchdog ("Timeout (h:mm:ss)!" then every thread's stack) is shown whole: it says where the peer hung.
    const tail = /^Timeout \(/m.test(this.stderr) ? 60 : 5
    const stderr = [...this.noise.slice(-3), ...this.stderr.trim().split('\n').slice(-tail)].filter((l) => l !== '').join(' | ')
    return `${this.program} ${this.args.slice(0, 3).join(' ')}${errors.length > 0 ? `; errors: ${[...new Set(errors)].join('; ')}` : ''}${stderr !== '' ? `; stderr: ${stderr}` : ''}`
  }
}

/** Runs a peer to completion: its lines, or a rejection with its stderr (non-zero exit, or killed after `timeoutMs`). */
export async function runPeer(args: readonly string[], timeoutMs = 60_000, launcher?: Launcher): Promise<PeerLine[]> {
  const peer = new Peer(args, launcher)
  const timer = setTimeout(() => void peer.stop(1_000), timeoutMs)
  const { code, signal } = await peer.exited
  clearTimeout(timer)
  if (code !== 0) throw new Error(`${peer.describe()} failed (exit ${code ?? signal}${signal !== null ? `, killed after ${timeoutMs} ms` : ''})`)
  return peer.lines
}

/** Produces with a Python client; returns what it wrote (one line per record). */
export async function pythonProduce(client: PythonClient, topic: string, options: readonly string[] = []): Promise<ProducedLine[]> {
  const lines = await runPeer(['produce', '--client', client, '--topic', topic, ...options])
  return lines.filter((l): l is ProducedLine => l.type === 'produced')
}

/** Produces with the Java client (interop/java/Producer.java, peer.py's `produce` options); same lines. */
export async function javaProduce(topic: string, options: readonly string[] = []): Promise<ProducedLine[]> {
  const lines = await runPeer(['--topic', topic, ...options], 60_000, javaLauncher(JAVA_PRODUCER, false))
  return lines.filter((l): l is ProducedLine => l.type === 'produced')
}

/** Produces with any foreign producer of the foreign → topiq cases. */
export function foreignProduce(client: ProducerClient, topic: string, options: readonly string[] = []): Promise<ProducedLine[]> {
  return client === 'java' ? javaProduce(topic, options) : pythonProduce(client, topic, options)
}

export function killPeers(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

export function hex(bytes: PeerBytes): string | null {
  return bytes === null ? null : bytes.hex
}
