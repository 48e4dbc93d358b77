import type { IncomingMessage, ServerResponse } from 'node:http'
import { systemClock, type Clock } from '@flowcast/core'
import type { WebhookReceiver } from './receiver.js'
import type { WebhookBody, WebhookBodyLimits, WebhookResponse } from './types.js'

/** Options of {@link createNodeWebhookHandler}. */
export interface NodeWebhookHandlerOptions {
  /**
   * Timer source for the body read timeout.
   * @default systemClock
   */
  clock?: Clock
  /**
   * After a 413 or 408 the rest of the body is discarded, and the connection is cut this
   * many ms later if the client is still sending.
   * @default 1_000
   */
  lingerMs?: number
}

/**
 * A `node:http` request handler, also usable as Express / Connect middleware: with `next`
 * it passes requests for other paths on (when the receiver has a `path`), and it works
 * whether or not a body parser ran first (the shared-secret check works on a parsed body;
 * HMAC needs the raw one, so mount the handler before any body parser).
 */
export type NodeWebhookHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void

function pathOf(url: string | undefined): string {
  const raw = url ?? '/'
  const query = raw.indexOf('?')
  return query === -1 ? raw : raw.slice(0, query)
}

/** What a body parser (express.json, express.raw, express.text, ...) may have left. */
function consumedBody(req: IncomingMessage, maxBytes: number): WebhookBody | undefined {
  const parsed = (req as { body?: unknown }).body
  const parserRan = (req as { _body?: unknown })._body === true
  if (parsed === undefined && !parserRan && !req.readableEnded) return undefined
  if (parsed instanceof Uint8Array) {
    return parsed.length > maxBytes ? { type: 'too_large' } : { type: 'bytes', bytes: parsed }
  }
  if (typeof parsed === 'string') {
    const bytes = new TextEncoder().encode(parsed)
    return bytes.length > maxBytes ? { type: 'too_large' } : { type: 'bytes', bytes }
  }
  return { type: 'parsed', value: parsed }
}

function readBody(req: IncomingMessage, limits: WebhookBodyLimits, clock: Clock) {
  const consumed = consumedBody(req, limits.maxBytes)
  if (consumed) return Promise.resolve(consumed)
  return new Promise<WebhookBody>((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const finish = (body: WebhookBody) => {
      clock.clearTimeout(timer)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onAbort)
      req.off('aborted', onAbort)
      resolve(body)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > limits.maxBytes) {
        req.pause()
        finish({ type: 'too_large' })
      } else chunks.push(chunk)
    }
    const onEnd = () => {
      const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
      finish({ type: 'bytes', bytes: buffer })
    }
    // A request the client abandoned gets no useful answer; report it like a timeout.
    const onAbort = () => finish({ type: 'timeout' })
    const timer = clock.setTimeout(() => {
      req.pause()
      finish({ type: 'timeout' })
    }, limits.timeoutMs)
    req.on('data', onData)
    req.on('end', onEnd)
    req.on('error', onAbort)
    req.on('aborted', onAbort)
  })
}

function write(res: ServerResponse, response: WebhookResponse): void {
  if (res.headersSent || res.destroyed) return
  res.writeHead(response.status, response.headers)
  res.end(response.body)
}

/**
 * Wraps a receiver as a {@link NodeWebhookHandler}.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http'
 * const receiver = createWebhookReceiver({ secrets: process.env.WEBHOOK_SECRET })
 * createServer(createNodeWebhookHandler(receiver)).listen(8080)
 * // Express 5: app.post('/hooks/prefect', createNodeWebhookHandler(receiver)) — before express.json()
 * ```
 */
export function createNodeWebhookHandler(
  receiver: WebhookReceiver,
  options: NodeWebhookHandlerOptions = {},
): NodeWebhookHandler {
  const clock = options.clock ?? systemClock
  const lingerMs = options.lingerMs ?? 1_000
  return (req, res, next) => {
    const path = pathOf(req.url)
    if (next && !receiver.matchesPath(path)) {
      next()
      return
    }
    void receiver
      .handle({
        method: req.method ?? 'GET',
        path,
        header(name) {
          const value = req.headers[name]
          return Array.isArray(value) ? value.join(', ') : value
        },
        readBody: (limits) => readBody(req, limits, clock),
      })
      .then((response) => {
        write(res, response)
        if (response.headers['connection'] === 'close' && !req.readableEnded) {
          // Discard what is still coming, and cut a client that keeps sending.
          req.resume()
          const cut = clock.setTimeout(() => req.socket.destroy(), lingerMs)
          req.once('end', () => clock.clearTimeout(cut))
          req.socket.once('close', () => clock.clearTimeout(cut))
        }
      })
  }
}

export type { WebhookReceiver } from './receiver.js'
