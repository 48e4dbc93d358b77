import { FlowcastError } from './errors.js'

// docs/protocol.md §4.3: `YYYY-MM-DD`, `T` (or `t`/space, as RFC 3339 allows), `HH:MM:SS`, no fraction or
// 1–6 fractional digits, then `Z` (or `z`) or `±HH:MM`. Naive datetimes (no offset) are
// rejected. Read with character codes rather than a regex: every received event carries two
// datetimes, and this runs on each of them.

const MICROS_PER_SECOND = 1_000_000n
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND

// Days since 1970-01-01 for a proleptic Gregorian date in years 1–9999, where every
// intermediate value is a small non-negative integer, so plain numbers are exact.
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

// Python's datetime range (years 1–9999), which the server can represent, in whole seconds:
// an instant is representable when its epoch second is in [MIN_SECONDS, END_SECONDS).
const MIN_SECONDS = daysFromCivil(1, 1, 1) * 86_400
const END_SECONDS = (daysFromCivil(9999, 12, 31) + 1) * 86_400
const MIN_MICROS = BigInt(MIN_SECONDS) * MICROS_PER_SECOND
const MAX_MICROS = BigInt(END_SECONDS) * MICROS_PER_SECOND - 1n
// Below this many seconds (about year 2255) `seconds * 1e6 + micros` is a safe integer.
const SAFE_SECONDS = 9_000_000_000

