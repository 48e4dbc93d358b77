import type {
  EventFilter,
  FlowcastError,
  FlowRunStateObservation,
  Log,
  ReceivedEvent,
  WaitForFlowRunResult,
} from 'flowcast'

/**
 * Where a hook's work stands, in TanStack Query's words:
 *
 * - `idle`: no id (or no filter) given, nothing is watched.
 * - `pending`: watching, nothing learned yet (also what the server renders).
 * - `watching`: something was learned (a state, a log, an event) and more may come.
 * - `success`: finished: the run reached a terminal state type (COMPLETED, FAILED, CRASHED or
 *   CANCELLED — check `result.stateType`; a FAILED run is a successful *watch*), or the
 *   logs follow ended after it.
 * - `error`: the watch itself failed: `error` says why (`TRANSPORT_FAILED`, `NOT_FOUND`,
 *   `AUTH_REJECTED`, `TIMEOUT`, `CLOSED`, ...).
 */
export type FlowcastHookStatus = 'idle' | 'pending' | 'watching' | 'success' | 'error'

/** One state of a run as a hook learned it. */
export interface LearnedState {
  /** The observed state. */
  state: FlowRunStateObservation
  /** How it was learned: `'websocket'` (push) or `'polling'` (REST read). */
  source: string
}

/** What {@link useFlowRun} returns. */
export interface FlowRunSnapshot {
  /** See {@link FlowcastHookStatus}. */
  status: FlowcastHookStatus
  /** The latest state learned, or `null` before the first one. */
  state: FlowRunStateObservation | null
  /**
   * How the latest state was learned: `'websocket'` (pushed) or `'polling'` (read over REST:
   * the first read, a reconciliation, or the fallback while the socket is down or blocked).
   */
  source: string | undefined
  /** Every state learned, oldest first (at most the last 50). */
  history: readonly LearnedState[]
  /** How the wait ended, once it did (`success`, and `error` for timeouts and failures). */
  result: WaitForFlowRunResult | undefined
  /** Why the watch failed (`status === 'error'`). */
  error: FlowcastError | undefined
  /** `status === 'pending'`. */
  isPending: boolean
  /** `status === 'success'`. */
  isSuccess: boolean
  /** `status === 'error'`. */
  isError: boolean
}

/** What {@link useFlowRunLogs} returns. */
export interface FlowRunLogsSnapshot {
  /** See {@link FlowcastHookStatus}: `success` once the run ended and its last logs are in. */
  status: FlowcastHookStatus
  /** The run's logs in timestamp order, each once (at most `maxLogs`, the newest). */
  logs: readonly Log[]
  /** Why the follow failed (`status === 'error'`). */
  error: FlowcastError | undefined
  /**
   * A logs source that failed while the follow went on (logs never decide the run's
   * outcome); e.g. the logs socket is blocked and logs now come over REST only.
   */
  logsError: FlowcastError | undefined
}

/** What {@link useEvents} returns. */
export interface EventsSnapshot {
  /** See {@link FlowcastHookStatus}; `success` never happens (a stream does not end). */
  status: FlowcastHookStatus
  /** The newest matching events, oldest first (at most `limit`), each once. */
  events: readonly ReceivedEvent[]
  /** The socket: `connecting`, `open`, `reconnecting` (dropped or blocked) or `closed`. */
  connection: 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'
  /** Why the subscription closed on its own, or the latest connection problem. */
  error: FlowcastError | undefined
}

/** Options of {@link useEvents}. */
export interface UseEventsOptions {
  /**
   * Keep this many newest events.
   * @default 100
   */
  limit?: number
}

/** Options of {@link useFlowRunLogs}. */
export interface UseFlowRunLogsOptions {
  /**
   * Keep this many newest logs.
   * @default 5_000
   */
  maxLogs?: number
}

/** The filter of {@link useEvents}, or `null`/`undefined` to subscribe to nothing. */
export type EventsFilterInput = EventFilter | null | undefined
