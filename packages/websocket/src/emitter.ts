import {
  FlowcastError,
  createSerializedEvent,
  httpAuthorizationHeader,
  parseApiUrl,
  resolveProfile,
  silentLogger,
  systemClock,
  type Clock,
  type Event,
  type EventInput,
  type Logger,
  type TimerHandle,
} from '@flowcast/core'
import { instrumentsOf, type EmitterInstruments } from '@flowcast/core/internal'
import { credentialsOf, notifyStateListeners } from './client-helpers.js'
import { ManagedConnection, type ConnectionState } from './connection.js'
import {
  checkConnectionOptions,
  checkNumber,
  cleanHeaders,
  invalidOption,
  resolveReconnect,
  resolveWebSocket,
} from './options.js'
import { Queue } from './queue.js'
import {
  isNodeStyleConstructor,
  type SocketConnection,
  type WebSocketConstructorLike,
} from './socket.js'
import { socketUrlFor } from './urls.js'
import {
  emitterDefaults,
  emitterTestProfile,
  type EventsEmitterOptions,
  type EventsEmitterStats,
  type FlushOptions,
} from './emitter-options.js'

/** Where an emitter is; `idle` = no socket, because nothing is waiting to be sent. */
export type EmitterState = 'idle' | ConnectionState

/**
 * Emits events to `/events/in`. Every event stays in a bounded outbox until a ping/pong
 * checkpoint confirms the server received it; unconfirmed events are resent in order after
 * a reconnect (the server dedupes by id), so nothing is lost across drops.
 */
export interface EventsEmitter {
  /**
   * Queues one event and sends it when connected. Fills `id` (UUID v7) and `occurred` when
   * missing and returns the full event. Throws `INVALID_EVENT` (invalid, or over 1.5 MB),
   * `OUTBOX_FULL`, or `CLOSED`.
   */
  emit(event: EventInput): Event
  /**
   * Resolves once every event emitted so far is confirmed. With `timeoutMs` it rejects with
   * `TIMEOUT` (carrying the unconfirmed events in `details.events`) when that takes longer;
   * the events stay in the outbox and keep being sent.
   */
  flush(options?: FlushOptions): Promise<void>
  /**
   * Flushes within `timeoutMs` (default `closeTimeoutMs`), then closes the socket. Rejects
   * (after closing) when the flush fails; on a timeout with `TIMEOUT` whose `details.events`
   * holds the unconfirmed events, so nothing is lost silently.
   */
  close(options?: FlushOptions): Promise<void>
  /**
   * Events emitted and not confirmed yet, oldest first (e.g. to persist after a failed close),
   * as they are sent: read back from their JSON, so equal to what `emit` returned for JSON
   * values (a `Date` in the payload, for example, is its ISO string here) and new objects on
   * every read.
   */
  readonly unconfirmedEvents: readonly Event[]
  /** `idle`, `connecting`, `open`, `reconnecting` or `closed`. */
  readonly state: EmitterState
  /** A snapshot of the counters. */
  readonly stats: EventsEmitterStats
  /** The most recent connection problem, transient or final. */
  readonly lastError: FlowcastError | undefined
  /** Why it closed, when it closed on its own. */
  readonly error: FlowcastError | undefined
  /** Calls `listener` on every state change; returns a function that removes it. */
  onStateChange(listener: (state: EmitterState, previous: EmitterState) => void): () => void
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

interface Checkpoint {
  id: string
  count: number
  timer: TimerHandle
  socket: SocketConnection
}

interface FlushWaiter {
  seq: number
  resolve: () => void
  reject: (error: FlowcastError) => void
}

/** @internal */
export class EventsEmitterImpl implements EventsEmitter {
  readonly #clock: Clock
  /** `createSerializedEvent`'s options, made once rather than per event. */
  readonly #createOptions: { clock: Clock }
  readonly #logger: Logger
  readonly #conn: ManagedConnection
  readonly #checkpointEvery: number
  readonly #checkpointIntervalMs: number
  readonly #checkpointTimeoutMs: number
  readonly #settleMs: number
  readonly #maxOutbox: number
  readonly #closeTimeoutMs: number
  /**
   * The serialized unconfirmed events, oldest first. Only the text is kept: it is what is
   * (re)sent, and holding each event's objects as well until it is confirmed made the garbage
   * collector copy them, which cost more than making them.
   */
  readonly #outbox = new Queue<string>()
  /** Events at the head of the outbox sent at least once (on this or an earlier socket). */
  #everSent = 0
  #sentOnSocket = 0
  /** The sequence number (1, 2, …) of the last event confirmed; the outbox's head is next. */
  #confirmedSeq = 0
  #checkpoint: Checkpoint | undefined
  #checkpointIds = 0
  /** When the pending checkpoint started (for its latency). */
  #checkpointAt = 0
  readonly #m: EmitterInstruments | undefined
  #intervalTimer: TimerHandle | undefined
  #waiters: FlushWaiter[] = []
  #state: EmitterState = 'idle'
  readonly #stateListeners = new Set<(state: EmitterState, previous: EmitterState) => void>()
  #closeRequested = false
  #closing: Promise<void> | undefined
  #emitted = 0
  #sent = 0
  #resent = 0
  #confirmed = 0
  #checkpoints = 0
  readonly #signal: AbortSignal | undefined
  readonly #onAbort = () => {
    this.#closeRequested = true
    void this.#conn.close()
  }

