// The accessors the events and logs subscribers share. Each subclass keeps its own references
// to the connection and the fan-out for its per-frame work, so the hot path reads no getters.
import type { FlowcastError, Logger } from '@flowcast/core'
import { notifyListeners } from '@flowcast/core/internal'
import { notifyStateListeners } from './client-helpers.js'
import type { ConnectionState, HandshakeFrame, ManagedConnection } from './connection.js'
import type { Fanout } from './fanout.js'

type StateListener = (state: ConnectionState, previous: ConnectionState) => void

/** @internal The transport part of a subscriber's stats. */
export interface StreamTransportStats {
  connections: number
  reconnects: number
  stalls: number
  pauses: number
  queued: number
  queuedHighWater: number
}

/** @internal Base of the subscribers: state, errors, listeners, closing and iteration. */
export abstract class StreamClient<T, F extends HandshakeFrame> {
  readonly #logger: Logger
  #conn!: ManagedConnection<F>
  #fanout!: Fanout<T>
  #state: ConnectionState = 'connecting'
  readonly #stateListeners = new Set<StateListener>()
  readonly #errorListeners = new Set<(error: FlowcastError) => void>()
  #signal: AbortSignal | undefined
  readonly #onAbort = () => void this.close()

  constructor(logger: Logger) {
    this.#logger = logger
  }

  /** Connects `conn` (unless `signal` is already aborted) and closes it when `signal` aborts. */
  protected startStream(
    conn: ManagedConnection<F>,
    fanout: Fanout<T>,
    signal: AbortSignal | undefined,
  ): void {
    this.#conn = conn
    this.#fanout = fanout
    this.#signal = signal
    if (signal?.aborted) {
      void conn.close()
      return
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true })
    conn.start()
  }

  protected transportStats(): StreamTransportStats {
    return {
      connections: this.#conn.connections,
      reconnects: this.#conn.reconnects,
      stalls: this.#conn.stalls,
      pauses: this.#fanout.overflows,
      queued: this.#fanout.queued,
      queuedHighWater: this.#fanout.highWater,
    }
  }

  protected setState(next: ConnectionState): void {
    const previous = this.#state
    if (previous === next) return
    this.#state = next
    notifyStateListeners(this.#stateListeners, next, previous, this.#logger)
  }

  /** Ends the stream: iterators end (with `error`, if any) and error listeners hear it. */
  protected finishStream(error: FlowcastError | undefined): void {
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#fanout.end(error)
    if (error) {
      const message = '[@flowcast/websocket] an error listener threw'
      notifyListeners([...this.#errorListeners], [error], this.#logger, message)
    }
    this.#errorListeners.clear()
  }

  get state(): ConnectionState {
    return this.#state
  }

  get lastError(): FlowcastError | undefined {
    return this.#conn.lastError
  }

  get error(): FlowcastError | undefined {
    return this.#conn.error
  }

  onStateChange(listener: StateListener): () => void {
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

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.#fanout.iterator()
  }
}
