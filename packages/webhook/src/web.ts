import { systemClock, type Clock } from '@flowcast/core'
import type { WebhookReceiver } from './receiver.js'
import type { WebhookBody, WebhookBodyLimits } from './types.js'

/** Options of {@link createWebWebhookHandler}. */
export interface WebWebhookHandlerOptions {
  /**
   * Timer source for the body read timeout.
   * @default systemClock
   */
  clock?: Clock
}

async function readBody(
  request: Request,
  limits: WebhookBodyLimits,
  clock: Clock,
): Promise<WebhookBody> {
  if (request.bodyUsed) return { type: 'parsed', value: undefined }
  if (!request.body) return { type: 'bytes', bytes: new Uint8Array(0) }
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let timer: ReturnType<Clock['setTimeout']> | undefined
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = clock.setTimeout(() => resolve('timeout'), limits.timeoutMs)
  })
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), timedOut])
      if (next === 'timeout') {
        void reader.cancel().catch(() => {})
        return { type: 'timeout' }
      }
      if (next.done) break
      size += next.value.length
      if (size > limits.maxBytes) {
        void reader.cancel().catch(() => {})
        return { type: 'too_large' }
      }
      chunks.push(next.value)
    }
  } catch {
    return { type: 'timeout' }
  } finally {
    if (timer !== undefined) clock.clearTimeout(timer)
  }
  if (chunks.length === 1) return { type: 'bytes', bytes: chunks[0]! }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return { type: 'bytes', bytes }
}

/**
 * Wraps a receiver as a Fetch handler (`Request` → `Response`), for Hono, Next.js route
 * handlers, Bun, Deno and other Fetch runtimes.
 *
 * @example
 * ```ts
 * const handle = createWebWebhookHandler(receiver)
 * app.post('/hooks/prefect', (c) => handle(c.req.raw)) // Hono
 * export const POST = handle // Next.js route handler
 * ```
 */
export function createWebWebhookHandler(
  receiver: WebhookReceiver,
  options: WebWebhookHandlerOptions = {},
): (request: Request) => Promise<Response> {
  const clock = options.clock ?? systemClock
  return async (request) => {
    const response = await receiver.handle({
      method: request.method,
      path: new URL(request.url).pathname,
      header: (name) => request.headers.get(name) ?? undefined,
      readBody: (limits) => readBody(request, limits, clock),
    })
    // Fetch runtimes manage connections themselves.
    const { connection: _connection, ...headers } = response.headers
    return new Response(response.body, { status: response.status, headers })
  }
}

export type { WebhookReceiver } from './receiver.js'
