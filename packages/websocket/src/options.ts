import {
  FlowcastError,
  backoffDefaults,
  type BackoffPolicy,
  type FlowcastProfile,
} from '@flowcast/core'
import { acceptsNumber, describeNumberRule, type NumberRule } from '@flowcast/core/internal'
import type { WebSocketConstructorLike } from './socket.js'

/** How a client reconnects after a dropped or failed connection. */
export interface ReconnectOptions {
  /**
   * Upper bound of the first retry delay (full jitter picks a delay between 0 and this).
   * @default 500
   */
  initialDelayMs?: number
  /**
   * Cap of the retry delay.
   * @default 30_000
   */
  maxDelayMs?: number
  /**
   * Growth factor of the delay per consecutive failure.
   * @default 2
   */
  multiplier?: number
  /**
   * `full` picks a random delay in `[0, delay]` (no thundering herd); `none` waits exactly.
   * @default 'full'
   */
  jitter?: 'full' | 'none'
  /**
   * Consecutive failed attempts after which the client gives up with `CONNECT_FAILED`.
   * The count resets once a connection proves healthy (`healthyAfterMs`). `Infinity` never gives up.
   * @default Infinity
   */
  maxAttempts?: number
  /**
   * Gives up with `CONNECT_FAILED` when no connection has succeeded for this long
   * (measured from the start, or from the last healthy connection's drop).
   * @default Infinity
   */
  maxDowntimeMs?: number
  /**
   * A connection counts as healthy once it stayed open this long after the handshake; only
   * then do the backoff and the limits above reset. A drop before that is a failed attempt,
   * so a server that accepts and drops at once cannot cause a reconnect storm.
   * @default 10_000
   */
  healthyAfterMs?: number
}

/** The defaults of {@link ReconnectOptions}. */
export const reconnectDefaults: Readonly<Required<ReconnectOptions>> =
  /* @__PURE__ */ Object.freeze({
    ...backoffDefaults,
    maxAttempts: Number.POSITIVE_INFINITY,
    maxDowntimeMs: Number.POSITIVE_INFINITY,
    healthyAfterMs: 10_000,
  })

/**
 * The reconnect values of the `'test'` profile: retries after exactly 10 ms growing to 200 ms,
 * and a connection counts as healthy after 500 ms.
 */
export const reconnectTestProfile = {
  ...reconnectDefaults,
  initialDelayMs: 10,
  maxDelayMs: 200,
  jitter: 'none',
  healthyAfterMs: 500,
} as const satisfies Required<ReconnectOptions>

/** @internal Resolved reconnect policy. */
export interface ResolvedReconnect {
  policy: BackoffPolicy
  maxAttempts: number
  maxDowntimeMs: number
  healthyAfterMs: number
}

/** Smallest frame limit accepted: frames of at least 2 MiB must pass (docs/protocol.md §1.5). */
export const minimumMaxPayloadBytes = 2 * 1024 * 1024

/** @internal Throws INVALID_OPTIONS with a message that says what to fix. */
export function invalidOption(message: string): FlowcastError {
  return new FlowcastError('INVALID_OPTIONS', `[@flowcast/websocket] invalid options: ${message}`)
}

/** @internal Throws INVALID_OPTIONS unless `value` is undefined or a number `rule` accepts. */
export function checkNumber(name: string, value: number | undefined, rule: NumberRule): void {
  if (value !== undefined && !acceptsNumber(value, rule)) {
    throw invalidOption(`${name} must be ${describeNumberRule(rule)}, got ${String(value)}`)
  }
}

