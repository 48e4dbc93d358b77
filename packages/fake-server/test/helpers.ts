import { validateAgainstSchema } from '@flowcast/prefect-spec'
import { expect } from 'vitest'
import WebSocket from 'ws'

/** A raw `ws` client that queues every frame it receives. */
export interface TestSocket {
  ws: WebSocket
  /** Every text frame received so far. */
  frames: string[]
  /** The event frames received so far. */
  eventFrames(): string[]
  /** Resolves with the next unread text frame. */
  next(timeoutMs?: number): Promise<string>
  /** Resolves with the next `n` unread text frames. */
  take(n: number, timeoutMs?: number): Promise<string[]>
  /** Resolves when the socket closes. */
  closed: Promise<{ code: number; reason: string }>
  send(value: unknown): void
  close(): void
}

/** Opens a websocket (resolves once open) or rejects with the HTTP status of a refused upgrade. */
export function openSocket(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], {
      headers: options.headers ?? {},
      maxPayload: 4 * 1024 * 1024,
    })
    const frames: string[] = []
    let read = 0
    const waiters: (() => void)[] = []
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      frames.push(isBinary ? `<binary ${data.length}>` : data.toString('utf8'))
      waiters.splice(0).forEach((w) => w())
    })
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code: number, reason: Buffer) => {
        r({ code, reason: reason.toString() })
        waiters.splice(0).forEach((w) => w())
      }),
    )
    ws.on('unexpected-response', (_req, res) => {
      reject(
        Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }),
      )
      res.resume()
    })
    ws.on('error', (error) => reject(error))
    const next = async (timeoutMs = 2000): Promise<string> => {
      const deadline = Date.now() + timeoutMs
      while (read >= frames.length) {
        if (ws.readyState === WebSocket.CLOSED) throw new Error('socket closed')
        if (Date.now() > deadline) throw new Error('timed out waiting for a frame')
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.max(1, deadline - Date.now()))
          waiters.push(() => {
            clearTimeout(t)
            r()
          })
        })
      }
      return frames[read++]!
    }
    ws.on('open', () =>
      resolve({
        ws,
        frames,
        eventFrames: () => frames.filter((f) => f.startsWith('{"type":"event"')),
        next,
        async take(n, timeoutMs) {
          const out: string[] = []
          for (let i = 0; i < n; i++) out.push(await next(timeoutMs))
          return out
        },
        closed,
        send: (value) => ws.send(typeof value === 'string' ? value : JSON.stringify(value)),
        close: () => ws.close(),
      }),
    )
  })
}

/** The websocket URL of an API path, e.g. `wsUrl(server.apiUrl, '/events/out')`. */
export function wsUrl(apiUrl: string, path: string): string {
  return apiUrl.replace(/^http/, 'ws') + path
}

/** A filter far into the future, as clients should send it. */
export function farFilter(extra: Record<string, unknown> = {}, sinceMs = Date.now() - 60_000) {
  return {
    occurred: {
      since: new Date(sinceMs).toISOString(),
      until: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    },
    ...extra,
  }
}

/** Subscribes on `/events/out` with the OSS handshake. */
export async function subscribe(
  apiUrl: string,
  filter: unknown,
  options: { token?: string | null; backfill?: boolean; path?: string } = {},
): Promise<TestSocket> {
  const socket = await openSocket(wsUrl(apiUrl, options.path ?? '/events/out'), {
    protocols: ['prefect'],
  })
  socket.send({ type: 'auth', token: options.token ?? null })
  expect(await socket.next()).toBe('{"type":"auth_success"}')
  socket.send({
    type: 'filter',
    filter,
    ...(options.backfill === undefined ? {} : { backfill: options.backfill }),
  })
  return socket
}

/** JSON read loosely in assertions (the OpenAPI validation is the strict check). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test is read loosely
export type Json = any

/** Parses an event frame and validates its event against the OpenAPI `ReceivedEvent`. */
export function eventOf(frame: string): Record<string, Json> {
  const parsed = JSON.parse(frame) as { type: string; event: Record<string, Json> }
  expect(parsed.type).toBe('event')
  expect(validateAgainstSchema('ReceivedEvent', parsed.event)).toEqual([])
  return parsed.event
}

/** Asserts a value is valid against an OpenAPI schema. */
export function expectSchema(name: string, value: unknown): void {
  expect(validateAgainstSchema(name, value)).toEqual([])
}

/** `fetch` a path under the API URL with JSON. */
export async function api(
  apiUrl: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Json; headers: Headers; text: string }> {
  const response = await fetch(path.startsWith('http') ? path : `${apiUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    ...(init.body === undefined
      ? {}
      : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  })
  const text = await response.text()
  let body: unknown = undefined
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = text
  }
  return { status: response.status, body, headers: response.headers, text }
}

/**
 * Waits for a pong: every frame the server sent before answering the ping has arrived, so
 * "nothing arrived" can be asserted without sleeping.
 */
export function barrier(socket: TestSocket, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pong')), timeoutMs)
    socket.ws.once('pong', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.ws.ping()
  })
}
