import {
  FlowcastError,
  isTerminalStateType,
  silentLogger,
  systemClock,
  type Clock,
  type Instrumentation,
  type Logger,
} from '@flowcast/core'
import { instrumentsOf, notifyListeners, positiveOr } from '@flowcast/core/internal'
import type { DeliveryFanout } from './fanout.js'
import { decodeJsonBody, parseDelivery } from './parse.js'
import { createMemoryIdempotencyStore, type IdempotencyStore } from './store.js'
import type {
  TerminalFlowRunDelivery,
  WebhookDelivery,
  WebhookOutcome,
  WebhookRequest,
  WebhookResponse,
} from './types.js'
import { createHmacCheck, createSharedSecretCheck } from './verify.js'

/** Options of {@link createWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /**
   * Only this path is answered; any other gets 404 (the Node adapter calls `next()` instead
   * when used as middleware).
   * @default undefined (every path)
   */
  path?: string
  /**
   * Shared secrets: a delivery must carry one of them (several are accepted at once, for
   * rotation). Set the same value as a static header of the Prefect Webhook block.
   * @default undefined (no shared-secret check)
   */
  secrets?: string | readonly string[]
  /**
   * The header that carries the shared secret: `authorization` expects `Bearer <secret>`,
   * any other header the bare secret.
   * @default 'authorization'
   */
  secretHeader?: string
  /**
   * Standard Webhooks HMAC verification (`webhook-id`, `webhook-timestamp`,
   * `webhook-signature`) for deliveries relayed through a signing proxy. Needs the raw body.
   * When both this and `secrets` are set, both must pass.
   * @default undefined (no HMAC check)
   */
  hmac?: {
    /** Signing secrets (`whsec_<base64>` or any string); several during a rotation. */
    secrets: string | readonly string[]
    /**
     * Accepted clock skew of `webhook-timestamp`, in seconds.
     * @default 300
     */
    toleranceSeconds?: number
  }
  /**
   * Largest accepted body in bytes; larger bodies get 413 and are not read further.
   * @default 2_097_152 (2 MiB: a valid Prefect event may reach 1.5 MB)
   */
  maxBodyBytes?: number
  /**
   * The whole body must arrive within this many ms of the request, else 408.
   * @default 10_000
   */
  readTimeoutMs?: number
  /**
   * Where handled deliveries are remembered.
   * @default createMemoryIdempotencyStore()
   */
  store?: IdempotencyStore
  /**
   * Shares claimed deliveries with other instances (see `createRedisFanout`).
   * @default undefined (this instance only)
   */
  fanout?: DeliveryFanout
  /** @default systemClock */
  clock?: Clock
  /**
   * Receives rejections and handler failures (never secrets, never bodies).
   * @default silentLogger
   */
  logger?: Logger
  /**
   * Receives `flowcast.webhook.deliveries` (by status and outcome) and
   * `flowcast.webhook.duplicates` (e.g. `createOpenTelemetryInstrumentation()` from
   * `@flowcast/otel`).
   * A bare `InstrumentationBackend` is refused (`INVALID_OPTIONS`): wrap it with
   * `createInstrumentation(backend)` from `@flowcast/core`.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
}

/** Defaults of {@link WebhookReceiverOptions}. */
export const webhookReceiverDefaults = {
  secretHeader: 'authorization',
  maxBodyBytes: 2 * 1024 * 1024,
  readTimeoutMs: 10_000,
  hmacToleranceSeconds: 300,
} as const

/** A delivery handler; a throw (or rejection) answers 500 and the delivery may be re-posted. */
export type WebhookHandler<D extends WebhookDelivery = WebhookDelivery> = (
  delivery: D,
) => void | Promise<void>

/**
 * Receives Prefect "call webhook" deliveries through one fixed pipeline: path (404) →
 * method (405) → body size and read time (413 / 408) → secret or signature (401) → JSON
 * (400) → event shape (422) → idempotency (409 while the first is handled, 200 after) →
 * handlers (200, or 500 when one throws).
 *
 * Mount it with `createNodeWebhookHandler` (`@flowcast/webhook/node`) or
 * `createWebWebhookHandler` (`@flowcast/webhook/web`).
 */
