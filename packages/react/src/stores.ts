import {
  FlowcastError,
  followFlowRun,
  isFlowcastError,
  type EventFilter,
  type Flowcast,
  type FlowRunStateObservation,
  type Log,
  type ReceivedEvent,
  type WaitForFlowRunResult,
} from 'flowcast'
import { createSharedStore, type SharedStore } from './shared-store.js'
import type { EventsSnapshot, FlowRunLogsSnapshot, FlowRunSnapshot, LearnedState } from './types.js'

const maxHistory = 50
// How long a store created by a render outlives it when that render never commits.
const unsubscribedGraceMs = 5_000

/** Tuning of the stores behind the hooks (set on the provider). */
export interface StoreTuning {
  /**
   * How long a run's wait (a follow, a subscription) outlives its last component, so a
   * remount within it keeps the one wait instead of opening another.
   * @default 0 (the next macrotask: enough for StrictMode and re-ordered lists)
   */
  releaseDelayMs?: number
  /**
   * Finished runs whose outcome is kept for components that mount later.
   * @default 1_000
   */
  maxSettledRuns?: number
}

const serverSide = typeof window === 'undefined'

function asFlowcastError(error: unknown): FlowcastError {
  if (isFlowcastError(error)) return error
  return new FlowcastError('ABORTED', '[@flowcast/react] the watch ended unexpectedly', {
    cause: error,
  })
}

function flowRunSnapshot(partial: Partial<FlowRunSnapshot>, base: FlowRunSnapshot) {
  const next = { ...base, ...partial }
  next.isPending = next.status === 'pending'
  next.isSuccess = next.status === 'success'
  next.isError = next.status === 'error'
  return next
}

/** The snapshot of a run whose wait has not started (and what the server renders). */
export const pendingRun: FlowRunSnapshot = Object.freeze({
  status: 'pending',
  state: null,
  source: undefined,
  history: [],
  result: undefined,
  error: undefined,
  isPending: true,
  isSuccess: false,
  isError: false,
}) as FlowRunSnapshot

/** What a wait's result means for the hook. */
function settledRun(result: WaitForFlowRunResult, base: FlowRunSnapshot): FlowRunSnapshot {
  if (result.outcome === 'terminal') {
    const learned = { state: result.observation, source: result.source }
    const last = base.history.at(-1)?.state
    const known =
      last?.timestamp === result.observation.timestamp && last.name === result.observation.name
    return flowRunSnapshot(
      {
        status: 'success',
        state: result.observation,
        source: result.source,
        history: known ? base.history : [...base.history, learned].slice(-maxHistory),
        result,
      },
      base,
    )
  }
  const error =
    result.outcome === 'transport_failed'
      ? result.error
      : result.outcome === 'timeout'
        ? new FlowcastError('TIMEOUT', '[@flowcast/react] the run did not end in time')
        : asFlowcastError(result.reason)
  return flowRunSnapshot({ status: 'error', result, error }, base)
}

/** The stores of one flowcast instance, keyed by run id or filter. @internal */
export interface StoreRegistry {
  run(flowRunId: string): SharedStore<FlowRunSnapshot>
  logs(flowRunId: string, maxLogs: number): SharedStore<FlowRunLogsSnapshot>
  events(filter: EventFilter, limit: number): SharedStore<EventsSnapshot>
  /** Stores held right now (for tests and diagnostics). */
  readonly size: number
}

/** A stable key for a filter: the same filter written in another key order is the same key. */
export function filterKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

function insertByTimestamp(logs: readonly Log[], added: Log, max: number): Log[] {
  const next = [...logs]
  let at = next.length
  while (at > 0 && next[at - 1]!.timestamp > added.timestamp) at -= 1
  next.splice(at, 0, added)
  return next.length > max ? next.slice(next.length - max) : next
}

