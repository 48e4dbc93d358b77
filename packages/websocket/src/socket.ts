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
 * When it is `ws`-like (its instances have `on()` and `ping()`), the package also uses
 * protocol pings, upgrade headers, `maxPayload` and the HTTP status of a refused upgrade.
 */
export type WebSocketConstructorLike = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike

/** What a `ws`-style constructor accepts as its third argument. */
interface NodeSocketOptions {
  headers?: Record<string, string>
  maxPayload?: number
}

type NodeSocketConstructor = new (
  url: string,
  protocols: string | string[] | undefined,
  options: NodeSocketOptions,
) => WebSocketLike

/** The `ws` API beyond the WHATWG one. */
interface NodeStyleSocket extends WebSocketLike {
  on(event: string, listener: (...args: never[]) => void): unknown
  off?(event: string, listener: (...args: never[]) => void): unknown
  removeAllListeners?(event?: string): unknown
  ping(data?: unknown, mask?: boolean, callback?: (error?: Error) => void): void
  terminate(): void
  readonly protocol?: string
  readonly bufferedAmount?: number
}

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

const CONNECTING = 0
const OPEN = 1
const CLOSED = 3

/** True when sockets made by this constructor support `ws`'s pings, headers and status codes. */
export function isNodeStyleConstructor(ctor: WebSocketConstructorLike): boolean {
  const proto = (ctor as { prototype?: Record<string, unknown> }).prototype
  return typeof proto?.ping === 'function' && typeof proto.on === 'function'
}

function isNodeStyle(socket: WebSocketLike): socket is NodeStyleSocket {
  const s = socket as Partial<NodeStyleSocket>
  return typeof s.on === 'function' && typeof s.ping === 'function'
}

function decodeReason(reason: unknown): string {
  if (typeof reason === 'string') return reason
  if (reason instanceof Uint8Array) return new TextDecoder().decode(reason)
  return ''
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
  const nodeStyleCtor = isNodeStyleConstructor(ctor)
  const protocols = init.protocols && init.protocols.length > 0 ? init.protocols : undefined
  const socket = nodeStyleCtor
    ? new (ctor as unknown as NodeSocketConstructor)(url, protocols, {
        ...(init.headers && Object.keys(init.headers).length > 0 ? { headers: init.headers } : {}),
        maxPayload: init.maxPayload,
      })
    : new ctor(url, protocols)

  let attached = true
  let closedCallbacks: (() => void)[] = []
  let closed = false
  const markClosed = () => {
    if (closed) return
    closed = true
    const callbacks = closedCallbacks
    closedCallbacks = []
    for (const callback of callbacks) callback()
  }

  let detachListeners: () => void
  const nodeStyle = isNodeStyle(socket)

  if (nodeStyle) {
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
      markClosed()
      if (attached) handlers.close(code, decodeReason(reason))
    }
    socket.on('open', onOpen)
    socket.on('message', onMessage as (...args: never[]) => void)
    socket.on('pong', onPong as (...args: never[]) => void)
    socket.on('unexpected-response', onUnexpected as (...args: never[]) => void)
    socket.on('error', onError as (...args: never[]) => void)
    socket.on('close', onClose as (...args: never[]) => void)
    detachListeners = () => {
      // Keep an error listener: `ws` throws on an 'error' event nobody listens to.
      if (socket.off) {
        socket.off('open', onOpen)
        socket.off('message', onMessage as (...args: never[]) => void)
        socket.off('pong', onPong as (...args: never[]) => void)
      }
    }
  } else {
    const browser = socket as BrowserStyleSocket
    try {
      browser.binaryType = 'arraybuffer'
    } catch {
      // Some test doubles make binaryType read-only; Blob frames are still counted as binary.
    }
    const onOpen = () => attached && handlers.open(browser.protocol ?? '')
    const onMessage = (event: { data: unknown }) => {
      if (!attached) return
      const data = event.data
      if (typeof data === 'string') handlers.message(data, false)
      else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) handlers.message(data, true)
      else handlers.message(new ArrayBuffer(0), true)
    }
    const onError = (event: unknown) => attached && handlers.error(event)
    const onClose = (event: { code?: number; reason?: string }) => {
      markClosed()
      if (attached) handlers.close(event.code ?? 1006, event.reason ?? '')
    }
    browser.addEventListener('open', onOpen)
    browser.addEventListener('message', onMessage as (event: never) => void)
    browser.addEventListener('error', onError as (event: never) => void)
    browser.addEventListener('close', onClose as (event: never) => void)
    detachListeners = () => {
      browser.removeEventListener('open', onOpen)
      browser.removeEventListener('message', onMessage as (event: never) => void)
      browser.removeEventListener('error', onError as (event: never) => void)
    }
  }

  // `ws` writes each message to its TCP socket at once, a system call each: the writes of one
  // task are held (Node's `cork()` idiom) and released in groups of 64 (so that a long burst
  // does not keep every frame's buffers alive) and when the task ends. Each message is still
  // its own WebSocket frame.
  let corked: TcpStream | undefined
  let held = 0

  const connection: SocketConnection = {
    canPing: nodeStyle,
    canSetHeaders: nodeStyleCtor,
    get isOpen() {
      return socket.readyState === OPEN
    },
    get bufferedAmount() {
      return (socket as { bufferedAmount?: number }).bufferedAmount ?? 0
    },
    send(text) {
      if (corked) {
        if (++held % 64 === 0) {
          corked.uncork()
          corked.cork()
        }
      } else if (nodeStyle) {
        const tcp = (socket as { _socket?: Partial<TcpStream> | null })._socket
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
      if (!nodeStyle || socket.readyState !== OPEN) return false
      try {
        socket.ping(data ?? '')
        return true
      } catch {
        return false
      }
    },
    close(code, reason, onClosed) {
      if (onClosed) {
        if (closed || socket.readyState === CLOSED) onClosed()
        else closedCallbacks.push(onClosed)
      }
      try {
        if (socket.readyState === CONNECTING && nodeStyle) socket.terminate()
        else if (socket.readyState !== CLOSED) socket.close(code, reason)
      } catch {
        if (nodeStyle) socket.terminate()
      }
    },
    terminate() {
      try {
        if (nodeStyle) socket.terminate()
        else if (socket.readyState !== CLOSED) socket.close(4000, 'terminated')
      } catch {
        // Already closed.
      }
    },
    detach() {
      if (!attached) return
      attached = false
      detachListeners()
    },
  }
  return connection
}

/** The TCP socket under a `ws` socket, as far as holding writes needs it. */
interface TcpStream {
  cork(): void
  uncork(): void
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
