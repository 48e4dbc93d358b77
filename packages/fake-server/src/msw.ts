// Browser-safe entry: msw 2 handlers backed by the fake's state model. No Node built-ins here.
import { http, HttpResponse, ws, type RequestHandler, type WebSocketHandler } from 'msw'
import { FakePrefectModel } from './model/fake-prefect.js'
import { withPublicControls } from './model/public.js'
import { normalizeHeaders } from './model/util.js'
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
}

/** Defaults of {@link FakePrefectHandlersOptions}. */
export const fakePrefectHandlersDefaults = { baseUrl: 'http://prefect.test/api' } as const

/** The fake Prefect server as msw handlers; the controls are the same as the Node server's. */
export interface FakePrefectHandlers extends FakePrefect {
  /** The API URL clients should use (the Cloud workspace URL in Cloud mode). */
  readonly apiUrl: string
  /** Pass to `setupServer(...)` / `setupWorker(...)`. */
  readonly handlers: Array<RequestHandler | WebSocketHandler>
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

  const rest = http.all(`${origin}${model.basePath}/*`, async ({ request }) => {
    const response = await handleRestRequest(model, {
      method: request.method,
      url: request.url,
      headers: normalizeHeaders(request.headers),
      body: await request.text(),
    })
    return new HttpResponse(response.body, { status: response.status, headers: response.headers })
  })

  const link = ws.link(`${wsOrigin}${model.basePath}/*`)
  const socket = link.addEventListener('connection', ({ client, info }) => {
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

  return withPublicControls(model, {
    apiUrl: `${origin}${model.apiPath}`,
    handlers: [rest, socket],
  }) satisfies FakePrefectHandlers
}

export type { FakePrefect, FakePrefectOptions } from './types.js'
