// mock-socket adapter: the fake's events websockets over mock-socket `Server`s (in-process).
import { Server, type Client } from 'mock-socket'
import type { UpgradeDecision } from './model/fake-prefect.js'
import { socketEndpoints } from './model/routing.js'
import { FakePrefectModel } from './model/fake-prefect.js'
import { withPublicControls } from './model/public.js'
import type { FakePrefect, FakePrefectOptions } from './types.js'

/** Options of {@link createFakePrefectMockSocket}. */
export interface FakePrefectMockSocketOptions extends FakePrefectOptions {
  /**
   * The API URL (http or ws) whose `/events/out` and `/events/in` are served.
   * @default 'http://prefect.test/api'
   */
  baseUrl?: string
}

/** The fake's websockets on mock-socket servers; the controls are the same as the Node server's. */
export interface FakePrefectMockSocket extends FakePrefect {
  /** The API URL (http); websocket URLs are `apiUrl` with `ws:` and `/events/out` or `/events/in`. */
  readonly apiUrl: string
  /** The mock-socket servers, one per websocket URL. */
  readonly servers: readonly Server[]
  /** Stops every mock-socket server (clients see a close). */
  close(): void
  [Symbol.dispose](): void
}

/**
 * Serves `/events/out` and `/events/in` with mock-socket, backed by the same state model as
 * `createFakePrefectServer`. Clients must use mock-socket's `WebSocket` class (inject it); the
 * global is not patched. mock-socket has no HTTP, so REST is not served here (use `./msw`), and no
 * upgrade headers (Cloud bearer auth on `/events/in` is not available).
 *
 * @example
 * import { WebSocket } from 'mock-socket'
 * const fake = createFakePrefectMockSocket()
 * const socket = new WebSocket(`${fake.apiUrl.replace('http', 'ws')}/events/out`, ['prefect'])
 */
export function createFakePrefectMockSocket(
  options: FakePrefectMockSocketOptions = {},
): FakePrefectMockSocket {
  const base = new URL((options.baseUrl ?? 'http://prefect.test/api').replace(/^ws/, 'http'))
  const model = new FakePrefectModel({ ...options, basePath: base.pathname })
  const wsOrigin = base.origin.replace(/^http/, 'ws')
  const cloud = options.cloud
  const endpoints = Object.entries(socketEndpoints)
  const paths = endpoints.map(([subpath]) => `${model.apiPath}${subpath}`)
  if (cloud) {
    for (const [subpath, endpoint] of endpoints) {
      if (endpoint.account) paths.push(`${model.basePath}/accounts/${cloud.accountId}${subpath}`)
    }
  }

  const servers = paths.map((path) => {
    let pending: { decision: UpgradeDecision; protocols: string[] } | undefined
    const server = new Server(`${wsOrigin}${path}`, {
      mock: false,
      selectProtocol: (protocols: string[]) => {
        const decision = model.decideUpgrade({ path, headers: {}, protocols })
        pending = { decision, protocols }
        // Answering a protocol the client did not offer makes mock-socket fail the connection.
        if (!decision.ok) return `refused-${decision.status}`
        return decision.protocol ?? ''
      },
    })
    server.on('connection', (socket: Client) => {
      const accepted = pending
      pending = undefined
      const decision =
        accepted?.decision ?? model.decideUpgrade({ path, headers: {}, protocols: [] })
      if (!decision.ok) {
        socket.close({ code: 1006, reason: '', wasClean: false })
        return
      }
      const input = { path, headers: {}, protocols: accepted?.protocols ?? [] }
      const connection = model.openConnection(decision, input, {
        sendText: (text) => socket.send(text),
        sendBinary: (bytes) => socket.send(bytes),
        close: (code, reason) => socket.close({ code, reason, wasClean: true }),
        terminate: () => socket.close({ code: 1006, reason: '', wasClean: false }),
      })
      socket.on('message', (data) => {
        if (typeof data === 'string') return connection.receive(data, false)
        if (data instanceof ArrayBuffer) return connection.receive(new Uint8Array(data), true)
        if (ArrayBuffer.isView(data)) {
          return connection.receive(
            new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
            true,
          )
        }
        void data.arrayBuffer().then((buffer) => connection.receive(new Uint8Array(buffer), true))
      })
      socket.target.addEventListener('close', (event) => {
        const close = event as CloseEvent
        connection.closed(close.code, close.reason)
      })
    })
    return server
  })

  let closed = false
  const close = () => {
    if (closed) return
    closed = true
    model.createdRuns.close()
    model.closeAllConnections(1001)
    for (const server of servers) server.stop()
  }
  return withPublicControls(model, {
    apiUrl: `${base.origin}${model.apiPath}`,
    servers,
    close,
    [Symbol.dispose]: close,
  }) satisfies FakePrefectMockSocket
}

export type { FakePrefect, FakePrefectOptions } from './types.js'