/** @internal */
export function resolveReconnect(
  options: ReconnectOptions | undefined,
  profile: FlowcastProfile = 'default',
): ResolvedReconnect {
  const o = options ?? {}
  if (typeof o !== 'object') throw invalidOption('reconnect must be an object')
  if (profile === 'test') {
    const p = reconnectTestProfile
    return resolveReconnect({
      ...p,
      ...o,
      maxDelayMs: o.maxDelayMs ?? Math.max(p.maxDelayMs, o.initialDelayMs ?? p.initialDelayMs),
    })
  }
  checkNumber('reconnect.initialDelayMs', o.initialDelayMs, { min: 0 })
  checkNumber('reconnect.maxDelayMs', o.maxDelayMs, { min: 0 })
  checkNumber('reconnect.multiplier', o.multiplier, { min: 1 })
  checkNumber('reconnect.maxAttempts', o.maxAttempts, {
    min: 0,
    integer: true,
    allowInfinity: true,
  })
  checkNumber('reconnect.maxDowntimeMs', o.maxDowntimeMs, { min: 0, allowInfinity: true })
  checkNumber('reconnect.healthyAfterMs', o.healthyAfterMs, { min: 0 })
  if (o.jitter !== undefined && o.jitter !== 'full' && o.jitter !== 'none') {
    throw invalidOption(`reconnect.jitter must be 'full' or 'none', got ${String(o.jitter)}`)
  }
  const initialDelayMs = o.initialDelayMs ?? reconnectDefaults.initialDelayMs
  const maxDelayMs = o.maxDelayMs ?? Math.max(reconnectDefaults.maxDelayMs, initialDelayMs)
  if (maxDelayMs < initialDelayMs) {
    throw invalidOption(
      `reconnect.maxDelayMs (${maxDelayMs}) must not be below reconnect.initialDelayMs (${initialDelayMs})`,
    )
  }
  return {
    policy: {
      initialDelayMs,
      maxDelayMs,
      multiplier: o.multiplier ?? reconnectDefaults.multiplier,
      jitter: o.jitter ?? reconnectDefaults.jitter,
    },
    maxAttempts: o.maxAttempts ?? reconnectDefaults.maxAttempts,
    maxDowntimeMs: o.maxDowntimeMs ?? reconnectDefaults.maxDowntimeMs,
    healthyAfterMs: o.healthyAfterMs ?? reconnectDefaults.healthyAfterMs,
  }
}

/**
 * @internal Checks the numeric options both subscribers share (events and logs): look-back,
 * socket timers, frame-size limit and the dedupe window.
 */
export function checkStreamOptions(options: {
  lookbackMs?: number | undefined
  connectTimeoutMs?: number | undefined
  pingIntervalMs?: number | undefined
  stallTimeoutMs?: number | undefined
  maxPayloadBytes?: number | undefined
  dedupe?: { windowMs?: number | undefined; maxEntries?: number | undefined } | undefined
}): void {
  checkNumber('lookbackMs', options.lookbackMs, { min: 0 })
  checkNumber('connectTimeoutMs', options.connectTimeoutMs, { min: 1 })
  checkNumber('pingIntervalMs', options.pingIntervalMs, { min: 0 })
  checkNumber('stallTimeoutMs', options.stallTimeoutMs, { min: 1 })
  checkNumber('maxPayloadBytes', options.maxPayloadBytes, {
    min: minimumMaxPayloadBytes,
    integer: true,
  })
  checkNumber('dedupe.windowMs', options.dedupe?.windowMs, { min: 1 })
  checkNumber('dedupe.maxEntries', options.dedupe?.maxEntries, { min: 1, integer: true })
}

/** @internal Checks the credentials and API URL types common to every client. */
export function checkConnectionOptions(options: {
  apiUrl?: unknown
  apiKey?: unknown
  authString?: unknown
  headers?: unknown
}): void {
  if (options === null || typeof options !== 'object') {
    throw invalidOption('pass an options object with at least { apiUrl }')
  }
  if (typeof options.apiUrl !== 'string' || options.apiUrl.length === 0) {
    throw invalidOption(
      'apiUrl is required: a PREFECT_API_URL-style URL such as http://127.0.0.1:4200/api or https://api.prefect.cloud/api/accounts/{a}/workspaces/{w}',
    )
  }
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || !options.apiKey)) {
    throw invalidOption('apiKey must be a non-empty string when given')
  }
  if (
    options.authString !== undefined &&
    (typeof options.authString !== 'string' || !options.authString)
  ) {
    throw invalidOption('authString must be a non-empty string (user:pass) when given')
  }
  if (options.headers !== undefined) {
    const headers = options.headers
    if (
      headers === null ||
      typeof headers !== 'object' ||
      Object.values(headers).some((value) => typeof value !== 'string')
    ) {
      throw invalidOption('headers must be an object of string values')
    }
  }
}

/** Upgrade-request headers a caller may not override. */
const protectedHeaders = new Set([
  'connection',
  'upgrade',
  'host',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
])

/** @internal Extra headers minus the protected ones, lower-cased names. */
export function cleanHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!protectedHeaders.has(name.toLowerCase())) out[name] = value
  }
  return out
}

/** @internal The WebSocket constructor to use, or a clear error. */
export function resolveWebSocket(
  given: WebSocketConstructorLike | undefined,
  fallback: WebSocketConstructorLike | undefined,
): WebSocketConstructorLike {
  if (given !== undefined) {
    if (typeof given !== 'function') {
      throw invalidOption(
        'WebSocket must be a WebSocket constructor (e.g. `ws` or globalThis.WebSocket)',
      )
    }
    return given
  }
  if (fallback) return fallback
  throw invalidOption(
    'no WebSocket implementation found: this runtime has no global WebSocket; pass options.WebSocket (e.g. `import WebSocket from "ws"`) or import @flowcast/websocket under Node',
  )
}
