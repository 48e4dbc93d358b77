import {
  FlowcastError,
  PrefectDateTime,
  createDedupeWindow,
  encodeLogsFilterFrame,
  matchesLogFilter,
  parseApiUrl,
  parseLogFilter,
  parseLogsServerFrame,
  silentLogger,
  systemClock,
  type Clock,
  type DedupeWindow,
  type Log,
  type LogFilter,
  type Instrumentation,
  type Logger,
  type LogsServerFrame,
  type PushLogsSource,
  type UnknownLogsFrameReason,
} from '@flowcast/core'
import { instrumentsOf, type ConsumerInstruments } from '@flowcast/core/internal'
import { credentialsOf } from './client-helpers.js'
import { ManagedConnection, type ConnectionState } from './connection.js'
import {
  checkConnectionOptions,
  checkStreamOptions,
  checkNumber,
  cleanHeaders,
  invalidOption,
  resolveReconnect,
  resolveWebSocket,
} from './options.js'
import { Fanout } from './fanout.js'
import type { SocketConnection, WebSocketConstructorLike } from './socket.js'
import { StreamClient } from './stream-client.js'
import type { SubscriberSocketOptions } from './subscriber-options.js'
import { socketUrlFor } from './urls.js'

/** Why a `/logs/out` frame was skipped: core's reasons, plus `control` for a stray `auth_success`. */
export type SkippedLogsFrameKind = UnknownLogsFrameReason | 'control'

