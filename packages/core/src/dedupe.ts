import { systemClock, type Clock } from './clock.js'
import { FlowcastError } from './errors.js'

/** Options of {@link createDedupeWindow}. */
export interface DedupeWindowOptions {
  /**
   * How long an id is remembered after it is first seen, in ms. Cover the server's
   * 15-minute replay window (docs/protocol.md §1.4, §3.4) plus a margin.
   * @default 960_000 (16 minutes)
   */
  windowMs?: number
  /**
   * The most ids remembered at once; the oldest are forgotten first.
   * @default 200_000
   */
  maxEntries?: number
  /**
   * The clock that dates entries.
   * @default systemClock
   */
  clock?: Clock
}

/** The defaults of {@link DedupeWindowOptions}. */
export const dedupeWindowDefaults = Object.freeze({ windowMs: 16 * 60_000, maxEntries: 200_000 })

/** Remembers recently seen event ids, bounded by age and count. Every operation is O(1) amortised. */
export interface DedupeWindow {
  /**
   * Records `id`; true the first time it is seen within the window, false for a repeat.
   * Pass `now` (the clock's current time) when the caller has just read the clock, to
   * spare a second read on a hot path.
   * @param now - the current time in epoch ms; `clock.now()` when omitted
   */
  firstSeen(id: string, now?: number): boolean
  /** Whether `id` is remembered (does not record it). */
  has(id: string): boolean
  /** Number of ids currently remembered. */
  readonly size: number
  /** Forgets everything. */
  clear(): void
}

/**
 * A window of seen event ids for dropping duplicates across reconnects and replays.
 * Entries expire `windowMs` after they were first seen; beyond `maxEntries` the oldest go.
 *
 * @example
 * ```ts
 * const seen = createDedupeWindow()
 * if (frame.kind === 'event' && seen.firstSeen(frame.event.id)) deliver(frame.event)
 * ```
 */
export function createDedupeWindow(options: DedupeWindowOptions = {}): DedupeWindow {
  const { windowMs, maxEntries, clock } = dedupeOptions(options)
  // Membership in a Set; age order in a FIFO queue (array + head index, compacted when
  // half consumed). Iterating a Set after many deletions at its front is not O(1) in V8,
  // so the queue, not the Set, finds the oldest entry.
  const seen = new Set<string>()
  let queueIds: string[] = []
  let queueTimes: number[] = []
  let head = 0

  const dropOldest = () => {
    seen.delete(queueIds[head]!)
    head++
    if (head >= 1024 && head * 2 >= queueIds.length) {
      queueIds = queueIds.slice(head)
      queueTimes = queueTimes.slice(head)
      head = 0
    }
  }

  const evictExpired = (now: number) => {
    while (head < queueIds.length && now - queueTimes[head]! >= windowMs) dropOldest()
  }

  return {
    firstSeen(id, now = clock.now()) {
      evictExpired(now)
      const size = seen.size
      seen.add(id)
      if (seen.size === size) return false
      queueIds.push(id)
      queueTimes.push(now)
      if (size >= maxEntries) dropOldest()
      return true
    },
    has(id) {
      evictExpired(clock.now())
      return seen.has(id)
    },
    get size() {
      evictExpired(clock.now())
      return seen.size
    },
    clear() {
      seen.clear()
      queueIds = []
      queueTimes = []
      head = 0
    },
  }
}

/** @internal {@link DedupeWindowOptions} with the defaults applied, checked. */
export function dedupeOptions(options: DedupeWindowOptions): Required<DedupeWindowOptions> {
  const {
    windowMs = dedupeWindowDefaults.windowMs,
    maxEntries = dedupeWindowDefaults.maxEntries,
    clock = systemClock,
  } = options
  if (!(windowMs > 0) || !(maxEntries >= 1) || !Number.isFinite(maxEntries)) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      '[@flowcast/core] invalid dedupe window: windowMs and maxEntries must be positive',
    )
  }
  return { windowMs, maxEntries, clock }
}
