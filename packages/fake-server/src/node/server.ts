import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { sleep, type TimerHandle } from '@flowcast/core'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Connection } from '../model/connection.js'
import { FakePrefectModel, type UpgradeDecision } from '../model/fake-prefect.js'
import { isLogsSocketPath, LogsConnection } from '../model/logs-socket.js'
import { handleRestRequest } from '../model/rest.js'
import { fakeError, normalizeHeaders, parseProtocols } from '../model/util.js'
import type { FakePrefect, FakePrefectOptions } from '../types.js'

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

const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

class NodeFakePrefectServer extends FakePrefectModel implements FakePrefectServer {
  readonly host: string
  #port = 0
  #http: Server
  #wss: WebSocketServer
  #sockets = new Set<Socket>()
  #decisions = new WeakMap<IncomingMessage, Extract<UpgradeDecision, { ok: true }>>()
  #live = new Map<WebSocket, Connection | LogsConnection>()
  #pingTimer: TimerHandle | undefined
  #pingIntervalMs: number
  #closing: Promise<void> | undefined

  constructor(options: FakePrefectServerOptions) {
    super(options)
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
    this.restartHook = (downMs, signal) => this.#bounce(downMs, signal)
  }

  get port(): number {
    return this.#port
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host
    return `http://${host}:${this.#port}`
  }

  get apiUrl(): string {
    return `${this.url}${this.apiPath}`
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
    this.#pingTimer = this.clock.setTimeout(() => {
      this.#pingTimer = undefined
      for (const [ws, connection] of this.#live) {
        if (connection.isOpen && !connection.silenced) ws.ping()
      }
      this.#schedulePing()
    }, this.#pingIntervalMs)
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const hostHeader = req.headers.host ?? `${this.host}:${this.#port}`
      handleRestRequest(this, {
        method: req.method ?? 'GET',
        url: `http://${hostHeader}${req.url ?? '/'}`,
        headers: normalizeHeaders(req.headers),
        body: Buffer.concat(chunks).toString('utf8'),
      }).then(
        (response) => {
          if (res.destroyed) return
          res.writeHead(response.status, response.headers)
          res.end(response.body ?? undefined)
        },
        (error: unknown) => {
          this.logger.error('fake-server: request failed', {
            error: error instanceof Error ? error.message : String(error),
          })
          if (res.destroyed) return
          res.writeHead(500, { 'content-type': 'application/json' })
          res.end('{"exception_message":"Internal Server Error"}')
        },
      )
    })
  }

  #onUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    const headers = normalizeHeaders(req.headers)
    const protocols = parseProtocols(headers['sec-websocket-protocol'])
    const input = { path, headers, protocols }
    const route = this.resolveRoute(path)
    const logs = route !== undefined && route.scope !== 'account' && isLogsSocketPath(route.rest)
    const decision = logs ? this.#decideLogsUpgrade(protocols) : this.decideUpgrade(input)
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
        ? new LogsConnection(this, transport, { prefect: decision.protocol === 'prefect' })
        : this.openConnection(decision, input, transport)
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
          this.clock.clearTimeout(this.#pingTimer)
          this.#pingTimer = undefined
        }
        connection.closed(code, reason.toString('utf8'))
      })
      ws.on('error', (error: Error) => {
        this.logger.debug('fake-server: websocket error', {
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
    if (this.options.cloud || this.options.authString !== undefined)
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
    this.closeAllConnections(code)
    this.logStore.dropConnections(code)
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 250))])
    for (const ws of this.#live.keys()) ws.terminate()
    for (const socket of this.#sockets) socket.destroy()
  }

  async #bounce(downMs: number, signal?: AbortSignal): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve())
      for (const socket of this.#sockets) socket.destroy()
    })
    if (downMs > 0) await sleep(downMs, { clock: this.clock, ...(signal ? { signal } : {}) })
    if (!this.#closing) await this.listen()
  }

  #closedResolve: (() => void) | undefined
  /** Resolves once {@link close} has finished. */
  readonly closed = new Promise<void>((resolve) => (this.#closedResolve = resolve))

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#pingTimer !== undefined) this.clock.clearTimeout(this.#pingTimer)
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
 * Starts a fake Prefect server on a real loopback port: REST (spec §6) and the events websockets
 * `/events/out` and `/events/in` (spec §1–2), with scripted flow-run lifecycles, fault injection and a
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
  const server = new NodeFakePrefectServer(options)
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
  return server
}
