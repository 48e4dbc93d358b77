import {
  FlowcastError,
  computeBackoffDelay,
  describeError,
  redactSecrets,
  sleep,
  type BackoffPolicy,
  type Clock,
  type FlowcastErrorCode,
  type Logger,
  type PrefectCredentials,
} from '@flowcast/core'
import type { HttpInstruments } from '@flowcast/core/internal'

/** Options every request accepts. */
export interface RequestOptions {
  /** Aborting it ends the call with `FlowcastError('ABORTED')`; an abort is never retried. */
  signal?: AbortSignal
  /**
   * Time limit of each attempt (connect, headers and body), in ms; overrides the client's.
   * @default the client's `timeoutMs`
   */
  timeoutMs?: number
}

/**
 * When a failed request may be sent again. The mode is about the request's effect, not its
 * method: sending an `idempotent` request twice leaves the server as sending it once.
 */
export type RetryMode =
  /**
   * Requests that may run twice: network errors, timeouts, 408, 429 and 5xx (500, 502, 503,
   * 504) are retried. The client uses it for GET, PUT and DELETE, for read-only POSTs (the
   * `/filter`, `/count`, `/paginate` and `/history` queries, logs included), for creating a
   * run from a deployment (it always sends an `idempotency_key`) and for emitting events
   * (the server keeps one event per `id`).
   */
  | 'idempotent'
  /** Requests that must not run twice: only 429 (refused before any processing). */
  | 'rate-limit-only'

/** Statuses retried for `idempotent` requests. */
export const retryableStatuses: readonly number[] = /* @__PURE__ */ Object.freeze([
  408, 429, 500, 502, 503, 504,
])

/** @internal The transport settings of one client. */
export interface HttpSettings {
  fetch: typeof globalThis.fetch
  clock: Clock
  logger: Logger
  random: () => number
  credentials: PrefectCredentials
  authorization: string | undefined
  headers: Record<string, string>
  timeoutMs: number
  retries: number
  retryBackoff: Partial<BackoffPolicy>
  maxRetryDelayMs: number
  /** Metrics and spans of each attempt; only when instrumentation was given. */
  instruments?: HttpInstruments | undefined
}

/** @internal One request. */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  url: string
  /** Already serialised JSON. */
  body?: string
  retry: RetryMode
  /** Whether to send the `Authorization` header. */
  authorize: boolean
  /** Headers of this call only (typed header params); the client's headers come first. */
  headers?: Record<string, string>
  /** The path template (`/flow_runs/{id}`), for span names and `url.template`. */
  route?: string
}

const statusTexts: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Content Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/**
 * The URL as shown in messages: no user info, no secrets.
 * @internal
 */
export function displayUrl(url: string, credentials: PrefectCredentials): string {
  let shown = url
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    shown = parsed.toString()
  } catch {
    // Not a URL: shown as given (redacted below).
  }
  return redactSecrets(shown, credentials)
}

function codeForStatus(status: number): FlowcastErrorCode {
  if (status === 401 || status === 403) return 'AUTH_REJECTED'
  if (status === 404) return 'NOT_FOUND'
  if (status === 429) return 'RATE_LIMITED'
  return 'HTTP'
}

/** The server's explanation from an error body: FastAPI `detail` or Prefect `exception_message`. */
function errorDetail(text: string): string | undefined {
  if (!text) return undefined
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return text.length > 300 ? `${text.slice(0, 300)}…` : text
  }
  if (typeof body !== 'object' || body === null) return typeof body === 'string' ? body : undefined
  const record = body as Record<string, unknown>
  const detail = record['detail'] ?? record['exception_message']
  if (typeof detail === 'string') return detail
  if (Array.isArray(detail)) {
    const parts = detail.slice(0, 5).map((item) => {
      if (typeof item !== 'object' || item === null) return String(item)
      const { loc, msg } = item as { loc?: unknown; msg?: unknown }
      const where = Array.isArray(loc) ? loc.join('.') : undefined
      return where ? `${where}: ${String(msg)}` : String(msg)
    })
    return parts.join('; ')
  }
  return detail === undefined ? undefined : JSON.stringify(detail)
}

/** Milliseconds from a `Retry-After` header (seconds or an HTTP date), or undefined. */
function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function abortedError(signal: AbortSignal | undefined, shownUrl: string, method: string) {
  return new FlowcastError('ABORTED', `[@flowcast/polling] [${method}] "${shownUrl}": aborted`, {
    cause: signal?.reason,
  })
}

/** What a failed `fetch` was at the system level: the code, where, and what to check. */
export interface NetworkFailure {
  /** The system error code (`ECONNREFUSED`, `ENOTFOUND`, …) or `BAD_PORT`. */
  code: string
  /** The code with the address and port it concerns. */
  what: string
  /** What to check. */
  hint: string
}

let readNetworkFailure: (error: unknown) => NetworkFailure | undefined = () => undefined

