import { systemClock, type Clock } from '../clock.js'
import { compareDateTimes, PrefectDateTime } from '../datetime.js'
import type { FlowcastError } from '../errors.js'
import { silentLogger, type Logger } from '../logger.js'
import type { Log } from '../logs/models.js'
import {
  createRunLogsFollower,
  type RunLogsFollowerOptions,
  type RunLogsFollowerStats,
} from '../logs/run-logs-follower.js'
import type { LogsSources } from '../logs/sources.js'
import type { FlowRunStateObservation } from '../states.js'
import { createRunWatcher, type RunWatcher, type RunWatcherOptions } from './run-watcher.js'
import type { RunStateSources, WaitForFlowRunResult } from './types.js'

/** One item of a {@link FlowRunFollow}: a new state or a new log of the run. */
export type FlowRunFollowItem =
  | { type: 'state'; state: FlowRunStateObservation; source: string }
  | { type: 'log'; log: Log; source: string }

/** Options of {@link followFlowRun}. */
export interface FollowFlowRunOptions {
  /** Where states come from (as for `waitForFlowRun`); ignored when `watcher` is given. */
  sources?: RunStateSources
  /** A run watcher to wait on (shared by many follows); not closed by the follow. */
  watcher?: RunWatcher
  /** Tuning of the run watcher created from `sources`. */
  watcherOptions?: Omit<RunWatcherOptions, 'sources' | 'clock' | 'logger'>
  /**
   * Where logs come from; `false` follows states only.
   * @default {} (no logs)
   */
  logs?: LogsSources | false
  /** Tuning of the logs follower (intervals, overlap). */
  logsOptions?: Pick<
    RunLogsFollowerOptions,
    'reconcileIntervalMs' | 'stragglerReconcileIntervalMs' | 'overlapMs'
  >
  /**
   * How long logs keep coming after the terminal state before the follow ends. Applies only
   * when the end was seen live: when the terminal state's timestamp is no older than this
   * window before the follow started. A run that ended earlier gets one complete REST read.
   * @default 3_000
   */
  stragglerMs?: number
  /**
   * Give up waiting for a terminal state after this long (`outcome: 'timeout'`).
   * @default undefined (no limit)
   */
  timeoutMs?: number
  /** Aborting it ends the follow (`outcome: 'aborted'`). */
  signal?: AbortSignal
  /** Called with each new state, in order. */
  onState?: (state: FlowRunStateObservation, source: string) => void
  /** Called with each new log, each once. */
  onLog?: (log: Log, source: string) => void
  /**
   * Called once per logs source that fails. Logs never change the outcome; this is only
   * to say so.
   */
  onLogsError?: (error: FlowcastError, source: string) => void
  /** @default systemClock */
  clock?: Clock
  /** @default silentLogger */
  logger?: Logger
}

/** Defaults of {@link FollowFlowRunOptions}. */
export const followFlowRunDefaults = /* @__PURE__ */ Object.freeze({ stragglerMs: 3_000 })

/**
 * A followed run: an async iterable of its states and logs (each once, ending after the
 * terminal state and the straggler window) and the outcome.
 */
export interface FlowRunFollow extends AsyncIterable<FlowRunFollowItem> {
  /**
   * How the wait ended, once the stragglers are in. Logs never change it: a failing logs
   * source only calls `onLogsError`.
   */
  readonly result: Promise<WaitForFlowRunResult>
  /** Counters of the logs follower. */
  readonly logsStats: RunLogsFollowerStats
  /** Whether the terminal state was learned live (so the straggler window applied). */
  readonly endSeenLive: boolean | undefined
}

/**
 * Follows one flow run: its states (from the run-state sources, as `waitForFlowRun`) and its
 * logs (from the socket when it delivers, and over REST always — each log once, by id), in
 * one stream. After the terminal state it keeps reading logs for `stragglerMs` (the end seen
 * live) or reads them once (a run that ended before the follow), then ends. A logs failure
 * never changes the outcome.
 *
 * @example
 * ```ts
 * const follow = followFlowRun(flowRunId, { sources, logs: { push: logsSource, pull: restLogs } })
 * for await (const item of follow) {
 *   if (item.type === 'state') console.log(item.state.name)
 *   else console.log(item.log.message)
 * }
 * const result = await follow.result
 * ```
 */
export function followFlowRun(flowRunId: string, options: FollowFlowRunOptions): FlowRunFollow {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const stragglerMs = options.stragglerMs ?? followFlowRunDefaults.stragglerMs
  const owned = options.watcher === undefined
  const watcher =
    options.watcher ??
    createRunWatcher({
      ...options.watcherOptions,
      sources: options.sources ?? {},
      clock,
      logger,
    })
  const startedAt = clock.now()

  const items: FlowRunFollowItem[] = []
  let wake: (() => void) | undefined
  let ended = false
  let endSeenLive: boolean | undefined
  const push = (item: FlowRunFollowItem) => {
    items.push(item)
    wake?.()
  }

  const follower = createRunLogsFollower({
    flowRunId,
    sources: options.logs === false ? {} : (options.logs ?? {}),
    ...options.logsOptions,
    clock,
    logger,
    onLogs: (logs, source) => {
      for (const log of logs) {
        push({ type: 'log', log, source })
        try {
          options.onLog?.(log, source)
        } catch (error) {
          logger.error('[@flowcast/core] onLog threw', { error: String(error) })
        }
      }
    },
    ...(options.onLogsError ? { onError: options.onLogsError } : {}),
  })

  const run = async (): Promise<WaitForFlowRunResult> => {
    // Logs first: the socket must be subscribed before the run is read.
    follower.start()
    try {
      const result = await watcher.wait(flowRunId, {
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
        ...(options.signal ? { signal: options.signal } : {}),
        onState: (state, source) => {
          push({ type: 'state', state, source })
          try {
            options.onState?.(state, source)
          } catch (error) {
            logger.error('[@flowcast/core] onState threw', { error: String(error) })
          }
        },
      })
      if (result.outcome === 'aborted') {
        follower.stop()
        return result
      }
      endSeenLive =
        result.outcome === 'terminal' &&
        compareDateTimes(
          result.observation.timestamp,
          PrefectDateTime.fromEpochMillis(startedAt - stragglerMs).toString(),
        ) >= 0
      await follower.finish({
        stragglerMs: endSeenLive ? stragglerMs : 0,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      return result
    } finally {
      follower.stop()
      if (owned) watcher.close()
      ended = true
      wake?.()
    }
  }
  const result = run()

  return {
    result,
    get logsStats() {
      return follower.stats
    },
    get endSeenLive() {
      return endSeenLive
    },
    [Symbol.asyncIterator](): AsyncIterator<FlowRunFollowItem> {
      return {
        next: async () => {
          for (;;) {
            const item = items.shift()
            if (item) return { value: item, done: false }
            if (ended) {
              await result
              return { value: undefined, done: true }
            }
            await new Promise<void>((resolve) => (wake = resolve))
            wake = undefined
          }
        },
      }
    },
  }
}
