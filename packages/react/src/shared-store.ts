/**
 * What a {@link SharedStore} runs while someone is subscribed: `start` begins the work (a wait,
 * a follow, a subscription) and returns the function that stops it.
 * @internal
 */
export interface StoreWork<T> {
  /** The snapshot before any work, also the one rendered on the server. */
  initial: T
  /**
   * Starts the work. `set` publishes a new snapshot (ignored once stopped); `settle` says the
   * work is over and its last snapshot final (nothing restarts it).
   */
  start(set: (next: T) => void, get: () => T, settle: () => void): () => void
}

/**
 * One value many components read through `useSyncExternalStore`. The work starts with the
 * first subscriber and stops `releaseDelayMs` after the last one leaves, so StrictMode's
 * mount → unmount → mount (and a list re-ordering its rows) keeps the one running wait.
 * @internal
 */
export interface SharedStore<T> {
  subscribe(listener: () => void): () => void
  getSnapshot(): T
  /** The snapshot rendered on the server and during hydration: the initial one. */
  getServerSnapshot(): T
  /** Components subscribed right now. */
  readonly subscribers: number
  /** Whether the work is running (started and neither stopped nor settled). */
  readonly running: boolean
  /** Whether the work finished and its snapshot is final. */
  readonly settled: boolean
}

/**
 * Creates a {@link SharedStore}. `onIdle` runs when the work was released (no subscriber
 * for `releaseDelayMs`), so the owner can forget the store.
 * @internal
 */
export function createSharedStore<T>(
  work: StoreWork<T>,
  options: {
    releaseDelayMs: number
    onIdle: (store: SharedStore<T>) => void
    /** Called when the first component subscribes (again), so the owner holds the store. */
    onActive?: (store: SharedStore<T>) => void
    /**
     * Release it if nobody subscribes within this many milliseconds (a render that never
     * committed created it); `undefined` never arms it.
     */
    armDelayMs?: number | undefined
  },
): SharedStore<T> {
  const listeners = new Set<() => void>()
  let snapshot = work.initial
  let stop: (() => void) | undefined
  let settled = false
  let generation = 0
  let releaseTimer: ReturnType<typeof setTimeout> | undefined

  const emit = () => {
    for (const listener of [...listeners]) listener()
  }

  const begin = () => {
    if (stop || settled) return
    const mine = ++generation
    const live = () => mine === generation
    stop = work.start(
      (next) => {
        if (!live() || next === snapshot) return
        snapshot = next
        emit()
      },
      () => snapshot,
      () => {
        if (!live()) return
        settled = true
        generation += 1
        stop = undefined
      },
    )
    // The work may have settled synchronously (e.g. it refused its arguments).
    if (!live()) stop = undefined
  }

  const release = () => {
    releaseTimer = undefined
    if (listeners.size > 0) return
    generation += 1
    const end = stop
    stop = undefined
    end?.()
    options.onIdle(store)
  }

  const armRelease = (delayMs: number) => {
    releaseTimer ??= setTimeout(release, delayMs)
  }

  const store: SharedStore<T> = {
    subscribe(listener) {
      listeners.add(listener)
      if (listeners.size === 1) options.onActive?.(store)
      if (releaseTimer !== undefined) {
        clearTimeout(releaseTimer)
        releaseTimer = undefined
      }
      begin()
      return () => {
        if (listeners.delete(listener) && listeners.size === 0) armRelease(options.releaseDelayMs)
      }
    },
    getSnapshot: () => snapshot,
    getServerSnapshot: () => work.initial,
    get subscribers() {
      return listeners.size
    },
    get running() {
      return stop !== undefined
    },
    get settled() {
      return settled
    },
  }
  if (options.armDelayMs !== undefined) armRelease(options.armDelayMs)
  return store
}
