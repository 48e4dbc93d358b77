import {
  FlowcastError,
  flowRunResourceId,
  flowRunStateFromEvent,
  resolveProfile,
  silentLogger,
  systemClock,
  type Clock,
  type FlowRunStateObservation,
  type PushRunStateSource,
  type ReceivedEvent,
  type RunStateSourceHealth,
  type TimerHandle,
} from '@flowcast/core'
import { notifyListeners } from '@flowcast/core/internal'
import type { ConnectionState } from './connection.js'
import { checkNumber, invalidOption } from './options.js'
import type { WebSocketConstructorLike } from './socket.js'
import {
  EventsSubscriberImpl,
  type EventsSubscriber,
  type EventsSubscriberOptions,
} from './subscriber.js'

/** Options of {@link createWebSocketRunStateSource}: a subscriber's, minus what the source sets. */
export interface WebSocketRunStateSourceOptions extends Omit<
  EventsSubscriberOptions,
  'filter' | 'onEvent' | 'backfill' | 'lookbackMs' | 'signal' | 'scope'
> {
  /**
   * Subscribe to these flow runs' events only (a resource filter), instead of every flow
   * run's: for a process that watches a known few runs, such as a CLI waiting on one. Watches
   * of other runs then hear nothing from this source.
   * @default undefined (every `prefect.flow-run.*` event)
   */
  flowRunIds?: readonly string[] | undefined
  /**
   * Called with each event the shared subscription delivers (once, after dedupe), before it
   * is matched to the watched runs: to print or count raw events. A throw is logged.
   * @default undefined
   */
  onEvent?: ((event: ReceivedEvent) => void) | undefined
  /**
   * How far back the shared subscription replays when the first watch starts it; at most
   * 60 s (the REST read covers older history).
   * @default 60_000
   */
  lookbackMs?: number
  /**
   * The last observation of every flow run seen within this long is kept, so a watch that
   * starts just after a state change still hears it.
   * @default 60_000
   */
  recentMs?: number
  /**
   * Most flow runs kept in that recent-observation cache.
   * @default 50_000
   */
  recentMaxRuns?: number
  /**
   * After the subscription ended on an error other than rejected credentials (a proxy that
   * refused the upgrade with 403, a server that stayed unreachable past the reconnect
   * limits), a new subscription is tried after about this long (jittered ±50%), again and
   * again, so waits return to the WebSocket once it recovers. `Infinity` never tries again.
   * @default 180_000
   */
  reprobeIntervalMs?: number
  /** Aborting it closes the source. */
  signal?: AbortSignal
}

/** A {@link PushRunStateSource} over one shared `/events/out` subscription. */
export interface WebSocketRunStateSource extends PushRunStateSource {
  readonly name: 'websocket'
  /** The shared subscriber, once the first watch started it. */
  readonly subscriber: EventsSubscriber | undefined
  /** Number of flow runs watched right now. */
  readonly watchedRuns: number
  /** Closes the shared subscriber; health becomes `failed` with a `CLOSED` error. */
  close(): Promise<void>
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

/** The defaults of {@link WebSocketRunStateSourceOptions}. */
export const runStateSourceDefaults = {
  lookbackMs: 60_000,
  recentMs: 60_000,
  recentMaxRuns: 50_000,
  reprobeIntervalMs: 180_000,
} as const

/**
 * The values {@link WebSocketRunStateSourceOptions.profile} `'test'` uses instead of
 * {@link runStateSourceDefaults}: a re-probe about every second after the subscription
 * failed (the subscriber's own values come from `subscriberTestProfile`).
 */
export const runStateSourceTestProfile = {
  ...runStateSourceDefaults,
  reprobeIntervalMs: 1_000,
} as const

type Listener = (observation: FlowRunStateObservation) => void

/** One `watch` call: its own object, so the same listener watched twice is two watches. */
interface Watch {
  readonly listener: Listener
}

interface Recent {
  observation: FlowRunStateObservation
  at: number
}

/** @internal */
export class WebSocketRunStateSourceImpl implements WebSocketRunStateSource {
  readonly name = 'websocket' as const
  readonly #options: WebSocketRunStateSourceOptions
  readonly #defaultWebSocket: WebSocketConstructorLike | undefined
  readonly #clock: Clock
  readonly #recentMs: number
  readonly #recentMaxRuns: number
  readonly #reprobeIntervalMs: number
  #reprobeTimer: TimerHandle | undefined
  /** A run's one watch, or its watches when there are several (a Set per run cost ~200 B). */
  readonly #watchers = new Map<string, Watch | Watch[]>()
  readonly #recent = new Map<string, Recent>()
  readonly #healthListeners = new Set<(health: RunStateSourceHealth) => void>()
  #subscriber: EventsSubscriberImpl | undefined
  #health: RunStateSourceHealth = 'connecting'
  #lastError: FlowcastError | undefined
  #closed = false
  readonly #onAbort = () => void this.close()

