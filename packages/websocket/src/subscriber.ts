import {
  FlowcastError,
  PrefectDateTime,
  createDedupeWindow,
  encodeFilterFrame,
  matchesFilter,
  parseApiUrl,
  parseEventFilter,
  silentLogger,
  systemClock,
  type Clock,
  type DedupeWindow,
  type EventFilter,
  type Logger,
  type ReceivedEvent,
  type ServerFrame,
  type UnknownFrameReason,
} from '@flowcast/core'
import { credentialsOf, notifyStateListeners } from './client-helpers.js'
import { ManagedConnection, type ConnectionState } from './connection.js'
import { Fanout } from './fanout.js'
import {
  checkConnectionOptions,
  checkNumber,
  cleanHeaders,
  invalidOption,
  minimumMaxPayloadBytes,
  resolveReconnect,
  resolveWebSocket,
  type ReconnectOptions,
} from './options.js'
import type { SocketConnection, WebSocketConstructorLike } from './socket.js'
import { socketUrlFor, type EventsScope } from './urls.js'

/** Why a frame was skipped: the core's reasons, plus `control` for a stray `auth_success`. */
export type SkippedFrameKind = UnknownFrameReason | 'control'

/** Options of {@link createEventsSubscriber}. */
export interface EventsSubscriberOptions {
  /**
   * A `PREFECT_API_URL`-style URL: `http://host:4200/api` (self-hosted) or
   * `https://api.prefect.cloud/api/accounts/{a}/workspaces/{w}` (Cloud).
   */
  apiUrl: string
  /** Prefect Cloud API key, sent as the auth frame's token. Required for Cloud URLs. */
  apiKey?: string | undefined
  /** Self-hosted auth string (`user:pass`), sent raw as the auth frame's token. */
  authString?: string | undefined
  /**
   * Cloud only: `account` subscribes to every workspace of the account (docs/protocol.md §1.1).
   * @default 'workspace'
   */
  scope?: EventsScope
  /**
   * Which events to receive (snake_case, as on the wire). The server applies it; the client
   * applies it again to every event, because the server ignores `related` for live events
   * (docs/protocol.md §1.4). `occurred.since` / `until` are managed by the subscriber unless you set them.
   * @default {} (every event)
   */
  filter?: EventFilter
  /**
   * Whether the first connection replays stored events from `lookbackMs` ago.
   * Reconnects always replay from the resume cursor, so nothing is lost across drops.
   * @default true
   */
  backfill?: boolean
  /**
   * How far back the first connection replays (ignored when `filter.occurred.since` is set).
   * The server clamps any replay to 15 minutes.
   * @default 60_000
   */
  lookbackMs?: number
  /**
   * After each event the resume cursor becomes its `occurred` minus this margin, so a
   * reconnect replays events that arrive slightly out of order; duplicates are dropped by id.
   * @default 60_000
   */
  resumeMarginMs?: number
  /** Reconnect policy: full-jitter backoff, optional limits. */
  reconnect?: ReconnectOptions
  /**
   * Whether a clean close by the server (1000/1001) reconnects. Prefect Cloud closes sockets
   * routinely, so the default keeps the stream going; `false` ends it instead.
   * @default true
   */
  reconnectOnCleanClose?: boolean
  /**
   * How long the handshake (open, auth, `auth_success`) may take before a retry.
   * @default 10_000
   */
  connectTimeoutMs?: number
  /**
   * Interval of protocol pings (only where the socket can ping, i.e. `ws`). 0 disables them.
   * @default 5_000
   */
  pingIntervalMs?: number
  /**
   * The stall watchdog reconnects when no frame and no pong arrived for this long. Where the
   * socket cannot ping (browsers) it only runs when you set it, since an idle stream is then
   * indistinguishable from a stalled one.
   * @default 15_000
   */
  stallTimeoutMs?: number
  /**
   * Largest frame accepted (`ws` only; browsers have no limit). At least 2 MiB.
   * @default 16_777_216
   */
  maxPayloadBytes?: number
  /** Dedupe by event id across the replay window, with bounded memory. */
  dedupe?: {
    /**
     * How long an id is remembered; covers the server's 15-minute replay clamp.
     * @default 960_000
     */
    windowMs?: number
    /**
     * Most ids remembered.
     * @default 200_000
     */
    maxEntries?: number
  }
  /**
   * The WebSocket constructor.
   * @default globalThis.WebSocket (the Node entry defaults to `ws`)
   */
  WebSocket?: WebSocketConstructorLike
  /** Extra headers on the upgrade request (`ws` only; browsers cannot set headers). */
  headers?: Record<string, string>
  /**
   * Most events held for one `for await` consumer that has not taken them yet (and before
   * anyone listens). When a queue reaches it, the subscriber closes the socket instead of
   * buffering without limit; once the consumer has taken half of them it reconnects,
   * resuming from the last event received (the server replays what was missed, duplicates
   * are dropped by id). If that gap reaches past the server's 15-minute replay window, the
   * stream ends with `REPLAY_GAP` naming the time range that may be missing.
   * @default 10_000
   */
  maxQueuedEvents?: number
  /** Called with every event, in order, exactly once. Errors it throws are logged. */
  onEvent?: (event: ReceivedEvent) => void
  /** Where diagnostics go. @default silentLogger */
  logger?: Logger
  /** Time source for timers, cursors and dedupe. @default systemClock */
  clock?: Clock
  /** Random source for jitter. @default Math.random */
  random?: () => number
  /** Aborting it closes the subscriber (like {@link EventsSubscriber.close}). */
  signal?: AbortSignal
}