/** Creates the store registry of one flowcast instance. @internal */
export function createStoreRegistry(flowcast: Flowcast, tuning: StoreTuning = {}): StoreRegistry {
  const releaseDelayMs = tuning.releaseDelayMs ?? 0
  const maxSettledRuns = tuning.maxSettledRuns ?? 1_000
  const stores = new Map<string, SharedStore<unknown>>()
  const settledKeys: string[] = []

  function keep<T>(key: string, store: SharedStore<T>) {
    // On the server nothing subscribes (no effects run), so nothing would ever release it.
    if (!serverSide) stores.set(key, store as SharedStore<unknown>)
    return store
  }

  function onIdle(key: string) {
    return (store: SharedStore<unknown>) => {
      if (stores.get(key) !== store) return
      if (!store.settled) {
        stores.delete(key)
        return
      }
      // Finished: kept so later components get the outcome at once, the oldest dropped first.
      if (!settledKeys.includes(key)) settledKeys.push(key)
      while (settledKeys.length > maxSettledRuns) stores.delete(settledKeys.shift()!)
    }
  }

  function lookup<T>(key: string, create: () => SharedStore<T>): SharedStore<T> {
    const existing = stores.get(key) as SharedStore<T> | undefined
    return existing ?? keep(key, create())
  }

  const storeOptions = (key: string) => ({
    releaseDelayMs,
    onIdle: onIdle(key),
    // A store released while its render waited to commit comes back here when it subscribes.
    onActive: (store: SharedStore<unknown>) => {
      if (!serverSide && !stores.has(key)) stores.set(key, store as SharedStore<unknown>)
    },
    armDelayMs: serverSide ? undefined : Math.max(releaseDelayMs, unsubscribedGraceMs),
  })

  return {
    get size() {
      return stores.size
    },

    run(flowRunId) {
      const key = `run:${flowRunId}`
      return lookup(key, () =>
        createSharedStore<FlowRunSnapshot>(
          {
            initial: pendingRun,
            start(set, get, settle) {
              const controller = new AbortController()
              const onState = (state: FlowRunStateObservation, source: string) => {
                const base = get()
                const learned: LearnedState = { state, source }
                set(
                  flowRunSnapshot(
                    {
                      status: base.status === 'pending' ? 'watching' : base.status,
                      state,
                      source,
                      history: [...base.history, learned].slice(-maxHistory),
                    },
                    base,
                  ),
                )
              }
              flowcast.waitForFlowRun(flowRunId, { signal: controller.signal, onState }).then(
                (result) => {
                  if (controller.signal.aborted) return
                  set(settledRun(result, get()))
                  if (result.outcome === 'terminal') settle()
                },
                (error: unknown) => {
                  if (controller.signal.aborted) return
                  set(flowRunSnapshot({ status: 'error', error: asFlowcastError(error) }, get()))
                },
              )
              return () => controller.abort()
            },
          },
          storeOptions(key),
        ),
      )
    },

    logs(flowRunId, maxLogs) {
      const key = `logs:${flowRunId}:${maxLogs}`
      const initial: FlowRunLogsSnapshot = Object.freeze({
        status: 'pending',
        logs: [],
        error: undefined,
        logsError: undefined,
      }) as FlowRunLogsSnapshot
      return lookup(key, () =>
        createSharedStore<FlowRunLogsSnapshot>(
          {
            initial,
            start(set, get, settle) {
              const controller = new AbortController()
              let follow
              try {
                follow = followFlowRun(flowcast, flowRunId, {
                  signal: controller.signal,
                  onLog: (log) => {
                    const base = get()
                    if (base.logs.some((l) => l.id === log.id)) return
                    set({
                      ...base,
                      status: 'watching',
                      logs: insertByTimestamp(base.logs, log, maxLogs),
                    })
                  },
                  onLogsError: (error) => set({ ...get(), logsError: error }),
                })
              } catch (error) {
                set({ ...get(), status: 'error', error: asFlowcastError(error) })
                return () => {}
              }
              follow.result.then(
                (result) => {
                  if (controller.signal.aborted) return
                  if (result.outcome === 'terminal') {
                    set({ ...get(), status: 'success' })
                    settle()
                  } else {
                    const error = settledRun(result, pendingRun).error
                    set({ ...get(), status: 'error', error })
                  }
                },
                (error: unknown) => {
                  if (controller.signal.aborted) return
                  set({ ...get(), status: 'error', error: asFlowcastError(error) })
                },
              )
              return () => controller.abort()
            },
          },
          storeOptions(key),
        ),
      )
    },

    events(filter, limit) {
      const key = `events:${limit}:${filterKey(filter)}`
      const initial: EventsSnapshot = Object.freeze({
        status: 'pending',
        events: [],
        connection: 'connecting',
        error: undefined,
      }) as EventsSnapshot
      return lookup(key, () =>
        createSharedStore<EventsSnapshot>(
          {
            initial,
            start(set, get) {
              let subscriber
              try {
                subscriber = flowcast.subscribe(filter)
              } catch (error) {
                set({ ...get(), status: 'error', error: asFlowcastError(error) })
                return () => {}
              }
              const onEvent = (event: ReceivedEvent) => {
                const base = get()
                const events = [...base.events, event]
                set({
                  ...base,
                  status: 'watching',
                  events: events.length > limit ? events.slice(events.length - limit) : events,
                })
              }
              const removers = [
                subscriber.onEvent(onEvent),
                subscriber.onStateChange((connection) => {
                  set({ ...get(), connection, error: subscriber.lastError ?? get().error })
                }),
                subscriber.onError((error) => set({ ...get(), status: 'error', error })),
              ]
              set({ ...get(), connection: subscriber.state })
              return () => {
                for (const remove of removers) remove()
                void subscriber.close()
              }
            },
          },
          storeOptions(key),
        ),
      )
    },
  }
}
