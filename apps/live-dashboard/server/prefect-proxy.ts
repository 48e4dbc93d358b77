// The same-origin route to Prefect: `/api/*` on the page's own origin is forwarded to
// PREFECT_API_URL, with the credentials added here, on the server. The browser never holds a
// Prefect Cloud API key or an auth string.
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Plugin, ProxyOptions } from 'vite'
import WebSocket, { WebSocketServer, type RawData } from 'ws'

/** Where the proxy sends `/api` and what it adds. */
export interface PrefectProxyOptions {
  /** `PREFECT_API_URL`: `http://127.0.0.1:4200/api` or a Cloud workspace URL. */
  apiUrl: string
  /** `PREFECT_API_KEY` (Prefect Cloud). Sent as `Authorization: Bearer` and as the socket token. */
  apiKey?: string | undefined
  /** `PREFECT_API_AUTH_STRING` (a self-hosted server's `user:pass`). */
  authString?: string | undefined
  /** The path the page calls. @default '/api' */
  route?: string
}

/** The settings the proxy reads from the environment of the dev or preview server. */
export function prefectProxyFromEnv(env: Record<string, string | undefined>): PrefectProxyOptions {
  const apiUrl = env.PREFECT_API_URL || 'http://127.0.0.1:4200/api'
  return {
    apiUrl,
    apiKey: env.PREFECT_API_KEY || undefined,
    authString: env.PREFECT_API_AUTH_STRING || undefined,
  }
}

function restAuthorization(options: PrefectProxyOptions): string | undefined {
  if (options.apiKey) return `Bearer ${options.apiKey}`
  if (options.authString) return `Basic ${Buffer.from(options.authString).toString('base64')}`
  return undefined
}

/** Vite's `server.proxy` / `preview.proxy` entry for the REST calls. */
export function restProxy(options: PrefectProxyOptions): Record<string, ProxyOptions> {
  const route = options.route ?? '/api'
  const target = new URL(options.apiUrl)
  const upstreamPath = target.pathname.replace(/\/$/, '')
  const authorization = restAuthorization(options)
  return {
    [route]: {
      target: target.origin,
      changeOrigin: true,
      // Upgrades are relayed by the plugin below, which also puts the token in the auth frame.
      ws: false,
      rewrite: (path) => upstreamPath + path.slice(route.length),
      ...(authorization ? { headers: { authorization } } : {}),
    },
  }
}

/**
 * Relays the events and logs sockets (`/api/events/out`, `/api/logs/out`): the page's socket
 * is accepted only once Prefect accepted the relayed one (a refused upgrade is refused to the
 * page with the same status, so the page falls back to polling as it would behind a proxy
 * that blocks WebSockets), the first `auth` frame gets the server-side token (Prefect's
 * subscribers authenticate with that frame, not with a header), and a drop on either side drops
 * the other without a close frame so the page reconnects.
 */
function relayUpgrade(options: PrefectProxyOptions) {
  const route = options.route ?? '/api'
  const upstreamBase = options.apiUrl.replace(/\/$/, '').replace(/^http/, 'ws')
  const token = options.apiKey ?? options.authString ?? null
  return (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = request.url ?? ''
    if (!url.startsWith(`${route}/`)) return false
    const offered = (request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
    const upstream = new WebSocket(`${upstreamBase}${url.slice(route.length)}`, offered)
    let answered = false
    const refuse = (status: number) => {
      if (answered || socket.destroyed) return
      answered = true
      socket.end(`HTTP/1.1 ${status} ${status === 502 ? 'Bad Gateway' : 'Refused'}\r\n\r\n`)
    }
    upstream.once('unexpected-response', (_req, response) => {
      refuse(response.statusCode ?? 502)
      upstream.terminate()
    })
    upstream.on('error', () => refuse(502))
    // The page gave up (or went away) before Prefect answered.
    socket.once('close', () => {
      if (!answered) upstream.terminate()
    })
    upstream.once('open', () => {
      if (answered || socket.destroyed) return upstream.terminate()
      answered = true
      // The page gets the subprotocol Prefect chose (`prefect`), or none.
      const pageSide = new WebSocketServer({
        noServer: true,
        handleProtocols: () => upstream.protocol || false,
      })
      pageSide.handleUpgrade(request, socket, head, (page) => {
        let first = true
        page.on('message', (data: RawData, isBinary) => {
          if (first && !isBinary) {
            first = false
            const text = data.toString()
            try {
              const frame = JSON.parse(text) as { type?: unknown }
              if (frame.type === 'auth') {
                upstream.send(JSON.stringify({ ...frame, token }))
                return
              }
            } catch {
              // Not JSON: relayed as it is; Prefect answers it.
            }
          }
          upstream.send(data, { binary: isBinary })
        })
        upstream.on('message', (data: RawData, isBinary) => page.send(data, { binary: isBinary }))
        const closeCode = (code: number) => (code === 1005 || code === 1006 ? 1000 : code)
        upstream.on('close', (code, reason) => {
          if (code === 1006) page.terminate()
          else page.close(closeCode(code), reason)
        })
        page.on('close', (code, reason) => {
          if (code === 1006) upstream.terminate()
          else upstream.close(closeCode(code), reason)
        })
        upstream.on('error', () => page.terminate())
        page.on('error', () => upstream.terminate())
      })
    })
    return true
  }
}

/** The Vite plugin: REST through `server.proxy`/`preview.proxy`, sockets through the relay. */
export function prefectProxy(options: PrefectProxyOptions): Plugin {
  const relay = relayUpgrade(options)
  const attach = (httpServer: { on(event: 'upgrade', listener: typeof relay): unknown } | null) => {
    httpServer?.on('upgrade', relay)
  }
  return {
    name: 'flowcast-prefect-proxy',
    config: () => ({
      server: { proxy: restProxy(options) },
      preview: { proxy: restProxy(options) },
    }),
    configureServer: (server) => attach(server.httpServer),
    configurePreviewServer: (server) => attach(server.httpServer),
  }
}
