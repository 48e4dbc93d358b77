import type { FlowcastError } from '../errors.js'
import type { FlowRunStateObservation, TerminalStateType } from '../states.js'

/**
 * How well a {@link PushRunStateSource} is doing right now.
 *
 * - `connecting`: not delivering yet (first connection under way).
 * - `healthy`: delivering; the waiter relies on it and only reconciles on a slow interval.
 * - `degraded`: down or silent, expected to recover (reconnecting, stalled, server errors).
 * - `failed`: permanent, e.g. `AUTH_REJECTED`; it will not recover on its own.
 */
export type RunStateSourceHealth = 'connecting' | 'healthy' | 'degraded' | 'failed'

/**
 * Pushes observed states of watched flow runs (WebSocket events, or batched polling).
 *
 * @example
 * ```ts
 * const stop = source.watch(flowRunId, (observation) => console.log(observation.type))
 * ```
 */
export interface PushRunStateSource {
  /** Shown as `source` in a terminal {@link WaitForFlowRunResult}, e.g. `'websocket'`. */
  readonly name: 'websocket' | 'polling' | (string & {})
  /**
   * Registers interest; effective before it returns: any state that occurs after this call
   * is delivered (via backfill if needed). Returns a function that removes the listener.
   */
  watch(flowRunId: string, listener: (observation: FlowRunStateObservation) => void): () => void
  /** The current health. */
  readonly health: RunStateSourceHealth
  /** The error behind `failed` / the last `degraded`, if any. */
  readonly lastError: FlowcastError | undefined
  /** Calls `listener` on every health change; returns a function that removes it. */
  onHealthChange(listener: (health: RunStateSourceHealth) => void): () => void
}

/** Reads the current state of a flow run (REST). */
export interface PullRunStateSource {
  /** Shown as `source` in a terminal {@link WaitForFlowRunResult}, e.g. `'polling'`. */
  readonly name: 'polling' | (string & {})
  /**
   * Reads the run's current state. Throws `FlowcastError` (`NOT_FOUND`, `AUTH_REJECTED`,
   * `HTTP`, `CONNECT_FAILED`, `ABORTED`, ...; `PROTOCOL` when the run has no state).
   */
  read(flowRunId: string, options?: { signal?: AbortSignal }): Promise<FlowRunStateObservation>
}

/**
 * The sources a waiter composes. At least one is required.
 *
 * - `push` only: states come only from the push source (no read, so a run that finished
 *   before the push source's look-back is not seen until `timeoutMs`).
 * - `pull` only: the run is read on an adaptive backoff until it is terminal.
 * - both (the hybrid default of the high-level entry): subscribe first, read once, then rely
 *   on push and reconcile by reading on a slow interval; read fast while push is unhealthy.
 */
export interface RunStateSources {
  /** Pushes states (usually the WebSocket source). */
  push?: PushRunStateSource
  /** Reads states (usually the polling source). */
  pull?: PullRunStateSource
}

/** When a wait started and ended, in epoch milliseconds of the waiter's clock. */
export interface WaitTimings {
  /** When `wait()` / `waitForFlowRun()` was called. */
  startedAt: number
  /** When the outcome was decided. */
  resolvedAt: number
  /** `resolvedAt - startedAt`. */
  elapsedMs: number
}

/** Fields every outcome carries. */
export interface WaitResultBase {
  /** The flow run that was waited on. */
  flowRunId: string
  /**
   * The most recent state observed from any source (by state timestamp), or `null` when
   * none was observed. For `terminal` it is the terminal observation.
   */
  lastState: FlowRunStateObservation | null
  /** Start, end and duration of the wait. */
  timings: WaitTimings
}

/** The run reached a terminal state type (COMPLETED, FAILED, CRASHED, CANCELLED). */
export interface WaitTerminalResult extends WaitResultBase {
  outcome: 'terminal'
  /** The terminal state type. */
  stateType: TerminalStateType
  /** The state name, e.g. `Completed`, `TimedOut` (type FAILED). */
  stateName: string
  /** The `name` of the source that reported it first, e.g. `'websocket'` or `'polling'`. */
  source: string
  /** The observation that decided the outcome. */
  observation: FlowRunStateObservation
  lastState: FlowRunStateObservation
}

/** `timeoutMs` elapsed before a terminal state was observed. */
export interface WaitTimeoutResult extends WaitResultBase {
  outcome: 'timeout'
}

/** The caller's `signal` was aborted, or the watcher was closed, before the run ended. */
export interface WaitAbortedResult extends WaitResultBase {
  outcome: 'aborted'
  /** The abort reason (`signal.reason`, or a `FlowcastError('CLOSED')` on `close()`). */
  reason: unknown
}

/**
 * No source could tell the state of the run:
 *
 * - push failed permanently (or is absent) and pull is absent or rejected credentials
 *   (`AUTH_REJECTED`) — decided at once;
 * - push is not healthy and every read has failed for `transportFailureMs` — `error` is the
 *   last read error (or the push source's error when there is no pull source);
 * - the read keeps answering `NOT_FOUND` for `notFoundGraceMs` and no source has ever
 *   reported a state of the run — `error.code === 'NOT_FOUND'`.
 */
export interface WaitTransportFailedResult extends WaitResultBase {
  outcome: 'transport_failed'
  /** Why; `error.code` is `AUTH_REJECTED`, `NOT_FOUND`, `CONNECT_FAILED`, `HTTP`, ... */
  error: FlowcastError
}

/**
 * How a wait ended. Never presents a non-terminal run as done: only `terminal` means the
 * run finished, and its `stateType` is always a terminal state type.
 */
export type WaitForFlowRunResult =
  WaitTerminalResult | WaitTimeoutResult | WaitAbortedResult | WaitTransportFailedResult

/** The `outcome` discriminant of {@link WaitForFlowRunResult}. */
export type WaitOutcome = WaitForFlowRunResult['outcome']

/** Options of one wait (`watcher.wait()` / `waitForFlowRun()`). */
export interface WaitOptions {
  /**
   * Give up after this many milliseconds with `outcome: 'timeout'`.
   * @default undefined (wait until terminal, aborted or transport failure)
   */
  timeoutMs?: number
  /** Aborting it ends the wait with `outcome: 'aborted'`. */
  signal?: AbortSignal
  /**
   * Called with each newly observed state (from any source, each state once, in
   * state-timestamp order; older observations are dropped), including the terminal one.
   */
  onState?: (observation: FlowRunStateObservation, source: string) => void
}
