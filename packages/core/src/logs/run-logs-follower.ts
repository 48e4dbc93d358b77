import { systemClock, type Clock, type TimerHandle } from '../clock.js'
import { compareDateTimes, PrefectDateTime } from '../datetime.js'
import { FlowcastError } from '../errors.js'
import { silentLogger, type Logger } from '../logger.js'
import { compareLogs } from './matching.js'
import type { Log } from './models.js'
import type { LogsSources } from './sources.js'

/** Options of {@link createRunLogsFollower}. */
export interface RunLogsFollowerOptions {
  /** The flow run whose logs to follow. */
  flowRunId: string
  /** Where logs come from; with neither source, the follower delivers nothing. */
  sources: LogsSources
  /**
   * Called with each batch of new logs (one socket burst or one REST read), in timestamp
   * order within the batch, each log once across sources and batches (by id).
   */
  onLogs: (logs: readonly Log[], source: string) => void
  /**
   * Called once per source when it fails (a 404/5xx answer, a refused socket). Following
   * goes on with the other source; a failing REST source is still retried.
   */
  onError?: (error: FlowcastError, source: string) => void
  /**
   * REST reconciliation interval while the run is active.
   * @default 2_000
   */
  reconcileIntervalMs?: number
  /**
   * REST reconciliation interval in the straggler window.
   * @default 1_000
   */
  stragglerReconcileIntervalMs?: number
  /**
   * Each REST read starts this far before the newest log already read, so a log that reaches
   * the server late (Prefect's handlers send in batches) is still found; repeats are dropped
   * by id.
   * @default 10_000
   */
  overlapMs?: number
  /** @default systemClock */
  clock?: Clock
  /** @default silentLogger */
  logger?: Logger
}

/** Defaults of {@link RunLogsFollowerOptions}. */
export const runLogsFollowerDefaults = /* @__PURE__ */ Object.freeze({
  reconcileIntervalMs: 2_000,
  stragglerReconcileIntervalMs: 1_000,
  overlapMs: 10_000,
})

/** Counters of a {@link RunLogsFollower}. */
export interface RunLogsFollowerStats {
  /** Logs delivered, by source name. */
  readonly delivered: Readonly<Record<string, number>>
  /** Logs dropped because their id was already delivered. */
  readonly duplicates: number
  /** REST reads done. */
  readonly reads: number
  /** REST reads that failed. */
  readonly failedReads: number
}

/** Follows one flow run's logs from a push and a pull source. */
export interface RunLogsFollower {
  /** Subscribes to the push source, then reads over REST at once and every interval. */
  start(): void
  /**
   * Ends following: with `stragglerMs > 0`, reads every second for that long (the logs that
   * arrive after the terminal state), then once more; with `0`, reads once. Resolves when
   * done; never rejects.
   */
  finish(options?: { stragglerMs?: number; signal?: AbortSignal }): Promise<void>
  /** Stops at once: no more reads or deliveries. */
  stop(): void
  /** A snapshot of the counters. */
  readonly stats: RunLogsFollowerStats
}

/**
 * Follows a run's logs: live from the push source when it delivers, and reconciled over the
 * pull source always (a default Prefect OSS server streams no logs, docs/protocol.md §11.3),
 * each log once by id. REST reads start at the newest log already read minus `overlapMs`,
 * inclusive, so logs sharing a timestamp are never skipped whatever order the server gives
 * them. A failing source is reported once and never stops the other.
 *
 * @example
 * ```ts
 * const follower = createRunLogsFollower({ flowRunId, sources, onLogs: (logs) => print(logs) })
 * follower.start()
 * // … the run ends …
 * await follower.finish({ stragglerMs: 3_000 })
 * ```
 */
