import {
  PrefectDateTime,
  matchesLogFilter,
  matchesLogTextQuery,
  uuidv7,
  type Clock,
  type Log,
  type LogCreate,
  type LogFilter,
  type LogSort,
} from '@flowcast/core'
import { LogCreateSchema, validate } from '@flowcast/core/schemas'
import { fakeError, formatMicros } from './util.js'

/** Log options of the fake (part of `FakePrefectOptions`). */
export interface FakeLogsOptions {
  /**
   * Whether `/logs/out` streams logs, like a Prefect server with
   * `PREFECT_SERVER_LOGS_STREAM_OUT_ENABLED` and `…_PUBLISHING_ENABLED` on. `false` behaves like
   * a default OSS server: the socket accepts, authenticates and takes the filter, then sends
   * nothing (docs/protocol.md §11.3).
   * @default true
   */
  logStream?: boolean
  /**
   * Logs sharing a timestamp come back from `POST /logs/filter` in a random order on every
   * request (Prefect sorts by timestamp only), to prove a client pages correctly anyway.
   * @default false
   */
  shuffleLogTies?: boolean
  /**
   * Logs queued per `/logs/out` subscriber before new ones are dropped silently.
   * @default 256
   */
  logBacklog?: number
}

/** Defaults of {@link FakeLogsOptions}. */
export const fakeLogsDefaults = Object.freeze({
  logStream: true,
  shuffleLogTies: false,
  logBacklog: 256,
})

/** A log to store: `LogCreate` with the timestamp optional (server time by default). */
export type FakeLogInput = Omit<LogCreate, 'timestamp' | 'name' | 'level'> & {
  /** @default server time now */
  timestamp?: string
  /** @default 'prefect.flow_runs' */
  name?: string
  /** @default 20 (INFO) */
  level?: number
}

/** What a `/logs/out` subscriber looks like to the store. */
export interface LogsSubscriber {
  readonly filter: LogFilter
  /** Queues a matching log (the subscriber applies its backlog). */
  deliver(log: Log, frame: string): void
  /** Queues a raw frame (fault injection). */
  inject(text: string): void
}

/** The fake's logs: store, stream switch and faults. */
export interface FakeLogs {
  /** Every stored log, in arrival order. */
  readonly all: readonly Log[]
  /** Stores logs as `POST /logs/` does and streams them to `/logs/out` subscribers. */
  create(inputs: readonly FakeLogInput[]): Log[]
  /** Whether `/logs/out` streams (see {@link FakeLogsOptions.logStream}). */
  streaming: boolean
  /** Whether `POST /logs/filter` shuffles ties (see {@link FakeLogsOptions.shuffleLogTies}). */
  shuffleTies: boolean
  /** Open `/logs/out` connections that have sent a valid filter. */
  readonly subscribers: number
  /** Resolves once a `/logs/out` subscriber has sent its filter (an existing one too, when asked). */
  waitForSubscriber(options?: { existing?: boolean; signal?: AbortSignal }): Promise<void>
  /** Drops every `/logs/out` connection: abruptly, or with a close code. */
  dropConnections(code?: number, reason?: string): number
  /** Sends raw frames (text, or JSON of an object) to every `/logs/out` subscriber, in order with logs. */
  injectFrames(frames: readonly (string | Record<string, unknown>)[]): number
  /** Holds outgoing log frames (the backlog fills, then drops); `false` releases them. */
  setPaused(paused: boolean): void
  /** Logs dropped because a subscriber's backlog was full. */
  readonly dropped: number
}

/** @internal The store behind {@link FakeLogs}. */
export class FakeLogStore implements FakeLogs {
  readonly #clock: Clock
  readonly #nowMicros: () => bigint
  readonly #random: () => number
  readonly backlog: number
  #logs: Log[] = []
  /** Timestamps as microseconds, for sorting without re-parsing. */
  #micros = new WeakMap<Log, bigint>()
  #ids = new Set<string>()
  readonly #subscribers = new Set<LogsSubscriber & { drop(code?: number, reason?: string): void }>()
  #waiters = new Set<() => void>()
  streaming: boolean
  shuffleTies: boolean
  paused = false
  #resumeListeners = new Set<() => void>()
  dropped = 0

  constructor(
    host: { clock: Clock; nowMicros(): bigint; random: () => number },
    options: FakeLogsOptions,
  ) {
    this.#clock = host.clock
    this.#nowMicros = () => host.nowMicros()
    this.#random = host.random
    this.streaming = options.logStream ?? fakeLogsDefaults.logStream
    this.shuffleTies = options.shuffleLogTies ?? fakeLogsDefaults.shuffleLogTies
    this.backlog = options.logBacklog ?? fakeLogsDefaults.logBacklog
    if (!Number.isInteger(this.backlog) || this.backlog < 0) {
      throw fakeError('INVALID_OPTIONS', 'invalid options', 'logBacklog must be an integer >= 0')
    }
  }

  get all(): readonly Log[] {
    return this.#logs
  }

  get subscribers(): number {
    return this.#subscribers.size
  }

