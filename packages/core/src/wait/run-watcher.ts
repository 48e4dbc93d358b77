import { computeBackoffDelay, type BackoffPolicy } from '../backoff.js'
import { systemClock, type TimerHandle } from '../clock.js'
import { compareDateTimes } from '../datetime.js'
import { FlowcastError } from '../errors.js'
import { nonNegativeOr } from '../internal/numbers.js'
import { silentLogger } from '../logger.js'
import { resolveProfile } from '../profile.js'
import { instrumentsOf, type InstrumentationSpan } from '../instrumentation.js'
import { isTerminalStateType, type FlowRunStateObservation } from '../states.js'
import type {
  PullRunStateSource,
  PushRunStateSource,
  WaitForFlowRunResult,
  WaitOptions,
} from './types.js'
import {
  runWatcherDefaults,
  runWatcherTestProfile,
  type RunWatcher,
  type RunWatcherOptions,
} from './run-watcher-options.js'

export { runWatcherDefaults, runWatcherTestProfile }
export type { RunWatcher, RunWatcherOptions }

interface Waiter {
  readonly resolve: (result: WaitForFlowRunResult) => void
  readonly startedAt: number
  readonly deadline: number
  readonly onState: WaitOptions['onState']
  readonly signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
  readonly span: InstrumentationSpan | undefined
}

interface RunEntry {
  readonly flowRunId: string
  /** When the first wait on this run started. */
  readonly createdAt: number
  readonly waiters: Waiter[]
  unwatch: (() => void) | undefined
  lastState: FlowRunStateObservation | null
  lastSource: string | null
  /** Epoch ms of the next read; `Infinity` while reading or when reads are off. */
  nextReadAt: number
  reading: boolean
  /** When the current (or last) read started. */
  readStartedAt: number
  readAttempt: number
  /**
   * Since when every read failed (not counting NOT_FOUND), from the start of the first
   * failed read, so a read that hangs until its timeout counts from when it was sent;
   * `undefined` when the last read worked.
   */
  readFailingSince: number | undefined
  /** Since when reads answer NOT_FOUND; `undefined` otherwise. */
  notFoundSince: number | undefined
  readError: FlowcastError | undefined
  /** The pull source rejected the credentials: no more reads for this run. */
  pullRejected: boolean
}

function compareTimestamps(a: string, b: string): number {
  try {
    return compareDateTimes(a, b)
  } catch {
    return 1
  }
}

const optionsPrefix = '[@flowcast/core] invalid run watcher options'

/**
 * Creates a {@link RunWatcher}: the race-free hybrid waiter for any number of flow runs.
 *
 * For each watched run it registers on the push source **before** the first read (so a run
 * that finishes in between, or finished hours ago, is never missed), resolves on the first
 * terminal state type from either source, reads on a slow interval while the push source is
 * healthy and on a fast adaptive backoff while it is not, and returns to push when it
 * recovers. See {@link WaitForFlowRunResult} for the outcomes.
 *
 * @example
 * ```ts
 * const watcher = createRunWatcher({ sources: { push: webSocketSource, pull: pollingSource } })
 * const results = await Promise.all(ids.map((id) => watcher.wait(id, { timeoutMs: 600_000 })))
 * watcher.close()
 * ```
 */