export function createRunLogsFollower(options: RunLogsFollowerOptions): RunLogsFollower {
  const { flowRunId, sources, onLogs } = options
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const activeInterval = options.reconcileIntervalMs ?? runLogsFollowerDefaults.reconcileIntervalMs
  const stragglerInterval =
    options.stragglerReconcileIntervalMs ?? runLogsFollowerDefaults.stragglerReconcileIntervalMs
  const overlapSeconds = (options.overlapMs ?? runLogsFollowerDefaults.overlapMs) / 1000
  for (const [name, value] of [
    ['reconcileIntervalMs', activeInterval],
    ['stragglerReconcileIntervalMs', stragglerInterval],
    ['overlapMs', overlapSeconds],
  ] as const) {
    if (typeof value !== 'number' || !(value >= 0)) {
      throw new FlowcastError(
        'INVALID_OPTIONS',
        `[@flowcast/core] invalid logs follower options: ${name} must be a number >= 0`,
      )
    }
  }

  const seen = new Set<string>()
  const delivered: Record<string, number> = {}
  let duplicates = 0
  let reads = 0
  let failedReads = 0
  let newestRead: string | undefined
  let interval = activeInterval
  let timer: TimerHandle | undefined
  let reading: Promise<void> | undefined
  let stopped = false
  let started = false
  let unwatch: (() => void) | undefined
  let unError: (() => void) | undefined
  const reported = new Set<string>()
  let burst: Log[] = []
  let burstQueued = false

  const deliver = (logs: Log[], source: string) => {
    if (stopped) return
    const fresh: Log[] = []
    for (const log of logs) {
      if (seen.has(log.id)) {
        duplicates++
        continue
      }
      seen.add(log.id)
      fresh.push(log)
    }
    if (fresh.length === 0) return
    fresh.sort(compareLogs)
    delivered[source] = (delivered[source] ?? 0) + fresh.length
    try {
      onLogs(fresh, source)
    } catch (error) {
      logger.error('[@flowcast/core] a logs listener threw', { error: String(error) })
    }
  }

  const report = (error: FlowcastError, source: string) => {
    if (reported.has(source)) return
    reported.add(source)
    logger.warn(`[@flowcast/core] logs from ${source} failed: ${error.message}`, {
      code: error.code,
    })
    try {
      options.onError?.(error, source)
    } catch (thrown) {
      logger.error('[@flowcast/core] a logs error listener threw', { error: String(thrown) })
    }
  }

  const pushName = sources.push?.name ?? 'websocket'
  const pullName = sources.pull?.name ?? 'polling'

  // Logs of one socket burst (frames handled in the same tick) are sorted together.
  const onPushed = (log: Log) => {
    if (stopped) return
    burst.push(log)
    if (burstQueued) return
    burstQueued = true
    queueMicrotask(() => {
      burstQueued = false
      const logs = burst
      burst = []
      deliver(logs, pushName)
    })
  }

  const readOnce = (signal?: AbortSignal): Promise<void> => {
    const pull = sources.pull
    if (!pull || stopped) return Promise.resolve()
    if (reading) return reading
    const after =
      newestRead === undefined
        ? undefined
        : PrefectDateTime.parse(newestRead).minusSeconds(overlapSeconds).toString()
    reads++
    reading = pull
      .read([flowRunId], {
        ...(after === undefined ? {} : { after }),
        ...(signal ? { signal } : {}),
      })
      .then(
        (logs) => {
          for (const log of logs) {
            if (newestRead === undefined || compareDateTimes(log.timestamp, newestRead) > 0) {
              newestRead = log.timestamp
            }
          }
          deliver(logs, pullName)
        },
        (error: unknown) => {
          failedReads++
          if (stopped) return
          report(
            error instanceof FlowcastError
              ? error
              : new FlowcastError(
                  'HTTP',
                  `[@flowcast/core] reading logs failed: ${String(error)}`,
                  {
                    cause: error,
                  },
                ),
            pullName,
          )
        },
      )
      .finally(() => {
        reading = undefined
      })
    return reading
  }

  const schedule = () => {
    if (stopped || !sources.pull || timer !== undefined) return
    timer = clock.setTimeout(() => {
      timer = undefined
      void readOnce().then(schedule)
    }, interval)
  }

  const cancelTimer = () => {
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
  }

  return {
    start() {
      if (started || stopped) return
      started = true
      const push = sources.push
      if (push) {
        unwatch = push.watch(flowRunId, onPushed)
        unError = push.onError?.((error) => report(error, pushName))
      }
      void readOnce().then(schedule)
    },

    async finish(finishOptions = {}) {
      if (stopped) return
      if (!started) this.start()
      const stragglerMs = finishOptions.stragglerMs ?? 0
      const signal = finishOptions.signal
      if (stragglerMs > 0 && !signal?.aborted) {
        cancelTimer()
        interval = stragglerInterval
        schedule()
        await new Promise<void>((resolve) => {
          const done = () => {
            clock.clearTimeout(handle)
            signal?.removeEventListener('abort', done)
            resolve()
          }
          const handle = clock.setTimeout(done, stragglerMs)
          signal?.addEventListener('abort', done, { once: true })
        })
      }
      cancelTimer()
      // Let an in-flight read land, then read once more: the window's end is covered.
      if (reading) await reading
      if (!signal?.aborted) await readOnce(signal)
      await Promise.resolve()
      this.stop()
    },

    stop() {
      if (stopped) return
      // Deliver a burst still waiting for its microtask before going quiet.
      if (burst.length > 0) {
        const logs = burst
        burst = []
        deliver(logs, pushName)
      }
      stopped = true
      cancelTimer()
      unwatch?.()
      unError?.()
    },

    get stats(): RunLogsFollowerStats {
      return { delivered: { ...delivered }, duplicates, reads, failedReads }
    },
  }
}