/**
 * @internal Sets how a failed `fetch` is explained. The Node entry registers the reader of
 * undici's system errors when it loads (and so is listed under `sideEffects`); browsers give
 * no such detail, so their bundles leave it out.
 */
export function setNetworkFailureReader(
  read: (error: unknown) => NetworkFailure | undefined,
): void {
  readNetworkFailure = read
}

class TimeoutReason extends Error {
  override name = 'TimeoutError'
}

interface AttemptFailure {
  error: FlowcastError
  retryable: boolean
  retryAfterMs?: number
}

/**
 * Sends one call with per-attempt timeouts and retries; resolves to the response text
 * (`''` for empty bodies) of a 2xx response.
 * @internal
 */
export async function sendRequest(
  settings: HttpSettings,
  call: HttpCall,
  options: RequestOptions = {},
): Promise<{ status: number; text: string }> {
  const { signal } = options
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs
  const shownUrl = displayUrl(call.url, settings.credentials)
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...settings.headers,
    ...call.headers,
  }
  if (call.body !== undefined) headers['content-type'] = 'application/json'
  if (call.authorize && settings.authorization) headers['authorization'] = settings.authorization
  const { instruments } = settings

  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw abortedError(signal, shownUrl, call.method)
    const trace = instruments?.start(call.method, call.route, shownUrl, headers, attempt)
    let result: Awaited<ReturnType<typeof attemptOnce>>
    try {
      result = await attemptOnce(settings, call, headers, shownUrl, signal, timeoutMs, attempt)
    } catch (thrown) {
      if (trace) instruments?.end(trace, undefined, FlowcastError.from(thrown))
      throw thrown
    }
    if (trace) {
      if ('text' in result) instruments?.end(trace, result.status, undefined)
      else instruments?.end(trace, result.error.status, result.error)
    }
    if ('text' in result) return result
    const { error, retryable, retryAfterMs } = result
    if (!retryable || attempt >= settings.retries) throw error
    instruments?.retry(call.method, error)
    const delay = Math.min(
      retryAfterMs ?? computeBackoffDelay(attempt, settings.retryBackoff, settings.random),
      settings.maxRetryDelayMs,
    )
    settings.logger.debug('retrying Prefect API request', {
      method: call.method,
      url: shownUrl,
      attempt: attempt + 1,
      code: error.code,
      status: error.status,
      delayMs: delay,
    })
    try {
      await sleep(delay, { clock: settings.clock, signal })
    } catch {
      throw abortedError(signal, shownUrl, call.method)
    }
  }
}

async function attemptOnce(
  settings: HttpSettings,
  call: HttpCall,
  headers: Record<string, string>,
  shownUrl: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  attempt: number,
): Promise<{ status: number; text: string } | AttemptFailure> {
  const timeout = new AbortController()
  const timer = settings.clock.setTimeout(
    () => timeout.abort(new TimeoutReason(`timed out after ${timeoutMs} ms`)),
    timeoutMs,
  )
  const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal
  const prefix = `[@flowcast/polling] [${call.method}] "${shownUrl}"`
  const details = { method: call.method, url: shownUrl, attempts: attempt + 1 }
  let response: Response
  let text: string
  try {
    response = await settings.fetch(call.url, {
      method: call.method,
      headers,
      body: call.body,
      signal: combined,
    })
    text = await response.text()
  } catch (cause) {
    if (signal?.aborted) throw abortedError(signal, shownUrl, call.method)
    if (timeout.signal.aborted) {
      return {
        retryable: call.retry === 'idempotent',
        error: new FlowcastError('TIMEOUT', `${prefix}: timed out after ${timeoutMs} ms`, {
          cause,
          details,
        }),
      }
    }
    const network = readNetworkFailure(cause)
    const why = redactSecrets(
      network ? `${network.what}: ${network.hint}` : describeError(cause),
      settings.credentials,
    )
    return {
      retryable: call.retry === 'idempotent',
      error: new FlowcastError('CONNECT_FAILED', `${prefix}: ${why}`, {
        cause,
        details: { ...details, ...(network ? { networkCode: network.code } : {}) },
      }),
    }
  } finally {
    settings.clock.clearTimeout(timer)
  }
  if (response.ok) return { status: response.status, text }

  const status = response.status
  const statusText = response.statusText || statusTexts[status] || ''
  const detail = errorDetail(text)
  const shownDetail = detail ? redactSecrets(detail, settings.credentials) : undefined
  const retryAfterMs =
    status === 429 || status === 503
      ? parseRetryAfter(response.headers.get('retry-after'), settings.clock.now())
      : undefined
  const message = `${prefix}: ${status}${statusText ? ` ${statusText}` : ''}${shownDetail ? `: ${shownDetail}` : ''}`
  const error = new FlowcastError(codeForStatus(status), message, {
    status,
    details: {
      ...details,
      status,
      ...(shownDetail === undefined ? {} : { detail: shownDetail }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  })
  const retryable =
    status === 429 || (call.retry === 'idempotent' && retryableStatuses.includes(status))
  return { error, retryable, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }
}
