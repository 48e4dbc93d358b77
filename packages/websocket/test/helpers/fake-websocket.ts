// A scriptable in-process WebSocket for unit tests. Two flavours: `node` behaves like `ws`
// (on/off, ping/pong, terminate, unexpected-response, constructor options) and `browser`
// like the WHATWG WebSocket (addEventListener only, no ping, no headers).
import { setNodeSocketSupport, type WebSocketConstructorLike } from '../../src/socket.js'
import { nodeSocketSupport } from '../../src/socket-node.js'

// The `node` flavour stands for `ws`, whose support a Node program gets from the package's
// Node entry; tests that import modules directly get it here.
setNodeSocketSupport(nodeSocketSupport)

type Listener = (...args: unknown[]) => void

export interface FakeSocket {
  readonly url: string
  readonly protocols: string[]
  readonly options: { headers?: Record<string, string>; maxPayload?: number } | undefined
  readyState: number
  protocol: string
  bufferedAmount: number
  /** Text frames the client sent. */
  readonly sent: string[]
  /** Ping payloads the client sent. */
  readonly pings: string[]
  /** Close codes the client asked for (or 'terminate'). */
  readonly closedBy: (number | 'terminate')[]
  /** Server side: completes the upgrade. */
  accept(protocol?: string): void
  /** Server side: sends a frame. */
  receive(data: string | Uint8Array, binary?: boolean): void
  /** Server side: answers a ping. */
  pong(data?: string): void
  /** Server side: closes with a code. */
  serverClose(code: number, reason?: string): void
  /** Server side: answers the upgrade with an HTTP status (node flavour). */
  rejectUpgrade(status: number): void
  /** Network failure: error then close 1006. */
  fail(message?: string): void
  /** Parsed JSON of the sent frames. */
  sentJson(): Record<string, unknown>[]
  listenerCount(): number
}

export interface FakeWebSocketKit {
  WebSocket: WebSocketConstructorLike
  sockets: FakeSocket[]
  last(): FakeSocket
}

abstract class BaseFake implements FakeSocket {
  readyState = 0
  protocol = ''
  bufferedAmount = 0
  readonly sent: string[] = []
  readonly pings: string[] = []
  readonly closedBy: (number | 'terminate')[] = []
  readonly protocols: string[]
  protected readonly listeners = new Map<string, Set<Listener>>()

  constructor(
    readonly url: string,
    protocols: string | string[] | undefined,
    readonly options: FakeSocket['options'],
  ) {
    this.protocols =
      protocols === undefined ? [] : Array.isArray(protocols) ? protocols : [protocols]
  }

  protected abstract dispatch(type: string, payload: Record<string, unknown>): void

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(data)
  }

  close(code?: number): void {
    this.closedBy.push(code ?? 1005)
    if (this.readyState === 3) return
    this.readyState = 2
    queueMicrotask(() => this.finishClose(code ?? 1005, ''))
  }

  protected finishClose(code: number, reason: string): void {
    if (this.readyState === 3) return
    this.readyState = 3
    this.dispatch('close', { code, reason })
  }

  accept(protocol = this.protocols[0] ?? ''): void {
    this.protocol = protocol
    this.readyState = 1
    this.dispatch('open', {})
  }

  receive(data: string | Uint8Array, binary = typeof data !== 'string'): void {
    this.dispatch('message', { data, binary })
  }

  pong(_data?: string): void {
    throw new Error('this flavour cannot pong')
  }

  serverClose(code: number, reason = ''): void {
    this.finishClose(code, reason)
  }

  rejectUpgrade(_status: number): void {
    throw new Error('this flavour cannot see upgrade statuses')
  }

  fail(message = 'connect ECONNREFUSED'): void {
    this.dispatch('error', { error: new Error(message), message })
    this.finishClose(1006, '')
  }

  sentJson(): Record<string, unknown>[] {
    return this.sent.map((text) => JSON.parse(text) as Record<string, unknown>)
  }

  listenerCount(): number {
    let n = 0
    for (const set of this.listeners.values()) n += set.size
    return n
  }
}

class NodeFake extends BaseFake {
  on(event: string, listener: Listener): this {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return this
  }

  off(event: string, listener: Listener): this {
    this.listeners.get(event)?.delete(listener)
    return this
  }

  ping(data?: string): void {
    this.pings.push(data ?? '')
  }

  terminate(): void {
    this.closedBy.push('terminate')
    if (this.readyState === 3) return
    this.readyState = 2
    queueMicrotask(() => this.finishClose(1006, ''))
  }