/** Options of {@link createLogsSubscriber}. */
export interface LogsSubscriberOptions extends SubscriberSocketOptions {
  /** A `PREFECT_API_URL`-style URL (self-hosted or a Cloud workspace). */
  apiUrl: string
  /** Prefect Cloud API key, sent as the auth frame's token. Required for Cloud URLs. */
  apiKey?: string
  /** Self-hosted auth string (`user:pass`), sent raw as the auth frame's token. */
  authString?: string
  /**
   * Which logs (snake_case, as on the wire). The server applies `level`, `timestamp`,
   * `flow_run_id` and `task_run_id`; so does the client, again, on every log. `text` and
   * `operator` are REST-only and rejected here. Unless you set `timestamp`, every (re)connect
   * sends `after_` = now − `lookbackMs` and `before_` = now + 365 days, as Prefect's client does.
   * @default {} (every log)
   */
  filter?: LogFilter
  /**
   * How far back the `timestamp.after_` of each (re)connect reaches (the server sends only
   * logs created after the subscription; this bounds their timestamps).
   * @default 60_000
   */
  lookbackMs?: number
  /** Dedupe by log id across reconnects, with bounded memory. */
  dedupe?: {
    /** @default 960_000 */
    windowMs?: number
    /** @default 200_000 */
    maxEntries?: number
  }
  /**
   * Most logs held for one `for await` consumer that has not taken them yet (and before
   * anyone listens). When a queue reaches it, the subscriber closes the socket instead of
   * buffering without limit; once every consumer has taken half of its queue it reconnects.
   * Prefect sends no backfill on `/logs/out` (docs/protocol.md §11.3), so logs written while
   * the socket was closed never arrive on it: each pause is counted in
   * {@link LogsSubscriberStats.pauses} and logged as a warning naming the time range that may
   * be missing. REST reconciliation fills such a gap: core's `followFlowRun` (the run logs
   * follower) does so on its own when given a REST logs source, which reads `POST /logs/filter`;
   * otherwise read that range over REST yourself.
   * @default 10_000
   */
  maxQueuedLogs?: number
  /** Called with every log, in order, once. Errors it throws are logged. */
  onLog?: (log: Log) => void
  /** Aborting it closes the subscriber. */
  signal?: AbortSignal
  /**
   * Receives the subscriber's metrics: frames by kind, logs delivered, duplicates,
   * connections, reconnects by cause and stall-watchdog firings.
   * A bare `InstrumentationBackend` is refused (`INVALID_OPTIONS`): wrap it with
   * `createInstrumentation(backend)` from `@flowcast/core`.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
}

/** Defaults of {@link LogsSubscriberOptions}. */
export const logsSubscriberDefaults = /* @__PURE__ */ Object.freeze({
  lookbackMs: 60_000,
  reconnectOnCleanClose: true,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 5_000,
  stallTimeoutMs: 15_000,
  maxPayloadBytes: 16 * 1024 * 1024,
  dedupeWindowMs: 16 * 60_000,
  dedupeMaxEntries: 200_000,
  maxQueuedLogs: 10_000,
})

/** Counters of a logs subscriber. */
export interface LogsSubscriberStats {
  /** Logs delivered. */
  readonly logs: number
  /** Logs dropped because their id was already delivered. */
  readonly duplicates: number
  /** Logs the server sent that did not match the filter on the client. */
  readonly filtered: number
  /** Frames skipped because they were not logs. */
  readonly skippedFrames: number
  /** Skipped frames by kind. */
  readonly skippedByKind: Readonly<Partial<Record<SkippedLogsFrameKind, number>>>
  /** Sockets opened. */
  readonly connections: number
  /** Sockets opened after the first. */
  readonly reconnects: number
  /** Reconnects forced by the stall watchdog. */
  readonly stalls: number
  /**
   * Times a consumer fell `maxQueuedLogs` behind and the socket closed until it caught up.
   * Logs written during a pause may be missing from the stream (no backfill); read them
   * over REST.
   */
  readonly pauses: number
  /** Logs waiting in the longest consumer queue right now. */
  readonly queued: number
  /** The longest any consumer queue has been (never above `maxQueuedLogs`). */
  readonly queuedHighWater: number
}

/**
 * A live subscription to `/logs/out`: an async iterable of logs (each once, in arrival order)
 * that reconnects and dedupes on its own. Live only: Prefect sends no backfill, and a default
 * OSS server streams nothing at all (docs/protocol.md §11.3) — read `POST /logs/filter` too.
 */
export interface LogsSubscriber extends AsyncIterable<Log> {
  /** `connecting`, `open`, `reconnecting` or `closed`. */
  readonly state: ConnectionState
  /** A snapshot of the counters. */
  readonly stats: LogsSubscriberStats
  /** The most recent connection problem. */
  readonly lastError: FlowcastError | undefined
  /** Why it closed, when it closed on its own. */
  readonly error: FlowcastError | undefined
  /** Calls `listener` with every log; returns a remover. */
  onLog(listener: (log: Log) => void): () => void
  /** Calls `listener` on every state change; returns a remover. */
  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void
  /** Calls `listener` once if the subscriber closes on an error; returns a remover. */
  onError(listener: (error: FlowcastError) => void): () => void
  /** Closes the socket; iteration ends. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

const farFutureSeconds = 365 * 24 * 60 * 60

/** @internal */
export class LogsSubscriberImpl
  extends StreamClient<Log, LogsServerFrame>
  implements LogsSubscriber
{
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #conn: ManagedConnection<LogsServerFrame>
  readonly #filter: LogFilter
  readonly #lookbackSeconds: number
  readonly #dedupe: DedupeWindow
  readonly #fanout: Fanout<Log>
  /** When the socket last closed for a slow consumer (epoch ms), while paused. */
  #pausedAt: number | undefined
  #logs = 0
  #duplicates = 0
  #filtered = 0
  #skipped = 0
  readonly #skippedByKind: Partial<Record<SkippedLogsFrameKind, number>> = {}
  /** Only when instrumentation was given: otherwise every report is a skipped `?.` call. */
  readonly #m: ConsumerInstruments | undefined

  constructor(
    options: LogsSubscriberOptions,
    defaultWebSocket: WebSocketConstructorLike | undefined,
  ) {
    super(options.logger ?? silentLogger)
    checkConnectionOptions(options)
    checkStreamOptions(options)
    checkNumber('maxQueuedLogs', options.maxQueuedLogs, { min: 1, integer: true })
    if (options.onLog !== undefined && typeof options.onLog !== 'function') {
      throw invalidOption('onLog must be a function')
    }
    const filter = parseLogFilter(options.filter ?? {})
    if (filter.text != null || filter.operator !== undefined) {
      // The socket ignores both (docs/protocol.md §11.3): a silently wider stream would mislead.
      throw new FlowcastError(
        'INVALID_FILTER',
        '[@flowcast/websocket] invalid log filter: text and operator apply only to POST /logs/filter, not to /logs/out',
      )
    }
    this.#filter = filter
    const location = parseApiUrl(options.apiUrl)
    const url = socketUrlFor(location, 'out', 'workspace').replace(/\/events\/out$/, '/logs/out')
    const cloud = location.kind !== 'oss'
    if (cloud && !options.apiKey) {
      throw invalidOption('a Prefect Cloud URL needs an API key: pass apiKey (PREFECT_API_KEY)')
    }
    const WebSocket = resolveWebSocket(options.WebSocket, defaultWebSocket)
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#m = instrumentsOf(options.instrumentation, '@flowcast/websocket')?.consumer('logs/out')
    this.#lookbackSeconds = (options.lookbackMs ?? logsSubscriberDefaults.lookbackMs) / 1000
    this.#dedupe = createDedupeWindow({
      windowMs: options.dedupe?.windowMs ?? logsSubscriberDefaults.dedupeWindowMs,
      maxEntries: options.dedupe?.maxEntries ?? logsSubscriberDefaults.dedupeMaxEntries,
      clock: this.#clock,
    })
    this.#fanout = new Fanout({
      maxQueued: options.maxQueuedLogs ?? logsSubscriberDefaults.maxQueuedLogs,
      logger: this.#logger,
      listenerError: '[@flowcast/websocket] a log listener threw',
      onFull: () => this.#onQueueFull(),
      onDrained: () => this.#onQueueDrained(),
      onIdle: () => this.close(),
    })
    if (options.onLog) this.#fanout.listen(options.onLog)
    this.#conn = new ManagedConnection<LogsServerFrame>({
      label: 'logs subscriber',
      url,
      WebSocket,
      protocols: ['prefect'],
      headers: cleanHeaders(options.headers),
      maxPayload: options.maxPayloadBytes ?? logsSubscriberDefaults.maxPayloadBytes,
      token: cloud ? (options.apiKey ?? null) : (options.authString ?? null),
      reconnect: resolveReconnect(options.reconnect),
      reconnectOnCleanClose:
        options.reconnectOnCleanClose ?? logsSubscriberDefaults.reconnectOnCleanClose,
      connectTimeoutMs: options.connectTimeoutMs ?? logsSubscriberDefaults.connectTimeoutMs,
      pingIntervalMs: options.pingIntervalMs ?? logsSubscriberDefaults.pingIntervalMs,
      stallTimeoutMs: options.stallTimeoutMs ?? logsSubscriberDefaults.stallTimeoutMs,
      stallWithoutPing: options.stallTimeoutMs !== undefined,
      clock: this.#clock,
      random: options.random ?? Math.random,
      logger: this.#logger,
      credentials: credentialsOf(options),
      parseFrame: (data, binary) => parseLogsServerFrame(data, { binary }),
      hooks: {
        ready: (socket) => this.#onReady(socket),
        frame: (frame) => this.#onFrame(frame),
        skipped: (frame) => this.#countSkipped(frame),
        pong: () => {},
        down: () => this.#m?.down(this.#conn.stalls),
        reconnecting: (cause) => this.#m?.reconnecting(cause),
        // Paused for a slow consumer: not connected, and coming back on its own.
        state: (state) => this.setState(state === 'idle' ? 'reconnecting' : state),
        finished: (error) => this.finishStream(error),
      },
    })
    this.startStream(this.#conn, this.#fanout, options.signal)
  }

  get stats(): LogsSubscriberStats {
    return {
      logs: this.#logs,
      duplicates: this.#duplicates,
      filtered: this.#filtered,
      skippedFrames: this.#skipped,
      skippedByKind: { ...this.#skippedByKind },
      ...this.transportStats(),
    }
  }

  onLog(listener: (log: Log) => void): () => void {
    return this.#fanout.listen(listener)
  }

  #onReady(socket: SocketConnection): void {
    this.#m?.connected()
    this.#warnPauseGap()
    // As Prefect's client: every (re)connect moves the window to now (docs/protocol.md §11.4).
    const now = PrefectDateTime.fromEpochMillis(this.#clock.now())
    const filter: LogFilter = {
      ...this.#filter,
      timestamp: this.#filter.timestamp ?? {
        after_: now.minusSeconds(this.#lookbackSeconds).toString(),
        before_: now.plusSeconds(farFutureSeconds).toString(),
      },
    }
    try {
      socket.send(encodeLogsFilterFrame(filter))
    } catch (error) {
      this.#logger.warn('[@flowcast/websocket] could not send the logs filter frame', {
        error: String(error),
      })
    }
  }

  #onFrame(frame: LogsServerFrame): void {
    if (frame.kind !== 'log') {
      this.#countSkipped(frame)
      return
    }
    const log = frame.log
    if (!this.#dedupe.firstSeen(log.id)) {
      this.#duplicates++
      this.#m?.duplicate()
      return
    }
    if (!matchesLogFilter(log, this.#filter)) {
      this.#filtered++
      this.#m?.filtered()
      return
    }
    this.#logs++
    this.#m?.delivered()
    this.#fanout.deliver(log)
  }

  #countSkipped(frame: LogsServerFrame): void {
    const kind: SkippedLogsFrameKind = frame.kind === 'unknown' ? frame.reason : 'control'
    this.#skipped++
    this.#m?.skippedFrame(kind)
    this.#skippedByKind[kind] = (this.#skippedByKind[kind] ?? 0) + 1
    this.#logger.debug('[@flowcast/websocket] skipped a frame that is not a log', { kind })
  }

  #onQueueFull(): void {
    this.#logger.warn(
      '[@flowcast/websocket] a logs consumer fell behind: pausing the subscription until it catches up; logs written meanwhile will not arrive on the socket',
      { maxQueuedLogs: this.#fanout.queued },
    )
    this.#pausedAt = this.#clock.now()
    this.#conn.pause()
  }

  #onQueueDrained(): void {
    if (this.#conn.state !== 'idle') return
    this.#m?.resuming()
    this.#conn.start()
  }

  /**
   * No backfill on /logs/out (docs/protocol.md §11.3): logs written between the pause and the
   * new subscription never arrive on this stream, so the range is named once the socket is back.
   */
  #warnPauseGap(): void {
    if (this.#pausedAt === undefined) return
    const gap = {
      since: PrefectDateTime.fromEpochMillis(this.#pausedAt).toString(),
      until: PrefectDateTime.fromEpochMillis(this.#clock.now()).toString(),
    }
    this.#pausedAt = undefined
    this.#logger.warn(
      `[@flowcast/websocket] the logs subscriber was paused for a slow consumer: logs written from ${gap.since} to ${gap.until} may be missing (read them with POST /logs/filter)`,
      gap,
    )
  }
}