/** The defaults of {@link EventsSubscriberOptions}. */
export const subscriberDefaults = {
  scope: 'workspace',
  backfill: true,
  lookbackMs: 60_000,
  resumeMarginMs: 60_000,
  reconnectOnCleanClose: true,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 5_000,
  stallTimeoutMs: 15_000,
  maxPayloadBytes: 16 * 1024 * 1024,
  dedupeWindowMs: 16 * 60_000,
  dedupeMaxEntries: 200_000,
  maxQueuedEvents: 10_000,
} as const

/** Counters of a subscriber. */
export interface EventsSubscriberStats {
  /** Events delivered to consumers. */
  readonly events: number
  /** Events dropped because their id was already delivered (replays after reconnects). */
  readonly duplicates: number
  /** Events the server sent that did not match the filter on the client (e.g. `related`). */
  readonly filtered: number
  /** Frames skipped because they were not events. */
  readonly skippedFrames: number
  /** Skipped frames by kind. */
  readonly skippedByKind: Readonly<Partial<Record<SkippedFrameKind, number>>>
  /** Skipped frames by their `type` (frames with a string `type` only). */
  readonly skippedByType: Readonly<Record<string, number>>
  /** Sockets opened. */
  readonly connections: number
  /** Sockets opened after the first. */
  readonly reconnects: number
  /** Reconnects forced by the stall watchdog. */
  readonly stalls: number
  /** Times a consumer fell `maxQueuedEvents` behind and reading paused until it caught up. */
  readonly pauses: number
  /** Events waiting in the longest consumer queue right now. */
  readonly queued: number
  /** The longest any consumer queue has been (never above `maxQueuedEvents`). */
  readonly queuedHighWater: number
}

/**
 * A live subscription to `/events/out`: an async iterable of events (each exactly once,
 * in arrival order) that reconnects, resumes and dedupes on its own.
 */
export interface EventsSubscriber extends AsyncIterable<ReceivedEvent> {
  /** `connecting`, `open`, `reconnecting` or `closed`. */
  readonly state: ConnectionState
  /** A snapshot of the counters. */
  readonly stats: EventsSubscriberStats
  /** The resume cursor: the `occurred.since` the next (re)connect sends, as the server's string. */
  readonly cursor: string
  /** The most recent connection problem, transient or final. */
  readonly lastError: FlowcastError | undefined
  /** Why it closed, when it closed on its own (`AUTH_REJECTED`, `CONNECT_FAILED`, `PROTOCOL`). */
  readonly error: FlowcastError | undefined
  /** Calls `listener` with every event; returns a function that removes it. */
  onEvent(listener: (event: ReceivedEvent) => void): () => void
  /** Calls `listener` on every state change; returns a function that removes it. */
  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void
  /** Calls `listener` once if the subscriber closes on an error; returns a remover. */
  onError(listener: (error: FlowcastError) => void): () => void
  /** Closes the socket and stops every timer; iteration ends. Resolves once the socket is closed. */
  close(): Promise<void>
  /** Same as {@link EventsSubscriber.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

const farFutureSeconds = 365 * 24 * 60 * 60
const maxReplayMs = 15 * 60_000

/** @internal */
export class EventsSubscriberImpl implements EventsSubscriber {
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #conn: ManagedConnection
  readonly #filter: EventFilter
  readonly #clientFilterOccurred: boolean
  readonly #userUntil: string | undefined
  readonly #backfill: boolean
  readonly #marginSeconds: number
  readonly #dedupe: DedupeWindow
  #cursor: PrefectDateTime
  #state: ConnectionState = 'connecting'
  #opened = false
  /** When the socket was last open: a live stream has missed nothing up to then. */
  #liveAt: number | undefined
  readonly #fanout: Fanout<ReceivedEvent>
  readonly #stateListeners = new Set<(state: ConnectionState, previous: ConnectionState) => void>()
  readonly #errorListeners = new Set<(error: FlowcastError) => void>()
  #events = 0
  #duplicates = 0
  #filtered = 0
  #skipped = 0
  readonly #skippedByKind: Partial<Record<SkippedFrameKind, number>> = {}
  readonly #skippedByType: Record<string, number> = {}
  readonly #signal: AbortSignal | undefined
  readonly #onAbort = () => void this.close()

