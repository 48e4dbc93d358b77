import {
  FlowcastError,
  computeBackoffDelay,
  createRedactor,
  encodeAuthFrame,
  parseServerFrame,
  redactUrlCredentials,
  type Clock,
  type Logger,
  type PrefectCredentials,
  type ServerFrame,
  type TimerHandle,
} from '@flowcast/core'
import type { ResolvedReconnect } from './options.js'
import {
  openSocket,
  type FrameData,
  type SocketConnection,
  type WebSocketConstructorLike,
} from './socket.js'

/**
 * Where a connection is: `connecting` (first attempt), `open` (handshake done),
 * `reconnecting` (lost, waiting or retrying), `closed` (for good).
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** @internal */
/** @internal What a frame parser must tell the connection apart: the handshake frames. */
export type HandshakeFrame = { kind: string; reason?: string | null }

/** @internal */
export interface ManagedConnectionHooks<F extends HandshakeFrame = ServerFrame> {
  /** The handshake finished; the socket is ready for application frames. */
  ready(socket: SocketConnection): void
  /**
   * A frame after the handshake (auth frames are handled here); `now` is the clock's time
   * when it arrived, read once per frame for every owner's use.
   */
  frame(frame: F, socket: SocketConnection, now: number): void
  /** A frame skipped during the handshake. */
  skipped(frame: F): void
  pong(data: string): void
  /** The socket went away (a retry or the end follows). */
  down(error: FlowcastError | undefined): void
  state(state: ConnectionState | 'idle', previous: ConnectionState | 'idle'): void
  /** Closed for good; `error` is undefined for a requested or clean close. */
  finished(error: FlowcastError | undefined): void
  /** A connection attempt after the first; `cause` is why the previous socket went away. */
  reconnecting?(cause: FlowcastError | undefined): void
  /** Asked after a drop: false parks the connection in `idle` instead of reconnecting. */
  wantsConnection?(): boolean
}

/** @internal */
export interface ManagedConnectionOptions<F extends HandshakeFrame = ServerFrame> {
  label: 'subscriber' | 'emitter' | 'logs subscriber'
  url: string
  WebSocket: WebSocketConstructorLike
  protocols: string[]
  headers: Record<string, string>
  maxPayload: number
  /** The auth frame's token; `undefined` skips the auth handshake (Cloud emitter). */
  token: string | null | undefined
  /**
   * Upgrade statuses that mean the credentials were rejected (final `AUTH_REJECTED`): 401,
   * plus 403 where the key travels in the upgrade's `Authorization` header (Cloud emitter,
   * docs/protocol.md §2); elsewhere a 403 is a proxy refusing WebSockets.
   * @default [401]
   */
  authRejectedStatuses?: readonly number[]
  reconnect: ResolvedReconnect
  reconnectOnCleanClose: boolean
  connectTimeoutMs: number
  /** 0 disables pings. */
  pingIntervalMs: number
  /** undefined disables the stall watchdog. */
  stallTimeoutMs: number | undefined
  /** Use the stall watchdog even when the socket cannot ping (frames only). */
  stallWithoutPing: boolean
  clock: Clock
  random: () => number
  logger: Logger
  credentials: PrefectCredentials
  hooks: ManagedConnectionHooks<F>
  /** Classifies frames (the logs socket has its own). @default parseServerFrame */
  parseFrame?: (data: FrameData, binary: boolean) => F
}

const closeTimeoutMs = 1_000

/**
 * @internal One logical connection over many sockets: handshake, connect timeout, stall
 * watchdog, classification of closes, and reconnects with full-jitter backoff.
 */
export class ManagedConnection<F extends HandshakeFrame = ServerFrame> {
  readonly #o: ManagedConnectionOptions<F>
  #state: ConnectionState | 'idle' = 'idle'
  #socket: SocketConnection | undefined
  #ready = false
  #upgradeStatus: number | undefined
  #lastCause: unknown
  #failures = 0
  #downSince: number
  #readyAt = 0
  #connectTimer: TimerHandle | undefined
  #retryTimer: TimerHandle | undefined
  #watchdogTimer: TimerHandle | undefined
  #lastActivity = 0
  #lastPing = 0
  #everOpened = false
  #closing: Promise<void> | undefined
  readonly #redact: (text: string) => string
  readonly #shownUrl: string