  constructor(
    options: EventsEmitterOptions,
    defaultWebSocket: WebSocketConstructorLike | undefined,
  ) {
    checkConnectionOptions(options)
    checkNumber('checkpointEvery', options.checkpointEvery, { min: 1, integer: true })
    checkNumber('checkpointIntervalMs', options.checkpointIntervalMs, { min: 1 })
    checkNumber('checkpointTimeoutMs', options.checkpointTimeoutMs, { min: 1 })
    checkNumber('settleMs', options.settleMs, { min: 0 })
    checkNumber('maxOutbox', options.maxOutbox, { min: 1, integer: true })
    checkNumber('connectTimeoutMs', options.connectTimeoutMs, { min: 1 })
    checkNumber('closeTimeoutMs', options.closeTimeoutMs, { min: 0, allowInfinity: true })
    const location = parseApiUrl(options.apiUrl)
    const url = socketUrlFor(location, 'in', 'workspace')
    const cloud = location.kind !== 'oss'
    if (cloud && !options.apiKey) {
      throw invalidOption('a Prefect Cloud URL needs an API key: pass apiKey (PREFECT_API_KEY)')
    }
    const WebSocket = resolveWebSocket(options.WebSocket, defaultWebSocket)
    this.#clock = options.clock ?? systemClock
    this.#createOptions = { clock: this.#clock }
    this.#logger = options.logger ?? silentLogger
    this.#m = instrumentsOf(options.instrumentation, '@flowcast/websocket')?.emitter()
    const profile = resolveProfile(options.profile, '@flowcast/websocket')
    const d = profile === 'test' ? emitterTestProfile : emitterDefaults
    this.#checkpointEvery = options.checkpointEvery ?? d.checkpointEvery
    this.#checkpointIntervalMs = options.checkpointIntervalMs ?? d.checkpointIntervalMs
    this.#checkpointTimeoutMs = options.checkpointTimeoutMs ?? d.checkpointTimeoutMs
    this.#settleMs = options.settleMs ?? d.settleMs
    this.#maxOutbox = options.maxOutbox ?? d.maxOutbox
    this.#closeTimeoutMs = options.closeTimeoutMs ?? d.closeTimeoutMs
    const headers = cleanHeaders(options.headers)
    if (cloud) {
      // Prefect's Cloud client writes the scheme in lower case (docs/protocol.md §2).
      headers['Authorization'] = `bearer ${options.apiKey}`
      if (!isNodeStyleConstructor(WebSocket)) {
        this.#logger.warn(
          '[@flowcast/websocket] this WebSocket cannot set headers, but Prefect Cloud authenticates /events/in only by the Authorization header; emit over REST (POST /events) instead',
        )
      }
    } else if (options.authString) {
      const authorization = httpAuthorizationHeader({ authString: options.authString })
      if (authorization) headers['Authorization'] = authorization
    }
    this.#conn = new ManagedConnection({
      label: 'emitter',
      url,
      WebSocket,
      protocols: cloud ? [] : ['prefect'],
      headers,
      maxPayload: 16 * 1024 * 1024,
      token: cloud ? undefined : (options.authString ?? null),
      authRejectedStatuses: cloud ? [401, 403] : [401],
      reconnect: resolveReconnect(options.reconnect, profile),
      reconnectOnCleanClose: true,
      connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
      pingIntervalMs: 0,
      stallTimeoutMs: undefined,
      stallWithoutPing: false,
      clock: this.#clock,
      random: options.random ?? Math.random,
      logger: this.#logger,
      credentials: credentialsOf(options),
      hooks: {
        ready: (socket) => this.#onReady(socket),
        frame: () => {},
        skipped: () => {},
        pong: (data) => this.#onPong(data),
        down: () => this.#onDown(),
        reconnecting: (cause) => this.#m?.reconnecting(cause),
        state: (state) => this.#setState(state),
        finished: (error) => this.#onFinished(error),
        wantsConnection: () => this.#outbox.length > 0,
      },
    })
    this.#signal = options.signal
    if (this.#signal?.aborted) {
      this.#onAbort()
      return
    }
    this.#signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  get state(): EmitterState {
    return this.#state
  }

  get stats(): EventsEmitterStats {
    return {
      emitted: this.#emitted,
      sent: this.#sent,
      resent: this.#resent,
      confirmed: this.#confirmed,
      unconfirmed: this.#outbox.length,
      checkpoints: this.#checkpoints,
      connections: this.#conn.connections,
      reconnects: this.#conn.reconnects,
    }
  }

  get lastError(): FlowcastError | undefined {
    return this.#conn.lastError
  }

  get unconfirmedEvents(): readonly Event[] {
    const events: Event[] = []
    for (let i = 0; i < this.#outbox.length; i++) {
      events.push(JSON.parse(this.#outbox.at(i) as string) as Event)
    }
    return events
  }

  get error(): FlowcastError | undefined {
    return this.#conn.error
  }

  onStateChange(listener: (state: EmitterState, previous: EmitterState) => void): () => void {
    this.#stateListeners.add(listener)
    return () => {
      this.#stateListeners.delete(listener)
    }
  }

  emit(input: EventInput): Event {
    if (this.#closeRequested || this.#state === 'closed') {
      throw new FlowcastError(
        'CLOSED',
        `[@flowcast/websocket] cannot emit: the emitter is ${this.#conn.error ? `closed (${this.#conn.error.code})` : 'closed'}`,
        { cause: this.#conn.error },
      )
    }
    const { event, text } = createSerializedEvent(input, this.#createOptions)
    if (this.#outbox.length >= this.#maxOutbox) {
      throw new FlowcastError(
        'OUTBOX_FULL',
        `[@flowcast/websocket] cannot emit: ${this.#outbox.length} events are still unconfirmed (maxOutbox ${this.#maxOutbox}); await flush() or raise maxOutbox`,
        { details: { unconfirmed: this.#outbox.length, maxOutbox: this.#maxOutbox } },
      )
    }
    this.#outbox.push(text)
    this.#m?.outbox(1)
    this.#emitted++
    const socket = this.#conn.socket
    if (socket) this.#sendPending(socket)
    else if (this.#conn.state === 'idle') this.#conn.start()
    return event
  }

  flush(options: FlushOptions = {}): Promise<void> {
    checkNumber('timeoutMs', options.timeoutMs, { min: 0, allowInfinity: true })
    const timeoutMs = options.timeoutMs ?? Number.POSITIVE_INFINITY
    if (Number.isFinite(timeoutMs) && this.#outbox.length > 0) {
      return this.#flushWithin(timeoutMs, options.signal, 'flush')
    }
    return this.#flushUntilConfirmed(options.signal)
  }

  #flushWithin(timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<void> {
    const deadline = new AbortController()
    const timer = this.#clock.setTimeout(() => deadline.abort(), timeoutMs)
    const combined = signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal
    return this.#flushUntilConfirmed(combined).then(
      () => this.#clock.clearTimeout(timer),
      (error: unknown) => {
        this.#clock.clearTimeout(timer)
        if (!deadline.signal.aborted || signal?.aborted) throw error
        const events = this.unconfirmedEvents
        throw new FlowcastError(
          'TIMEOUT',
          `[@flowcast/websocket] ${what} timed out after ${timeoutMs} ms: ${events.length} events were not confirmed by the server (${this.#conn.lastError ? this.#conn.redact(this.#conn.lastError.message) : 'no confirmation yet'}); they are in error.details.events — persist them and emit them again`,
          { details: { unconfirmed: events.length, events }, cause: this.#conn.lastError },
        )
      },
    )
  }

  #flushUntilConfirmed(signal: AbortSignal | undefined): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortError(signal, this.#outbox.length))
    if (this.#outbox.length === 0) return Promise.resolve()
    if (this.#state === 'closed') {
      return Promise.reject(
        this.#conn.error ??
          new FlowcastError(
            'CLOSED',
            `[@flowcast/websocket] cannot flush: the emitter closed with ${this.#outbox.length} events unconfirmed`,
          ),
      )
    }
    const lastSeq = this.#confirmedSeq + this.#outbox.length
    const promise = new Promise<void>((resolve, reject) => {
      const waiter: FlushWaiter = {
        seq: lastSeq,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort)
          reject(error)
        },
      }
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        reject(abortError(signal, this.#outbox.length))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
    const socket = this.#conn.socket
    if (socket) this.#startCheckpoint(socket)
    else if (this.#conn.state === 'idle') this.#conn.start()
    return promise
  }

  close(options: FlushOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing
    checkNumber('timeoutMs', options.timeoutMs, { min: 0, allowInfinity: true })
    this.#closeRequested = true
    const timeoutMs = options.timeoutMs ?? this.#closeTimeoutMs
    this.#closing = (async () => {
      try {
        await this.flush({ ...options, timeoutMs })
      } finally {
        await this.#conn.close()
      }
    })()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  #setState(next: EmitterState): void {
    const previous = this.#state
    if (previous === next) return
    this.#state = next
    notifyStateListeners(this.#stateListeners, next, previous, this.#logger)
  }

  #onReady(socket: SocketConnection): void {
    this.#m?.connected()
    this.#sentOnSocket = 0
    this.#sendPending(socket)
    if (this.#waiters.length > 0) this.#startCheckpoint(socket)
  }

  #sendPending(socket: SocketConnection): void {
    while (this.#sentOnSocket < this.#outbox.length) {
      const index = this.#sentOnSocket
      try {
        socket.send(this.#outbox.at(index) as string)
      } catch (error) {
        // The close event follows; the entry stays unconfirmed and is resent.
        this.#logger.warn('[@flowcast/websocket] emitter send failed', { error: String(error) })
        return
      }
      // Events are sent in order from the head, so those sent before form a prefix.
      const resend = index < this.#everSent
      if (resend) this.#resent++
      else this.#everSent = index + 1
      this.#m?.sent(resend)
      this.#sent++
      this.#sentOnSocket++
      if (this.#sentOnSocket >= this.#checkpointEvery && !this.#checkpoint) {
        this.#startCheckpoint(socket)
      }
    }
    this.#scheduleInterval(socket)
  }

  #scheduleInterval(socket: SocketConnection): void {
    if (this.#intervalTimer || this.#sentOnSocket === 0) return
    this.#intervalTimer = this.#clock.setTimeout(() => {
      this.#intervalTimer = undefined
      if (this.#conn.socket === socket) this.#startCheckpoint(socket)
    }, this.#checkpointIntervalMs)
  }

  #startCheckpoint(socket: SocketConnection): void {
    if (this.#checkpoint || this.#sentOnSocket === 0) return
    if (this.#intervalTimer) {
      this.#clock.clearTimeout(this.#intervalTimer)
      this.#intervalTimer = undefined
    }
    const count = this.#sentOnSocket
    this.#checkpointAt = this.#clock.now()
    if (socket.canPing) {
      const id = `flowcast-checkpoint-${++this.#checkpointIds}`
      const timer = this.#clock.setTimeout(() => {
        if (this.#checkpoint?.id !== id) return
        this.#checkpoint = undefined
        this.#conn.forceReconnect(
          new FlowcastError(
            'TIMEOUT',
            `[@flowcast/websocket] checkpoint unanswered: no pong within ${this.#checkpointTimeoutMs} ms; resending ${this.#outbox.length} unconfirmed events on a new socket`,
          ),
        )
      }, this.#checkpointTimeoutMs)
      this.#checkpoint = { id, count, timer, socket }
      if (!socket.ping(id)) {
        this.#clock.clearTimeout(timer)
        this.#checkpoint = undefined
      }
      return
    }
    // No ping API (browsers): confirm once the send buffer drained and the socket stayed
    // open for settleMs. Anything lost before a drop is resent; the server dedupes by id.
    const id = `flowcast-settle-${++this.#checkpointIds}`
    const settle = () => {
      if (this.#checkpoint?.id !== id) return
      if (this.#conn.socket !== socket || !socket.isOpen) {
        this.#checkpoint = undefined
        return
      }
      if (socket.bufferedAmount > 0) {
        this.#checkpoint = {
          id,
          count,
          timer: this.#clock.setTimeout(settle, this.#settleMs),
          socket,
        }
        return
      }
      this.#confirm(count)
    }
    this.#checkpoint = { id, count, timer: this.#clock.setTimeout(settle, this.#settleMs), socket }
  }

  #onPong(data: string): void {
    const checkpoint = this.#checkpoint
    if (!checkpoint || checkpoint.id !== data) return
    this.#clock.clearTimeout(checkpoint.timer)
    this.#confirm(checkpoint.count)
  }

  #confirm(count: number): void {
    const checkpoint = this.#checkpoint
    this.#checkpoint = undefined
    const before = this.#outbox.length
    const shifted = Math.min(count, before)
    for (let i = 0; i < shifted; i++) this.#outbox.shift()
    this.#everSent = Math.max(0, this.#everSent - shifted)
    this.#confirmedSeq += shifted
    const confirmedSeq = this.#confirmedSeq
    if (this.#m) {
      this.#m.outbox(this.#outbox.length - before)
      this.#m.confirmed(
        before - this.#outbox.length,
        (this.#clock.now() - this.#checkpointAt) / 1000,
      )
    }
    this.#sentOnSocket = Math.max(0, this.#sentOnSocket - count)
    this.#confirmed += count
    this.#checkpoints++
    const settled = this.#waiters.filter((waiter) => waiter.seq <= confirmedSeq)
    this.#waiters = this.#waiters.filter((waiter) => waiter.seq > confirmedSeq)
    for (const waiter of settled) waiter.resolve()
    const socket = checkpoint?.socket
    if (!socket || this.#conn.socket !== socket) return
    if (this.#waiters.length > 0 || this.#sentOnSocket >= this.#checkpointEvery) {
      this.#startCheckpoint(socket)
    } else {
      this.#scheduleInterval(socket)
    }
  }

  #onDown(): void {
    if (this.#checkpoint) this.#clock.clearTimeout(this.#checkpoint.timer)
    this.#checkpoint = undefined
    if (this.#intervalTimer) this.#clock.clearTimeout(this.#intervalTimer)
    this.#intervalTimer = undefined
    this.#sentOnSocket = 0
  }

  #onFinished(error: FlowcastError | undefined): void {
    this.#onDown()
    // The emitter is done: what is left is handed back to the caller, no longer in flight.
    this.#m?.outbox(-this.#outbox.length)
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#closeRequested = true
    const waiters = this.#waiters
    this.#waiters = []
    if (waiters.length === 0) return
    const reason =
      error ??
      new FlowcastError(
        'CLOSED',
        `[@flowcast/websocket] the emitter closed with ${this.#outbox.length} events unconfirmed`,
        { details: { unconfirmed: this.#outbox.length } },
      )
    for (const waiter of waiters) waiter.reject(reason)
  }
}

function abortError(signal: AbortSignal | undefined, unconfirmed: number): FlowcastError {
  return new FlowcastError(
    'ABORTED',
    `[@flowcast/websocket] flush aborted: ${unconfirmed} events still unconfirmed`,
    { cause: signal?.reason, details: { unconfirmed } },
  )
}
