import {
  FlowcastError,
  PrefectDateTime,
  epochMicrosOf,
  encodeFilterFrame,
  matchesFilter,
  parseApiUrl,
  parseEventFilter,
  resolveProfile,
  silentLogger,
  systemClock,
  type Clock,
  type DedupeWindow,
  type EventFilter,
  type Logger,
  type ReceivedEvent,
  type ServerFrame,
} from '@flowcast/core'
import { instrumentsOf, type ConsumerInstruments } from '@flowcast/core/internal'
import { credentialsOf } from './client-helpers.js'
import { ManagedConnection } from './connection.js'
import { Fanout } from './fanout.js'
import { createSubscriberDedupeWindow } from './default-socket.js'
import {
  checkConnectionOptions,
  checkStreamOptions,
  checkNumber,
  cleanHeaders,
  invalidOption,
  resolveReconnect,
  resolveWebSocket,
} from './options.js'
import type { SocketConnection, WebSocketConstructorLike } from './socket.js'
import { StreamClient } from './stream-client.js'
import { socketUrlFor } from './urls.js'

import {
  subscriberDefaults,
  subscriberTestProfile,
  type EventsSubscriber,
  type EventsSubscriberOptions,
  type EventsSubscriberStats,
  type SkippedFrameKind,
} from './subscriber-options.js'

export { subscriberDefaults, subscriberTestProfile }
export type { EventsSubscriber, EventsSubscriberOptions, EventsSubscriberStats, SkippedFrameKind }

const farFutureSeconds = 365 * 24 * 60 * 60
const maxReplayMs = 15 * 60_000
const maxSafeMicros = BigInt(Number.MAX_SAFE_INTEGER)
const minSafeMicros = -maxSafeMicros