// The civil date of a day count since 1970-01-01. Every day of years 1–9999 is a number of
// about 3.7 million at most, so each step is exact in doubles.
function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468
  const era = Math.trunc((z >= 0 ? z : z - 146_096) / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.trunc(
    (doe - Math.trunc(doe / 1460) + Math.trunc(doe / 36_524) - Math.trunc(doe / 146_096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.trunc(yoe / 4) - Math.trunc(yoe / 100))
  const mp = Math.trunc((5 * doy + 2) / 153)
  const day = doy - Math.trunc((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day]
}

const MICROS_PER_DAY_NUMBER = 86_400_000_000
const MAX_SAFE_MICROS = BigInt(Number.MAX_SAFE_INTEGER)

// `PrefectDateTime#format` for |micros| ≤ 2^53 - 1: the same text, without bigint steps.
function formatSafeMicros(micros: number, zone: string): string {
  let days = Math.floor(micros / MICROS_PER_DAY_NUMBER)
  let inDay = micros - days * MICROS_PER_DAY_NUMBER
  // The division is rounded; the integer remainder is exact and corrects it.
  if (inDay < 0) {
    days--
    inDay += MICROS_PER_DAY_NUMBER
  } else if (inDay >= MICROS_PER_DAY_NUMBER) {
    days++
    inDay -= MICROS_PER_DAY_NUMBER
  }
  return formatDay(days, inDay, zone)
}

// The server's text for a day since the epoch and the microseconds into it (both exact).
function formatDay(days: number, inDay: number, zone: string): string {
  const [year, month, day] = civilFromDays(days)
  const fraction = inDay % 1_000_000
  const secs = (inDay - fraction) / 1_000_000
  const time = `${pad(Math.trunc(secs / 3600), 2)}:${pad(Math.trunc(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}`
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}${fraction === 0 ? '' : `.${pad(fraction, 6)}`}${zone}`
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

const pad = (value: number | bigint, width: number) => String(value).padStart(width, '0')

function invalidDatetime(what: string): FlowcastError {
  return new FlowcastError('INVALID_DATETIME', `[@flowcast/core] invalid datetime: ${what}`)
}

function secondsToMicros(seconds: number): bigint {
  if (!Number.isFinite(seconds))
    throw invalidDatetime(`${seconds} is not a finite number of seconds`)
  const whole = Math.trunc(seconds)
  return BigInt(whole) * MICROS_PER_SECOND + BigInt(Math.round((seconds - whole) * 1_000_000))
}

interface DateTimeParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  /** The fraction in microseconds (`.5` → 500000). */
  micros: number
  offsetSeconds: number
}

// The value of the ASCII digit at `index`, or -1 (also past the end, where the code is NaN).
function digitAt(text: string, index: number): number {
  const code = text.charCodeAt(index)
  return code >= 48 && code <= 57 ? code - 48 : -1
}

// The two-digit number at `index`, or -1.
function twoDigitsAt(text: string, index: number): number {
  const tens = digitAt(text, index)
  const ones = digitAt(text, index + 1)
  return tens < 0 || ones < 0 ? -1 : tens * 10 + ones
}

// Where the offset starts when `text` has the datetime grammar above, or -1.
function offsetStart(text: string): number {
  if (twoDigitsAt(text, 0) < 0 || twoDigitsAt(text, 2) < 0) return -1
  if (text.charCodeAt(4) !== 45 || twoDigitsAt(text, 5) < 0) return -1 // -
  if (text.charCodeAt(7) !== 45 || twoDigitsAt(text, 8) < 0) return -1
  const separator = text.charCodeAt(10)
  if (separator !== 84 && separator !== 116 && separator !== 32) return -1 // T t space
  if (twoDigitsAt(text, 11) < 0 || text.charCodeAt(13) !== 58) return -1 // :
  if (twoDigitsAt(text, 14) < 0 || text.charCodeAt(16) !== 58) return -1
  if (twoDigitsAt(text, 17) < 0) return -1
  let index = 19
  if (text.charCodeAt(index) === 46) {
    // .
    let digits = 0
    while (digitAt(text, index + 1 + digits) >= 0) digits++
    if (digits < 1 || digits > 6) return -1
    index += 1 + digits
  }
  const zone = text.charCodeAt(index)
  if (zone === 90 || zone === 122) return index + 1 === text.length ? index : -1 // Z z
  if (zone !== 43 && zone !== 45) return -1 // + -
  if (twoDigitsAt(text, index + 1) < 0 || text.charCodeAt(index + 3) !== 58) return -1
  if (twoDigitsAt(text, index + 4) < 0 || index + 6 !== text.length) return -1
  return index
}

// The fields of a datetime string, or why it is not one.
function readParts(text: unknown): DateTimeParts | string {
  if (typeof text !== 'string') return `expected a string, got ${typeof text}`
  const zone = offsetStart(text)
  if (zone < 0) {
    return `${JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)} is not an ISO 8601 datetime with a timezone (e.g. 2026-08-20T14:03:09.517204Z)`
  }
  const year = twoDigitsAt(text, 0) * 100 + twoDigitsAt(text, 2)
  const month = twoDigitsAt(text, 5)
  const day = twoDigitsAt(text, 8)
  const hour = twoDigitsAt(text, 11)
  const minute = twoDigitsAt(text, 14)
  const second = twoDigitsAt(text, 17)
  if (year < 1) return `year ${text.slice(0, 4)} is out of range`
  if (month < 1 || month > 12) return `month ${text.slice(5, 7)} is out of range`
  if (day < 1 || day > daysInMonth(year, month)) return `day ${text.slice(8, 10)} is out of range`
  if (hour > 23) return `hour ${text.slice(11, 13)} is out of range`
  if (minute > 59) return `minute ${text.slice(14, 16)} is out of range`
  if (second > 59) return `second ${text.slice(17, 19)} is out of range`
  let micros = 0
  let scale = 100_000
  for (let index = 20; index < zone; index++) {
    micros += digitAt(text, index) * scale
    scale /= 10
  }
  let offsetSeconds = 0
  const sign = text.charCodeAt(zone)
  if (sign === 43 || sign === 45) {
    const oh = twoDigitsAt(text, zone + 1)
    const om = twoDigitsAt(text, zone + 4)
    if (oh > 23 || om > 59) return `offset ${text.slice(zone)} is out of range`
    offsetSeconds = (sign === 45 ? -1 : 1) * (oh * 3600 + om * 60)
  }
  return { year, month, day, hour, minute, second, micros, offsetSeconds }
}

// Whole seconds since the epoch (exact: at most about 2.6e11 in magnitude).
function partsToSeconds(parts: DateTimeParts): number {
  const { year, month, day, hour, minute, second, offsetSeconds } = parts
  return (
    daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
  )
}

function toMicros(seconds: number, micros: number): bigint {
  return seconds > -SAFE_SECONDS && seconds < SAFE_SECONDS
    ? BigInt(seconds * 1_000_000 + micros)
    : BigInt(seconds) * MICROS_PER_SECOND + BigInt(micros)
}

const inRange = (seconds: number) => seconds >= MIN_SECONDS && seconds < END_SECONDS

/** Options of {@link PrefectDateTime.plusSeconds} and {@link PrefectDateTime.minusSeconds}. */
export interface DateTimeArithmeticOptions {
  /**
   * Clamp a result outside years 1–9999 to the first or last representable microsecond
   * instead of throwing (for cursors computed from untrusted input).
   * @default false
   */
  clamp?: boolean
}

/**
 * An instant with Prefect's full microsecond precision (a JS `Date` keeps only
 * milliseconds, which breaks resume cursors). Immutable; all arithmetic is exact.
 *
 * @example
 * ```ts
 * const t = PrefectDateTime.parse('2026-08-20T14:03:11.482913+00:00')
 * t.toString() // '2026-08-20T14:03:11.482913Z'
 * t.minusSeconds(60).toString() // '2026-08-20T14:02:11.482913Z'
 * ```
 */
export class PrefectDateTime {
  /** Microseconds since 1970-01-01T00:00:00Z. */
  readonly epochMicros: bigint

  private constructor(epochMicros: bigint) {
    this.epochMicros = epochMicros
  }

  /**
   * Parses every form the server and its clients write (docs/protocol.md §4.3): `Z` or `±HH:MM`, no
   * fraction or 1–6 fractional digits.
   * @throws FlowcastError `INVALID_DATETIME` naming the problem
   */
  static parse(text: string): PrefectDateTime {
    const parts = readParts(text)
    if (typeof parts === 'string') throw invalidDatetime(parts)
    const seconds = partsToSeconds(parts)
    const micros = toMicros(seconds, parts.micros)
    // Out of range only through the offset in years 1 and 9999; fromEpochMicros says so.
    return inRange(seconds) ? new PrefectDateTime(micros) : PrefectDateTime.fromEpochMicros(micros)
  }

  /** Like {@link PrefectDateTime.parse}, but returns `undefined` instead of throwing. */
  static tryParse(text: string): PrefectDateTime | undefined {
    const parts = readParts(text)
    if (typeof parts === 'string') return undefined
    const seconds = partsToSeconds(parts)
    return inRange(seconds) ? new PrefectDateTime(toMicros(seconds, parts.micros)) : undefined
  }

  /**
   * @throws FlowcastError `INVALID_DATETIME` outside years 1–9999 (what the server can hold)
   */
  static fromEpochMicros(micros: bigint): PrefectDateTime {
    if (typeof micros !== 'bigint') throw invalidDatetime(`expected a bigint, got ${typeof micros}`)
    if (micros < MIN_MICROS || micros > MAX_MICROS) {
      throw invalidDatetime(`${micros} µs is outside years 1–9999`)
    }
    return new PrefectDateTime(micros)
  }

  /** From epoch milliseconds; a fractional part is kept to the microsecond. */
  static fromEpochMillis(ms: number): PrefectDateTime {
    if (!Number.isFinite(ms)) throw invalidDatetime(`${ms} is not a finite number of milliseconds`)
    // Clock readings are whole milliseconds: one bigint instead of four.
    if (Number.isSafeInteger(ms * 1000) && Number.isInteger(ms)) {
      return PrefectDateTime.fromEpochMicros(BigInt(ms * 1000))
    }
    const whole = Math.floor(ms)
    return PrefectDateTime.fromEpochMicros(
      BigInt(whole) * 1000n + BigInt(Math.round((ms - whole) * 1000)),
    )
  }

  /** From a `Date` (millisecond precision). */
  static fromDate(date: Date): PrefectDateTime {
    return PrefectDateTime.fromEpochMillis(date.getTime())
  }

  /** Epoch milliseconds, rounded down (sub-millisecond digits are dropped). */
  toEpochMillis(): number {
    return Number(floorDiv(this.epochMicros, 1000n))
  }

  /** A `Date` (millisecond precision). */
  toDate(): Date {
    return new Date(this.toEpochMillis())
  }

  /** The server's form: `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, fraction omitted when zero. */
  toString(): string {
    return this.format('Z')
  }

  /**
   * Python's `datetime.isoformat()` of the UTC value: like {@link PrefectDateTime.toString}
   * but ending in `+00:00`, as in the `prefect.state-timestamp` label.
   */
  toIsoformat(): string {
    return this.format('+00:00')
  }

  /** Same as {@link PrefectDateTime.toString}, so `JSON.stringify` writes the server form. */
  toJSON(): string {
    return this.toString()
  }

  /** -1, 0 or 1 as this instant is before, equal to or after `other`. */
  compare(other: PrefectDateTime): -1 | 0 | 1 {
    return this.epochMicros < other.epochMicros ? -1 : this.epochMicros > other.epochMicros ? 1 : 0
  }

  /** Whether this instant is strictly before `other`. */
  isBefore(other: PrefectDateTime): boolean {
    return this.epochMicros < other.epochMicros
  }

  /** Whether this instant is strictly after `other`. */
  isAfter(other: PrefectDateTime): boolean {
    return this.epochMicros > other.epochMicros
  }

  /** Whether both are the same instant (whatever offset they were written with). */
  equals(other: PrefectDateTime): boolean {
    return this.epochMicros === other.epochMicros
  }

  /**
   * This instant plus `seconds` (fractional seconds are rounded to the microsecond).
   * @throws FlowcastError `INVALID_DATETIME` past year 9999, unless `options.clamp` is set
   */
  plusSeconds(seconds: number, options: DateTimeArithmeticOptions = {}): PrefectDateTime {
    return fromMicros(this.epochMicros + secondsToMicros(seconds), options.clamp === true)
  }

  /**
   * This instant minus `seconds` (fractional seconds are rounded to the microsecond).
   * @throws FlowcastError `INVALID_DATETIME` before year 1, unless `options.clamp` is set
   * @example
   * ```ts
   * // A resume cursor near the start of year 1 stays representable instead of throwing.
   * PrefectDateTime.parse('0001-01-01T00:00:30Z').minusSeconds(60, { clamp: true }).toString()
   * // '0001-01-01T00:00:00Z'
   * ```
   */
  minusSeconds(seconds: number, options: DateTimeArithmeticOptions = {}): PrefectDateTime {
    return fromMicros(this.epochMicros - secondsToMicros(seconds), options.clamp === true)
  }

  /** Seconds from `other` to this instant (negative when `other` is later). */
  secondsSince(other: PrefectDateTime): number {
    return Number(this.epochMicros - other.epochMicros) / 1_000_000
  }

  private format(zone: string): string {
    // Years 1685–2255: the microseconds since the epoch fit a double exactly.
    if (this.epochMicros >= -MAX_SAFE_MICROS && this.epochMicros <= MAX_SAFE_MICROS) {
      return formatSafeMicros(Number(this.epochMicros), zone)
    }
    // Elsewhere, one bigint division; the day and the microseconds into it are exact numbers.
    const days = floorDiv(this.epochMicros, MICROS_PER_DAY)
    return formatDay(Number(days), Number(this.epochMicros - days * MICROS_PER_DAY), zone)
  }
}

function fromMicros(micros: bigint, clamp: boolean): PrefectDateTime {
  if (clamp) {
    if (micros < MIN_MICROS) micros = MIN_MICROS
    else if (micros > MAX_MICROS) micros = MAX_MICROS
  }
  return PrefectDateTime.fromEpochMicros(micros)
}

/**
 * Epoch milliseconds in the server's datetime form.
 *
 * @example
 * ```ts
 * formatPrefectDateTime(Date.UTC(2024, 0, 2, 3, 4, 5)) // '2024-01-02T03:04:05Z'
 * ```
 */
export function formatPrefectDateTime(ms: number): string {
  // An emitter stamps a burst of events within one millisecond: each is formatted once, and
  // whole milliseconds of years 1685–2255 without a bigint.
  if (ms === lastFormattedMs) return lastFormatted
  const micros = ms * 1000
  const text =
    Number.isInteger(ms) && micros >= -Number.MAX_SAFE_INTEGER && micros <= Number.MAX_SAFE_INTEGER
      ? formatSafeMicros(micros, 'Z')
      : PrefectDateTime.fromEpochMillis(ms).toString()
  lastFormattedMs = ms
  lastFormatted = text
  return text
}

let lastFormattedMs = Number.NaN
let lastFormatted = ''

/**
 * Compares two datetime strings as instants, to the microsecond, whatever their offsets.
 * @throws FlowcastError `INVALID_DATETIME` if either does not parse
 * @example
 * ```ts
 * compareDateTimes('2026-08-20T14:03:09.517204Z', '2026-08-20T16:03:09.517204+02:00') // 0
 * ```
 */
export function compareDateTimes(a: string, b: string): -1 | 0 | 1 {
  return PrefectDateTime.parse(a).compare(PrefectDateTime.parse(b))
}

/**
 * @internal The instant `text` names, in microseconds since the epoch as a plain number, when
 * {@link PrefectDateTime.parse} accepts it and the count is exact in a double (years
 * 1685–2255, where `|micros| < 2^53`); `NaN` otherwise (invalid, or outside that span:
 * use {@link PrefectDateTime} there). The subscriber advances its resume cursor with this on
 * every event, without a bigint or an object per event.
 */
export function epochMicrosOf(text: string): number {
  const parts = readParts(text)
  if (typeof parts === 'string') return Number.NaN
  const seconds = partsToSeconds(parts)
  return seconds > -SAFE_SECONDS && seconds < SAFE_SECONDS
    ? seconds * 1_000_000 + parts.micros
    : Number.NaN
}

/** Whether `text` is a datetime {@link PrefectDateTime.parse} accepts. */
export function isPrefectDateTime(text: unknown): text is string {
  // The checks of readParts, without building the parts: this runs twice per received event.
  if (typeof text !== 'string') return false
  const zone = offsetStart(text)
  if (zone < 0) return false
  const year = twoDigitsAt(text, 0) * 100 + twoDigitsAt(text, 2)
  const month = twoDigitsAt(text, 5)
  if (year < 1 || month < 1 || month > 12) return false
  const day = twoDigitsAt(text, 8)
  if (day < 1 || day > daysInMonth(year, month)) return false
  if (twoDigitsAt(text, 11) > 23 || twoDigitsAt(text, 14) > 59 || twoDigitsAt(text, 17) > 59) {
    return false
  }
  const sign = text.charCodeAt(zone)
  if (sign === 43 || sign === 45) {
    if (twoDigitsAt(text, zone + 1) > 23 || twoDigitsAt(text, zone + 4) > 59) return false
  }
  // Only the first and last year can leave the representable range through the offset.
  return year === 1 || year === 9999 ? PrefectDateTime.tryParse(text) !== undefined : true
}
