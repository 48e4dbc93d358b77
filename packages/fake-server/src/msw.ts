// Browser-safe entry: msw 2 handlers backed by the fake's state model. No Node built-ins here.
import { http, HttpResponse, ws, type RequestHandler, type WebSocketHandler } from 'msw'
import { FakePrefectModel } from './model/fake-prefect.js'
import { withPublicControls } from './model/public.js'
import { normalizeHeaders } from './model/util.js'
import { createPollingCheck } from './rest/polling-check.js'
import { handleRestRequest } from './rest/handle.js'
import type { FakePrefect, FakePrefectOptions } from './types.js'

/** Options of {@link createFakePrefectHandlers}. */
export interface FakePrefectHandlersOptions extends FakePrefectOptions {
  /**
   * Origin and root API path the handlers answer on (the OSS API URL). Websockets are matched on the
   * same host with `ws:`/`wss:`.
   * @default 'http://prefect.test/api'
   */
  baseUrl?: string
  /**
   * What to do when a wait ends by polling while no WebSocket ever reached these handlers: a
   * client read a flow run over REST while it was not terminal, read it again terminal, and no
   * socket has reached msw's `ws` handler. That is code under test whose WebSocket bypasses msw
   * (Node's `ws` package, flowcast's default there, which msw cannot intercept), so the test
   * silently exercises the polling fallback. The fix is one option of the code under test:
   * `createFlowcast({ WebSocket: globalThis.WebSocket })`, created after `server.listen()`.
   *
   * - `'warn'`: log it once through `logger` (at `warn`).
   * - `'error'`: also answer every such read with a 500 whose `exception_message` says the
   *   above, so the wait cannot end by polling (it ends `transport_failed`, with that message).
   *   The recorder keeps the answer the fake would have given (200).
   * - `'off'`: the code under test polls on purpose (`transport: 'polling'`).
   *
   * `reset()` forgets what was seen.
   * @default 'warn'
   */
  onPollingOnly?: 'warn' | 'error' | 'off'
}

/** Defaults of {@link FakePrefectHandlersOptions}. */
export const fakePrefectHandlersDefaults = {
  baseUrl: 'http://prefect.test/api',
  onPollingOnly: 'warn',
} as const

/** The fake Prefect server as msw handlers; the controls are the same as the Node server's. */
export interface FakePrefectHandlers extends FakePrefect {
  /** The API URL clients should use (the Cloud workspace URL in Cloud mode). */
  readonly apiUrl: string
  /** Pass to `setupServer(...)` / `setupWorker(...)`. */
  readonly handlers: Array<RequestHandler | WebSocketHandler>
  /**
   * WebSocket connections that reached the `ws` handler since creation or `reset()`, refused
   * ones included. 0 after a wait means the code under test never used msw's WebSocket.
   */
  readonly webSocketsSeen: number
  /**
   * Waits that ended by polling while no WebSocket reached the handlers (see
   * {@link FakePrefectHandlersOptions.onPollingOnly}): the flow-run ids, oldest first.
   */
  readonly pollingOnlyRuns: readonly string[]
}

/**
 * msw 2 handlers for the fake Prefect server: `http.all` for the REST API and `ws.link` for
 * `/events/out` and `/events/in`, over the same state model as `createFakePrefectServer`.
 * Browser WebSockets send no headers, so Cloud `/events/in` (bearer header) cannot be
 * authenticated here; use the `prefect` subprotocol handshake instead.
 *
 * @example
 * const fake = createFakePrefectHandlers()
 * const server = setupServer(...fake.handlers)
 * server.listen()
 * const run = fake.createFlowRun()
 */
export function createFakePrefectHandlers(
  options: FakePrefectHandlersOptions = {},
): FakePrefectHandlers {
  const base = new URL(options.baseUrl ?? fakePrefectHandlersDefaults.baseUrl)
  const model = new FakePrefectModel({ ...options, basePath: base.pathname })
  const origin = base.origin
  const wsOrigin = origin.replace(/^http/, 'ws')

  const check = createPollingCheck(model, options.onPollingOnly ?? 'warn')
  const rest = http.all(`${origin}${model.basePath}/*`, async ({ request }) => {
    const response = check.inspect(
      request.method,
      new URL(request.url).pathname,
      await handleRestRequest(model, {
        method: request.method,
        url: request.url,
        headers: normalizeHeaders(request.headers),
        body: await request.text(),
      }),
    )
    return new HttpResponse(response.body, { status: response.status, headers: response.headers })
  })

  const link = ws.link(`${wsOrigin}${model.basePath}/*`)
  const socket = link.addEventListener('connection', ({ client, info }) => {
    check.socketSeen()
    const protocols =
      info.protocols === undefined
        ? []
        : (Array.isArray(info.protocols) ? info.protocols : [info.protocols]).flatMap((p) =>
            p.split(',').map((s) => s.trim()),
          )
    const input = { path: client.url.pathname, headers: {}, protocols }
    const decision = model.decideUpgrade(input)
    if (!decision.ok) {
      // A refused upgrade: browsers report it as an abnormal close.
      client.close(1006, '')
      return
    }
    const connection = model.openConnection(decision, input, {
      sendText: (text) => client.send(text),
      sendBinary: (bytes) => client.send(bytes),
      close: (code, reason) => client.close(code, reason),
      terminate: () => client.close(1006, ''),
    })
    client.addEventListener('message', (event) => {
      const data = event.data
      if (typeof data === 'string') return connection.receive(data, false)
      if (data instanceof ArrayBuffer) return connection.receive(new Uint8Array(data), true)
      if (ArrayBuffer.isView(data)) {
        return connection.receive(
          new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
          true,
        )
      }
      if (data instanceof Blob) {
        void data.arrayBuffer().then((buffer) => connection.receive(new Uint8Array(buffer), true))
      }
    })
    client.addEventListener('close', (event) => connection.closed(event.code, event.reason))
  })

  const fake = withPublicControls(model, {
    apiUrl: `${origin}${model.apiPath}`,
    handlers: [rest, socket],
    get webSocketsSeen() {
      return check.webSocketsSeen
    },
    get pollingOnlyRuns() {
      return check.pollingOnlyRuns
    },
  }) satisfies FakePrefectHandlers
  const reset = fake.reset
  Object.defineProperty(fake, 'reset', {
    value: () => {
      reset()
      check.reset()
    },
    enumerable: true,
  })
  return fake
}

export type { FakePrefect, FakePrefectOptions } from './types.js'
