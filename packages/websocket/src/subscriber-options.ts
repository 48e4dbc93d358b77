import type {
  Clock,
  EventFilter,
  FlowcastError,
  FlowcastProfile,
  Instrumentation,
  Logger,
  ReceivedEvent,
  UnknownFrameReason,
} from '@flowcast/core'
import type { ConnectionState } from './connection.js'
import type { ReconnectOptions } from './options.js'
import type { WebSocketConstructorLike } from './socket.js'
import type { EventsScope } from './urls.js'
/** Why a frame was skipped: the core's reasons, plus `control` for a stray `auth_success`. */
export type SkippedFrameKind = UnknownFrameReason | 'control'

/**
 * The socket options the events subscriber and the logs subscriber share: reconnect policy,
 * handshake and watchdog timers, frame-size limit, the WebSocket implementation and the
 * injected logger, clock and random source.
 */
export interface SubscriberSocketOptions {
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
  /**
   * The WebSocket constructor.
   * @default globalThis.WebSocket (the Node entry defaults to `ws`)
   */
  WebSocket?: WebSocketConstructorLike
  /** Extra headers on the upgrade request (`ws` only; browsers cannot set headers). */
  headers?: Record<string, string>
  /** Where diagnostics go. @default silentLogger */
  logger?: Logger
  /** Time source for timers, cursors and dedupe. @default systemClock */
  clock?: Clock
  /** Random source for jitter. @default Math.random */
  random?: () => number
}

/** Options of {@link createEventsSubscriber}. */
export interface EventsSubscriberOptions extends SubscriberSocketOptions {
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
  /** Aborting it closes the subscriber (like {@link EventsSubscriber.close}). */
  signal?: AbortSignal
  /**
   * `'test'` starts from {@link subscriberTestProfile} instead of {@link subscriberDefaults}
   * (reconnects after 10 ms, 2 s watchdogs, for tests against a fake server); options given
   * here win.
   * @default 'default'
   */
  profile?: FlowcastProfile
  /**
   * Receives the subscriber's metrics: frames by kind, events delivered, duplicates,
   * connections, reconnects by cause and stall-watchdog firings (e.g.
   * `createOpenTelemetryInstrumentation()` from `@flowcast/otel`).
   * A bare `InstrumentationBackend` is refused (`INVALID_OPTIONS`): wrap it with
   * `createInstrumentation(backend)` from `@flowcast/core`.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
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

/**
 * The values {@link EventsSubscriberOptions.profile} `'test'` uses instead of
 * {@link subscriberDefaults}: a 2 s handshake limit, a ping every 500 ms with a 2 s stall
 * watchdog, and `reconnect` from `reconnectTestProfile` (10 ms growing to 200 ms, no jitter,
 * healthy after 500 ms).
 */
export const subscriberTestProfile = {
  ...subscriberDefaults,
  connectTimeoutMs: 2_000,
  pingIntervalMs: 500,
  stallTimeoutMs: 2_000,
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