export function createRunWatcher(options: RunWatcherOptions): RunWatcher {
  const push: PushRunStateSource | undefined = options.sources?.push
  const pull: PullRunStateSource | undefined = options.sources?.pull
  if (!push && !pull) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      '[@flowcast/core] invalid run watcher options: sources needs a push or a pull source',
    )
  }
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const random = options.random ?? Math.random
  const base =
    resolveProfile(options.profile, '@flowcast/core') === 'test'
      ? runWatcherTestProfile
      : runWatcherDefaults
  const reconcileIntervalMs = nonNegativeOr(
    optionsPrefix,
    'reconcileIntervalMs',
    options.reconcileIntervalMs,
    base.reconcileIntervalMs,
  )
  const transportFailureMs = nonNegativeOr(
    optionsPrefix,
    'transportFailureMs',
    options.transportFailureMs,
    base.transportFailureMs,
  )
  const notFoundGraceMs = nonNegativeOr(
    optionsPrefix,
    'notFoundGraceMs',
    options.notFoundGraceMs,
    base.notFoundGraceMs,
  )
  const timerGridMs = Math.max(
    1,
    nonNegativeOr(optionsPrefix, 'timerGridMs', options.timerGridMs, base.timerGridMs),
  )
  const fallbackEnabled = options.fallbackPolling !== false
  const fallbackPolling: BackoffPolicy = {
    ...base.fallbackPolling,
    ...(options.fallbackPolling || {}),
  }

  const instruments = instrumentsOf(options.instrumentation, '@flowcast/core')?.wait()
  const entries = new Map<string, RunEntry>()
  let activeWaits = 0
  let closed = false
  let timer: TimerHandle | undefined
  let timerAt = Infinity
  /** Since when the push source has not been healthy; `undefined` while it is. */
  let pushUnhealthySince: number | undefined =
    push && push.health === 'healthy' ? undefined : clock.now()

  const offHealth = push?.onHealthChange((health) => {
    if (closed) return
    const now = clock.now()
    if (health === 'healthy') {
      pushUnhealthySince = undefined
      // Back to push: the next read is a slow reconciliation.
      for (const entry of entries.values()) {
        entry.readAttempt = 0
        if (!entry.reading && !entry.pullRejected && pull && entry.readFailingSince === undefined) {
          entry.nextReadAt = now + reconcileIntervalMs
        }
      }
    } else {
      const wasHealthy = pushUnhealthySince === undefined
      if (wasHealthy) pushUnhealthySince = now
      if (wasHealthy && pull && fallbackEnabled) {
        // Push just went down: read every run now and then on the fast backoff.
        for (const entry of entries.values()) {
          entry.readAttempt = 0
          if (!entry.reading && !entry.pullRejected) entry.nextReadAt = now
        }
      }
    }
    instruments?.pushHealth(health === 'healthy', entries.size > 0 && !!pull && fallbackEnabled)
    logger.debug('run-state push source health changed', { source: push.name, health })
    // Decide in the shared tick, not inside the source's callback.
    schedule(now)
  })

  // One push listener for every run, not a closure per wait: at 100,000 waits those closures
  // (and the scopes they kept) were a tenth of a wait's heap. `observe` checks the run id.
  const onPush = (observation: FlowRunStateObservation) => {
    const entry = entries.get(observation.flowRunId)
    if (entry && push) observe(entry, observation, push.name)
  }

  function schedule(at: number): void {
    if (closed || !(at < Infinity)) return
    const now = clock.now()
    const due = Math.max(now, Math.ceil(at / timerGridMs) * timerGridMs)
    if (due >= timerAt) return
    if (timer !== undefined) clock.clearTimeout(timer)
    timerAt = due
    timer = clock.setTimeout(tick, due - now)
  }

  function tick(): void {
    timer = undefined
    timerAt = Infinity
    if (closed) return
    const now = clock.now()
    let next = Infinity
    for (const entry of entries.values()) {
      for (let i = entry.waiters.length - 1; i >= 0; i--) {
        const waiter = entry.waiters[i]!
        if (waiter.deadline <= now) settleTimeout(entry, waiter, now)
      }
      if (entry.waiters.length === 0) continue
      const failure = transportFailure(entry, now)
      if (failure) {
        settleAll(entry, (waiter) => transportFailed(entry, waiter, failure, now))
        continue
      }
      if (!entry.reading && entry.nextReadAt <= now) startRead(entry)
      next = Math.min(next, entryDue(entry))
    }
    if (next < Infinity) schedule(next)
  }

  function entryDue(entry: RunEntry): number {
    let due = entry.reading ? Infinity : entry.nextReadAt
    for (const waiter of entry.waiters) due = Math.min(due, waiter.deadline)
    if (entry.notFoundSince !== undefined && entry.lastState === null) {
      due = Math.min(due, entry.notFoundSince + notFoundGraceMs)
    }
    const since = unreachableSince(entry)
    if (since !== undefined) due = Math.min(due, since + transportFailureMs)
    return due
  }

  /** Since when no source has been usable for this run; `undefined` when one is. */
  function unreachableSince(entry: RunEntry): number | undefined {
    if (push && push.health === 'healthy') return undefined
    const pushDownSince = push ? pushUnhealthySince : Number.NEGATIVE_INFINITY
    const pullUsable = pull !== undefined && !entry.pullRejected && (fallbackEnabled || !push)
    const pullDownSince = pullUsable ? entry.readFailingSince : Number.NEGATIVE_INFINITY
    if (pushDownSince === undefined || pullDownSince === undefined) return undefined
    return Math.max(entry.createdAt, pushDownSince, pullDownSince)
  }

  function transportFailure(entry: RunEntry, now: number): FlowcastError | undefined {
    const pushUsable = push !== undefined && push.health !== 'failed'
    const pullUsable = pull !== undefined && !entry.pullRejected && (fallbackEnabled || !push)
    if (!pushUsable && !pullUsable) return failureError(entry)
    if (
      entry.notFoundSince !== undefined &&
      entry.lastState === null &&
      now - entry.notFoundSince >= notFoundGraceMs &&
      entry.readError
    ) {
      return entry.readError
    }
    const since = unreachableSince(entry)
    if (since !== undefined && now - since >= transportFailureMs) return failureError(entry)
    return undefined
  }

  function failureError(entry: RunEntry): FlowcastError {
    const pushError = push?.lastError
    if (pushError?.code === 'AUTH_REJECTED') return pushError
    if (entry.readError) return entry.readError
    if (pushError) return pushError
    return new FlowcastError(
      'TRANSPORT_FAILED',
      `[@flowcast/core] no run-state source could reach the Prefect API: ${
        push ? `${push.name} is ${push.health}` : 'no push source'
      }${pull ? '' : ' and no pull source'}`,
    )
  }

  function startRead(entry: RunEntry): void {
    if (!pull) return
    entry.reading = true
    entry.readStartedAt = clock.now()
    entry.nextReadAt = Infinity
    let pending: Promise<FlowRunStateObservation>
    try {
      // No signal: a read that ends after close() is ignored (isActive), and one shared
      // signal would collect a listener per read.
      pending = pull.read(entry.flowRunId)
    } catch (error) {
      pending = Promise.reject(error)
    }
    pending.then(
      (observation) => onRead(entry, observation),
      (error: unknown) => onReadError(entry, error),
    )
  }

  function isActive(entry: RunEntry): boolean {
    return !closed && entries.get(entry.flowRunId) === entry
  }

  function nextReadDelay(entry: RunEntry, failed: boolean): number {
    if (!failed && ((push && push.health === 'healthy') || !fallbackEnabled)) {
      entry.readAttempt = 0
      return reconcileIntervalMs
    }
    return computeBackoffDelay(entry.readAttempt++, fallbackPolling, random)
  }

  function onRead(entry: RunEntry, observation: FlowRunStateObservation): void {
    entry.reading = false
    if (!isActive(entry)) return
    entry.readFailingSince = undefined
    entry.notFoundSince = undefined
    entry.readError = undefined
    observe(entry, observation, pull!.name)
    if (!isActive(entry)) return
    const now = clock.now()
    entry.nextReadAt = now + nextReadDelay(entry, false)
    schedule(entryDue(entry))
  }

  function onReadError(entry: RunEntry, cause: unknown): void {
    entry.reading = false
    if (!isActive(entry)) return
    const error = FlowcastError.from(cause)
    const now = clock.now()
    entry.readError = error
    if (error.code === 'AUTH_REJECTED') {
      entry.pullRejected = true
      entry.nextReadAt = Infinity
      logger.warn('run-state read rejected the credentials; reads stop for this run', {
        flowRunId: entry.flowRunId,
        source: pull!.name,
      })
    } else {
      if (error.code === 'NOT_FOUND') {
        entry.readFailingSince = undefined
        if (entry.notFoundSince === undefined) entry.notFoundSince = now
      } else if (entry.readFailingSince === undefined) {
        entry.readFailingSince = entry.readStartedAt
      }
      entry.nextReadAt = now + nextReadDelay(entry, true)
      logger.debug('run-state read failed', {
        flowRunId: entry.flowRunId,
        code: error.code,
        message: error.message,
      })
    }
    const failure = transportFailure(entry, now)
    if (failure) {
      settleAll(entry, (waiter) => transportFailed(entry, waiter, failure, now))
      return
    }
    schedule(entryDue(entry))
  }

  function observe(entry: RunEntry, observation: FlowRunStateObservation, source: string): void {
    if (!isActive(entry) || observation.flowRunId !== entry.flowRunId) return
    const last = entry.lastState
    if (last) {
      const order = compareTimestamps(observation.timestamp, last.timestamp)
      // Older than what we know (e.g. the REST read lagging the event, docs/protocol.md §1.4 item 9).
      if (order < 0) return
      if (order === 0 && observation.type === last.type && observation.name === last.name) return
    }
    entry.lastState = observation
    entry.lastSource = source
    entry.notFoundSince = undefined
    for (const waiter of entry.waiters.slice()) {
      if (waiter.onState) {
        try {
          waiter.onState(observation, source)
        } catch (error) {
          logger.error('onState listener threw', {
            flowRunId: entry.flowRunId,
            message: error instanceof Error ? error.message : String(error),
          })
        }
      }
    }
    if (!isActive(entry)) return
    const stateType = observation.type
    if (isTerminalStateType(stateType)) {
      const now = clock.now()
      settleAll(entry, (waiter) => ({
        outcome: 'terminal',
        flowRunId: entry.flowRunId,
        stateType,
        stateName: observation.name,
        source,
        observation,
        lastState: observation,
        timings: timings(waiter, now),
      }))
    }
  }

  function timings(waiter: Waiter, now: number) {
    return { startedAt: waiter.startedAt, resolvedAt: now, elapsedMs: now - waiter.startedAt }
  }

  function transportFailed(
    entry: RunEntry,
    waiter: Waiter,
    error: FlowcastError,
    now: number,
  ): WaitForFlowRunResult {
    return {
      outcome: 'transport_failed',
      flowRunId: entry.flowRunId,
      error,
      lastState: entry.lastState,
      timings: timings(waiter, now),
    }
  }

  function settleTimeout(entry: RunEntry, waiter: Waiter, now: number): void {
    settle(entry, waiter, {
      outcome: 'timeout',
      flowRunId: entry.flowRunId,
      lastState: entry.lastState,
      timings: timings(waiter, now),
    })
  }

  function settleAborted(entry: RunEntry, waiter: Waiter, reason: unknown): void {
    settle(entry, waiter, {
      outcome: 'aborted',
      flowRunId: entry.flowRunId,
      reason,
      lastState: entry.lastState,
      timings: timings(waiter, clock.now()),
    })
  }

  function settleAll(entry: RunEntry, build: (waiter: Waiter) => WaitForFlowRunResult): void {
    for (const waiter of entry.waiters.slice()) settle(entry, waiter, build(waiter))
  }

  function settle(entry: RunEntry, waiter: Waiter, result: WaitForFlowRunResult): void {
    const index = entry.waiters.indexOf(waiter)
    if (index === -1) return
    entry.waiters.splice(index, 1)
    activeWaits--
    instruments?.settled(waiter.span, result)
    if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort)
    waiter.onAbort = undefined
    if (entry.waiters.length === 0) removeEntry(entry)
    waiter.resolve(result)
  }

  function removeEntry(entry: RunEntry): void {
    if (entries.get(entry.flowRunId) === entry) entries.delete(entry.flowRunId)
    const unwatch = entry.unwatch
    entry.unwatch = undefined
    unwatch?.()
    if (entries.size === 0 && timer !== undefined) {
      clock.clearTimeout(timer)
      timer = undefined
      timerAt = Infinity
    }
  }

  function validTimeout(timeoutMs: number | undefined): number {
    if (timeoutMs === undefined) return Infinity
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw new FlowcastError(
        'INVALID_OPTIONS',
        '[@flowcast/core] invalid wait options: timeoutMs must be a number >= 0',
      )
    }
    return timeoutMs
  }

  function wait(flowRunId: string, waitOptions: WaitOptions = {}): Promise<WaitForFlowRunResult> {
    if (closed) {
      return Promise.reject(
        new FlowcastError('CLOSED', '[@flowcast/core] cannot wait: the run watcher is closed'),
      )
    }
    if (typeof flowRunId !== 'string' || flowRunId === '') {
      return Promise.reject(
        new FlowcastError(
          'INVALID_OPTIONS',
          '[@flowcast/core] invalid wait: flowRunId must be a non-empty string',
        ),
      )
    }
    let timeoutMs: number
    try {
      timeoutMs = validTimeout(waitOptions.timeoutMs)
    } catch (error) {
      return Promise.reject(error)
    }
    const startedAt = clock.now()
    const { signal, onState } = waitOptions
    if (signal?.aborted) {
      return Promise.resolve({
        outcome: 'aborted',
        flowRunId,
        reason: signal.reason,
        lastState: null,
        timings: { startedAt, resolvedAt: startedAt, elapsedMs: 0 },
      })
    }
    return new Promise<WaitForFlowRunResult>((resolve) => {
      const waiter: Waiter = {
        resolve,
        startedAt,
        deadline: startedAt + timeoutMs,
        onState,
        signal,
        onAbort: undefined,
        span: instruments?.started(flowRunId),
      }
      let entry = entries.get(flowRunId)
      const isNew = entry === undefined
      if (!entry) {
        entry = {
          flowRunId,
          createdAt: startedAt,
          // Sized for one (most runs have one wait); `[]` then push reserves 17 slots.
          waiters: [waiter],
          unwatch: undefined,
          lastState: null,
          lastSource: null,
          nextReadAt: Infinity,
          reading: false,
          readStartedAt: startedAt,
          readAttempt: 0,
          readFailingSince: undefined,
          notFoundSince: undefined,
          readError: undefined,
          pullRejected: false,
        }
        entries.set(flowRunId, entry)
      }
      const runEntry = entry
      if (!isNew) runEntry.waiters.push(waiter)
      activeWaits++
      if (signal) {
        waiter.onAbort = () => settleAborted(runEntry, waiter, signal.reason)
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      if (isNew) {
        if (push) {
          // Register before the first read: a state that occurs in between is pushed.
          const unwatch = push.watch(flowRunId, onPush)
          if (isActive(runEntry)) runEntry.unwatch = unwatch
          else unwatch()
        }
        if (pull && isActive(runEntry)) startRead(runEntry)
      } else if (runEntry.lastState && onState) {
        try {
          onState(runEntry.lastState, runEntry.lastSource ?? '')
        } catch (error) {
          logger.error('onState listener threw', {
            flowRunId,
            message: error instanceof Error ? error.message : String(error),
          })
        }
      }
      if (!isActive(runEntry) || !runEntry.waiters.includes(waiter)) return
      const now = clock.now()
      const failure = transportFailure(runEntry, now)
      if (failure) {
        settleAll(runEntry, (w) => transportFailed(runEntry, w, failure, now))
        return
      }
      schedule(entryDue(runEntry))
    })
  }

  return {
    wait,
    get activeWaits() {
      return activeWaits
    },
    get watchedRuns() {
      return entries.size
    },
    close() {
      if (closed) return
      const reason = new FlowcastError('CLOSED', '[@flowcast/core] the run watcher was closed')
      const pending = [...entries.values()]
      for (const entry of pending) {
        settleAll(entry, (waiter) => ({
          outcome: 'aborted',
          flowRunId: entry.flowRunId,
          reason,
          lastState: entry.lastState,
          timings: timings(waiter, clock.now()),
        }))
      }
      closed = true
      offHealth?.()
      if (timer !== undefined) clock.clearTimeout(timer)
      timer = undefined
      timerAt = Infinity
    },
  }
}
