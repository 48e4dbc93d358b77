import {
  FlowcastError,
  TERMINAL_STATE_TYPES,
  flowRunStateFromFlowRun,
  resolveProfile,
  silentLogger,
  systemClock,
  type Clock,
  type FlowRun,
  type FlowcastProfile,
  type FlowRunStateObservation,
  type Instrumentation,
  type Logger,
  type PullRunStateSource,
  type PushRunStateSource,
  type RunStateSourceHealth,
  type TimerHandle,
} from '@flowcast/core'
import { atLeastOr, instrumentsOf, nonNegativeOr, notifyListeners } from '@flowcast/core/internal'
import type { PrefectClient } from './client.js'

/** Options of {@link createPollingRunStateSource}. */
export interface PollingRunStateSourceOptions {
  /** The REST client (only `readFlowRun` and `filterFlowRuns` are used). */
  client: Pick<PrefectClient, 'readFlowRun' | 'filterFlowRuns'>
  /**
   * Delay before the first poll after a run is watched or a state changed, in ms.
   * @default 1_000
   */
  intervalMs?: number
  /**
   * The interval grows by this factor after each poll that saw no change.
   * @default 1.5
   */
  intervalMultiplier?: number
  /**
   * The interval never grows past this, in ms.
   * @default 10_000
   */
  maxIntervalMs?: number
  /**
   * Rows per `POST /flow_runs/filter` page. Prefect rejects a `limit` above
   * `PREFECT_SERVER_API_DEFAULT_LIMIT` (200 unless changed on the server).
   * @default 200
   */
  pageSize?: number
  /**
   * Flow-run ids per request when more runs are watched than fit in one page.
   * @default 1_000
   */
  maxIdsPerRequest?: number
  /**
   * Time limit of each request, in ms.
   * @default the client's
   */
  requestTimeoutMs?: number
  /** @default systemClock */
  clock?: Clock
  /** @default silentLogger */
  logger?: Logger
  /**
   * `'test'` starts from {@link pollingRunStateSourceTestProfile} instead of
   * {@link pollingRunStateSourceDefaults} (a poll every 10 ms growing to 100 ms, for tests
   * against a fake server); options given here win.
   * @default 'default'
   */
  profile?: FlowcastProfile
  /**
   * Receives `flowcast.polling.runs` (flow runs asked for per request). The requests
   * themselves are measured by the client's own `instrumentation`.
   * A bare `InstrumentationBackend` is refused (`INVALID_OPTIONS`): wrap it with
   * `createInstrumentation(backend)` from `@flowcast/core`.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
}

/** Defaults of {@link PollingRunStateSourceOptions}. */
export const pollingRunStateSourceDefaults = {
  intervalMs: 1_000,
  intervalMultiplier: 1.5,
  maxIntervalMs: 10_000,
  pageSize: 200,
  maxIdsPerRequest: 1_000,
} as const

/**
 * The values {@link PollingRunStateSourceOptions.profile} `'test'` uses instead of
 * {@link pollingRunStateSourceDefaults}: the first poll 10 ms after a watch or a change,
 * growing by 1.5 to at most 100 ms.
 */
export const pollingRunStateSourceTestProfile = {
  ...pollingRunStateSourceDefaults,
  intervalMs: 10,
  intervalMultiplier: 1.5,
  maxIntervalMs: 100,
} as const

/**
 * A run-state source over REST that is both push (batched polling of every watched run) and
 * pull (`read`, batched with other reads of the same moment).
 *
 * Each poll costs one `POST /flow_runs/filter` per `maxIdsPerRequest` watched runs:
 * - up to `pageSize` watched runs: every run's current state (`id.any_`), so `watch`
 *   listeners see every state the poll catches;
 * - more: only runs that reached a terminal state type (`id.any_` + `state.type.any_`), paged
 *   when more than `pageSize` finished at once, so intermediate states are not pushed.
 *
 * Polling sees the state at each poll, so a state that is replaced before the next poll is
 * never pushed (terminal states are final, so they are always seen). A run that reached a
 * terminal state is not polled again.
 */
export interface PollingRunStateSource extends PushRunStateSource, PullRunStateSource {
  readonly name: 'polling'
  /** Runs currently watched. */
  readonly watchedRuns: number
  /** The current poll interval, in ms. */
  readonly intervalMs: number
  /** Polls now instead of waiting for the timer; resolves when the poll is done. */
  pollNow(): Promise<void>
  /** Stops polling, rejects pending reads with `CLOSED` and drops every listener. */
  close(): void
}

type Listener = (observation: FlowRunStateObservation) => void

interface Watched {
  listeners: Listener | Listener[]
  /** `timestamp|type|name` of the last pushed state. */
  lastKey: string | undefined
  terminal: boolean
}

interface PendingRead {
  resolve(observation: FlowRunStateObservation): void
  reject(error: unknown): void
}

function stateKey(observation: FlowRunStateObservation): string {
  return `${observation.timestamp}|${observation.type}|${observation.name}`
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const optionsPrefix = '[@flowcast/polling] invalid polling source options'

/**
 * Creates a {@link PollingRunStateSource}.
 *
 * @example
 * ```ts
 * const client = createPrefectClient({ apiUrl })
 * const polling = createPollingRunStateSource({ client })
 * const result = await waitForFlowRun(id, { sources: { push: polling, pull: polling } })
 * polling.close()
 * ```
 */
export function createPollingRunStateSource(
  options: PollingRunStateSourceOptions,
): PollingRunStateSource {
  const { client } = options
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const d =
    resolveProfile(options.profile, '@flowcast/polling') === 'test'
      ? pollingRunStateSourceTestProfile
      : pollingRunStateSourceDefaults
  const initialInterval = nonNegativeOr(
    optionsPrefix,
    'intervalMs',
    options.intervalMs,
    d.intervalMs,
  )
  const multiplier = atLeastOr(
    optionsPrefix,
    'intervalMultiplier',
    options.intervalMultiplier,
    d.intervalMultiplier,
    1,
  )
  const maxInterval = Math.max(
    initialInterval,
    nonNegativeOr(optionsPrefix, 'maxIntervalMs', options.maxIntervalMs, d.maxIntervalMs),
  )
  const pageSize = Math.floor(atLeastOr(optionsPrefix, 'pageSize', options.pageSize, d.pageSize, 1))
  const maxIds = Math.floor(
    atLeastOr(optionsPrefix, 'maxIdsPerRequest', options.maxIdsPerRequest, d.maxIdsPerRequest, 1),
  )
  const runsPerRequest = instrumentsOf(options.instrumentation, '@flowcast/polling')?.pollingRuns()
  // One controller per request (aborted on close), so no signal collects many listeners.
  const inflight = new Set<AbortController>()
  function tracked<T>(
    runs: number,
    send: (options: { signal: AbortSignal; timeoutMs?: number }) => Promise<T>,
  ) {
    runsPerRequest?.record(runs)
    const controller = new AbortController()
    inflight.add(controller)
    const request = send({
      signal: controller.signal,
      ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
    })
    return request.finally(() => inflight.delete(controller))
  }

  const watched = new Map<string, Watched>()
  const healthListeners = new Set<(health: RunStateSourceHealth) => void>()
  let health: RunStateSourceHealth = 'connecting'
  let lastError: FlowcastError | undefined
  let interval = initialInterval
  let timer: TimerHandle | undefined
  let timerAt = Infinity
  let polling: Promise<void> | undefined
  let closed = false
  let pendingReads = new Map<string, PendingRead[]>()
  let readFlushQueued = false

  function setHealth(next: RunStateSourceHealth, error?: FlowcastError): void {
    if (error) lastError = error
    if (next === health) return
    const wasFailed = health === 'failed'
    health = next
    logger.debug('polling source health changed', { health: next })
    if (wasFailed && !polling && hasPollable()) scheduleTick(interval)
    notifyListeners([...healthListeners], [next], logger, 'health listener threw')
  }

  function onRequestError(cause: unknown): FlowcastError {
    const error = FlowcastError.from(cause)
    if (!closed && error.code !== 'ABORTED') {
      setHealth(error.code === 'AUTH_REJECTED' ? 'failed' : 'degraded', error)
    }
    return error
  }

  function scheduleTick(delay: number): void {
    if (closed || health === 'failed') return
    const at = clock.now() + delay
    if (at >= timerAt) return
    if (timer !== undefined) clock.clearTimeout(timer)
    timerAt = at
    timer = clock.setTimeout(() => {
      timer = undefined
      timerAt = Infinity
      void pollNow()
    }, delay)
  }

  function stopTimer(): void {
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    timerAt = Infinity
  }

  /** Pushes a run's state to its listeners if it changed; returns whether it did. */
  function deliver(run: FlowRun): boolean {
    const entry = watched.get(run.id)
    if (!entry) return false
    const observation = flowRunStateFromFlowRun(run)
    if (!observation) return false
    const key = stateKey(observation)
    if (key === entry.lastKey) return false
    entry.lastKey = key
    if ((TERMINAL_STATE_TYPES as readonly string[]).includes(observation.type)) {
      entry.terminal = true
    }
    const listeners = Array.isArray(entry.listeners) ? [...entry.listeners] : [entry.listeners]
    notifyListeners(listeners, [observation], logger, 'watch listener threw', {
      flowRunId: run.id,
    })
    return true
  }

  async function pollOnce(): Promise<void> {
    const ids: string[] = []
    for (const [id, entry] of watched) if (!entry.terminal) ids.push(id)
    if (ids.length === 0) return
    let changed = false
    try {
      if (ids.length <= pageSize) {
        const runs = await tracked(ids.length, (o) =>
          client.filterFlowRuns({ flow_runs: { id: { any_: ids } }, limit: ids.length }, o),
        )
        for (const run of runs) changed = deliver(run) || changed
      } else {
        for (const part of chunk(ids, maxIds)) {
          for (let offset = 0; ; offset += pageSize) {
            const body = {
              flow_runs: {
                id: { any_: part },
                state: { type: { any_: [...TERMINAL_STATE_TYPES] } },
              },
              sort: 'ID_DESC' as const,
              limit: pageSize,
              offset,
            }
            const runs = await tracked(part.length, (o) => client.filterFlowRuns(body, o))
            for (const run of runs) changed = deliver(run) || changed
            if (runs.length < pageSize) break
          }
        }
      }
      setHealth('healthy')
      interval = changed ? initialInterval : Math.min(maxInterval, interval * multiplier)
    } catch (cause) {
      const error = onRequestError(cause)
      if (closed) return
      logger.warn('polling flow runs failed', { code: error.code, message: error.message })
      interval = Math.min(maxInterval, interval * multiplier)
    }
  }

  function pollNow(): Promise<void> {
    if (closed) return Promise.resolve()
    if (polling) return polling
    stopTimer()
    polling = pollOnce().finally(() => {
      polling = undefined
      if (hasPollable()) scheduleTick(interval)
    })
    return polling
  }

  function hasPollable(): boolean {
    for (const entry of watched.values()) if (!entry.terminal) return true
    return false
  }

  function flushReads(): void {
    readFlushQueued = false
    const batch = pendingReads
    pendingReads = new Map()
    const ids = [...batch.keys()]
    const settle = (id: string, result: FlowRunStateObservation | FlowcastError) => {
      for (const pending of batch.get(id) ?? []) {
        if (result instanceof FlowcastError) pending.reject(result)
        else pending.resolve(result)
      }
    }
    const observe = (run: FlowRun): FlowRunStateObservation | FlowcastError =>
      flowRunStateFromFlowRun(run) ??
      new FlowcastError('PROTOCOL', `[@flowcast/polling] flow run ${run.id} has no state`)
    if (ids.length === 1) {
      const id = ids[0]!
      tracked(1, (o) => client.readFlowRun(id, o)).then(
        (run) => {
          setHealth('healthy')
          settle(id, observe(run))
        },
        (cause: unknown) => {
          const error = FlowcastError.from(cause)
          // NOT_FOUND is an answer, not a transport problem.
          if (error.code === 'NOT_FOUND') setHealth('healthy')
          else onRequestError(error)
          settle(id, error)
        },
      )
      return
    }
    for (const part of chunk(ids, pageSize)) {
      const body = { flow_runs: { id: { any_: part } }, limit: part.length }
      tracked(part.length, (o) => client.filterFlowRuns(body, o)).then(
        (runs) => {
          setHealth('healthy')
          const byId = new Map(runs.map((run) => [run.id, run]))
          for (const id of part) {
            const run = byId.get(id)
            settle(
              id,
              run
                ? observe(run)
                : new FlowcastError('NOT_FOUND', `[@flowcast/polling] flow run ${id} not found`, {
                    status: 404,
                  }),
            )
          }
        },
        (cause: unknown) => {
          const error = onRequestError(cause)
          for (const id of part) settle(id, error)
        },
      )
    }
  }

  const source: PollingRunStateSource = {
    name: 'polling',
    get health() {
      return health
    },
    get lastError() {
      return lastError
    },
    get watchedRuns() {
      return watched.size
    },
    get intervalMs() {
      return interval
    },

    watch(flowRunId, listener) {
      if (closed) {
        throw new FlowcastError('CLOSED', '[@flowcast/polling] cannot watch: the source is closed')
      }
      const entry = watched.get(flowRunId)
      if (entry) {
        entry.listeners = Array.isArray(entry.listeners)
          ? [...entry.listeners, listener]
          : [entry.listeners, listener]
      } else {
        watched.set(flowRunId, { listeners: listener, lastKey: undefined, terminal: false })
      }
      // A new run is polled soon, whatever the interval had grown to.
      interval = initialInterval
      if (!polling) scheduleTick(initialInterval)
      let active = true
      return () => {
        if (!active) return
        active = false
        const current = watched.get(flowRunId)
        if (!current) return
        if (Array.isArray(current.listeners)) {
          const rest = current.listeners.filter((l) => l !== listener)
          if (rest.length === current.listeners.length) return
          if (rest.length === 0) watched.delete(flowRunId)
          else current.listeners = rest.length === 1 ? rest[0]! : rest
        } else if (current.listeners === listener) {
          watched.delete(flowRunId)
        }
        if (watched.size === 0) stopTimer()
      }
    },

    onHealthChange(listener) {
      healthListeners.add(listener)
      return () => {
        healthListeners.delete(listener)
      }
    },

    read(flowRunId, readOptions = {}) {
      if (closed) {
        return Promise.reject(
          new FlowcastError('CLOSED', '[@flowcast/polling] cannot read: the source is closed'),
        )
      }
      const { signal } = readOptions
      if (signal?.aborted) {
        return Promise.reject(
          new FlowcastError('ABORTED', '[@flowcast/polling] read aborted', {
            cause: signal.reason,
          }),
        )
      }
      return new Promise<FlowRunStateObservation>((resolve, reject) => {
        const onAbort = () =>
          reject(
            new FlowcastError('ABORTED', '[@flowcast/polling] read aborted', {
              cause: signal?.reason,
            }),
          )
        signal?.addEventListener('abort', onAbort, { once: true })
        const done = () => signal?.removeEventListener('abort', onAbort)
        const list = pendingReads.get(flowRunId)
        const pending: PendingRead = {
          resolve: (value) => {
            done()
            resolve(value)
          },
          reject: (error) => {
            done()
            reject(error)
          },
        }
        if (list) list.push(pending)
        else pendingReads.set(flowRunId, [pending])
        if (!readFlushQueued) {
          readFlushQueued = true
          // Reads issued in the same turn share requests.
          queueMicrotask(flushReads)
        }
      })
    },

    pollNow,

    close() {
      if (closed) return
      closed = true
      stopTimer()
      const error = new FlowcastError('CLOSED', '[@flowcast/polling] the polling source was closed')
      for (const controller of inflight) controller.abort(error)
      inflight.clear()
      for (const list of pendingReads.values()) for (const pending of list) pending.reject(error)
      pendingReads.clear()
      watched.clear()
      healthListeners.clear()
    },
  }
  return source
}