export interface WebhookReceiver {
  /**
   * Runs `handler` for every new delivery (after idempotency), in registration order.
   * Returns a function that removes it.
   */
  onDelivery(handler: WebhookHandler): () => void
  /** Runs `handler` for each new delivery whose flow run reached a terminal state type. */
  onFlowRunTerminal(handler: WebhookHandler<TerminalFlowRunDelivery>): () => void
  /** Called with whatever a handler threw, and its delivery. */
  onError(listener: (error: unknown, delivery: WebhookDelivery) => void): () => void
  /**
   * Calls `listener` as soon as a delivery is claimed here (before handlers run) or was
   * claimed by another instance (through the fan-out). Used by waiters.
   */
  observe(listener: (delivery: WebhookDelivery) => void): () => void
  /** Whether `path` is the receiver's path (always true without a `path` option). */
  matchesPath(path: string): boolean
  /** Runs the pipeline on one request. Never rejects. */
  handle(request: WebhookRequest): Promise<WebhookResponse>
}

const jsonHeaders = { 'content-type': 'application/json' }

function answer(
  status: number,
  outcome: WebhookOutcome,
  extraHeaders: Record<string, string> = {},
  delivery?: WebhookDelivery,
): WebhookResponse {
  const body =
    status < 300 ? JSON.stringify({ status: outcome }) : JSON.stringify({ error: outcome })
  return {
    status,
    headers: { ...jsonHeaders, ...extraHeaders },
    body,
    outcome,
    ...(delivery ? { delivery } : {}),
  }
}

function toList(value: string | readonly string[] | undefined, what: string): string[] {
  if (value === undefined) return []
  const list = typeof value === 'string' ? [value] : [...value]
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s === '')) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      `[@flowcast/webhook] invalid ${what}: expected non-empty strings`,
    )
  }
  return list
}

const optionsPrefix = '[@flowcast/webhook] invalid options'

/**
 * Creates a {@link WebhookReceiver}.
 *
 * @throws FlowcastError `INVALID_OPTIONS` for an empty secret or a non-positive limit
 * @example
 * ```ts
 * const receiver = createWebhookReceiver({ secrets: process.env.WEBHOOK_SECRET })
 * receiver.onFlowRunTerminal(async ({ flowRun }) => {
 *   console.log(flowRun.flowRunId, 'ended', flowRun.type)
 * })
 * http.createServer(createNodeWebhookHandler(receiver)).listen(8080)
 * ```
 */
