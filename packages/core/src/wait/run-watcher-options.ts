import type { BackoffPolicy } from '../backoff.js'
import type { Clock } from '../clock.js'
import type { Logger } from '../logger.js'
import type { Instrumentation } from '../instrumentation.js'
import type { FlowcastProfile } from '../profile.js'
import type { RunStateSources, WaitForFlowRunResult, WaitOptions } from './types.js'

/** Options of {@link createRunWatcher} (and the tuning part of `waitForFlowRun`). */
export interface RunWatcherOptions {
  /** The push and/or pull source to compose. At least one is required. */
  sources: RunStateSources
  /**
   * Time source for deadlines and read scheduling; inject `createManualClock()` in tests.
   * @default systemClock
   */
  clock?: Clock
  /**
   * Receives read failures and fallbacks. Never receives secrets.
   * @default silentLogger
   */
  logger?: Logger
  /**
   * While the push source is healthy, each watched run is still read this often, because a
   * healthy-looking stream may be silent.
   * @default 30_000
   */
  reconcileIntervalMs?: number
  /**
   * Read backoff while the push source is connecting, degraded, failed or absent, and after a
   * failed read: fast at first, growing to a cap. Reset when the push source turns healthy.
   *
   * `false` turns the fallback off: the pull source is then read only to start race-free (the
   * first read, retried on this backoff until one answers, and `NOT_FOUND` confirmations) and
   * every `reconcileIntervalMs`; it never stands in for an unhealthy push source, so a push
   * source that stays down for `transportFailureMs` ends the wait with `transport_failed`.
   * @default { initialDelayMs: 1_000, maxDelayMs: 10_000, multiplier: 1.5, jitter: 'none' }
   */
  fallbackPolling?: Partial<BackoffPolicy> | false
  /**
   * A wait ends with `transport_failed` when no source has been usable for this long: the push
   * source is not healthy (or absent) and every read has failed (or there is no pull source).
   * `Infinity` disables it.
   * @default 15_000
   */
  transportFailureMs?: number
  /**
   * A wait ends with `transport_failed` (`error.code === 'NOT_FOUND'`) when the read keeps
   * answering `NOT_FOUND` for this long and no source has reported any state of the run. The
   * grace covers a run that was just created on a replica that lags.
   * @default 10_000
   */
  notFoundGraceMs?: number
  /**
   * Random source for the backoff jitter (only used when `fallbackPolling.jitter` is `'full'`).
   * @default Math.random
   */
  random?: () => number
  /**
   * Reads and deadlines are rounded up to this grid, so the reads and timeouts of many waits
   * share one timer tick.
   * @default 100
   */
  timerGridMs?: number
  /**
   * `'test'` starts from {@link runWatcherTestProfile} instead of {@link runWatcherDefaults}
   * (fast reads, short watchdogs, for tests against a fake server); options given here win.
   * @default 'default'
   */
  profile?: FlowcastProfile
  /**
   * Receives the waiter's metrics (`flowcast.wait.*`) and a `flowcast.wait_for_flow_run` span
   * per wait (e.g. `createOpenTelemetryInstrumentation()` from `@flowcast/otel`).
   * A bare `InstrumentationBackend` is refused (`INVALID_OPTIONS`): wrap it with
   * `createInstrumentation(backend)` from `@flowcast/core`.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
}

/** Defaults of {@link RunWatcherOptions}. */
export const runWatcherDefaults = {
  reconcileIntervalMs: 30_000,
  fallbackPolling: {
    initialDelayMs: 1_000,
    maxDelayMs: 10_000,
    multiplier: 1.5,
    jitter: 'none',
  } satisfies BackoffPolicy as BackoffPolicy,
  transportFailureMs: 15_000,
  notFoundGraceMs: 10_000,
  timerGridMs: 100,
} as const

/**
 * The values {@link RunWatcherOptions.profile} `'test'` uses instead of
 * {@link runWatcherDefaults}: reads from 10 ms growing to 100 ms, a 5 ms timer grid, a
 * reconciliation every second and watchdogs of 1–2 s.
 */
export const runWatcherTestProfile = {
  reconcileIntervalMs: 1_000,
  fallbackPolling: {
    initialDelayMs: 10,
    maxDelayMs: 100,
    multiplier: 1.5,
    jitter: 'none',
  } satisfies BackoffPolicy as BackoffPolicy,
  transportFailureMs: 2_000,
  notFoundGraceMs: 1_000,
  timerGridMs: 5,
} as const

/**
 * Many waits multiplexed over shared sources: one push registration and one read schedule per
 * flow run, one shared timer for all deadlines and reads.
 */
export interface RunWatcher {
  /**
   * Waits for `flowRunId` to reach a terminal state type. Never rejects for runtime
   * conditions (they are outcomes); rejects with `INVALID_OPTIONS` for a bad argument and
   * `CLOSED` after {@link RunWatcher.close}.
   *
   * @example
   * ```ts
   * const result = await watcher.wait(flowRunId, { timeoutMs: 60_000 })
   * if (result.outcome === 'terminal') console.log(result.stateType, 'via', result.source)
   * ```
   */
  wait(flowRunId: string, options?: WaitOptions): Promise<WaitForFlowRunResult>
  /** Number of waits not settled yet. */
  readonly activeWaits: number
  /** Number of distinct flow runs being watched. */
  readonly watchedRuns: number
  /**
   * Ends every pending wait with `outcome: 'aborted'` (reason `FlowcastError('CLOSED')`),
   * removes every registration on the sources and stops the timer. The sources themselves
   * are not closed (the caller owns them). Idempotent.
   */
  close(): void
}
