import type { Logger, Clock } from '@flowcast/core'
import type { ConnectionRecord, ConnectionSelector } from '../types.js'
import {
  Connection,
  type ConnectionHost,
  type SocketTransport,
  type StoredEvent,
} from './connection.js'
import type { UpgradeDecision } from './routing.js'
import { fakeError } from './util.js'

/** The open WebSocket connections: opening, selecting, live delivery and subscriber waits. */
export class SocketHub {
  readonly #host: ConnectionHost & { readonly logger: Logger; readonly clock: Clock }
  readonly #record: (record: ConnectionRecord) => void
  #connections = new Set<Connection>()
  #seq = 0
  #subscriberWaiters = new Set<(c: Connection) => void>()

  constructor(host: ConnectionHost, recordConnection: (record: ConnectionRecord) => void) {
    this.#host = host
    this.#record = recordConnection
  }

  /** Opens a connection after an accepted upgrade; the adapter feeds it frames and close events. */
  open(
    decision: Extract<UpgradeDecision, { ok: true }>,
    input: { path: string; headers: Record<string, string>; protocols: string[] },
    transport: SocketTransport,
    silenced: boolean,
  ): Connection {
    const record: ConnectionRecord = {
      id: `c${++this.#seq}`,
      path: input.path,
      kind: decision.kind,
      protocols: input.protocols,
      protocol: decision.protocol ?? null,
      mode: decision.mode,
      headers: input.headers,
      authToken: undefined,
      filters: [],
      backfill: undefined,
      clientFrames: [],
      eventsSent: 0,
      openedAt: this.#host.clock.now(),
      closedAt: undefined,
      closeCode: undefined,
      closeReason: undefined,
    }
    this.#record(record)
    const connection = new Connection(this.#host, transport, record, { silenced })
    this.#connections.add(connection)
    this.#host.logger.debug('fake-server: connection opened', {
      id: record.id,
      path: record.path,
      mode: record.mode,
    })
    return connection
  }

  closed(connection: Connection): void {
    this.#connections.delete(connection)
    this.#host.logger.debug('fake-server: connection closed', {
      id: connection.record.id,
      code: connection.record.closeCode,
    })
  }

  /** Every open connection. */
  all(): Connection[] {
    return [...this.#connections]
  }

  select(selector: ConnectionSelector | undefined, defaultKind?: 'out'): Connection[] {
    return this.all().filter((c) => {
      if (selector?.connection !== undefined) return c.record.id === selector.connection
      if (selector?.path !== undefined) return c.record.path.endsWith(selector.path)
      return defaultKind === undefined || c.kind === defaultKind
    })
  }

  /** Delivers a stored event to every subscriber. */
  deliver(stored: StoredEvent): void {
    for (const connection of this.all()) {
      if (connection.kind === 'out') connection.deliverLive(stored)
    }
  }

  subscriberReady(connection: Connection): void {
    for (const waiter of [...this.#subscriberWaiters]) waiter(connection)
  }

  waitForSubscriber(
    options: { path?: string; existing?: boolean; signal?: AbortSignal } = {},
  ): Promise<ConnectionRecord> {
    const matches = (c: Connection) =>
      c.kind === 'out' && (options.path === undefined || c.record.path.endsWith(options.path))
    if (options.existing) {
      const found = this.all().find((c) => c.isSubscribed && matches(c))
      if (found) return Promise.resolve(found.record)
    }
    return new Promise((resolve, reject) => {
      const signal = options.signal
      const onAbort = () => {
        this.#subscriberWaiters.delete(waiter)
        reject(fakeError('ABORTED', 'waitForSubscriber aborted'))
      }
      const waiter = (c: Connection) => {
        if (!matches(c)) return
        this.#subscriberWaiters.delete(waiter)
        signal?.removeEventListener('abort', onAbort)
        resolve(c.record)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#subscriberWaiters.add(waiter)
    })
  }

  /** Closes every connection (server shutdown or reset). */
  closeAll(code: number): void {
    for (const connection of this.all()) connection.drop(code, '')
  }
}