export function createWebhookReceiver(options: WebhookReceiverOptions = {}): WebhookReceiver {
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  const maxBytes = positiveOr(
    optionsPrefix,
    'maxBodyBytes',
    options.maxBodyBytes,
    webhookReceiverDefaults.maxBodyBytes,
  )
  const timeoutMs = positiveOr(
    optionsPrefix,
    'readTimeoutMs',
    options.readTimeoutMs,
    webhookReceiverDefaults.readTimeoutMs,
  )
  const secrets = toList(options.secrets, 'secrets')
  const sharedSecretCheck =
    secrets.length > 0
      ? createSharedSecretCheck({
          secrets,
          header: options.secretHeader ?? webhookReceiverDefaults.secretHeader,
        })
      : undefined
  const hmacCheck = options.hmac
    ? createHmacCheck({
        secrets: toList(options.hmac.secrets, 'hmac.secrets'),
        toleranceSeconds: positiveOr(
          optionsPrefix,
          'hmac.toleranceSeconds',
          options.hmac.toleranceSeconds,
          webhookReceiverDefaults.hmacToleranceSeconds,
        ),
        now: () => clock.now(),
      })
    : undefined
  if (options.path !== undefined && !options.path.startsWith('/')) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      '[@flowcast/webhook] invalid path: must start with /',
    )
  }
  const store = options.store ?? createMemoryIdempotencyStore({ clock })
  const handlers = new Set<WebhookHandler>()
  const errorListeners = new Set<(error: unknown, delivery: WebhookDelivery) => void>()
  const observers = new Set<(delivery: WebhookDelivery) => void>()
  let warnedParsedBody = false
  const record = instrumentsOf(options.instrumentation, '@flowcast/webhook')?.webhook()

  function notifyObservers(delivery: WebhookDelivery): void {
    for (const observer of [...observers]) {
      try {
        observer(delivery)
      } catch (error) {
        logger.error('webhook observer threw', { key: delivery.key, error: String(error) })
      }
    }
  }
  options.fanout?.subscribe(notifyObservers)

  function add<T>(set: Set<T>, item: T): () => void {
    set.add(item)
    return () => set.delete(item)
  }

  function reject(outcome: WebhookOutcome, status: number, extra?: Record<string, string>) {
    logger.warn('webhook request rejected', { status, outcome })
    return answer(status, outcome, extra)
  }

  async function run(request: WebhookRequest): Promise<WebhookResponse> {
    if (options.path !== undefined && request.path !== options.path) {
      return reject('not_found', 404)
    }
    if (request.method.toUpperCase() !== 'POST') {
      return reject('method_not_allowed', 405, { allow: 'POST' })
    }
    const declared = request.header('content-length')
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
      return reject('payload_too_large', 413, { connection: 'close' })
    }
    const body = await request.readBody({ maxBytes, timeoutMs })
    if (body.type === 'too_large') return reject('payload_too_large', 413, { connection: 'close' })
    if (body.type === 'timeout') return reject('timeout', 408, { connection: 'close' })

    if (hmacCheck) {
      if (body.type !== 'bytes') {
        if (!warnedParsedBody) {
          warnedParsedBody = true
          logger.error(
            'webhook HMAC verification needs the raw body, but a body parser consumed it: mount the webhook handler before any body parser (e.g. before express.json()); every such request is rejected with 401',
          )
        }
        return reject('unauthorized', 401)
      }
      if (!(await hmacCheck((name) => request.header(name), body.bytes))) {
        return reject('unauthorized', 401)
      }
    }
    if (sharedSecretCheck && !(await sharedSecretCheck((name) => request.header(name)))) {
      return reject('unauthorized', 401)
    }

    let value: unknown
    if (body.type === 'bytes') {
      const decoded = decodeJsonBody(body.bytes)
      if (!('ok' in decoded)) return reject('malformed', 400)
      value = decoded.value
    } else {
      value = body.value
      if (value === undefined) {
        if (!warnedParsedBody) {
          warnedParsedBody = true
          logger.error(
            'webhook body was consumed before the webhook handler and nothing usable was left: mount the webhook handler before any body parser',
          )
        }
        return reject('malformed', 400)
      }
    }
    const parsed = parseDelivery(value)
    if (!('ok' in parsed)) return reject(parsed.kind, parsed.kind === 'malformed' ? 400 : 422)
    const { delivery } = parsed

    let claim
    try {
      claim = await store.claim(delivery.key)
    } catch (error) {
      logger.error('webhook idempotency store failed', { key: delivery.key, error: String(error) })
      return answer(503, 'unavailable', { 'retry-after': '1' }, delivery)
    }
    if (claim === 'in_progress') return answer(409, 'in_progress', { 'retry-after': '1' }, delivery)
    if (claim === 'done') return answer(200, 'duplicate', {}, delivery)

    notifyObservers(delivery)
    options.fanout?.publish(delivery).catch((error: unknown) => {
      logger.warn('webhook fan-out publish failed', { key: delivery.key, error: String(error) })
    })

    try {
      for (const handler of [...handlers]) await handler(delivery)
    } catch (error) {
      logger.error('webhook handler threw', { key: delivery.key, event: delivery.event.event })
      // An error hook that throws must not hide the handler's failure: it is logged.
      notifyListeners([...errorListeners], [error, delivery], logger, 'webhook error hook threw')
      await store.release(delivery.key).catch((releaseError: unknown) => {
        logger.error('webhook claim release failed', {
          key: delivery.key,
          error: String(releaseError),
        })
      })
      return answer(500, 'handler_failed', {}, delivery)
    }
    try {
      await store.complete(delivery.key)
    } catch (error) {
      logger.error('webhook idempotency store failed', { key: delivery.key, error: String(error) })
    }
    return answer(200, 'dispatched', {}, delivery)
  }

  return {
    onDelivery: (handler) => add(handlers, handler),
    onFlowRunTerminal(handler) {
      return add(handlers, (delivery) =>
        delivery.flowRun && isTerminalStateType(delivery.flowRun.type)
          ? handler(delivery as TerminalFlowRunDelivery)
          : undefined,
      )
    },
    onError: (listener) => add(errorListeners, listener),
    observe: (listener) => add(observers, listener),
    matchesPath: (path) => options.path === undefined || path === options.path,
    async handle(request) {
      let response: WebhookResponse
      try {
        response = await run(request)
      } catch (error) {
        logger.error('webhook request failed', { error: String(error) })
        response = answer(500, 'handler_failed')
      }
      record?.(response)
      return response
    },
  }
}
