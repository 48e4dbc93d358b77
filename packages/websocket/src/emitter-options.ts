import type { Logger, Clock, FlowcastProfile, Instrumentation } from '@flowcast/core'
import type { ReconnectOptions } from './options.js'
import type { WebSocketConstructorLike } from './socket.js'

/** Options of {@link createEventsEmitter}. */
export interface EventsEmitterOptions {
  /**
   * A `PREFECT_API_URL`-style URL: `http://host:4200/api` (self-hosted) or
   * `https://api.prefect.cloud/api/accounts/{a}/workspaces/{w}` (Cloud).
   */
  apiUrl: string
  /** Prefect Cloud API key, sent as `Authorization: bearer <key>` on the upgrade. Required for Cloud. */
  apiKey?: string | undefined
  /**
   * Self-hosted auth string (`user:pass`): sent in the auth frame, and as
   * `Authorization: Basic …` on the upgrade where headers can be set (`ws`).
   */
  authString?: string | undefined
  /**
   * A checkpoint (ping/pong) confirms the outbox once this many events are unconfirmed.
   * @default 700
   */
  checkpointEvery?: number
  /**
   * A checkpoint also runs this long after the first unconfirmed send.
   * @default 30_000
   */
  checkpointIntervalMs?: number
  /**
   * A checkpoint's pong must arrive within this; otherwise the socket is dropped and the
   * unconfirmed events are resent on a new one.
   * @default 10_000
   */
  checkpointTimeoutMs?: number
  /**
   * Sockets without a ping API (browsers): a checkpoint confirms events once the socket's
   * send buffer is empty and the socket stayed open for this long (see the README).
   * @default 1_000
   */
  settleMs?: number
  /**
   * Most unconfirmed events held; `emit` throws `OUTBOX_FULL` beyond it.
   * @default 10_000
   */
  maxOutbox?: number
  /**
   * How long `close()` waits for the server to confirm every event. On expiry it rejects
   * with `TIMEOUT` whose `details.events` holds the unconfirmed events (also readable as
   * {@link EventsEmitter.unconfirmedEvents}), so the caller can persist them. `Infinity` waits
   * for as long as the reconnect policy keeps trying.
   * @default 10_000
   */
  closeTimeoutMs?: number
  /** Reconnect policy: full-jitter backoff, optional limits. */
  reconnect?: ReconnectOptions
  /**
   * How long the handshake may take before a retry.
   * @default 10_000
   */
  connectTimeoutMs?: number
  /**
   * The WebSocket constructor.
   * @default globalThis.WebSocket (the Node entry defaults to `ws`)
   */
  WebSocket?: WebSocketConstructorLike
  /** Extra headers on the upgrade request (`ws` only). */
  headers?: Record<string, string>
  /** Where diagnostics go. @default silentLogger */
  logger?: Logger
  /** Time source for timers and for `occurred` / uuid v7 of new events. @default systemClock */
  clock?: Clock
  /** Random source for jitter. @default Math.random */
  random?: () => number
  /** Aborting it closes the emitter at once, without waiting for confirmation. */
  signal?: AbortSignal
  /**
   * `'test'` starts from {@link emitterTestProfile} instead of {@link emitterDefaults}
   * (checkpoints after 100 ms, 2 s watchdogs, reconnects after 10 ms, for tests against a fake
   * server); options given here win.
   * @default 'default'
   */
  profile?: FlowcastProfile
  /**
   * Receives the emitter's metrics: events sent, confirmed and resent, the outbox depth,
   * checkpoint latency, connections and reconnects by cause.
   * A bare `InstrumentationBackend` is refused (`INVALID_OPTIONS`): wrap it with
   * `createInstrumentation(backend)` from `@flowcast/core`.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
}

/** The defaults of {@link EventsEmitterOptions}. */
export const emitterDefaults = {
  checkpointEvery: 700,
  checkpointIntervalMs: 30_000,
  checkpointTimeoutMs: 10_000,
  settleMs: 1_000,
  maxOutbox: 10_000,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 10_000,
} as const

/**
 * The values {@link EventsEmitterOptions.profile} `'test'` uses instead of
 * {@link emitterDefaults}: a checkpoint 100 ms after the first unconfirmed send, 50 ms settle,
 * 2 s handshake, checkpoint and close limits, and `reconnect` from `reconnectTestProfile`.
 */
export const emitterTestProfile = {
  ...emitterDefaults,
  checkpointIntervalMs: 100,
  checkpointTimeoutMs: 2_000,
  settleMs: 50,
  connectTimeoutMs: 2_000,
  closeTimeoutMs: 2_000,
} as const

/** Counters of an emitter. */
export interface EventsEmitterStats {
  /** Events accepted by `emit`. */
  readonly emitted: number
  /** Frames sent, resends included. */
  readonly sent: number
  /** Frames sent again after a reconnect. */
  readonly resent: number
  /** Events confirmed by a checkpoint. */
  readonly confirmed: number
  /** Events not confirmed yet (the outbox). */
  readonly unconfirmed: number
  /** Checkpoints answered. */
  readonly checkpoints: number
  /** Sockets opened. */
  readonly connections: number
  /** Sockets opened after the first. */
  readonly reconnects: number
}

/** Options of {@link EventsEmitter.flush} and {@link EventsEmitter.close}. */
export interface FlushOptions {
  /** Aborting it rejects with `ABORTED` (events stay in the outbox). */
  signal?: AbortSignal
  /**
   * Longest wait for the confirmations, in ms.
   * @default Infinity for flush(), the emitter's `closeTimeoutMs` for close()
   */
  timeoutMs?: number
}
