import { FlowcastError } from './errors.js'

// Spec §4.3: `Z` or `±HH:MM`, no fraction or 1–6 fractional digits; `T` (or `t`/space) between
// date and time, as RFC 3339 allows. Naive datetimes (no offset) are rejected.
const DATETIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

const MICROS_PER_SECOND = 1_000_000n
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND
// Python's datetime range (years 1–9999), which the server can represent.
const MIN_MICROS = daysFromCivil(1, 1, 1) * MICROS_PER_DAY
const MAX_MICROS = (daysFromCivil(9999, 12, 31) + 1n) * MICROS_PER_DAY - 1n

// Days since 1970-01-01 for a proleptic Gregorian date (exact integer arithmetic).
function daysFromCivil(year: number, month: number, day: number): bigint {
  const y = BigInt(month <= 2 ? year - 1 : year)
  const era = (y >= 0n ? y : y - 399n) / 400n
  const yoe = y - era * 400n
  const m = BigInt(month)
  const doy = (153n * (m > 2n ? m - 3n : m + 9n) + 2n) / 5n + BigInt(day) - 1n
  const doe = yoe * 365n + yoe / 4n - yoe / 100n + doy
  return era * 146_097n + doe - 719_468n
}

function civilFromDays(days: bigint): [year: number, month: number, day: number] {
  const z = days + 719_468n
  const era = (z >= 0n ? z : z - 146_096n) / 146_097n
  const doe = z - era * 146_097n
  const yoe = (doe - doe / 1460n + doe / 36_524n - doe / 146_096n) / 365n
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n)
  const mp = (5n * doy + 2n) / 153n
  const day = doy - (153n * mp + 2n) / 5n + 1n
  const month = mp < 10n ? mp + 3n : mp - 9n
  const year = yoe + era * 400n + (month <= 2n ? 1n : 0n)
  return [Number(year), Number(month), Number(day)]
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
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
  fraction: string
  offsetSeconds: number
}

// The fields of a datetime string, or why it is not one.
function readParts(text: unknown): DateTimeParts | string {
  if (typeof text !== 'string') return `expected a string, got ${typeof text}`
  const m = DATETIME_RE.exec(text)
  if (!m) {
    return `${JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)} is not an ISO 8601 datetime with a timezone (e.g. 2026-08-20T14:03:09.517204Z)`
  }
  const [, ys, mos, ds, hs, mis, ss, fraction = '', z, sign, ohs, oms] = m as unknown as string[]
  const year = Number(ys)
  const month = Number(mos)
  const day = Number(ds)
  const hour = Number(hs)
  const minute = Number(mis)
  const second = Number(ss)
  if (year < 1) return `year ${ys} is out of range`
  if (month < 1 || month > 12) return `month ${mos} is out of range`
  if (day < 1 || day > daysInMonth(year, month)) return `day ${ds} is out of range`
  if (hour > 23) return `hour ${hs} is out of range`
  if (minute > 59) return `minute ${mis} is out of range`
  if (second > 59) return `second ${ss} is out of range`
  let offsetSeconds = 0
  if (!z) {
    const oh = Number(ohs)
    const om = Number(oms)
    if (oh > 23 || om > 59) return `offset ${sign}${ohs}:${oms} is out of range`
    offsetSeconds = (sign === '-' ? -1 : 1) * (oh * 3600 + om * 60)
  }
  return { year, month, day, hour, minute, second, fraction, offsetSeconds }
}

function partsToMicros(parts: DateTimeParts): bigint {
  const { year, month, day, hour, minute, second, fraction, offsetSeconds } = parts
  const seconds =
    daysFromCivil(year, month, day) * 86_400n +
    BigInt(hour * 3600 + minute * 60 + second - offsetSeconds)
  return seconds * MICROS_PER_SECOND + BigInt(fraction.padEnd(6, '0') || '0')
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
   * Parses every form the server and its clients write (spec §4.3): `Z` or `±HH:MM`, no
   * fraction or 1–6 fractional digits.
   * @throws FlowcastError `INVALID_DATETIME` naming the problem
   */
  static parse(text: string): PrefectDateTime {
    const parts = readParts(text)
    if (typeof parts === 'string') throw invalidDatetime(parts)
    return PrefectDateTime.fromEpochMicros(partsToMicros(parts))
  }

  /** Like {@link PrefectDateTime.parse}, but returns `undefined` instead of throwing. */
  static tryParse(text: string): PrefectDateTime | undefined {
    const parts = readParts(text)
    if (typeof parts === 'string') return undefined
    const micros = partsToMicros(parts)
    return micros < MIN_MICROS || micros > MAX_MICROS ? undefined : new PrefectDateTime(micros)
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

  /** This instant plus `seconds` (fractional seconds are rounded to the microsecond). */
  plusSeconds(seconds: number): PrefectDateTime {
    return PrefectDateTime.fromEpochMicros(this.epochMicros + secondsToMicros(seconds))
  }

  /** This instant minus `seconds` (fractional seconds are rounded to the microsecond). */
  minusSeconds(seconds: number): PrefectDateTime {
    return PrefectDateTime.fromEpochMicros(this.epochMicros - secondsToMicros(seconds))
  }

  /** Seconds from `other` to this instant (negative when `other` is later). */
  secondsSince(other: PrefectDateTime): number {
    return Number(this.epochMicros - other.epochMicros) / 1_000_000
  }

  private format(zone: string): string {
    const days = floorDiv(this.epochMicros, MICROS_PER_DAY)
    const inDay = this.epochMicros - days * MICROS_PER_DAY
    const [year, month, day] = civilFromDays(days)
    const secs = inDay / MICROS_PER_SECOND
    const micros = inDay % MICROS_PER_SECOND
    const time = `${pad(secs / 3600n, 2)}:${pad((secs / 60n) % 60n, 2)}:${pad(secs % 60n, 2)}`
    const fraction = micros === 0n ? '' : `.${pad(micros, 6)}`
    return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${time}${fraction}${zone}`
  }
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
  return PrefectDateTime.fromEpochMillis(ms).toString()
}

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

/** Whether `text` is a datetime {@link PrefectDateTime.parse} accepts. */
export function isPrefectDateTime(text: unknown): text is string {
  const parts = readParts(text)
  if (typeof parts === 'string') return false
  // Only the first and last year can leave the representable range through the offset.
  if (parts.year === 1 || parts.year === 9999)
    return PrefectDateTime.tryParse(text as string) !== undefined
  return true
}
