import { FlowcastError } from './errors.js'

/** How retry delays grow. */
export interface BackoffPolicy {
  /**
   * Delay cap for attempt 0 (before jitter), in ms.
   * @default 500
   */
  initialDelayMs: number
  /**
   * Upper bound of any delay, in ms.
   * @default 30_000
   */
  maxDelayMs: number
  /**
   * Growth factor per attempt (≥ 1).
   * @default 2
   */
  multiplier: number
  /**
   * `'full'`: a uniformly random delay in `[0, cap)`; `'none'`: exactly the cap.
   * @default 'full'
   */
  jitter: 'full' | 'none'
}

/** The defaults of {@link BackoffPolicy}. */
export const backoffDefaults: Readonly<BackoffPolicy> = /* @__PURE__ */ Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
  jitter: 'full',
})

/**
 * The delay before retry `attempt` (0-based): exponential growth with a cap and, by default,
 * full jitter: `random() * min(maxDelayMs, initialDelayMs * multiplier ** attempt)`.
 * Pure: the same inputs (and random source) give the same output.
 *
 * @param attempt - 0 for the first retry; negative or non-integer values are floored at 0
 * @param policy - overrides of {@link backoffDefaults}
 * @param random - a source of numbers in `[0, 1)`
 * @default random Math.random
 * @throws FlowcastError `INVALID_OPTIONS` for negative or non-finite delays or a multiplier below 1
 * @example
 * ```ts
 * computeBackoffDelay(3, { jitter: 'none' }) // 4000
 * computeBackoffDelay(3, {}, () => 0.5) // 2000
 * ```
 */
export function computeBackoffDelay(
  attempt: number,
  policy: Partial<BackoffPolicy> = {},
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs, multiplier, jitter } = { ...backoffDefaults, ...policy }
  if (!(Number.isFinite(initialDelayMs) && initialDelayMs >= 0))
    invalid('initialDelayMs', initialDelayMs)
  if (!(Number.isFinite(maxDelayMs) && maxDelayMs >= 0)) invalid('maxDelayMs', maxDelayMs)
  if (!(Number.isFinite(multiplier) && multiplier >= 1)) invalid('multiplier', multiplier)
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0
  // `multiplier ** n` overflows to Infinity for large attempts; min() then picks the cap.
  const cap = initialDelayMs === 0 ? 0 : Math.min(maxDelayMs, initialDelayMs * multiplier ** n)
  if (jitter === 'none') return cap
  const r = random()
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0
  return unit * cap
}

function invalid(field: string, value: unknown): never {
  throw new FlowcastError(
    'INVALID_OPTIONS',
    `[@flowcast/core] invalid backoff policy: ${field} is ${String(value)}`,
  )
}
