import type { FlowRunStateObservation, ReceivedEvent } from '@flowcast/core'

/**
 * A delivery from a Prefect "call webhook" automation, parsed and validated.
 *
 * @example
 * ```ts
 * receiver.onDelivery((delivery) => {
 *   if (delivery.flowRun) console.log(delivery.flowRun.flowRunId, delivery.flowRun.type)
 * })
 * ```
 */
export interface WebhookDelivery {
  /** The triggering event, validated as a Prefect `ReceivedEvent`. */
  event: ReceivedEvent
  /**
   * The flow-run state the event announces (a `prefect.flow-run.*` state event), read with
   * core's `flowRunStateFromEvent`; null for any other event.
   */
  flowRun: FlowRunStateObservation | null
  /**
   * The automation that fired, when the body carries it (the richer template's
   * `automation` key); null for the bare `{{ event|tojson }}` form.
   */
  automation: { id: string; name: string | null } | null
  /**
   * Every key of the body besides `event` (and `automation`), kept as sent; `{}` for the bare
   * form.
   */
  extra: Record<string, unknown>
  /**
   * The idempotency key: the event id, plus `:<automation id>` when the automation is known,
   * so two automations firing on one event are two deliveries.
   */
  key: string
}

/** A {@link WebhookDelivery} whose flow run reached a terminal state type. */
export interface TerminalFlowRunDelivery extends WebhookDelivery {
  /** The terminal state (COMPLETED, FAILED, CRASHED or CANCELLED). */
  flowRun: FlowRunStateObservation & { type: 'COMPLETED' | 'FAILED' | 'CRASHED' | 'CANCELLED' }
}

/**
 * A request body as an adapter read it:
 *
 * - `bytes`: the raw body (what HMAC verification needs);
 * - `parsed`: a body parser mounted before the receiver already consumed the raw bytes and
 *   left this value (`undefined` when nothing usable was left);
 * - `too_large`: more than `maxBodyBytes` arrived (reading stopped there);
 * - `timeout`: the body did not arrive within `readTimeoutMs`.
 */
export type WebhookBody =
  | { type: 'bytes'; bytes: Uint8Array }
  | { type: 'parsed'; value: unknown }
  | { type: 'too_large' }
  | { type: 'timeout' }

/** Limits an adapter applies while reading a body. */
export interface WebhookBodyLimits {
  /** Stop reading and report `too_large` past this many bytes. */
  maxBytes: number
  /** Stop reading and report `timeout` when the body has not ended after this many ms. */
  timeoutMs: number
}

/** A framework-free HTTP request, as an adapter hands it to {@link WebhookReceiver.handle}. */
export interface WebhookRequest {
  /** The HTTP method, e.g. `POST`. */
  method: string
  /** The request path without the query string, e.g. `/hooks/prefect`. */
  path: string
  /** Reads a header by lower-case name; repeated headers joined with `, `. */
  header(name: string): string | undefined
  /**
   * Reads the body within the limits. Called at most once, and only after the path and method
   * checks passed.
   */
  readBody(limits: WebhookBodyLimits): Promise<WebhookBody>
}

/**
 * What the receiver decided, in pipeline order:
 * `not_found` 404 → `method_not_allowed` 405 → `payload_too_large` 413 / `timeout` 408 →
 * `unauthorized` 401 → `malformed` 400 → `invalid` 422 → `in_progress` 409 / `duplicate` 200 →
 * `dispatched` 200, or `handler_failed` 500 (`unavailable` 503 when the idempotency store
 * cannot be reached).
 */
export type WebhookOutcome =
  | 'not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'timeout'
  | 'unauthorized'
  | 'malformed'
  | 'invalid'
  | 'in_progress'
  | 'duplicate'
  | 'dispatched'
  | 'handler_failed'
  | 'unavailable'

/** The answer to one request; adapters write it as is. */
export interface WebhookResponse {
  /** The HTTP status. */
  status: number
  /** Response headers (`content-type`, and `allow` / `retry-after` / `connection` when due). */
  headers: Record<string, string>
  /** A short JSON body, e.g. `{"status":"dispatched"}`; never echoes secrets or input. */
  body: string
  /** The decision, for logs and tests. */
  outcome: WebhookOutcome
  /** The parsed delivery, once parsing succeeded. */
  delivery?: WebhookDelivery
}
