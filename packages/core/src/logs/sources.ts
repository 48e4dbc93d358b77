import type { FlowcastError } from '../errors.js'
import type { Log } from './models.js'

/**
 * Pushes live logs of watched flow runs (the `/logs/out` socket). Live only: a log created
 * before `watch` is never pushed, so a pull source must complete the picture.
 *
 * @example
 * ```ts
 * const stop = source.watch(flowRunId, (log) => console.log(log.message))
 * ```
 */
export interface PushLogsSource {
  /** Shown as the `source` of the logs it delivers, e.g. `'websocket'`. */
  readonly name: 'websocket' | (string & {})
  /**
   * Registers interest in a flow run's logs; returns a function that removes the listener.
   * Each log is delivered at most once per source.
   */
  watch(flowRunId: string, listener: (log: Log) => void): () => void
  /**
   * Calls `listener` once when the source stops for good (refused socket, rejected
   * credentials); returns a remover. Absent when the source cannot fail on its own.
   */
  onError?(listener: (error: FlowcastError) => void): () => void
}

/** Options of {@link PullLogsSource.read}. */
export interface PullLogsReadOptions {
  /**
   * Only logs with a timestamp at or after this one (inclusive, the server's string).
   * @default undefined (from the first log)
   */
  after?: string
  /** Aborting it rejects the read with `ABORTED`. */
  signal?: AbortSignal
}

/** Reads stored logs of flow runs (REST `POST /logs/filter`), complete and oldest first. */
export interface PullLogsSource {
  /** Shown as the `source` of the logs it delivers, e.g. `'polling'`. */
  readonly name: 'polling' | (string & {})
  /**
   * Every stored log of the runs at or after `options.after`, oldest first, each once. Throws
   * `FlowcastError` (`NOT_FOUND`, `HTTP`, `AUTH_REJECTED`, `CONNECT_FAILED`, `ABORTED`, ...).
   */
  read(flowRunIds: readonly string[], options?: PullLogsReadOptions): Promise<Log[]>
}

/** The logs sources a follower composes: push for speed, pull for completeness. */
export interface LogsSources {
  /** Live logs (the socket). */
  push?: PushLogsSource
  /** Stored logs (REST). */
  pull?: PullLogsSource
}
