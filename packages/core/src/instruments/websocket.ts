import type { FlowcastError } from '../errors.js'
import type {
  CounterInstrument,
  HistogramInstrument,
  InstrumentationAttributes,
  InstrumentationBackend,
} from '../instrumentation.js'
import { emitterMetrics as e, messagingAttributes as a, websocketMetrics as m } from '../metrics.js'

/** @internal The socket path a part talks to: the `messaging.destination.name` of its metrics. */
export type SocketDestination = 'events/out' | 'events/in' | 'logs/out'

function messaging(destination: SocketDestination): InstrumentationAttributes {
  return {
    [a.messagingSystem]: 'prefect',
    [a.messagingOperation]: destination === 'events/in' ? 'send' : 'receive',
    [a.messagingDestination]: destination,
  }
}

/**
 * @internal The instruments of one managed connection: connections, reconnects by cause and
 * stall-watchdog firings. Attribute sets are built once and reused.
 */
export class ConnectionInstruments {
  readonly #connections: CounterInstrument
  readonly #reconnects: CounterInstrument
  readonly #stalls: CounterInstrument
  readonly #destination: SocketDestination
  readonly #base: InstrumentationAttributes
  readonly #byCause = new Map<string, InstrumentationAttributes>()
  #seenStalls = 0
  #stalled = false
  #resuming = false

  constructor(instrumentation: InstrumentationBackend, destination: SocketDestination) {
    this.#destination = destination
    this.#base = { [a.messagingDestination]: destination }
    this.#connections = instrumentation.counter(m.connections)
    this.#reconnects = instrumentation.counter(m.reconnects)
    this.#stalls = instrumentation.counter(m.stalls)
  }

  /** A socket finished its handshake. */
  connected(): void {
    this.#connections.add(1, this.#base)
  }

  /** A socket went away; `stalls` is the connection's stall count (counts a watchdog firing). */
  down(stalls: number): void {
    if (stalls === this.#seenStalls) return
    this.#seenStalls = stalls
    this.#stalled = true
    this.#stalls.add(1, this.#base)
  }

  /** The next connection attempt resumes after a pause for a slow consumer. */
  resuming(): void {
    this.#resuming = true
  }

  /** A connection attempt after the first; `error` is why the previous socket went away. */
  reconnecting(error: FlowcastError | undefined): void {
    const cause = this.#resuming
      ? 'paused'
      : this.#stalled
        ? 'stall'
        : (error?.code.toLowerCase() ?? 'unknown')
    this.#resuming = false
    this.#stalled = false
    let attributes = this.#byCause.get(cause)
    if (!attributes) {
      attributes = { [a.messagingDestination]: this.#destination, [a.reconnectCause]: cause }
      this.#byCause.set(cause, attributes)
    }
    this.#reconnects.add(1, attributes)
  }
}

/**
 * @internal The instruments of a socket consumer (events or logs subscriber): skipped frames
 * by kind, messages delivered, duplicates and filtered events, plus its connection's. Data
 * frames are not counted apart: each one is delivered, a duplicate or filtered.
 */
export class ConsumerInstruments extends ConnectionInstruments {
  readonly #consumed: CounterInstrument
  readonly #skippedFrames: CounterInstrument
  readonly #duplicates: CounterInstrument
  readonly #filtered: CounterInstrument
  readonly #messaging: InstrumentationAttributes
  readonly #destination: SocketDestination
  readonly #byKind = new Map<string, InstrumentationAttributes>()

  constructor(instrumentation: InstrumentationBackend, destination: 'events/out' | 'logs/out') {
    super(instrumentation, destination)
    this.#destination = destination
    this.#messaging = messaging(destination)
    this.#consumed = instrumentation.counter(m.consumedMessages)
    this.#skippedFrames = instrumentation.counter(m.skippedFrames)
    this.#duplicates = instrumentation.counter(m.duplicates)
    this.#filtered = instrumentation.counter(m.filtered)
  }

  #kindAttributes(kind: string): InstrumentationAttributes {
    let attributes = this.#byKind.get(kind)
    if (!attributes) {
      attributes = { [a.messagingDestination]: this.#destination, [a.frameKind]: kind }
      this.#byKind.set(kind, attributes)
    }
    return attributes
  }

  /** A frame was skipped; `kind` says why (`control`, `invalid_json`, …). */
  skippedFrame(kind: string): void {
    this.#skippedFrames.add(1, this.#kindAttributes(kind))
  }

  /** `count` events (or logs) were delivered to consumers. */
  delivered(count = 1): void {
    this.#consumed.add(count, this.#messaging)
  }

  /** An event was dropped as a duplicate. */
  duplicate(): void {
    this.#duplicates.add(1, this.#messaging)
  }

  /** An event was dropped by the client-side filter. */
  filtered(): void {
    this.#filtered.add(1, this.#messaging)
  }
}

/** @internal The emitter's instruments. */
export class EmitterInstruments extends ConnectionInstruments {
  readonly #sent: CounterInstrument
  readonly #confirmed: CounterInstrument
  readonly #resent: CounterInstrument
  readonly #outbox: CounterInstrument
  readonly #checkpoint: HistogramInstrument
  readonly #messaging = messaging('events/in')

  constructor(instrumentation: InstrumentationBackend) {
    super(instrumentation, 'events/in')
    this.#sent = instrumentation.counter(e.sentMessages)
    this.#confirmed = instrumentation.counter(e.emitterConfirmed)
    this.#resent = instrumentation.counter(e.emitterResent)
    this.#outbox = instrumentation.counter(e.emitterOutbox)
    this.#checkpoint = instrumentation.histogram(e.emitterCheckpointDuration)
  }

  /** An event was written to the socket; `resend` when it had been sent before. */
  sent(resend: boolean): void {
    this.#sent.add(1, this.#messaging)
    if (resend) this.#resent.add(1, this.#messaging)
  }

  /** The outbox grew (`delta > 0`) or shrank. */
  outbox(delta: number): void {
    this.#outbox.add(delta, this.#messaging)
  }

  /** A checkpoint confirmed `count` events after `seconds`. */
  confirmed(count: number, seconds: number): void {
    this.#confirmed.add(count, this.#messaging)
    this.#checkpoint.record(seconds, this.#messaging)
  }
}
