// Sockets of a `ws`-style constructor (`ws` itself, or a double with its API): protocol pings,
// upgrade headers, `maxPayload`, the HTTP status of a refused upgrade, and writes held per
// task. Registered by the Node entry (index.node.ts); browser bundles leave it out.
import {
  closeWaiters,
  wireWhatwgSocket,
  type FrameData,
  type NodeSocketSupport,
  type SocketConnection,
  type SocketHandlers,
  type WebSocketConstructorLike,
  type WebSocketLike,
} from './socket.js'

/** What a `ws`-style constructor accepts as its third argument. */
interface NodeSocketOptions {
  headers?: Record<string, string>
  maxPayload?: number
}

type NodeSocketConstructor = new (
  url: string,
  protocols: string | string[] | undefined,
  options: NodeSocketOptions,
) => NodeStyleSocket

/** The `ws` API beyond the WHATWG one. */
interface NodeStyleSocket extends WebSocketLike {
  on(event: string, listener: (...args: never[]) => void): unknown
  off?(event: string, listener: (...args: never[]) => void): unknown
  ping(data?: unknown, mask?: boolean, callback?: (error?: Error) => void): void
  terminate(): void
  readonly protocol?: string
  readonly bufferedAmount?: number
  /** The TCP socket under it (`ws` internals), used only to hold writes. */
  readonly _socket?: Partial<TcpStream> | null
}

/** The TCP socket under a `ws` socket, as far as holding writes needs it. */
interface TcpStream {
  cork(): void
  uncork(): void
}

const CONNECTING = 0
const OPEN = 1
const CLOSED = 3

function decodeReason(reason: unknown): string {
  if (typeof reason === 'string') return reason
  if (reason instanceof Uint8Array) return new TextDecoder().decode(reason)
  return ''
}

function concatChunks(chunks: FrameData[]): Uint8Array {
  const views = chunks.map((chunk) =>
    typeof chunk === 'string'
      ? new TextEncoder().encode(chunk)
      : chunk instanceof ArrayBuffer
        ? new Uint8Array(chunk)
        : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
  )
  const total = views.reduce((sum, view) => sum + view.byteLength, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const view of views) {
    out.set(view, offset)
    offset += view.byteLength
  }
  return out
}

function openNodeSocket(
  ctor: WebSocketConstructorLike,
  url: string,
  init: { protocols?: string[]; headers?: Record<string, string>; maxPayload: number },
  handlers: SocketHandlers,
): SocketConnection {
  const protocols = init.protocols && init.protocols.length > 0 ? init.protocols : undefined
  const socket = new (ctor as unknown as NodeSocketConstructor)(url, protocols, {
    ...(init.headers && Object.keys(init.headers).length > 0 ? { headers: init.headers } : {}),
    maxPayload: init.maxPayload,
  })
  if (typeof socket.on !== 'function' || typeof socket.ping !== 'function') {
    return wireWhatwgSocket(socket, handlers, true)
  }

  let attached = true
  const waiters = closeWaiters(socket)

  const onOpen = () => attached && handlers.open(socket.protocol ?? '')
  const onMessage = (data: FrameData | FrameData[], isBinary: boolean) => {
    if (!attached) return
    // ws hands over Buffer, Buffer[] (fragmented with binaryType 'fragments') or ArrayBuffer.
    const payload = Array.isArray(data) ? concatChunks(data) : data
    handlers.message(payload, isBinary)
  }
  const onPong = (data: unknown) => attached && handlers.pong(decodeReason(data))
  const onUnexpected = (
    _request: unknown,
    response: { statusCode?: number; resume?: () => void },
  ) => {
    response.resume?.()
    if (attached) handlers.upgradeRejected(response.statusCode ?? 0)
    socket.terminate()
  }
  const onError = (error: unknown) => attached && handlers.error(error)
  const onClose = (code: number, reason: unknown) => {
    waiters.closed()
    if (attached) handlers.close(code, decodeReason(reason))
  }
  socket.on('open', onOpen)
  socket.on('message', onMessage as (...args: never[]) => void)
  socket.on('pong', onPong as (...args: never[]) => void)
  socket.on('unexpected-response', onUnexpected as (...args: never[]) => void)
  socket.on('error', onError as (...args: never[]) => void)
  socket.on('close', onClose as (...args: never[]) => void)

  // `ws` writes each message to its TCP socket at once, a system call each: the writes of one
  // task are held (Node's `cork()` idiom) and released in groups of 64 (so that a long burst
  // does not keep every frame's buffers alive) and when the task ends. Each message is still
  // its own WebSocket frame.
  let corked: TcpStream | undefined
  let held = 0

  return {
    canPing: true,
    canSetHeaders: true,
    get isOpen() {
      return socket.readyState === OPEN
    },
    get bufferedAmount() {
      return socket.bufferedAmount ?? 0
    },
    send(text) {
      if (corked) {
        if (++held % 64 === 0) {
          corked.uncork()
          corked.cork()
        }
      } else {
        const tcp = socket._socket
        if (typeof tcp?.cork === 'function' && socket.readyState === OPEN) {
          tcp.cork()
          corked = tcp as TcpStream
          held = 0
          queueMicrotask(() => {
            corked = undefined
            tcp.uncork?.()
          })
        }
      }
      socket.send(text)
    },
    ping(data) {
      if (socket.readyState !== OPEN) return false
      try {
        socket.ping(data ?? '')
        return true
      } catch {
        return false
      }
    },
    close(code, reason, onClosed) {
      if (onClosed) waiters.add(onClosed)
      try {
        if (socket.readyState === CONNECTING) socket.terminate()
        else if (socket.readyState !== CLOSED) socket.close(code, reason)
      } catch {
        socket.terminate()
      }
    },
    terminate() {
      try {
        socket.terminate()
      } catch {
        // Already closed.
      }
    },
    detach() {
      if (!attached) return
      attached = false
      // Keep an error listener: `ws` throws on an 'error' event nobody listens to.
      if (socket.off) {
        socket.off('open', onOpen)
        socket.off('message', onMessage as (...args: never[]) => void)
        socket.off('pong', onPong as (...args: never[]) => void)
      }
    },
  }
}

/** @internal `ws`-style sockets: a constructor whose instances have `on()` and `ping()`. */
export const nodeSocketSupport: NodeSocketSupport = {
  accepts(ctor) {
    const proto = (ctor as { prototype?: Record<string, unknown> }).prototype
    return typeof proto?.ping === 'function' && typeof proto.on === 'function'
  },
  open: openNodeSocket,
}
