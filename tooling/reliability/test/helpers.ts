// Shared pieces of the reliability suite: fixed seeds, the soak switch, figure printing, a
// recording logger, and a "firehose" events server that streams generated events without
// storing them (so heap figures measure the client, not a server holding every event).
import type { AddressInfo } from 'node:net'
import type { Logger } from '@flowcast/core'
import { WebSocketServer, type WebSocket } from 'ws'

/** `FLOWCAST_SOAK=1` runs the longer variants and asserts the timing-sensitive thresholds. */
export const soak = process.env['FLOWCAST_SOAK'] === '1'

/** A small seeded PRNG (mulberry32): every schedule in the suite is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Prints one test's figures on one line, so a run's output is the measurement. */
export function figure(name: string, values: Record<string, string | number | boolean>): void {
  const text = Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ')
  console.log(`[reliability] ${name}: ${text}`)
}

/** Heap in MiB after giving the collector a chance (exact when run with --expose-gc). */
export async function heapMiB(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc
  for (let i = 0; i < 3; i++) {
    gc?.()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10
}

/** Polls `predicate` until it holds; throws naming `what` after `timeoutMs` of real time. */
export async function waitUntil(
  predicate: () => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** A logger that keeps every line (message and fields) for "no secret in any log" checks. */
export function recordingLogger(): Logger & { text(): string } {
  const lines: string[] = []
  const log = (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`)
  return { debug: log, info: log, warn: log, error: log, text: () => lines.join('\n') }
}

/** Event `i` of the firehose: a deterministic id and an `occurred` 2 ms after event `i - 1`. */
export function firehoseEvent(i: number, baseMs: number): Record<string, unknown> {
  const occurred = new Date(baseMs + i * 2).toISOString()
  return {
    id: `0190a000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`,
    event: 'reliability.firehose',
    occurred,
    received: occurred,
    resource: { 'prefect.resource.id': `reliability.item.${i % 100}` },
    related: [],
    payload: { i },
    follows: null,
  }
}

/** Index of an event id made by {@link firehoseEvent}. */
export function firehoseIndex(id: string): number {
  return Number.parseInt(id.slice(-12), 16)
}

/** A `/events/out` server that streams `total` generated events, replaying from the filter's `since`. */
export interface Firehose {
  readonly apiUrl: string
  /** Event frames written to sockets so far (replays included). */
  readonly sent: number
  /** Sockets accepted so far. */
  readonly connections: number
  close(): Promise<void>
}

/**
 * Starts a firehose on 127.0.0.1:0. Like Prefect it authenticates, reads the filter, then
 * sends every event with `occurred >= since` in order; it writes in chunks and waits while
 * the socket's buffer is full, so a client that stops reading is not flooded in memory.
 */
export async function startFirehose(total: number, baseMs: number): Promise<Firehose> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/api/events/out' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  let sent = 0
  let connections = 0
  const stream = async (socket: WebSocket, since: number) => {
    let i = Math.max(0, Math.ceil((since - baseMs) / 2))
    while (i < total && socket.readyState === socket.OPEN) {
      if (socket.bufferedAmount > 1024 * 1024) {
        await new Promise((resolve) => setTimeout(resolve, 2))
        continue
      }
      const end = Math.min(total, i + 500)
      for (; i < end; i++) {
        socket.send(JSON.stringify({ type: 'event', event: firehoseEvent(i, baseMs) }))
        sent++
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  server.on('connection', (socket) => {
    connections++
    let authed = false
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as {
        type: string
        filter?: { occurred?: { since?: string } }
      }
      if (!authed && frame.type === 'auth') {
        authed = true
        socket.send(JSON.stringify({ type: 'auth_success' }))
        return
      }
      if (frame.type === 'filter') {
        const since = Date.parse(frame.filter?.occurred?.since ?? '')
        void stream(socket, Number.isNaN(since) ? baseMs : since)
      }
    })
  })
  const port = (server.address() as AddressInfo).port
  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    get sent() {
      return sent
    },
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      }),
  }
}