  constructor(
    options: EventsSubscriberOptions,
    defaultWebSocket: WebSocketConstructorLike | undefined,
  ) {
    checkConnectionOptions(options)
    checkNumber('lookbackMs', options.lookbackMs, { min: 0 })
    checkNumber('resumeMarginMs', options.resumeMarginMs, { min: 0 })
    checkNumber('connectTimeoutMs', options.connectTimeoutMs, { min: 1 })
    checkNumber('pingIntervalMs', options.pingIntervalMs, { min: 0 })
    checkNumber('stallTimeoutMs', options.stallTimeoutMs, { min: 1 })
    checkNumber('maxPayloadBytes', options.maxPayloadBytes, {
      min: minimumMaxPayloadBytes,
      integer: true,
    })
    checkNumber('dedupe.windowMs', options.dedupe?.windowMs, { min: 1 })
    checkNumber('dedupe.maxEntries', options.dedupe?.maxEntries, { min: 1, integer: true })
    checkNumber('maxQueuedEvents', options.maxQueuedEvents, { min: 1, integer: true })
    if (
      options.scope !== undefined &&
      options.scope !== 'workspace' &&
      options.scope !== 'account'
    ) {
      throw invalidOption(`scope must be 'workspace' or 'account', got ${String(options.scope)}`)
    }
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
      throw invalidOption('onEvent must be a function')
    }
    const location = parseApiUrl(options.apiUrl)
    const url = socketUrlFor(location, 'out', options.scope ?? subscriberDefaults.scope)
    const cloud = location.kind !== 'oss'
    if (cloud && !options.apiKey) {
      throw invalidOption('a Prefect Cloud URL needs an API key: pass apiKey (PREFECT_API_KEY)')
    }
    const WebSocket = resolveWebSocket(options.WebSocket, defaultWebSocket)
    const reconnect = resolveReconnect(options.reconnect)
    this.#filter = parseEventFilter(options.filter ?? {})
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#backfill = options.backfill ?? subscriberDefaults.backfill
    this.#marginSeconds = (options.resumeMarginMs ?? subscriberDefaults.resumeMarginMs) / 1000
    const occurred = this.#filter.occurred
    this.#clientFilterOccurred = occurred !== undefined && occurred !== null
    this.#userUntil = occurred?.until ?? undefined
    const now = this.#clock.now()
    const since = occurred?.since
    this.#cursor = since
      ? PrefectDateTime.parse(since)
      : this.#backfill
        ? PrefectDateTime.fromEpochMillis(
            now - (options.lookbackMs ?? subscriberDefaults.lookbackMs),
          )
        : PrefectDateTime.fromEpochMillis(now)
    this.#dedupe = createDedupeWindow({
      windowMs: options.dedupe?.windowMs ?? subscriberDefaults.dedupeWindowMs,
      maxEntries: options.dedupe?.maxEntries ?? subscriberDefaults.dedupeMaxEntries,
      clock: this.#clock,
    })
    this.#fanout = new Fanout({
      maxQueued: options.maxQueuedEvents ?? subscriberDefaults.maxQueuedEvents,
      logger: this.#logger,
      listenerError: '[@flowcast/websocket] an event listener threw',
      onFull: () => this.#onQueueFull(),
      onDrained: () => this.#onQueueDrained(),
      onIdle: () => this.close(),
    })
    if (options.onEvent) this.#fanout.listen(options.onEvent)
    const stallTimeoutMs = options.stallTimeoutMs ?? subscriberDefaults.stallTimeoutMs
    this.#conn = new ManagedConnection({
      label: 'subscriber',
      url,
      WebSocket,
      protocols: ['prefect'],
      headers: cleanHeaders(options.headers),
      maxPayload: options.maxPayloadBytes ?? subscriberDefaults.maxPayloadBytes,
      token: cloud ? (options.apiKey ?? null) : (options.authString ?? null),
      // Credentials travel in the auth frame: a 403 on the upgrade is a proxy, not a verdict.
      authRejectedStatuses: [401],
      reconnect,
      reconnectOnCleanClose:
        options.reconnectOnCleanClose ?? subscriberDefaults.reconnectOnCleanClose,
      connectTimeoutMs: options.connectTimeoutMs ?? subscriberDefaults.connectTimeoutMs,
      pingIntervalMs: options.pingIntervalMs ?? subscriberDefaults.pingIntervalMs,
      stallTimeoutMs,
      stallWithoutPing: options.stallTimeoutMs !== undefined,
      clock: this.#clock,
      random: options.random ?? Math.random,
      logger: this.#logger,
      credentials: credentialsOf(options),
      hooks: {
        ready: (socket) => this.#onReady(socket),
        frame: (frame) => this.#onFrame(frame),
        skipped: (frame) => this.#countSkipped(frame),
        pong: () => {},
        down: () => {},
        state: (state, previous) => {
          if (previous === 'open') this.#liveAt = this.#clock.now()
          // Paused for a slow consumer: not connected, and coming back on its own.
          this.#setState(state === 'idle' ? 'reconnecting' : state)
        },
        finished: (error) => this.#onFinished(error),
      },
    })
    this.#signal = options.signal
    if (this.#signal?.aborted) {
      void this.#conn.close()
      return
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true })
    this.#conn.start()
  }

  get state(): ConnectionState {
    return this.#state
  }

  get stats(): EventsSubscriberStats {
    return {
      events: this.#events,
      duplicates: this.#duplicates,
      filtered: this.#filtered,
      skippedFrames: this.#skipped,
      skippedByKind: { ...this.#skippedByKind },
      skippedByType: { ...this.#skippedByType },
      connections: this.#conn.connections,
      reconnects: this.#conn.reconnects,
      stalls: this.#conn.stalls,
      pauses: this.#fanout.overflows,
      queued: this.#fanout.queued,
      queuedHighWater: this.#fanout.highWater,
    }
  }

  get cursor(): string {
    return this.#cursor.toString()
  }

  get lastError(): FlowcastError | undefined {
    return this.#conn.lastError
  }

  get error(): FlowcastError | undefined {
    return this.#conn.error
  }

  onEvent(listener: (event: ReceivedEvent) => void): () => void {
    return this.#fanout.listen(listener)
  }

  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    this.#stateListeners.add(listener)
    return () => {
      this.#stateListeners.delete(listener)
    }
  }

  onError(listener: (error: FlowcastError) => void): () => void {
    this.#errorListeners.add(listener)
    return () => {
      this.#errorListeners.delete(listener)
    }
  }

  close(): Promise<void> {
    return this.#conn.close()
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  [Symbol.asyncIterator](): AsyncIterator<ReceivedEvent> {
    return this.#fanout.iterator()
  }

  #setState(next: ConnectionState): void {
    const previous = this.#state
    if (previous === next) return
    this.#state = next
    notifyStateListeners(this.#stateListeners, next, previous, this.#logger)
  }

  #onReady(socket: SocketConnection): void {
    const firstOpen = !this.#opened
    this.#opened = true
    const gap = firstOpen ? undefined : this.#unreplayableGap()
    if (gap) {
      // The server clamps replays to 15 minutes (docs/protocol.md §1.4): older events are gone.
      this.#logger.warn(
        '[@flowcast/websocket] the outage outlasted the server replay window; events older than 15 minutes may be missing',
        { since: gap.since, until: gap.until },
      )
    }
    const until =
      this.#userUntil ??
      PrefectDateTime.fromEpochMillis(this.#clock.now()).plusSeconds(farFutureSeconds).toString()
    const filter: EventFilter = {
      ...this.#filter,
      occurred: { since: this.#cursor.toString(), until },
    }
    // backfill:false applies to the first connection only; a reconnect must replay from the
    // cursor or events that occurred while it was down would be lost.
    const frame = encodeFilterFrame(
      filter,
      firstOpen && !this.#backfill ? { backfill: false } : undefined,
    )
    try {
      socket.send(frame)
    } catch (error) {
      this.#logger.warn('[@flowcast/websocket] could not send the filter frame', {
        error: String(error),
      })
    }
  }

  #onFrame(frame: ServerFrame): void {
    if (frame.kind === 'event') {
      this.#onEventFrame(frame.event)
      return
    }
    this.#countSkipped(frame)
  }

  #countSkipped(frame: ServerFrame): void {
    let kind: SkippedFrameKind
    let type: string | null
    if (frame.kind === 'unknown') {
      kind = frame.reason
      type = frame.type
    } else {
      kind = 'control'
      type = frame.kind
    }
    this.#skipped++
    this.#skippedByKind[kind] = (this.#skippedByKind[kind] ?? 0) + 1
    if (type !== null) this.#skippedByType[type] = (this.#skippedByType[type] ?? 0) + 1
    this.#logger.debug('[@flowcast/websocket] skipped a frame that is not an event', {
      kind,
      type,
    })
  }

  #onEventFrame(event: ReceivedEvent): void {
    // One clock read per event serves dedupe and the cursor. The cursor arithmetic is clamped,
    // so nothing after marking the event seen can throw and drop it.
    const now = this.#clock.now()
    if (!this.#dedupe.firstSeen(event.id, now)) {
      this.#duplicates++
      return
    }
    this.#advanceCursor(event.occurred, now)
    if (!matchesFilter(event, this.#filter, { occurred: this.#clientFilterOccurred })) {
      this.#filtered++
      return
    }
    this.#events++
    this.#deliver(event)
  }

  #advanceCursor(occurred: string, nowMs: number): void {
    const at = PrefectDateTime.tryParse(occurred)
    if (!at) return
    // A clock running ahead on the emitting side must not push the cursor past "now".
    const now = PrefectDateTime.fromEpochMillis(nowMs)
    // Clamped: an event from the first minute of year 1 is valid and must not throw here.
    const candidate = (at.isAfter(now) ? now : at).minusSeconds(this.#marginSeconds, {
      clamp: true,
    })
    if (candidate.isAfter(this.#cursor)) this.#cursor = candidate
  }

  #deliver(event: ReceivedEvent): void {
    this.#fanout.deliver(event)
  }

  /**
   * The time range a reconnect now could not replay: from where the stream is known complete
   * (the cursor, or the last moment the socket was open, minus the margin) to the oldest
   * instant the server still replays. `undefined` when nothing is out of reach.
   */
  #unreplayableGap(): { since: string; until: string } | undefined {
    const now = this.#clock.now()
    const oldest = PrefectDateTime.fromEpochMillis(now - maxReplayMs)
    let from = this.#cursor
    if (this.#liveAt !== undefined) {
      const live = PrefectDateTime.fromEpochMillis(this.#liveAt).minusSeconds(this.#marginSeconds, {
        clamp: true,
      })
      if (live.isAfter(from)) from = live
    }
    return from.isBefore(oldest) ? { since: from.toString(), until: oldest.toString() } : undefined
  }

  #onQueueFull(): void {
    this.#logger.warn(
      '[@flowcast/websocket] a consumer fell behind: pausing the subscription until it catches up',
      { maxQueuedEvents: this.#fanout.queued },
    )
    this.#conn.pause()
  }

  #onQueueDrained(): void {
    if (this.#conn.state !== 'idle') return
    const gap = this.#unreplayableGap()
    if (gap) {
      void this.#conn.close(
        new FlowcastError(
          'REPLAY_GAP',
          `[@flowcast/websocket] the subscriber was paused for a slow consumer longer than the server's 15-minute replay window: events that occurred from ${gap.since} to ${gap.until} may be missing`,
          { details: gap },
        ),
      )
      return
    }
    this.#conn.start()
  }

  #onFinished(error: FlowcastError | undefined): void {
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#fanout.end(error)
    if (error) {
      for (const listener of [...this.#errorListeners]) {
        try {
          listener(error)
        } catch (thrown) {
          this.#logger.error('[@flowcast/websocket] an error listener threw', {
            error: String(thrown),
          })
        }
      }
    }
    this.#errorListeners.clear()
  }
}
