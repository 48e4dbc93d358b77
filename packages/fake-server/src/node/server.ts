import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { sleep, type TimerHandle } from '@flowcast/core'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Connection } from '../model/connection.js'
import { FakePrefectModel, type UpgradeDecision } from '../model/fake-prefect.js'
import { isLogsSocketPath, LogsConnection } from '../model/logs-socket.js'
import { withPublicControls } from '../model/public.js'
import { fakeError, normalizeHeaders, parseProtocols } from '../model/util.js'
import { detail, statusText, type RestResponse } from '../rest/http.js'
import { handleRestRequest } from '../rest/handle.js'
import { fakePrefectDefaults, type FakePrefect, type FakePrefectOptions } from '../types.js'

/** Options of {@link createFakePrefectServer}. */
export interface FakePrefectServerOptions extends FakePrefectOptions {
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  host?: string
  /**
   * Port; `0` picks a free one.
   * @default 0
   */
  port?: number
  /**
   * Protocol-level pings to every websocket, in server-clock ms (uvicorn's default is 20 s); `0` disables.
   * @default 20_000
   */
  pingIntervalMs?: number
  /**
   * Largest websocket frame accepted, in bytes (uvicorn's default).
   * @default 16_777_216
   */
  maxPayloadBytes?: number
  /** Aborting it cancels the start, or closes the server once started. */
  signal?: AbortSignal
}

/** Defaults of {@link FakePrefectServerOptions}. */
export const fakePrefectServerDefaults = {
  host: '127.0.0.1',
  port: 0,
  pingIntervalMs: 20_000,
  maxPayloadBytes: 16 * 1024 * 1024,
} as const

/** A fake Prefect server listening on a real port. Dispose with `await using` or {@link FakePrefectServer.close}. */
export interface FakePrefectServer extends FakePrefect {
  /** `http://HOST:PORT/api`, or the Cloud workspace URL `http://HOST:PORT/api/accounts/A/workspaces/W`. */
  readonly apiUrl: string
  /** `http://HOST:PORT`. */
  readonly url: string
  readonly host: string
  readonly port: number
  /** Closes every connection (1001) and stops listening. Idempotent. */
  close(): Promise<void>
  /** Resolves once the server has closed (by {@link FakePrefectServer.close} or its `signal`). */
  readonly closed: Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

/** The Node transport: an HTTP server and a `ws` server in front of one model. */
class NodeFakePrefectServer {
  readonly host: string
  readonly #model: FakePrefectModel
  #port = 0
  #http: Server
  #wss: WebSocketServer
  #sockets = new Set<Socket>()
  #decisions = new WeakMap<IncomingMessage, Extract<UpgradeDecision, { ok: true }>>()
  #live = new Map<WebSocket, Connection | LogsConnection>()
  #pingTimer: TimerHandle | undefined
  #pingIntervalMs: number
  #closing: Promise<void> | undefined

