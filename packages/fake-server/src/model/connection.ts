import {
  matchesFilter,
  type Clock,
  type Logger,
  type ReceivedEvent,
  type TimerHandle,
} from '@flowcast/core'
import type { ConnectionRecord, EffectiveFilter, FrameInput } from '../types.js'
import { closeReason, isRecord, tryParseJson } from './util.js'

/** What an adapter (ws, msw, mock-socket) offers the protocol logic. */
export interface SocketTransport {
  sendText(text: string): void
  sendBinary(bytes: Uint8Array): void
  /** Close handshake with a code and reason. */
  close(code: number, reason: string): void
  /** Abrupt drop: no close frame (the client sees 1006). */
  terminate(): void
}

/** A stored event with its precomputed `/events/out` frame. */
export interface StoredEvent {
  event: ReceivedEvent
  frame: string
  occurredMicros: bigint
}

/** What a connection needs from the model. */
export interface ConnectionHost {
  readonly clock: Clock
  readonly logger: Logger
  /** The token auth frames must carry (the OSS auth string or the Cloud API key); `undefined` accepts any. */
  readonly expectedToken: string | undefined
  readonly backlog: number
  /** Client frames a connection record keeps (the newest). */
  readonly recorderLimit: number
  readonly backfillPageSize: number
  nowMicros(): bigint
  authRefusal(): { mode: 'soft' | 'hard'; reason: string } | null
  delayMs(): number
  resolveSubscriberFilter(
    raw: unknown,
  ): { ok: true; filter: EffectiveFilter } | { ok: false; message: string }
  backfill(filter: EffectiveFilter): StoredEvent[]
  subscriberReady(connection: Connection): void
  receiveSocketEvent(raw: unknown, connection: Connection): boolean
  connectionClosed(connection: Connection): void
}

type OutItem =
  | { kind: 'text'; text: string; readyAt: number }
  | { kind: 'binary'; bytes: Uint8Array; readyAt: number }
  | { kind: 'event'; stored: StoredEvent; live: boolean; readyAt: number }
  | { kind: 'close'; code: number; reason: string; readyAt: number }

type Phase = 'auth' | 'filter' | 'streaming' | 'events' | 'closed'

// Captured at load so a test's fake timers cannot stall a backfill; browsers fall back to setTimeout.
const realSetImmediate = (globalThis as { setImmediate?: (callback: () => void) => unknown })
  .setImmediate
const realSetTimeout = globalThis.setTimeout

/** Lets other I/O (client frames, published events) run, like the real server awaiting its database. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof realSetImmediate === 'function') realSetImmediate(resolve)
    else realSetTimeout(resolve, 0)
  })
}

/** Close codes the protocol uses (docs/protocol.md §1.2). */
export const closeCodes = {
  policyViolation: 1008,
  protocolError: 1002,
  internalError: 1011,
  serviceRestart: 1012,
} as const

/** Encodes a frame to inject. */
export function encodeFrame(
  frame: FrameInput,
): { kind: 'text'; text: string } | { kind: 'binary'; bytes: Uint8Array } {
  if (typeof frame === 'string') return { kind: 'text', text: frame }
  if (frame instanceof Uint8Array) return { kind: 'binary', bytes: frame }
  if (frame instanceof ArrayBuffer) return { kind: 'binary', bytes: new Uint8Array(frame) }
  return { kind: 'text', text: JSON.stringify(frame) }
}

/**
 * One websocket connection's protocol state (docs/protocol.md §1–2): handshake, filter, backfill then live with a
 * bounded backlog, `/events/in` ingestion, and the faults that apply to it. Transport-neutral.
 */
