/**
 * The minimal shape of a WebSocket this package needs. Both a browser's own `WebSocket`
 * and the `ws` package's `WebSocket` fit it, as do mock-socket and msw's interceptor.
 */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number
  /** Sends one text frame. */
  send(data: string): void
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void
}

/**
 * A `WebSocket` constructor: the browser's global one, `ws`'s `WebSocket`, or a test double.
 * Under Node (the package's `node` entry), when it is `ws`-like (its instances have `on()` and
 * `ping()`), the package also uses protocol pings, upgrade headers, `maxPayload` and the HTTP
 * status of a refused upgrade; anywhere else it is driven through the WHATWG API.
 */
export type WebSocketConstructorLike = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike

/** The WHATWG API used for browsers (and anything without `on`/`ping`). */
interface BrowserStyleSocket extends WebSocketLike {
  addEventListener(type: string, listener: (event: never) => void): void
  removeEventListener(type: string, listener: (event: never) => void): void
  binaryType?: string
  readonly protocol?: string
  readonly bufferedAmount?: number
}

/** Frame data as the socket delivered it. */
export type FrameData = string | ArrayBuffer | ArrayBufferView

/** Callbacks from one socket; none fires after {@link SocketConnection.detach}. */
export interface SocketHandlers {
  open(protocol: string): void
  message(data: FrameData, binary: boolean): void
  /** A pong arrived, carrying the ping's payload as text. */
  pong(data: string): void
  /** The server answered the upgrade with an HTTP status other than 101 (`ws` only). */
  upgradeRejected(status: number): void
  error(error: unknown): void
  close(code: number, reason: string): void
}

/** One socket behind a small, uniform API. */
export interface SocketConnection {
  /** Protocol pings are available (`ws`); browsers have no ping API. */
  readonly canPing: boolean
  /** Headers can be set on the upgrade request (`ws`); browsers cannot. */
  readonly canSetHeaders: boolean
  readonly isOpen: boolean
  readonly bufferedAmount: number
  send(text: string): void
  /** Sends a protocol ping with an optional payload; returns false when the socket cannot ping. */
  ping(data?: string): boolean
  /** Closes with a handshake; `onClosed` fires once the socket is closed. */
  close(code: number, reason: string, onClosed?: () => void): void
  /** Drops the socket at once (a stalled socket may never finish a closing handshake). */
  terminate(): void
  /** Stops every callback. */
  detach(): void
}

const OPEN = 1
const CLOSED = 3

/**
 * @internal The callbacks of {@link SocketConnection.close}, run once when the socket is closed
 * (at once when it already is).
 */
export function closeWaiters(socket: WebSocketLike): {
  add(onClosed: () => void): void
  closed(): void
} {
  let done = false
  let callbacks: (() => void)[] = []
  return {
    add(onClosed) {
      if (done || socket.readyState === CLOSED) onClosed()
      else callbacks.push(onClosed)
    },
    closed() {
      if (done) return
      done = true
      const due = callbacks
      callbacks = []
      for (const callback of due) callback()
    },
  }
}

/** How sockets of a `ws`-style constructor are opened; registered by the Node entry. */
export interface NodeSocketSupport {
  /** True when sockets made by `ctor` support `ws`'s pings, headers and status codes. */
  accepts(ctor: WebSocketConstructorLike): boolean
  /** {@link openSocket} for such a constructor. */
  open: typeof openSocket
}

let nodeSockets: NodeSocketSupport | undefined

/**
 * @internal Registers the `ws` socket support. The Node entry does so when it loads; browser
 * bundles, which have no `ws`, leave that code out and use the WHATWG API.
 */
export function setNodeSocketSupport(support: NodeSocketSupport): void {
  nodeSockets = support
}

/** True when sockets made by this constructor support `ws`'s pings, headers and status codes. */
export function isNodeStyleConstructor(ctor: WebSocketConstructorLike): boolean {
  return nodeSockets?.accepts(ctor) ?? false
}

/**
 * Opens a socket and wires its events to `handlers`. Throws whatever the constructor throws
 * (an invalid URL, for example); every later problem arrives through `handlers`.
 */
export function openSocket(
  ctor: WebSocketConstructorLike,
  url: string,
  init: { protocols?: string[]; headers?: Record<string, string>; maxPayload: number },
  handlers: SocketHandlers,
): SocketConnection {
  if (nodeSockets?.accepts(ctor)) return nodeSockets.open(ctor, url, init, handlers)
  const protocols = init.protocols && init.protocols.length > 0 ? init.protocols : undefined
  return wireWhatwgSocket(new ctor(url, protocols), handlers, false)
}

/**
 * @internal Wires a socket through the WHATWG API (`addEventListener`): a browser's own, or
 * one a `ws`-style constructor returned without `ws`'s methods (msw's interceptor stands in
 * for `ws` behind a proxy of its constructor, so the constructor took headers but its sockets
 * have no `on()` or `ping()`).
 */
export function wireWhatwgSocket(
  instance: WebSocketLike,
  handlers: SocketHandlers,
  canSetHeaders: boolean,
): SocketConnection {
  const socket = instance as BrowserStyleSocket
  let attached = true
  const waiters = closeWaiters(socket)

  try {
    socket.binaryType = 'arraybuffer'
  } catch {
    // Some test doubles make binaryType read-only; Blob frames are still counted as binary.
  }
  const onOpen = () => attached && handlers.open(socket.protocol ?? '')
  const onMessage = (event: { data: unknown }) => {
    if (!attached) return
    const data = event.data
    if (typeof data === 'string') handlers.message(data, false)
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) handlers.message(data, true)
    else handlers.message(new ArrayBuffer(0), true)
  }
  const onError = (event: unknown) => attached && handlers.error(event)
  const onClose = (event: { code?: number; reason?: string }) => {
    waiters.closed()
    if (attached) handlers.close(event.code ?? 1006, event.reason ?? '')
  }
  socket.addEventListener('open', onOpen)
  socket.addEventListener('message', onMessage as (event: never) => void)
  socket.addEventListener('error', onError as (event: never) => void)
  socket.addEventListener('close', onClose as (event: never) => void)

  return {
    canPing: false,
    canSetHeaders,
    get isOpen() {
      return socket.readyState === OPEN
    },
    get bufferedAmount() {
      return socket.bufferedAmount ?? 0
    },
    send(text) {
      socket.send(text)
    },
    ping() {
      return false
    },
    close(code, reason, onClosed) {
      if (onClosed) waiters.add(onClosed)
      try {
        if (socket.readyState !== CLOSED) socket.close(code, reason)
      } catch {
        // A code the WHATWG API refuses: the socket is left to close on its own.
      }
    },
    terminate() {
      try {
        if (socket.readyState !== CLOSED) socket.close(4000, 'terminated')
      } catch {
        // Already closed.
      }
    },
    detach() {
      if (!attached) return
      attached = false
      socket.removeEventListener('open', onOpen)
      socket.removeEventListener('message', onMessage as (event: never) => void)
      socket.removeEventListener('error', onError as (event: never) => void)
    },
  }
}
