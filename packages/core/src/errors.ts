/** All {@link FlowcastErrorCode} values, in declaration order. */
export const FLOWCAST_ERROR_CODES = /* @__PURE__ */ Object.freeze([
  'AUTH_REJECTED',
  'CONNECT_FAILED',
  'PROTOCOL',
  'TIMEOUT',
  'ABORTED',
  'NOT_FOUND',
  'HTTP',
  'RATE_LIMITED',
  'INVALID_EVENT',
  'INVALID_FILTER',
  'INVALID_DATETIME',
  'INVALID_OPTIONS',
  'INVALID_PARAMETERS',
  'OUTBOX_FULL',
  'TRANSPORT_FAILED',
  'CLOSED',
  'WEBHOOK_UNAUTHORIZED',
  'REPLAY_GAP',
] as const)

/**
 * Every error code a flowcast package can raise. Codes are stable API: branch on `code`,
 * never on message text.
 */
export type FlowcastErrorCode = (typeof FLOWCAST_ERROR_CODES)[number]

/** Options of the {@link FlowcastError} constructor. */
export interface FlowcastErrorOptions {
  /** The underlying error, kept as the standard `Error.cause`. */
  cause?: unknown
  /** The HTTP status or WebSocket close code, when one is involved. */
  status?: number
  /** Structured, secret-free facts about the failure (e.g. validation issues). */
  details?: Record<string, unknown>
}

// A registry-wide brand so that `isFlowcastError` also recognises errors created by another
// copy of this package (e.g. a bundled CLI next to an application's own install).
const brand = Symbol.for('@flowcast/core/FlowcastError')

/**
 * The one error class of flowcast. Messages have the shape
 * `[@flowcast/<package>] <what happened>: <cause>` and never contain secrets.
 *
 * @example
 * ```ts
 * try {
 *   parseEvent(input)
 * } catch (error) {
 *   if (isFlowcastError(error, 'INVALID_EVENT')) console.error(error.details?.issues)
 * }
 * ```
 */
export class FlowcastError extends Error {
  /** Always `'FlowcastError'`. */
  override readonly name = 'FlowcastError'
  /** What kind of failure this is. */
  readonly code: FlowcastErrorCode
  /** The HTTP status or WebSocket close code, when relevant. */
  declare readonly status?: number
  /** Structured, secret-free facts about the failure. */
  declare readonly details?: Readonly<Record<string, unknown>>

  /**
   * @param code - what kind of failure this is
   * @param message - `[@flowcast/<package>] <what happened>: <cause>`
   * @param options - `cause`, `status` and `details`
   */
  constructor(code: FlowcastErrorCode, message: string, options: FlowcastErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    if (options.status !== undefined) this.status = options.status
    if (options.details !== undefined) this.details = Object.freeze({ ...options.details })
    Object.defineProperty(this, brand, { value: true })
  }

  /**
   * Normalises anything thrown into a `FlowcastError`:
   * a `FlowcastError` passes through unchanged; an `AbortError` (e.g. an aborted signal's
   * default reason) becomes `ABORTED`; a `TimeoutError` (e.g. from `AbortSignal.timeout`)
   * becomes `TIMEOUT`; anything else becomes `fallbackCode` with the original as `cause`.
   *
   * @param error - the thrown value
   * @param fallbackCode - the code for errors that are not recognised
   * @default fallbackCode 'TRANSPORT_FAILED'
   * @param message - the message to use instead of one derived from `error`
   * @example
   * ```ts
   * catch (error) { throw FlowcastError.from(error, 'CONNECT_FAILED', '[@flowcast/websocket] connect failed') }
   * ```
   */
  static from(
    error: unknown,
    fallbackCode: FlowcastErrorCode = 'TRANSPORT_FAILED',
    message?: string,
  ): FlowcastError {
    if (isFlowcastError(error)) return error
    const name = errorName(error)
    const code: FlowcastErrorCode =
      name === 'AbortError' ? 'ABORTED' : name === 'TimeoutError' ? 'TIMEOUT' : fallbackCode
    const text =
      message ??
      `[@flowcast/core] ${defaultWhat[code] ?? 'operation failed'}: ${describeError(error)}`
    return new FlowcastError(code, text, { cause: error })
  }
}

const defaultWhat: Partial<Record<FlowcastErrorCode, string>> = {
  ABORTED: 'operation aborted',
  TIMEOUT: 'operation timed out',
}

function errorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  try {
    const name = (error as { name?: unknown }).name
    return typeof name === 'string' ? name : undefined
  } catch {
    return undefined
  }
}

/**
 * A short, single-line description of any thrown value, for error messages.
 *
 * @example
 * ```ts
 * describeError(new TypeError('fetch failed')) // 'TypeError: fetch failed'
 * ```
 */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error) {
      return error.message ? `${error.name}: ${error.message}` : error.name
    }
    if (typeof error === 'string') return error
    if (error === undefined) return 'unknown error'
    const json = JSON.stringify(error)
    return json === undefined ? String(error) : json
  } catch {
    return 'unknown error'
  }
}

/**
 * Whether `value` is a {@link FlowcastError}, optionally with a given `code`.
 *
 * @example
 * ```ts
 * if (isFlowcastError(error, 'AUTH_REJECTED')) process.exitCode = 30
 * ```
 */
export function isFlowcastError(value: unknown, code?: FlowcastErrorCode): value is FlowcastError {
  if (typeof value !== 'object' || value === null) return false
  const branded =
    value instanceof FlowcastError || (value as Record<symbol, unknown>)[brand] === true
  return branded && (code === undefined || (value as FlowcastError).code === code)
}