export class Connection {
  readonly record: ConnectionRecord
  /** Live events dropped because the backlog was full. */
  droppedLive = 0
  #host: ConnectionHost
  #transport: SocketTransport
  #phase: Phase
  #outbox: OutItem[] = []
  #pendingLive = 0
  #silenced = false
  #filter: EffectiveFilter | undefined
  #backfilled = new Set<string>()
  #backfilling = false
  /**
   * Live events (docs/protocol.md §1.4: the subscriber's queue) and injected frames held, in order, while the
   * backfill is sent.
   */
  #held: OutItem[] = []
  #flushTimer: TimerHandle | undefined
  #dropAfterEvents: { remaining: number; code: number | undefined; reason: string } | undefined
  #timers = new Set<TimerHandle>()

  constructor(
    host: ConnectionHost,
    transport: SocketTransport,
    record: ConnectionRecord,
    options: { silenced: boolean },
  ) {
    this.#host = host
    this.#transport = transport
    this.record = record
    this.#silenced = options.silenced
    if (record.mode === 'prefect') this.#phase = 'auth'
    else this.#phase = record.kind === 'out' ? 'filter' : 'events'
  }

  get kind(): 'out' | 'in' {
    return this.record.kind
  }

  get isOpen(): boolean {
    return this.#phase !== 'closed'
  }

  /** True once an `/events/out` subscriber has sent a valid filter. */
  get isSubscribed(): boolean {
    return this.#phase === 'streaming'
  }

  get filter(): EffectiveFilter | undefined {
    return this.#filter
  }

  get silenced(): boolean {
    return this.#silenced
  }