/** @internal */
export class EventsSubscriberImpl
  extends StreamClient<ReceivedEvent, ServerFrame>
  implements EventsSubscriber
{
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #conn: ManagedConnection
  readonly #filter: EventFilter
  readonly #clientFilterOccurred: boolean
  readonly #userUntil: string | undefined
  readonly #backfill: boolean
  readonly #marginSeconds: number
  /** The margin in whole microseconds, rounded as `PrefectDateTime#minusSeconds` rounds it. */
  readonly #marginMicros: number
  readonly #dedupe: DedupeWindow
  /**
   * The resume cursor. While it is exact in a double (years 1685–2255) it lives in
   * `#cursorMicros` (epoch µs), which every event advances without allocating; otherwise
   * `#cursorMicros` is NaN and `#cursor` holds it.
   */
  #cursor!: PrefectDateTime
  #cursorMicros = Number.NaN
  /** Options of the per-event filter match, made once. */
  readonly #matchOptions: { occurred: boolean }
  #opened = false
  /** When the socket was last open: a live stream has missed nothing up to then. */
  #liveAt: number | undefined
  readonly #fanout: Fanout<ReceivedEvent>
  #events = 0
  #duplicates = 0
  #filtered = 0
  #skipped = 0
  readonly #skippedByKind: Partial<Record<SkippedFrameKind, number>> = {}
  readonly #skippedByType: Record<string, number> = {}
  /** Only when instrumentation was given: otherwise every report is a skipped `?.` call. */
  readonly #m: ConsumerInstruments | undefined

  constructor(
    options: EventsSubscriberOptions,
    defaultWebSocket: WebSocketConstructorLike | undefined,
  ) {
    super(options.logger ?? silentLogger)
    checkConnectionOptions(options)
    checkStreamOptions(options)
    checkNumber('resumeMarginMs', options.resumeMarginMs, { min: 0 })
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
    const profile = resolveProfile(options.profile, '@flowcast/websocket')
    const d = profile === 'test' ? subscriberTestProfile : subscriberDefaults
    const reconnect = resolveReconnect(options.reconnect, profile)
    this.#filter = parseEventFilter(options.filter ?? {})
    this.#clock = options.clock ?? systemClock
    this.#logger = options.logger ?? silentLogger
    this.#m = instrumentsOf(options.instrumentation, '@flowcast/websocket')?.consumer('events/out')
    this.#backfill = options.backfill ?? subscriberDefaults.backfill
    this.#marginSeconds = (options.resumeMarginMs ?? subscriberDefaults.resumeMarginMs) / 1000
    const wholeMargin = Math.trunc(this.#marginSeconds)
    this.#marginMicros =
      wholeMargin * 1_000_000 + Math.round((this.#marginSeconds - wholeMargin) * 1_000_000)
    const occurred = this.#filter.occurred
    this.#clientFilterOccurred = occurred !== undefined && occurred !== null
    this.#matchOptions = { occurred: this.#clientFilterOccurred }
    this.#userUntil = occurred?.until ?? undefined
    const now = this.#clock.now()
    const since = occurred?.since
    this.#setCursor(
      since
        ? PrefectDateTime.parse(since)
        : this.#backfill
          ? PrefectDateTime.fromEpochMillis(
              now - (options.lookbackMs ?? subscriberDefaults.lookbackMs),
            )
          : PrefectDateTime.fromEpochMillis(now),
    )
    this.#dedupe = createSubscriberDedupeWindow({
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
    const stallTimeoutMs = options.stallTimeoutMs ?? d.stallTimeoutMs
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
      connectTimeoutMs: options.connectTimeoutMs ?? d.connectTimeoutMs,
      pingIntervalMs: options.pingIntervalMs ?? d.pingIntervalMs,
      stallTimeoutMs,
      stallWithoutPing: options.stallTimeoutMs !== undefined,
      clock: this.#clock,
      random: options.random ?? Math.random,
      logger: this.#logger,
      credentials: credentialsOf(options),
      hooks: {
        ready: (socket) => this.#onReady(socket),
        frame: (frame, _socket, now) => this.#onFrame(frame, now),
        skipped: (frame) => this.#countSkipped(frame),
        pong: () => {},
        down: () => this.#m?.down(this.#conn.stalls),
        reconnecting: (cause) => this.#m?.reconnecting(cause),
        state: (state, previous) => {
          if (previous === 'open') this.#liveAt = this.#clock.now()
          // Paused for a slow consumer: not connected, and coming back on its own.
          this.setState(state === 'idle' ? 'reconnecting' : state)
        },
        finished: (error) => this.finishStream(error),
      },
    })
    this.startStream(this.#conn, this.#fanout, options.signal)
  }

  get stats(): EventsSubscriberStats {
    return {
      events: this.#events,
      duplicates: this.#duplicates,
      filtered: this.#filtered,
      skippedFrames: this.#skipped,
      skippedByKind: { ...this.#skippedByKind },
      skippedByType: { ...this.#skippedByType },
      ...this.transportStats(),
    }
  }

  get cursor(): string {
    return this.#cursorDateTime().toString()
  }

  onEvent(listener: (event: ReceivedEvent) => void): () => void {
    return this.#fanout.listen(listener)
  }

  #onReady(socket: SocketConnection): void {
    const firstOpen = !this.#opened
    this.#opened = true
    this.#m?.connected()
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
      occurred: { since: this.#cursorDateTime().toString(), until },
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

  #onFrame(frame: ServerFrame, now: number): void {
    if (frame.kind === 'event') {
      this.#onEventFrame(frame.event, now)
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
    this.#m?.skippedFrame(kind)
    this.#skippedByKind[kind] = (this.#skippedByKind[kind] ?? 0) + 1
    if (type !== null) this.#skippedByType[type] = (this.#skippedByType[type] ?? 0) + 1
    this.#logger.debug('[@flowcast/websocket] skipped a frame that is not an event', {
      kind,
      type,
    })
  }

  #onEventFrame(event: ReceivedEvent, now: number): void {
    // The connection's one clock read per frame serves dedupe and the cursor. The cursor
    // arithmetic is clamped, so nothing after marking the event seen can throw and drop it.
    if (!this.#dedupe.firstSeen(event.id, now)) {
      this.#duplicates++
      this.#m?.duplicate()
      return
    }
    this.#advanceCursor(event.occurred, now)
    if (!matchesFilter(event, this.#filter, this.#matchOptions)) {
      this.#filtered++
      this.#m?.filtered()
      return
    }
    this.#events++
    this.#m?.delivered()
    this.#deliver(event)
  }

  #advanceCursor(occurred: string, nowMs: number): void {
    if (this.#cursorMicros === this.#cursorMicros) {
      // The cursor, the event and "now" are exact doubles: the same arithmetic as below in
      // plain numbers (nearly every event takes this path).
      const at = epochMicrosOf(occurred)
      const wholeMs = Math.floor(nowMs)
      const now = wholeMs * 1000 + Math.round((nowMs - wholeMs) * 1000)
      const candidate = (at > now ? now : at) - this.#marginMicros
      if (Number.isSafeInteger(candidate) && Number.isSafeInteger(now)) {
        if (candidate > this.#cursorMicros) this.#cursorMicros = candidate
        return
      }
    }
    const at = PrefectDateTime.tryParse(occurred)
    if (!at) return
    // A clock running ahead on the emitting side must not push the cursor past "now".
    const now = PrefectDateTime.fromEpochMillis(nowMs)
    // Clamped: an event from the first minute of year 1 is valid and must not throw here.
    const candidate = (at.isAfter(now) ? now : at).minusSeconds(this.#marginSeconds, {
      clamp: true,
    })
    const cursor = this.#cursorDateTime()
    if (candidate.isAfter(cursor)) this.#setCursor(candidate)
  }

  #setCursor(cursor: PrefectDateTime): void {
    const micros = cursor.epochMicros
    const safe = micros >= minSafeMicros && micros <= maxSafeMicros
    this.#cursorMicros = safe ? Number(micros) : Number.NaN
    this.#cursor = cursor
  }

  #cursorDateTime(): PrefectDateTime {
    const micros = this.#cursorMicros
    if (micros === micros && BigInt(micros) !== this.#cursor.epochMicros) {
      this.#cursor = PrefectDateTime.fromEpochMicros(BigInt(micros))
    }
    return this.#cursor
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
    let from = this.#cursorDateTime()
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
    this.#m?.resuming()
    this.#conn.start()
  }
}