  constructor(
    options: WebSocketRunStateSourceOptions,
    defaultWebSocket: WebSocketConstructorLike | undefined,
  ) {
    if (options === null || typeof options !== 'object') {
      throw invalidOption('pass an options object with at least { apiUrl }')
    }
    checkNumber('lookbackMs', options.lookbackMs, { min: 0, max: 60_000 })
    checkNumber('recentMs', options.recentMs, { min: 0 })
    checkNumber('recentMaxRuns', options.recentMaxRuns, { min: 0, integer: true })
    checkNumber('reprobeIntervalMs', options.reprobeIntervalMs, { min: 1, allowInfinity: true })
    if (
      options.flowRunIds !== undefined &&
      (!Array.isArray(options.flowRunIds) ||
        options.flowRunIds.length === 0 ||
        !options.flowRunIds.every((id) => typeof id === 'string' && id.length > 0))
    ) {
      throw invalidOption('flowRunIds must be a non-empty array of flow run ids')
    }
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
      throw invalidOption('onEvent must be a function')
    }
    this.#options = options
    this.#defaultWebSocket = defaultWebSocket
    this.#clock = options.clock ?? systemClock
    this.#recentMs = options.recentMs ?? runStateSourceDefaults.recentMs
    this.#recentMaxRuns = options.recentMaxRuns ?? runStateSourceDefaults.recentMaxRuns
    const d =
      resolveProfile(options.profile, '@flowcast/websocket') === 'test'
        ? runStateSourceTestProfile
        : runStateSourceDefaults
    this.#reprobeIntervalMs = options.reprobeIntervalMs ?? d.reprobeIntervalMs
    // Validate every subscriber option now, so mistakes fail at construction, not at the
    // first watch. The probe never connects.
    this.#makeSubscriber(true)
    if (options.signal?.aborted) {
      this.#closed = true
      this.#setHealth('failed', closedError())
      return
    }
    options.signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  get health(): RunStateSourceHealth {
    return this.#health
  }

  get lastError(): FlowcastError | undefined {
    return this.#lastError
  }

  get subscriber(): EventsSubscriber | undefined {
    return this.#subscriber
  }

  get watchedRuns(): number {
    return this.#watchers.size
  }

  watch(flowRunId: string, listener: Listener): () => void {
    if (typeof flowRunId !== 'string' || flowRunId.length === 0) {
      throw new FlowcastError(
        'INVALID_OPTIONS',
        '[@flowcast/websocket] watch needs a flow run id (a non-empty string)',
      )
    }
    const watch: Watch = { listener }
    const current = this.#watchers.get(flowRunId)
    if (current === undefined) this.#watchers.set(flowRunId, watch)
    else if (Array.isArray(current)) current.push(watch)
    else this.#watchers.set(flowRunId, [current, watch])
    if (!this.#subscriber && !this.#closed) this.#start()
    const recent = this.#recent.get(flowRunId)
    if (recent && this.#clock.now() - recent.at <= this.#recentMs) {
      queueMicrotask(() => {
        if (this.#isWatching(flowRunId, watch)) this.#notify([watch.listener], recent.observation)
      })
    }
    return () => this.#unwatch(flowRunId, watch)
  }

  #isWatching(flowRunId: string, watch: Watch): boolean {
    const current = this.#watchers.get(flowRunId)
    return current === watch || (Array.isArray(current) && current.includes(watch))
  }

  #unwatch(flowRunId: string, watch: Watch): void {
    const current = this.#watchers.get(flowRunId)
    if (current === watch) {
      this.#watchers.delete(flowRunId)
    } else if (Array.isArray(current)) {
      const index = current.indexOf(watch)
      if (index !== -1) current.splice(index, 1)
      if (current.length === 0) this.#watchers.delete(flowRunId)
    }
  }

