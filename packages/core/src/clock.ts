import { FlowcastError } from './errors.js'

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Type brand only; never set at runtime. */
  readonly __brand?: 'TimerHandle'
}

/**
 * The source of time and timers for everything time-dependent in flowcast, so tests can
 * inject {@link createManualClock} instead of sleeping.
 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  now(): number
  /** Runs `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle
  /** Cancels a timer; unknown or already-fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void
}

/**
 * The real clock: `Date.now()` and the global timers. The globals are looked up at call time,
 * so `vi.useFakeTimers()` also controls code that uses `systemClock`.
 */
export const systemClock: Clock = /* @__PURE__ */ Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): TimerHandle =>
    globalThis.setTimeout(callback, ms) as unknown as TimerHandle,
  clearTimeout: (handle: TimerHandle): void => {
    globalThis.clearTimeout(handle as unknown as Parameters<typeof globalThis.clearTimeout>[0])
  },
})

/** A {@link Clock} that only moves when told to. Deterministic: equal due times run in scheduling order. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, running every timer that falls due, in time order. */
  advance(ms: number): void
  /**
   * Like {@link ManualClock.advance}, but lets pending promise jobs run before each timer
   * and after the last one, so `await`-chains triggered by a timer settle before the next.
   */
  advanceAsync(ms: number): Promise<void>
  /** Number of timers scheduled and not yet run or cleared. */
  readonly pendingTimers: number
}

interface ManualTimer {
  readonly due: number
  readonly seq: number
  readonly callback: () => void
}

// Enough promise-job turns for typical `async` chains (each `await` of a settled promise
// costs a few turns) without relying on a macrotask source that fake timers may replace.
const MICROTASK_TURNS = 100

async function flushPromiseJobs(): Promise<void> {
  for (let i = 0; i < MICROTASK_TURNS; i++) await Promise.resolve()
}

/**
 * Creates a {@link ManualClock} starting at `startMs` (epoch ms).
 *
 * @param startMs - the initial value of `now()`
 * @default startMs 0
 * @example
 * ```ts
 * const clock = createManualClock(Date.UTC(2026, 7, 20))
 * const slept = sleep(1000, { clock })
 * await clock.advanceAsync(1000)
 * await slept
 * ```
 */
export function createManualClock(startMs = 0): ManualClock {
  if (!Number.isFinite(startMs)) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      '[@flowcast/core] invalid clock start: not a finite number',
    )
  }
  let now = startMs
  let seq = 0
  const timers = new Map<number, ManualTimer>()

  const nextDue = (limit: number): ManualTimer | undefined => {
    let best: ManualTimer | undefined
    for (const timer of timers.values()) {
      if (timer.due > limit) continue
      if (!best || timer.due < best.due || (timer.due === best.due && timer.seq < best.seq)) {
        best = timer
      }
    }
    return best
  }

  const checkStep = (ms: number): number => {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new FlowcastError(
        'INVALID_OPTIONS',
        `[@flowcast/core] invalid clock advance: ${ms} is not a finite, non-negative number`,
      )
    }
    return now + ms
  }

  return {
    now: () => now,
    setTimeout(callback, ms) {
      const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
      const timer: ManualTimer = { due: now + delay, seq: ++seq, callback }
      timers.set(timer.seq, timer)
      return { id: timer.seq } as TimerHandle
    },
    clearTimeout(handle) {
      const id = (handle as { id?: unknown } | undefined)?.id
      if (typeof id === 'number') timers.delete(id)
    },
    advance(ms) {
      const target = checkStep(ms)
      for (let timer = nextDue(target); timer; timer = nextDue(target)) {
        timers.delete(timer.seq)
        now = Math.max(now, timer.due)
        timer.callback()
      }
      now = Math.max(now, target)
    },
    async advanceAsync(ms) {
      const target = checkStep(ms)
      await flushPromiseJobs()
      for (let timer = nextDue(target); timer; timer = nextDue(target)) {
        timers.delete(timer.seq)
        now = Math.max(now, timer.due)
        timer.callback()
        await flushPromiseJobs()
      }
      now = Math.max(now, target)
      await flushPromiseJobs()
    },
    get pendingTimers() {
      return timers.size
    },
  }
}

/** Options of {@link sleep}. */
export interface SleepOptions {
  /**
   * The clock whose timer to use.
   * @default systemClock
   */
  clock?: Clock
  /** Rejects the sleep with `FlowcastError('ABORTED')` when aborted. */
  signal?: AbortSignal
}

/**
 * Resolves after `ms` milliseconds on `options.clock`; rejects with
 * `FlowcastError('ABORTED')` (cause: the signal's reason) if `options.signal` aborts first.
 * The abort listener is removed when the sleep settles.
 *
 * @example
 * ```ts
 * await sleep(computeBackoffDelay(attempt), { signal })
 * ```
 */
export function sleep(ms: number, options: SleepOptions = {}): Promise<void> {
  const { clock = systemClock, signal } = options
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal))
      return
    }
    const onAbort = () => {
      clock.clearTimeout(handle)
      reject(abortedError(signal))
    }
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The `FlowcastError('ABORTED')` for an aborted signal, with the signal's reason as `cause`.
 *
 * @example
 * ```ts
 * if (signal.aborted) throw abortedError(signal)
 * ```
 */
export function abortedError(signal?: AbortSignal, what = 'operation aborted'): FlowcastError {
  return new FlowcastError('ABORTED', `[@flowcast/core] ${what}: the signal was aborted`, {
    cause: signal?.reason,
  })
}