  /** A frame from the client. */
  receive(data: string | Uint8Array, isBinary: boolean): void {
    if (this.#phase === 'closed') return
    const text = isBinary
      ? undefined
      : typeof data === 'string'
        ? data
        : new TextDecoder().decode(data)
    const frames = this.record.clientFrames
    frames.push(text ?? `<binary ${data.length} bytes>`)
    if (frames.length > this.#host.recorderLimit)
      frames.splice(0, frames.length - this.#host.recorderLimit)
    switch (this.#phase) {
      case 'auth':
        return this.#onAuth(text)
      case 'filter':
        return this.#onFilter(text)
      case 'events':
        return this.#onEvent(text)
      case 'streaming':
        // docs/protocol.md §1.5: text sent after the filter is read and thrown away.
        return
    }
  }

  /** Whether to answer a protocol ping now (silence withholds pongs). */
  shouldPong(): boolean {
    return !this.#silenced && this.#phase !== 'closed'
  }

  /** The transport closed (by either side). */
  closed(code: number, reason: string): void {
    if (this.#phase === 'closed') return
    this.#phase = 'closed'
    this.record.closedAt = this.#host.clock.now()
    this.record.closeCode = code
    this.record.closeReason = reason
    this.#clearTimers()
    this.#outbox = []
    this.#held = []
    this.#backfilling = false
    this.#pendingLive = 0
    this.#host.connectionClosed(this)
  }

  /**
   * Queues a live event (docs/protocol.md §1.4: whole filter except `related`, 256-deep backlog, newest dropped).
   * While the backfill is being sent, live events wait in the queue and count against the backlog.
   */
  deliverLive(stored: StoredEvent): void {
    if (this.#phase !== 'streaming' || !this.#filter) return
    if (!matchesFilter(stored.event, this.#filter, { related: false })) return
    if (this.#pendingLive >= this.#host.backlog) {
      this.droppedLive++
      return
    }
    this.#pendingLive++
    this.#pushOrHold({ kind: 'event', stored, live: true, readyAt: 0 })
  }

  /** True while the backfill of this subscriber is still being sent. */
  get backfilling(): boolean {
    return this.#backfilling
  }

  /** Queues raw frames (fault injection, replay), in order with live events. */
  inject(frames: readonly FrameInput[]): void {
    if (this.#phase === 'closed') return
    for (const frame of frames) this.#pushOrHold({ ...encodeFrame(frame), readyAt: 0 })
  }

  /** Sends now, or holds behind the running backfill; `readyAt` is set when it leaves the hold. */
  #pushOrHold(item: OutItem): void {
    if (this.#backfilling) this.#held.push(item)
    else this.#push({ ...item, readyAt: this.#readyAt() })
  }

  /** Drops the connection now: abruptly, or with a close code. */
  drop(code?: number, reason = ''): void {
    if (this.#phase === 'closed') return
    if (code === undefined) {
      this.#transport.terminate()
      this.closed(1006, '')
    } else {
      this.#transport.close(code, closeReason(reason))
      this.closed(code, reason)
    }
  }

  /** Arms a drop after `count` more event frames. */
  dropAfterEvents(count: number, code: number | undefined, reason: string): void {
    if (count <= 0) return this.drop(code, reason)
    this.#dropAfterEvents = { remaining: count, code, reason }
  }

  /** Arms a drop after `ms` of server time. */
  dropAfter(ms: number, code: number | undefined, reason: string): void {
    const handle = this.#host.clock.setTimeout(() => {
      this.#timers.delete(handle)
      this.drop(code, reason)
    }, ms)
    this.#timers.add(handle)
  }

  /** Holds (or releases) outgoing frames and pongs. */
  setSilenced(on: boolean): void {
    this.#silenced = on
    if (!on) this.#flush()
  }

  /** Disarms per-connection faults (armed drops, silence). */
  resetFaults(): void {
    this.#dropAfterEvents = undefined
    this.#clearTimers()
    this.setSilenced(false)
  }

  #readyAt(): number {
    const delay = this.#host.delayMs()
    return delay > 0 ? this.#host.clock.now() + delay : 0
  }

  #push(item: OutItem): void {
    this.#outbox.push(item)
    this.#flush()
  }

  #closeGracefully(code: number, reason: string): void {
    this.#push({ kind: 'close', code, reason, readyAt: this.#readyAt() })
  }

  #flush(): void {
    while (this.#outbox.length > 0 && this.#phase !== 'closed') {
      if (this.#silenced) return
      const item = this.#outbox[0]!
      const now = this.#host.clock.now()
      if (item.readyAt > now) {
        if (this.#flushTimer === undefined) {
          const handle = this.#host.clock.setTimeout(() => {
            this.#timers.delete(handle)
            this.#flushTimer = undefined
            this.#flush()
          }, item.readyAt - now)
          this.#flushTimer = handle
          this.#timers.add(handle)
        }
        return
      }
      this.#outbox.shift()
      this.#write(item)
    }
  }

  #write(item: OutItem): void {
    switch (item.kind) {
      case 'text':
        this.#transport.sendText(item.text)
        return
      case 'binary':
        this.#transport.sendBinary(item.bytes)
        return
      case 'close':
        this.#transport.close(item.code, closeReason(item.reason))
        this.closed(item.code, item.reason)
        return
      case 'event': {
        if (item.live) {
          this.#pendingLive--
          // docs/protocol.md §1.4 step 4: a live event already sent by the backfill is skipped once.
          if (this.#backfilled.delete(item.stored.event.id)) return
        }
        this.#transport.sendText(item.stored.frame)
        this.record.eventsSent++
        const armed = this.#dropAfterEvents
        if (armed && --armed.remaining <= 0) {
          this.#dropAfterEvents = undefined
          this.drop(armed.code, armed.reason)
        }
        return
      }
    }
  }

  /** An unhandled server error (KeyError, ValidationError, …): the socket ends with 1011. */
  #internalError(): void {
    this.#closeGracefully(closeCodes.internalError, '')
  }

  #onAuth(text: string | undefined): void {
    if (text === undefined) return this.#internalError()
    const parsed = tryParseJson(text)
    if (!parsed.ok || !isRecord(parsed.value)) return this.#internalError()
    const message = parsed.value
    if (message.type !== 'auth') {
      return this.#closeGracefully(closeCodes.policyViolation, "Expected 'auth' message")
    }
    const token = message.token
    this.record.authToken = typeof token === 'string' || token === null ? token : String(token)
    const refusal = this.#host.authRefusal()
    if (refusal) {
      if (refusal.mode === 'soft') {
        this.#push({
          kind: 'text',
          text: JSON.stringify({ type: 'auth_failure', reason: refusal.reason }),
          readyAt: this.#readyAt(),
        })
      }
      return this.#closeGracefully(closeCodes.policyViolation, '')
    }
    const expected = this.#host.expectedToken
    if (expected !== undefined) {
      if (token === undefined || token === null || token === '') {
        return this.#closeGracefully(
          closeCodes.policyViolation,
          'Auth required but no token provided',
        )
      }
      if (typeof token !== 'string') return this.#internalError()
      if (!constantTimeEqual(token, expected)) {
        return this.#closeGracefully(closeCodes.policyViolation, 'Invalid token')
      }
    }
    this.#push({ kind: 'text', text: '{"type":"auth_success"}', readyAt: this.#readyAt() })
    this.#phase = this.record.kind === 'out' ? 'filter' : 'events'
  }

  #onFilter(text: string | undefined): void {
    if (text === undefined) return this.#internalError()
    const parsed = tryParseJson(text)
    if (!parsed.ok || !isRecord(parsed.value) || !('type' in parsed.value)) {
      return this.#internalError()
    }
    const message = parsed.value
    if (message.type !== 'filter') {
      return this.#closeGracefully(closeCodes.protocolError, "Expected 'filter' message")
    }
    if (!('filter' in message)) return this.#internalError()
    this.record.filters.push(message.filter)
    this.record.backfill = typeof message.backfill === 'boolean' ? message.backfill : undefined
    const resolved = this.#host.resolveSubscriberFilter(message.filter)
    if (!resolved.ok) {
      return this.#closeGracefully(closeCodes.protocolError, `Invalid filter: ${resolved.message}`)
    }
    this.#filter = resolved.filter
    // docs/protocol.md §1.4 step 2: subscribe to the live stream first, then backfill.
    this.#phase = 'streaming'
    const backfill = message.backfill === undefined ? true : Boolean(message.backfill)
    this.#host.subscriberReady(this)
    if (backfill) {
      this.#backfilling = true
      void this.#sendBackfill(this.#host.backfill(resolved.filter))
    }
  }

  /**
   * docs/protocol.md §1.4 steps 3–4: every stored match oldest first, in pages, yielding to the event loop
   * between pages (the real server awaits its database and the socket), then the live queue with
   * backfilled ids skipped once. The first page goes out at once; the query is the events stored
   * when the filter arrived (Prefect persists events in batches, so events published during a
   * backfill are normally not in its database yet).
   */
  async #sendBackfill(events: readonly StoredEvent[]): Promise<void> {
    const pageSize = this.#host.backfillPageSize
    for (let start = 0; start < events.length; start += pageSize) {
      if (start > 0) {
        await yieldToEventLoop()
        if (!this.isOpen) return
      }
      for (const stored of events.slice(start, start + pageSize)) {
        if (!this.isOpen) return
        this.#backfilled.add(stored.event.id)
        this.#push({ kind: 'event', stored, live: false, readyAt: this.#readyAt() })
      }
    }
    this.#backfilling = false
    const held = this.#held
    this.#held = []
    for (const item of held) {
      if (!this.isOpen) return
      this.#push({ ...item, readyAt: this.#readyAt() })
    }
  }

  #onEvent(text: string | undefined): void {
    if (text === undefined) return this.#internalError()
    const parsed = tryParseJson(text)
    if (!parsed.ok) return this.#internalError()
    // docs/protocol.md §2: an invalid event is not caught; the socket closes.
    if (!this.#host.receiveSocketEvent(parsed.value, this)) this.#internalError()
  }

  #clearTimers(): void {
    for (const handle of this.#timers) this.#host.clock.clearTimeout(handle)
    this.#timers.clear()
    this.#flushTimer = undefined
  }
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ea = new TextEncoder().encode(a)
  const eb = new TextEncoder().encode(b)
  let diff = ea.length ^ eb.length
  const n = Math.max(ea.length, eb.length)
  for (let i = 0; i < n; i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0)
  return diff === 0
}