  constructor(model: FakePrefectModel, options: FakePrefectServerOptions) {
    this.#model = model
    this.host = options.host ?? fakePrefectServerDefaults.host
    this.#port = options.port ?? fakePrefectServerDefaults.port
    this.#pingIntervalMs = options.pingIntervalMs ?? fakePrefectServerDefaults.pingIntervalMs
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes ?? fakePrefectServerDefaults.maxPayloadBytes,
      perMessageDeflate: false,
      autoPong: false,
      handleProtocols: (_protocols, request) => this.#decisions.get(request)?.protocol ?? false,
    })
    this.#http = createServer((req, res) => this.#onRequest(req, res))
    this.#http.on('connection', (socket) => {
      this.#sockets.add(socket)
      socket.once('close', () => this.#sockets.delete(socket))
    })
    this.#http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    )
    model.restartHook = (downMs, signal) => this.#bounce(downMs, signal)
  }

  get port(): number {
    return this.#port
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host
    return `http://${host}:${this.#port}`
  }

  get apiUrl(): string {
    return `${this.url}${this.#model.apiPath}`
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error)
      this.#http.once('error', onError)
      this.#http.listen(this.#port, this.host, () => {
        this.#http.off('error', onError)
        const address = this.#http.address()
        if (address && typeof address === 'object') this.#port = address.port
        resolve()
      })
    })
  }

  /** Pings every open websocket each interval; armed only while websockets are open. */
  #schedulePing(): void {
    if (this.#pingIntervalMs <= 0 || this.#closing || this.#pingTimer !== undefined) return
    if (this.#live.size === 0) return
    this.#pingTimer = this.#model.clock.setTimeout(() => {
      this.#pingTimer = undefined
      for (const [ws, connection] of this.#live) {
        if (connection.isOpen && !connection.silenced) ws.ping()
      }
      this.#schedulePing()
    }, this.#pingIntervalMs)
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const limit = this.#model.options.maxRequestBodyBytes ?? fakePrefectDefaults.maxRequestBodyBytes
    const chunks: Buffer[] = []
    let bytes = 0
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      // Past the limit the rest is read and discarded, so memory stays bounded.
      if (bytes <= limit) chunks.push(chunk)
      else chunks.length = 0
    })
    req.on('end', () => {
      const answer = (response: RestResponse) => {
        if (res.destroyed) return
        res.writeHead(response.status, response.headers)
        res.end(response.body ?? undefined)
      }
      const target = req.url ?? '/'
      // An asterisk- or authority-form target (`OPTIONS *`, `CONNECT h:p`) names no path.
      if (!target.startsWith('/')) return answer(detail(400, 'Invalid request target'))
      handleRestRequest(
        this.#model,
        {
          method: req.method ?? 'GET',
          url: this.#requestUrl(req.headers.host, target),
          headers: normalizeHeaders(req.headers),
          body: bytes > limit ? '' : Buffer.concat(chunks).toString('utf8'),
        },
        { bodyTooLarge: bytes > limit, bodyBytes: bytes },
      ).then(answer, (error: unknown) => {
        this.#model.logger.error('fake-server: request failed', {
          error: error instanceof Error ? error.message : String(error),
        })
        answer({
          status: 500,
          headers: { 'content-type': 'application/json' },
          body: '{"exception_message":"Internal Server Error"}',
        })
      })
    })
  }

  /** The request's absolute URL; a `Host` header that is not a valid host falls back to ours. */
  #requestUrl(host: string | undefined, target: string): string {
    const fallback = `${this.url}${target}`
    if (host === undefined) return fallback
    try {
      return new URL(`http://${host}${target}`).href
    } catch {
      return new URL(fallback).href
    }
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const headers = normalizeHeaders(req.headers)
    const protocols = parseProtocols(headers['sec-websocket-protocol'])
    const input = { path, headers, protocols }
    const route = this.#model.resolveRoute(path)
    const logs = route !== undefined && route.scope !== 'account' && isLogsSocketPath(route.subpath)
    const decision = logs ? this.#decideLogsUpgrade(protocols) : this.#model.decideUpgrade(input)
    if (!decision.ok) {
      const text = statusText[decision.status] ?? 'Error'
      socket.end(
        `HTTP/1.1 ${decision.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`,
      )
      return
    }
    this.#decisions.set(req, decision)
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const transport = {
        sendText: (text: string) => ws.send(text),
        sendBinary: (bytes: Uint8Array) => ws.send(bytes, { binary: true }),
        close: (code: number, reason: string) => ws.close(code, reason),
        terminate: () => ws.terminate(),
      }
      const connection = logs
        ? new LogsConnection(this.#model, transport, { prefect: decision.protocol === 'prefect' })
        : this.#model.openConnection(decision, input, transport)
      this.#live.set(ws, connection)
      this.#schedulePing()
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        const buffer = Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.isBuffer(data)
            ? data
            : Buffer.from(data)
        connection.receive(isBinary ? new Uint8Array(buffer) : buffer.toString('utf8'), isBinary)
      })
      ws.on('ping', (data: Buffer) => {
        if (connection.shouldPong()) ws.pong(data)
      })
      ws.on('close', (code: number, reason: Buffer) => {
        this.#live.delete(ws)
        if (this.#live.size === 0 && this.#pingTimer !== undefined) {
          this.#model.clock.clearTimeout(this.#pingTimer)
          this.#pingTimer = undefined
        }
        connection.closed(code, reason.toString('utf8'))
      })
      ws.on('error', (error: Error) => {
        this.#model.logger.debug('fake-server: websocket error', {
          id: connection instanceof LogsConnection ? 'logs' : connection.record.id,
          error: error.message,
        })
      })
    })
  }

  /** `/logs/out` upgrades: like `/events/out` (docs/protocol.md §11.3). */
  #decideLogsUpgrade(protocols: string[]): UpgradeDecision {
    if (protocols.includes('prefect')) {
      return { ok: true, kind: 'out', mode: 'prefect', protocol: 'prefect' }
    }
    if (this.#model.options.cloud || this.#model.options.authString !== undefined)
      return { ok: false, status: 403 }
    return { ok: true, kind: 'out', mode: 'legacy', protocol: undefined }
  }

  /** Closes websockets with `code`, waits briefly for their close handshakes, then destroys every socket. */
  async #dropEverything(code: number): Promise<void> {
    const closing = [...this.#live.keys()].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) return resolve()
          ws.once('close', () => resolve())
        }),
    )
    this.#model.closeAllConnections(code)
    this.#model.logStore.dropConnections(code)
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 250))])
    for (const ws of this.#live.keys()) ws.terminate()
    for (const socket of this.#sockets) socket.destroy()
  }

  async #bounce(downMs: number, signal?: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      for (const socket of this.#sockets) socket.destroy()
    })
    if (downMs > 0) await sleep(downMs, { clock: this.#model.clock, ...(signal ? { signal } : {}) })
    if (!this.#closing) await this.listen()
  }

  #closedResolve: (() => void) | undefined
  /** Resolves once {@link close} has finished. */
  readonly closed = new Promise<void>((resolve) => (this.#closedResolve = resolve))

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#pingTimer !== undefined) this.#model.clock.clearTimeout(this.#pingTimer)
      await this.#dropEverything(1001)
      await new Promise<void>((resolve) => {
        this.#wss.close(() => resolve())
      })
      await new Promise<void>((resolve) => {
        if (!this.#http.listening) return resolve()
        this.#http.close(() => resolve())
        for (const socket of this.#sockets) socket.destroy()
      })
      this.#closedResolve?.()
    })()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

/**
 * Starts a fake Prefect server on a real loopback port: REST (docs/protocol.md §6) and the events websockets
 * `/events/out` and `/events/in` (docs/protocol.md §1–2), with scripted flow-run lifecycles, fault injection and a
 * recorder.
 *
 * @example
 * await using server = await createFakePrefectServer()
 * const run = server.createFlowRun()
 * await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
 */
export async function createFakePrefectServer(
  options: FakePrefectServerOptions = {},
): Promise<FakePrefectServer> {
  const signal = options.signal
  if (signal?.aborted) throw fakeError('ABORTED', 'createFakePrefectServer aborted')
  const model = new FakePrefectModel(options)
  const server = new NodeFakePrefectServer(model, options)
  try {
    await server.listen()
  } catch (error) {
    throw fakeError(
      'CONNECT_FAILED',
      'cannot listen',
      error instanceof Error ? error.message : String(error),
    )
  }
  if (signal) {
    if (signal.aborted) {
      await server.close()
      throw fakeError('ABORTED', 'createFakePrefectServer aborted')
    }
    const onAbort = () => void server.close()
    signal.addEventListener('abort', onAbort, { once: true })
    void server.closed.then(() => signal.removeEventListener('abort', onAbort))
  }
  return withPublicControls(model, {
    host: server.host,
    get port() {
      return server.port
    },
    get url() {
      return server.url
    },
    get apiUrl() {
      return server.apiUrl
    },
    close: () => server.close(),
    closed: server.closed,
    [Symbol.asyncDispose]: () => server.close(),
  }) satisfies FakePrefectServer
}
