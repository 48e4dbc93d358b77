import { formatIssues, type Log, type LogFilter } from '@flowcast/core'
import { LogFilterSchema, validate } from '@flowcast/core/schemas'
import { closeCodes, constantTimeEqual, type SocketTransport } from './connection.js'
import type { FakeLogStore } from './logs.js'
import { closeReason, isRecord, tryParseJson } from './util.js'

/** What a `/logs/out` connection needs from the fake. */
export interface LogsSocketHost {
  /** The token auth frames must carry (auth string or Cloud API key), if any. */
  readonly expectedToken: string | undefined
  authRefusal(): { mode: 'soft' | 'hard'; reason: string } | null
  readonly logStore: FakeLogStore
}

/** Whether an upgrade path (after the API prefix) is the logs socket. */
export function isLogsSocketPath(rest: string): boolean {
  return rest === '/logs/out'
}

type Phase = 'auth' | 'filter' | 'streaming' | 'closed'

/**
 * One `/logs/out` connection (docs/protocol.md §11.3): the events handshake (auth, 1008 on a
 * bad token), then a `filter` frame (1002 "Expected 'filter' message" / "Invalid filter: …"),
 * then live logs only (no backfill) with a bounded backlog that drops new logs when full.
 * With streaming off it stays silent after the filter, like a default OSS server.
 */
export class LogsConnection {
  readonly #host: LogsSocketHost
  readonly #transport: SocketTransport
  #phase: Phase
  #filter: LogFilter = {}
  #queue: string[] = []
  #unsubscribe: (() => void) | undefined
  #unResume: (() => void) | undefined
  /** Client frames as received (for tests). */
  readonly clientFrames: string[] = []
  /** Log frames sent. */
  logsSent = 0

  constructor(host: LogsSocketHost, transport: SocketTransport, options: { prefect: boolean }) {
    this.#host = host
    this.#transport = transport
    // Without the `prefect` subprotocol the server skips the auth frame (legacy clients).
    this.#phase = options.prefect ? 'auth' : 'filter'
  }

  get isOpen(): boolean {
    return this.#phase !== 'closed'
  }

  /** Never silenced by the events faults. */
  get silenced(): boolean {
    return false
  }

  get filter(): LogFilter {
    return this.#filter
  }

  shouldPong(): boolean {
    return this.#phase !== 'closed'
  }

  receive(data: string | Uint8Array, isBinary: boolean): void {
    if (this.#phase === 'closed') return
    const text = isBinary
      ? undefined
      : typeof data === 'string'
        ? data
        : new TextDecoder().decode(data)
    this.clientFrames.push(text ?? `<binary ${data.length} bytes>`)
    if (this.#phase === 'auth') this.#onAuth(text)
    else if (this.#phase === 'filter') this.#onFilter(text)
  }

  closed(_code: number, _reason: string): void {
    if (this.#phase === 'closed') return
    this.#phase = 'closed'
    this.#queue = []
    this.#unsubscribe?.()
    this.#unResume?.()
  }

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

  deliver(_log: Log, frame: string): void {
    const store = this.#host.logStore
    if (this.#queue.length >= store.backlog) {
      store.dropped++
      return
    }
    this.#queue.push(frame)
    this.#flush()
  }

  inject(text: string): void {
    this.#queue.push(text)
    this.#flush()
  }

  #flush(): void {
    if (this.#host.logStore.paused) return
    while (this.#queue.length > 0 && this.#phase === 'streaming') {
      this.#transport.sendText(this.#queue.shift()!)
      this.logsSent++
    }
  }

  #close(code: number, reason: string): void {
    this.drop(code, reason)
  }

  #onAuth(text: string | undefined): void {
    const parsed = text === undefined ? undefined : tryParseJson(text)
    if (!parsed?.ok || !isRecord(parsed.value)) return this.#close(closeCodes.internalError, '')
    const message = parsed.value
    if (message.type !== 'auth') {
      return this.#close(closeCodes.policyViolation, "Expected 'auth' message")
    }
    const token = message.token
    const refusal = this.#host.authRefusal()
    if (refusal) {
      if (refusal.mode === 'soft') {
        this.#transport.sendText(JSON.stringify({ type: 'auth_failure', reason: refusal.reason }))
      }
      return this.#close(closeCodes.policyViolation, '')
    }
    const expected = this.#host.expectedToken
    if (expected !== undefined) {
      if (token === undefined || token === null || token === '') {
        return this.#close(closeCodes.policyViolation, 'Auth required but no token provided')
      }
      if (typeof token !== 'string' || !constantTimeEqual(token, expected)) {
        return this.#close(closeCodes.policyViolation, 'Invalid token')
      }
    }
    this.#transport.sendText('{"type":"auth_success"}')
    this.#phase = 'filter'
  }

  #onFilter(text: string | undefined): void {
    const parsed = text === undefined ? undefined : tryParseJson(text)
    if (!parsed?.ok || !isRecord(parsed.value)) return this.#close(closeCodes.internalError, '')
    const message = parsed.value
    if (message.type !== 'filter') {
      return this.#close(closeCodes.protocolError, "Expected 'filter' message")
    }
    const result = validate(LogFilterSchema, message.filter)
    if (!result.success) {
      return this.#close(closeCodes.protocolError, `Invalid filter: ${formatIssues(result.issues)}`)
    }
    this.#filter = result.data
    this.#phase = 'streaming'
    const store = this.#host.logStore
    this.#unResume = store.onResume(() => this.#flush())
    this.#unsubscribe = store.subscribe(this)
  }
}