  /** Sockets opened. */
  connections = 0
  /** Sockets opened after the first one. */
  reconnects = 0
  /** Reconnects forced by the stall watchdog. */
  stalls = 0
  /** The most recent connection problem (transient or final). */
  lastError: FlowcastError | undefined
  /** Why the connection closed for good, if it was not asked to. */
  error: FlowcastError | undefined

  constructor(options: ManagedConnectionOptions<F>) {
    this.#o = options
    this.#downSince = options.clock.now()
    this.#redact = createRedactor({ ...options.credentials, url: options.url })
    this.#shownUrl = redactUrlCredentials(options.url)
  }

  /** Removes the credentials and the URL's user info from text a server or network sent. */
  redact(text: string): string {
    return this.#redact(text)
  }

  /**
   * Closes the socket without counting a failure and waits, idle, until {@link start}
   * (a consumer fell behind; docs/protocol.md §1.4: the resume replays what was missed).
   */
  pause(): void {
    if (this.#state === 'closed' || this.#state === 'idle') return
    if (this.#retryTimer) this.#o.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    const socket = this.#socket
    this.#dropSocket(false)
    socket?.close(1000, '')
    this.#o.logger.debug(`[@flowcast/websocket] ${this.#o.label} paused`, { url: this.#shownUrl })
    this.#setState('idle')
  }

  get state(): ConnectionState | 'idle' {
    return this.#state
  }

  get socket(): SocketConnection | undefined {
    return this.#ready ? this.#socket : undefined
  }

  /** Starts connecting when idle. */
  start(): void {
    if (this.#state !== 'idle') return
    this.#downSince = this.#o.clock.now()
    this.#failures = 0
    this.#setState(this.#everOpened ? 'reconnecting' : 'connecting')
    this.#connect()
  }

  /** Drops the current socket and reconnects (used when a checkpoint goes unanswered). */
  forceReconnect(error: FlowcastError): void {
    if (this.#state !== 'open' && this.#state !== 'connecting' && this.#state !== 'reconnecting')
      return
    if (!this.#socket) return
    const wasReady = this.#ready
    this.#dropSocket(true)
    this.#afterLoss(error, wasReady)
  }

  /** Closes for good; resolves once the socket is closed (or dropped after a short grace). */
  close(error?: FlowcastError): Promise<void> {
    if (this.#closing) return this.#closing
    this.#closing = this.#finish(error)
    return this.#closing
  }

  #setState(next: ConnectionState | 'idle'): void {
    const previous = this.#state
    if (previous === next) return
    this.#state = next
    this.#o.hooks.state(next, previous)
  }

  #connect(): void {
    const o = this.#o
    this.connections++
    if (this.connections > 1) {
      this.reconnects++
      o.hooks.reconnecting?.(this.lastError)
    }
    this.#ready = false
    this.#upgradeStatus = undefined
    this.#lastCause = undefined
    o.logger.debug(`[@flowcast/websocket] ${o.label} connecting`, {
      url: this.#shownUrl,
      attempt: this.#failures,
    })
    let socket: SocketConnection | undefined
    try {
      socket = openSocket(
        o.WebSocket,
        o.url,
        { protocols: o.protocols, headers: o.headers, maxPayload: o.maxPayload },
        {
          open: () => socket && this.#onOpen(socket),
          message: (data, binary) => socket && this.#onMessage(socket, data, binary),
          pong: (data) => socket && this.#onPong(socket, data),
          upgradeRejected: (status) => {
            if (socket === this.#socket) this.#upgradeStatus = status
          },
          error: (cause) => {
            if (socket === this.#socket) this.#lastCause = cause
          },
          close: (code, reason) => socket && this.#onClose(socket, code, reason),
        },
      )
    } catch (cause) {
      this.#lastCause = cause
      this.#afterLoss(this.#connectError('could not open the socket'), false)
      return
    }
    this.#socket = socket
    this.#connectTimer = o.clock.setTimeout(() => {
      this.#connectTimer = undefined
      if (this.#socket !== socket || this.#ready) return
      this.#dropSocket(true)
      this.#afterLoss(
        new FlowcastError(
          'TIMEOUT',
          `[@flowcast/websocket] ${o.label} handshake timed out: no auth_success within ${o.connectTimeoutMs} ms`,
        ),
        false,
      )
    }, o.connectTimeoutMs)
  }

  #onOpen(socket: SocketConnection): void {
    if (socket !== this.#socket) return
    this.#lastActivity = this.#o.clock.now()
    if (this.#o.token === undefined) {
      this.#onReady(socket)
      return
    }
    try {
      socket.send(encodeAuthFrame(this.#o.token))
    } catch (cause) {
      this.#lastCause = cause
    }
  }

  #onReady(socket: SocketConnection): void {
    const o = this.#o
    this.#ready = true
    this.#everOpened = true
    // The failure count resets only once this socket proves healthy (see #afterLoss): a
    // server that answers auth_success and drops at once must not defeat the backoff.
    this.#readyAt = o.clock.now()
    if (this.#connectTimer) {
      o.clock.clearTimeout(this.#connectTimer)
      this.#connectTimer = undefined
    }
    o.logger.info(`[@flowcast/websocket] ${o.label} connected`, { url: this.#shownUrl })
    this.#setState('open')
    this.#lastActivity = o.clock.now()
    this.#lastPing = this.#lastActivity
    this.#scheduleWatchdog()
    o.hooks.ready(socket)
  }

  #onMessage(socket: SocketConnection, data: FrameData, binary: boolean): void {
    if (socket !== this.#socket) return
    // Nothing a frame from the network carries may throw out of a socket callback: in Node
    // that is an uncaught exception that ends the process.
    try {
      this.#handleMessage(socket, data, binary)
    } catch (error) {
      this.#o.logger.error(`[@flowcast/websocket] ${this.#o.label} could not handle a frame`, {
        error: this.#redact(String(error)),
      })
    }
  }

  #handleMessage(socket: SocketConnection, data: FrameData, binary: boolean): void {
    const now = (this.#lastActivity = this.#o.clock.now())
    const frame = this.#o.parseFrame
      ? this.#o.parseFrame(data, binary)
      : (parseServerFrame(data, { binary }) as unknown as F)
    // After the handshake an auth frame is a stray control frame (skipped and counted by
    // the owner): Prefect answers auth only once, and a real revocation closes with 1008.
    if (frame.kind === 'auth_failure' && !this.#ready) {
      this.#dropSocket(true)
      const reason = frame.reason == null ? null : this.#redact(frame.reason)
      this.#fatal(
        new FlowcastError(
          'AUTH_REJECTED',
          `[@flowcast/websocket] ${this.#o.label} authentication failed: the server sent auth_failure${reason ? ` (${reason})` : ''}`,
          { details: { reason } },
        ),
      )
      return
    }
    if (!this.#ready) {
      if (frame.kind === 'auth_success') this.#onReady(socket)
      else this.#o.hooks.skipped(frame)
      return
    }
    this.#o.hooks.frame(frame, socket, now)
  }

  #onPong(socket: SocketConnection, data: string): void {
    if (socket !== this.#socket) return
    this.#lastActivity = this.#o.clock.now()
    this.#o.hooks.pong(data)
  }

  #onClose(socket: SocketConnection, code: number, rawReason: string): void {
    if (socket !== this.#socket) return
    // A proxy may reflect the token in its close reason.
    const reason = this.#redact(rawReason)
    const wasReady = this.#ready
    this.#dropSocket(false)
    const label = this.#o.label
    const status = this.#upgradeStatus
    if (status !== undefined) {
      if ((this.#o.authRejectedStatuses ?? [401]).includes(status)) {
        this.#fatal(
          new FlowcastError(
            'AUTH_REJECTED',
            `[@flowcast/websocket] ${label} authentication failed: the upgrade request got HTTP ${status}`,
            { status },
          ),
        )
        return
      }
      const error = new FlowcastError(
        'CONNECT_FAILED',
        `[@flowcast/websocket] ${label} could not open the WebSocket: the upgrade request got HTTP ${status}`,
        { status, details: { upgradeRejected: true } },
      )
      if (status === 408 || status === 429 || status >= 500) this.#afterLoss(error, false)
      else this.#fatal(error)
      return
    }
    const why = reason ? ` "${reason}"` : ''
    if (code === 1008) {
      this.#fatal(
        new FlowcastError(
          'AUTH_REJECTED',
          `[@flowcast/websocket] ${label} authentication failed: the server closed with 1008${why}`,
          { status: code, details: { reason } },
        ),
      )
      return
    }
    // ws reports its own "message too big" as 1006 with the 1009 on the error.
    const tooBig =
      code === 1009 ||
      (this.#lastCause as { code?: unknown } | undefined)?.code ===
        'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
    if (tooBig) {
      // A frame over maxPayloadBytes: a reconnect would replay the same frame forever.
      this.#fatal(
        new FlowcastError(
          'PROTOCOL',
          `[@flowcast/websocket] ${label} received a frame larger than maxPayloadBytes (${this.#o.maxPayload}): close 1009; raise maxPayloadBytes`,
          { status: 1009, details: { reason } },
        ),
      )
      return
    }
    if (code === 1002 || code === 1003) {
      this.#fatal(
        new FlowcastError(
          'PROTOCOL',
          `[@flowcast/websocket] ${label} was refused by the server: close ${code}${why}`,
          { status: code, details: { reason } },
        ),
      )
      return
    }
    if (wasReady && (code === 1000 || code === 1001)) {
      const error = new FlowcastError(
        'CLOSED',
        `[@flowcast/websocket] the server closed the ${label} socket: close ${code}${why}`,
        { status: code, details: { reason } },
      )
      if (!this.#o.reconnectOnCleanClose) {
        this.#o.hooks.down(error)
        void this.close()
        return
      }
      this.#afterLoss(error, true)
      return
    }
    const error = wasReady
      ? new FlowcastError(
          'TRANSPORT_FAILED',
          `[@flowcast/websocket] the ${label} socket dropped: close ${code}${why}${this.#causeText()}`,
          { status: code, details: { reason }, cause: this.#lastCause },
        )
      : this.#connectError(`close ${code}${why}`, code)
    this.#afterLoss(error, wasReady)
  }

  #connectError(what: string, status?: number): FlowcastError {
    return new FlowcastError(
      'CONNECT_FAILED',
      `[@flowcast/websocket] ${this.#o.label} could not connect to ${this.#shownUrl}: ${what}${this.#causeText()}`,
      { cause: this.#lastCause, ...(status !== undefined ? { status } : {}) },
    )
  }

  #causeText(): string {
    const cause = this.#lastCause as
      { message?: unknown; error?: { message?: unknown } } | undefined
    const message =
      typeof cause?.message === 'string'
        ? cause.message
        : typeof cause?.error?.message === 'string'
          ? cause.error.message
          : undefined
    return message ? ` (${this.#redact(message)})` : ''
  }

  /** Stops the socket's callbacks and timers; `terminate` also drops it. */
  #dropSocket(terminate: boolean): void {
    const o = this.#o
    if (this.#connectTimer) o.clock.clearTimeout(this.#connectTimer)
    if (this.#watchdogTimer) o.clock.clearTimeout(this.#watchdogTimer)
    this.#connectTimer = undefined
    this.#watchdogTimer = undefined
    const socket = this.#socket
    this.#socket = undefined
    this.#ready = false
    if (socket) {
      socket.detach()
      if (terminate) socket.terminate()
    }
  }

  #afterLoss(error: FlowcastError, wasReady: boolean): void {
    const o = this.#o
    if (this.#state === 'closed') return
    this.lastError = error
    o.hooks.down(error)
    const now = o.clock.now()
    if (wasReady && now - this.#readyAt >= o.reconnect.healthyAfterMs) {
      this.#failures = 0
      this.#downSince = now
    } else {
      this.#failures++
    }
    if (this.#failures > o.reconnect.maxAttempts) {
      this.#fatal(
        new FlowcastError(
          'CONNECT_FAILED',
          `[@flowcast/websocket] ${o.label} gave up after ${this.#failures} failed connection attempt(s): ${stripPrefix(error.message)}`,
          { cause: error, ...(error.status !== undefined ? { status: error.status } : {}) },
        ),
      )
      return
    }
    const downFor = now - this.#downSince
    if (downFor >= o.reconnect.maxDowntimeMs) {
      this.#fatal(
        new FlowcastError(
          'CONNECT_FAILED',
          `[@flowcast/websocket] ${o.label} could not connect for ${downFor} ms: ${stripPrefix(error.message)}`,
          { cause: error, ...(error.status !== undefined ? { status: error.status } : {}) },
        ),
      )
      return
    }
    if (o.hooks.wantsConnection && !o.hooks.wantsConnection()) {
      o.logger.debug(`[@flowcast/websocket] ${o.label} idle after: ${this.#redact(error.message)}`)
      this.#setState('idle')
      return
    }
    const delay = Math.min(
      computeBackoffDelay(Math.max(0, this.#failures - 1), o.reconnect.policy, o.random),
      Math.max(0, o.reconnect.maxDowntimeMs - downFor),
    )
    o.logger.warn(`[@flowcast/websocket] ${o.label} reconnecting in ${Math.round(delay)} ms`, {
      reason: this.#redact(error.message),
      code: error.code,
      failures: this.#failures,
    })
    this.#setState('reconnecting')
    this.#retryTimer = o.clock.setTimeout(() => {
      this.#retryTimer = undefined
      if (this.#state === 'reconnecting') this.#connect()
    }, delay)
  }

  #scheduleWatchdog(): void {
    const o = this.#o
    const socket = this.#socket
    if (!socket || !this.#ready) return
    const pingOn = socket.canPing && o.pingIntervalMs > 0
    const stallOn = o.stallTimeoutMs !== undefined && (socket.canPing || o.stallWithoutPing)
    const stallAt = stallOn ? this.#lastActivity + (o.stallTimeoutMs ?? 0) : Infinity
    const pingAt = pingOn ? this.#lastPing + o.pingIntervalMs : Infinity
    const at = Math.min(stallAt, pingAt)
    if (!Number.isFinite(at)) return
    this.#watchdogTimer = o.clock.setTimeout(
      () => {
        this.#watchdogTimer = undefined
        this.#onWatchdog(stallOn, pingOn)
      },
      Math.max(0, at - o.clock.now()),
    )
  }

  #onWatchdog(stallOn: boolean, pingOn: boolean): void {
    const o = this.#o
    const socket = this.#socket
    if (!socket || !this.#ready) return
    const now = o.clock.now()
    const idle = now - this.#lastActivity
    if (stallOn && idle >= (o.stallTimeoutMs ?? 0)) {
      this.stalls++
      this.#dropSocket(true)
      this.#afterLoss(
        new FlowcastError(
          'TIMEOUT',
          `[@flowcast/websocket] the ${o.label} socket stalled: no frame and no pong for ${idle} ms`,
        ),
        true,
      )
      return
    }
    if (pingOn && now - this.#lastPing >= o.pingIntervalMs) {
      this.#lastPing = now
      socket.ping()
    }
    this.#scheduleWatchdog()
  }

  #fatal(error: FlowcastError): void {
    if (this.#state === 'closed') return
    this.lastError = error
    this.#o.logger.error(
      `[@flowcast/websocket] ${this.#o.label} stopped: ${this.#redact(error.message)}`,
      {
        code: error.code,
      },
    )
    void this.close(error)
  }

  async #finish(error: FlowcastError | undefined): Promise<void> {
    const o = this.#o
    if (this.#retryTimer) o.clock.clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    if (this.#connectTimer) o.clock.clearTimeout(this.#connectTimer)
    if (this.#watchdogTimer) o.clock.clearTimeout(this.#watchdogTimer)
    this.#connectTimer = undefined
    this.#watchdogTimer = undefined
    const socket = this.#socket
    this.#socket = undefined
    this.#ready = false
    this.error = error
    if (error) this.lastError = error
    this.#setState('closed')
    o.hooks.finished(error)
    if (!socket) return
    socket.detach()
    await new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined
      const done = () => {
        if (timer) o.clock.clearTimeout(timer)
        timer = undefined
        resolve()
      }
      timer = o.clock.setTimeout(() => {
        timer = undefined
        socket.terminate()
        resolve()
      }, closeTimeoutMs)
      socket.close(1000, '', done)
    })
  }
}

function stripPrefix(message: string): string {
  return message.replace(/^\[@flowcast\/websocket\]\s*/, '')
}