  onHealthChange(listener: (health: RunStateSourceHealth) => void): () => void {
    this.#healthListeners.add(listener)
    return () => {
      this.#healthListeners.delete(listener)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) {
      await this.#subscriber?.close()
      return
    }
    this.#closed = true
    this.#options.signal?.removeEventListener('abort', this.#onAbort)
    if (this.#reprobeTimer !== undefined) this.#clock.clearTimeout(this.#reprobeTimer)
    this.#reprobeTimer = undefined
    const subscriber = this.#subscriber
    this.#setHealth('failed', closedError())
    this.#watchers.clear()
    this.#recent.clear()
    await subscriber?.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #makeSubscriber(probe: boolean): EventsSubscriberImpl {
    const {
      lookbackMs,
      recentMs: _recentMs,
      recentMaxRuns: _recentMaxRuns,
      reprobeIntervalMs: _reprobeIntervalMs,
      signal: _signal,
      flowRunIds,
      onEvent: _onEvent,
      ...rest
    } = this.#options
    const probeSignal = probe ? AbortSignal.abort() : undefined
    return new EventsSubscriberImpl(
      {
        ...rest,
        filter: {
          event: { prefix: ['prefect.flow-run.'] },
          ...(flowRunIds ? { resource: { id: flowRunIds.map(flowRunResourceId) } } : {}),
        },
        lookbackMs: lookbackMs ?? runStateSourceDefaults.lookbackMs,
        ...(probeSignal ? { signal: probeSignal } : {}),
        onEvent: (event) => this.#onEvent(event),
      },
      this.#defaultWebSocket,
    )
  }

  #start(): void {
    const subscriber = this.#makeSubscriber(false)
    this.#subscriber = subscriber
    subscriber.onStateChange((state) => this.#onState(state, subscriber))
    this.#onState(subscriber.state, subscriber)
  }

  #onState(state: ConnectionState, subscriber: EventsSubscriberImpl): void {
    if (this.#closed || subscriber !== this.#subscriber) return
    switch (state) {
      case 'connecting':
        this.#setHealth('connecting', undefined)
        break
      case 'open':
        this.#setHealth('healthy', undefined)
        break
      case 'reconnecting':
        this.#setHealth('degraded', subscriber.lastError)
        break
      case 'closed':
        this.#setHealth('failed', subscriber.error ?? closedError())
        if (subscriber.error && subscriber.error.code !== 'AUTH_REJECTED') this.#scheduleReprobe()
        break
    }
  }

  #scheduleReprobe(): void {
    if (this.#reprobeTimer !== undefined || !Number.isFinite(this.#reprobeIntervalMs)) return
    const random = this.#options.random ?? Math.random
    const delay = this.#reprobeIntervalMs * (0.5 + random())
    this.#reprobeTimer = this.#clock.setTimeout(() => {
      this.#reprobeTimer = undefined
      if (this.#closed) return
      // Started now when runs are watched, else by the next watch.
      this.#subscriber = undefined
      if (this.#watchers.size === 0) return
      this.#start()
    }, delay)
  }

  #setHealth(health: RunStateSourceHealth, error: FlowcastError | undefined): void {
    if (error) this.#lastError = error
    if (this.#health === health) return
    this.#health = health
    notifyListeners(
      [...this.#healthListeners],
      [health],
      this.#options.logger ?? silentLogger,
      '[@flowcast/websocket] a health listener threw',
    )
  }

  #onEvent(event: ReceivedEvent): void {
    if (this.#options.onEvent) {
      try {
        this.#options.onEvent(event)
      } catch (error) {
        ;(this.#options.logger ?? silentLogger).error('[@flowcast/websocket] onEvent threw', {
          error: String(error),
        })
      }
    }
    const observation = flowRunStateFromEvent(event)
    if (!observation) return
    const id = observation.flowRunId
    if (this.#recentMaxRuns > 0) {
      this.#recent.delete(id)
      this.#recent.set(id, { observation, at: this.#clock.now() })
      if (this.#recent.size > this.#recentMaxRuns) {
        const oldest = this.#recent.keys().next().value
        if (oldest !== undefined) this.#recent.delete(oldest)
      }
    }
    const watches = this.#watchers.get(id)
    if (watches === undefined) return
    this.#notify(
      Array.isArray(watches) ? watches.map((watch) => watch.listener) : [watches.listener],
      observation,
    )
  }

  #notify(listeners: Iterable<Listener>, observation: FlowRunStateObservation): void {
    notifyListeners(
      listeners,
      [observation],
      this.#options.logger ?? silentLogger,
      '[@flowcast/websocket] a watch listener threw',
      { flowRunId: observation.flowRunId },
    )
  }
}

function closedError(): FlowcastError {
  return new FlowcastError('CLOSED', '[@flowcast/websocket] the run-state source was closed')
}