  create(inputs: readonly FakeLogInput[]): Log[] {
    const created: Log[] = []
    for (const input of inputs) {
      const now = formatMicros(this.#nowMicros())
      const candidate = {
        name: input.name ?? 'prefect.flow_runs',
        level: input.level ?? 20,
        message: input.message,
        timestamp: input.timestamp ?? now,
        ...(input.flow_run_id !== undefined ? { flow_run_id: input.flow_run_id } : {}),
        ...(input.task_run_id !== undefined ? { task_run_id: input.task_run_id } : {}),
      }
      const result = validate(LogCreateSchema, candidate)
      if (!result.success) {
        throw fakeError(
          'INVALID_OPTIONS',
          'invalid log',
          result.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
        )
      }
      created.push(this.#store(result.data, now))
    }
    return created
  }

  /** Stores validated `LogCreate`s (NUL bytes stripped, docs/protocol.md §11.2). */
  storeValidated(inputs: readonly LogCreate[]): Log[] {
    return inputs.map((input) => this.#store(input, formatMicros(this.#nowMicros())))
  }

  #store(input: LogCreate, now: string): Log {
    let id = uuidv7({ clock: this.#clock })
    while (this.#ids.has(id)) id = uuidv7({ clock: this.#clock })
    const timestamp = PrefectDateTime.parse(input.timestamp)
    const log: Log = {
      id,
      created: now,
      updated: now,
      name: input.name.replaceAll('\u0000', ''),
      level: input.level,
      message: input.message.replaceAll('\u0000', ''),
      timestamp: timestamp.toString(),
      flow_run_id: input.flow_run_id?.toLowerCase() ?? null,
      task_run_id: input.task_run_id?.toLowerCase() ?? null,
    }
    this.#ids.add(id)
    this.#micros.set(log, timestamp.epochMicros)
    this.#logs.push(log)
    if (this.streaming) {
      const frame = JSON.stringify({ type: 'log', log })
      for (const subscriber of this.#subscribers) {
        if (matchesLogFilter(log, subscriber.filter)) subscriber.deliver(log, frame)
      }
    }
    return log
  }

  /** `POST /logs/filter`'s query: filter (all keys, `operator` included), sort, page. */
  query(filter: LogFilter | null, sort: LogSort, offset: number, limit: number): Log[] {
    const matching = this.#logs.filter((log) => matchesWholeFilter(log, filter))
    // Prefect sorts by timestamp only; ties keep arrival order, or a fresh random order.
    const keyed = matching.map((log) => ({
      log,
      at: this.#micros.get(log) ?? 0n,
      tie: this.shuffleTies ? this.#random() : 0,
    }))
    keyed.sort((a, b) => {
      const byTime = a.at < b.at ? -1 : a.at > b.at ? 1 : 0
      return (sort === 'TIMESTAMP_DESC' ? -byTime : byTime) || a.tie - b.tie
    })
    return keyed.slice(offset, offset + limit).map((entry) => entry.log)
  }

  /** @internal A subscriber sent a valid filter. */
  subscribe(
    subscriber: LogsSubscriber & { drop(code?: number, reason?: string): void },
  ): () => void {
    this.#subscribers.add(subscriber)
    for (const waiter of [...this.#waiters]) waiter()
    return () => this.#subscribers.delete(subscriber)
  }

  waitForSubscriber(options: { existing?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    if (options.existing && this.#subscribers.size > 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const done = () => {
        this.#waiters.delete(done)
        options.signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = () => {
        this.#waiters.delete(done)
        reject(fakeError('ABORTED', 'waitForSubscriber aborted'))
      }
      if (options.signal?.aborted) return onAbort()
      options.signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(done)
    })
  }

  injectFrames(frames: readonly (string | Record<string, unknown>)[]): number {
    const all = [...this.#subscribers]
    for (const frame of frames) {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame)
      for (const subscriber of all) subscriber.inject(text)
    }
    return all.length
  }

  dropConnections(code?: number, reason = ''): number {
    const all = [...this.#subscribers]
    for (const subscriber of all) subscriber.drop(code, reason)
    return all.length
  }

  setPaused(paused: boolean): void {
    this.paused = paused
    if (!paused) for (const listener of [...this.#resumeListeners]) listener()
  }

  /** @internal */
  onResume(listener: () => void): () => void {
    this.#resumeListeners.add(listener)
    return () => this.#resumeListeners.delete(listener)
  }

  /** Forgets every log and closes every subscriber. */
  clear(): void {
    this.dropConnections(1001)
    this.#logs = []
    this.#ids.clear()
    this.dropped = 0
  }
}

function matchesWholeFilter(log: Log, filter: LogFilter | null): boolean {
  if (!filter) return true
  const checks: boolean[] = []
  const { text, operator, ...rest } = filter
  // Each key is one criterion; `operator` combines them (docs/protocol.md §11.2).
  for (const [key, value] of Object.entries(rest)) {
    if (value == null) continue
    checks.push(matchesLogFilter(log, { [key]: value } as LogFilter))
  }
  if (text) checks.push(matchesLogTextQuery(log, text.query))
  if (checks.length === 0) return true
  return operator === 'or_' ? checks.some(Boolean) : checks.every(Boolean)
}