/** Options of {@link createWebSocketLogsSource}: a logs subscriber's, minus the filter and listener. */
export type WebSocketLogsSourceOptions = Omit<LogsSubscriberOptions, 'filter' | 'onLog' | 'signal'>

/** The logs push source for core's `followFlowRun`; `close()` closes every subscription. */
export interface WebSocketLogsSource extends PushLogsSource {
  /** Closes every subscription. */
  close(): Promise<void>
}

/** @internal */
export function createWebSocketLogsSourceWith(
  options: WebSocketLogsSourceOptions,
  defaultWebSocket: WebSocketConstructorLike | undefined,
): WebSocketLogsSource {
  const subscribers = new Set<LogsSubscriber>()
  const errorListeners = new Set<(error: FlowcastError) => void>()
  return {
    name: 'websocket',
    watch(flowRunId, listener) {
      // One subscription per watched run: the server filters by run, so nothing else is sent.
      const subscriber = new LogsSubscriberImpl(
        { ...options, filter: { flow_run_id: { any_: [flowRunId] } }, onLog: listener },
        defaultWebSocket,
      )
      subscribers.add(subscriber)
      subscriber.onError((error) => {
        for (const notify of [...errorListeners]) notify(error)
      })
      return () => {
        subscribers.delete(subscriber)
        void subscriber.close()
      }
    },
    onError(listener) {
      errorListeners.add(listener)
      return () => errorListeners.delete(listener)
    },
    async close() {
      const all = [...subscribers]
      subscribers.clear()
      await Promise.all(all.map((subscriber) => subscriber.close()))
    },
  }
}