  override pong(data = ''): void {
    this.dispatch('pong', { data })
  }

  override rejectUpgrade(status: number): void {
    this.dispatch('unexpected-response', { status })
  }

  protected dispatch(type: string, payload: Record<string, unknown>): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      switch (type) {
        case 'message': {
          const data = payload.data
          listener(typeof data === 'string' ? new TextEncoder().encode(data) : data, payload.binary)
          break
        }
        case 'close':
          listener(payload.code, new TextEncoder().encode(String(payload.reason)))
          break
        case 'error':
          listener(payload.error)
          break
        case 'pong':
          listener(new TextEncoder().encode(String(payload.data)))
          break
        case 'unexpected-response':
          listener({}, { statusCode: payload.status, resume() {} })
          break
        default:
          listener()
      }
    }
  }
}

class BrowserFake extends BaseFake {
  binaryType = 'blob'

  addEventListener(type: string, listener: Listener): void {
    let set = this.listeners.get(type)
    if (!set) this.listeners.set(type, (set = new Set()))
    set.add(listener)
  }

  removeEventListener(type: string, listener: Listener): void {
    this.listeners.get(type)?.delete(listener)
  }

  protected dispatch(type: string, payload: Record<string, unknown>): void {
    for (const listener of [...(this.listeners.get(type) ?? [])]) {
      if (type === 'message') {
        const data = payload.data
        listener({
          data:
            typeof data === 'string'
              ? data
              : (data as Uint8Array).buffer.slice(
                  (data as Uint8Array).byteOffset,
                  (data as Uint8Array).byteOffset + (data as Uint8Array).byteLength,
                ),
        })
      } else listener(payload)
    }
  }
}

/** A fresh fake constructor and the list of sockets it made. */
export function createFakeWebSocket(flavour: 'node' | 'browser' = 'node'): FakeWebSocketKit {
  const sockets: FakeSocket[] = []
  const Base = flavour === 'node' ? NodeFake : BrowserFake
  class FakeWebSocket extends Base {
    constructor(url: string, protocols?: string | string[], options?: FakeSocket['options']) {
      super(url, protocols, flavour === 'node' ? options : undefined)
      sockets.push(this as unknown as FakeSocket)
    }
  }
  return {
    WebSocket: FakeWebSocket as unknown as WebSocketConstructorLike,
    sockets,
    last() {
      const socket = sockets.at(-1)
      if (!socket) throw new Error('no socket was opened')
      return socket
    },
  }
}

/** Completes the `prefect` handshake on a socket and returns the filter frame the client sent. */
export function completeHandshake(socket: FakeSocket): Record<string, unknown> | undefined {
  socket.accept('prefect')
  socket.receive(JSON.stringify({ type: 'auth_success' }), false)
  return socket.sentJson().find((frame) => frame.type === 'filter')
}

let eventCounter = 0

/** A valid ReceivedEvent for tests. */
export function makeEvent(
  overrides: Partial<{
    id: string
    occurred: string
    event: string
    resourceId: string
    resource: Record<string, string>
    related: Record<string, string>[]
    payload: Record<string, unknown>
  }> = {},
): Record<string, unknown> {
  eventCounter++
  const id = overrides.id ?? `0190a000-0000-7000-8000-${String(eventCounter).padStart(12, '0')}`
  const occurred = overrides.occurred ?? '2026-08-20T14:00:00.000001Z'
  return {
    occurred,
    event: overrides.event ?? 'test.thing.happened',
    resource: overrides.resource ?? {
      'prefect.resource.id': overrides.resourceId ?? 'test.thing.1',
    },
    related: overrides.related ?? [],
    payload: overrides.payload ?? {},
    id,
    follows: null,
    received: occurred,
  }
}

/** `{"type":"event","event":…}` */
export function eventFrame(event: Record<string, unknown>): string {
  return JSON.stringify({ type: 'event', event })
}

/** A flow-run state event as Prefect writes it (labels + validated_state). */
export function flowRunStateEvent(
  flowRunId: string,
  type: string,
  name: string,
  occurred = '2026-08-20T14:00:00.000001Z',
  id?: string,
): Record<string, unknown> {
  return makeEvent({
    ...(id ? { id } : {}),
    occurred,
    event: `prefect.flow-run.${name}`,
    resource: {
      'prefect.resource.id': `prefect.flow-run.${flowRunId}`,
      'prefect.state-type': type,
      'prefect.state-name': name,
      'prefect.state-timestamp': occurred.replace('Z', '+00:00'),
      'prefect.state-message': '',
    },
    payload: { validated_state: { type, name } },
  })
}
