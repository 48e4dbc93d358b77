import { FlowcastError } from '../errors.js'

/** What a numeric option must be; see {@link checkNumberOption}. */
export interface NumberRule {
  /** Smallest value accepted. */
  min: number
  /**
   * Whether `min` itself is refused (a positive number: `{ min: 0, exclusive: true }`).
   * @default false
   */
  exclusive?: boolean
  /** Largest value accepted. */
  max?: number
  /**
   * Whether only integers are accepted.
   * @default false
   */
  integer?: boolean
  /**
   * Whether `Infinity` is accepted (for "no limit").
   * @default false
   */
  allowInfinity?: boolean
}

/** Says what `rule` accepts, for messages: "a number at least 0", "an integer between 1 and 5". */
export function describeNumberRule(rule: NumberRule): string {
  const kind = rule.integer === true ? 'an integer' : 'a number'
  const range =
    rule.max !== undefined
      ? `between ${rule.min} and ${rule.max}`
      : `${rule.exclusive === true ? 'greater than' : 'at least'} ${rule.min}`
  return `${kind} ${range}${rule.allowInfinity === true ? ' (or Infinity)' : ''}`
}

/** Whether `value` is a number `rule` accepts. */
export function acceptsNumber(value: unknown, rule: NumberRule): value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) return false
  if (rule.exclusive === true ? value <= rule.min : value < rule.min) return false
  if (rule.max !== undefined && value > rule.max) return false
  if (!Number.isFinite(value)) return rule.allowInfinity === true
  return rule.integer !== true || Number.isInteger(value)
}

/**
 * Checks one numeric option: `undefined` gives `fallback`, a value `rule` accepts is returned,
 * anything else throws `INVALID_OPTIONS` with "`prefix`: `name` must be … , got …".
 *
 * @param prefix - who is complaining, e.g. `[@flowcast/polling] invalid client options`
 * @throws FlowcastError `INVALID_OPTIONS`
 */
export function numberOption(
  prefix: string,
  name: string,
  value: number | undefined,
  fallback: number,
  rule: NumberRule,
): number {
  if (value === undefined) return fallback
  if (!acceptsNumber(value, rule)) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      `${prefix}: ${name} must be ${describeNumberRule(rule)}, got ${String(value)}`,
    )
  }
  return value
}

/** {@link numberOption} for a number >= 0; `Infinity` is accepted (no limit, never). */
export function nonNegativeOr(
  prefix: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  return numberOption(prefix, name, value, fallback, { min: 0, allowInfinity: true })
}

/** {@link numberOption} for a finite number > 0 (0 is refused). */
export function positiveOr(
  prefix: string,
  name: string,
  value: number | undefined,
  fallback: number,
): number {
  return numberOption(prefix, name, value, fallback, { min: 0, exclusive: true })
}

/** {@link numberOption} for a number >= `min`; `Infinity` is accepted. */
export function atLeastOr(
  prefix: string,
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
): number {
  return numberOption(prefix, name, value, fallback, { min, allowInfinity: true })
}
