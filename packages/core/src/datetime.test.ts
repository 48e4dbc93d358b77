import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  PrefectDateTime,
  compareDateTimes,
  epochMicrosOf,
  formatPrefectDateTime,
  isPrefectDateTime,
} from './datetime.js'
import { isFlowcastError } from './errors.js'

const MIN = PrefectDateTime.parse('0001-01-01T00:00:00Z').epochMicros
const MAX = PrefectDateTime.parse('9999-12-31T23:59:59.999999Z').epochMicros

describe('PrefectDateTime.parse accepts every form of docs/protocol.md §4.3', () => {
  test.each([
    ['2026-08-20T14:03:09.517204Z', '2026-08-20T14:03:09.517204Z'],
    ['2026-08-20T14:03:09.517204+00:00', '2026-08-20T14:03:09.517204Z'],
    ['2026-08-20T16:03:09.517204+02:00', '2026-08-20T14:03:09.517204Z'],
    ['2026-08-20T09:33:09.517204-04:30', '2026-08-20T14:03:09.517204Z'],
    ['2024-01-02T03:04:05Z', '2024-01-02T03:04:05Z'],
    ['2024-01-02T03:04:05.000000Z', '2024-01-02T03:04:05Z'],
    ['2024-01-02T03:04:05.5Z', '2024-01-02T03:04:05.500000Z'],
    ['2024-01-02T03:04:05.123Z', '2024-01-02T03:04:05.123000Z'],
    ['2021-02-03T04:05:06.000007Z', '2021-02-03T04:05:06.000007Z'],
    ['2024-02-29T23:59:59.999999z', '2024-02-29T23:59:59.999999Z'],
    ['2024-01-01t00:00:00+00:00', '2024-01-01T00:00:00Z'],
    ['2024-01-01 00:00:00Z', '2024-01-01T00:00:00Z'],
    ['2000-03-01T00:30:00+01:00', '2000-02-29T23:30:00Z'],
    ['1969-12-31T23:59:59.999999Z', '1969-12-31T23:59:59.999999Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00Z'],
  ])('%s → %s', (text, serverForm) => {
    expect(PrefectDateTime.parse(text).toString()).toBe(serverForm)
  })

  test('keeps microseconds that Date would drop', () => {
    const a = PrefectDateTime.parse('2026-08-20T14:03:09.517204Z')
    const b = PrefectDateTime.parse('2026-08-20T14:03:09.517205Z')
    expect(a.toDate().getTime()).toBe(b.toDate().getTime())
    expect(a.compare(b)).toBe(-1)
    expect(b.secondsSince(a)).toBeCloseTo(0.000001, 9)
    expect(a.epochMicros).toBe(1787234589517204n)
  })

  test('matches Date.parse to the millisecond', () => {
    expect(PrefectDateTime.parse('2026-08-20T16:03:09.517204+02:00').toEpochMillis()).toBe(
      Date.parse('2026-08-20T14:03:09.517Z'),
    )
  })
})

describe('PrefectDateTime.parse rejects what the server would', () => {
  test.each([
    '2026-08-20T14:03:09', // naive
    '2026-08-20',
    '2026-08-20T14:03Z',
    '2026-08-20T14:03:09.1234567Z', // 7 digits
    '2026-08-20T14:03:09.Z',
    '2026-13-01T00:00:00Z',
    '2026-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-08-20T24:00:00Z',
    '2026-08-20T23:60:00Z',
    '2026-08-20T23:59:60Z',
    '2026-08-20T23:59:59+24:00',
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+01:00', // before year 1 in UTC
    '9999-12-31T23:59:59-01:00', // after year 9999 in UTC
    ' 2026-08-20T14:03:09Z',
    '2026-08-20T14:03:09Z ',
    '',
    '+002026-08-20T14:03:09Z',
  ])('%j', (text) => {
    expect(PrefectDateTime.tryParse(text)).toBeUndefined()
    let error: unknown
    try {
      PrefectDateTime.parse(text)
    } catch (e) {
      error = e
    }
    expect(isFlowcastError(error, 'INVALID_DATETIME')).toBe(true)
  })

  test('non-strings are rejected with INVALID_DATETIME', () => {
    expect(() => PrefectDateTime.parse(5 as never)).toThrow(/expected a string/)
    expect(isPrefectDateTime(5)).toBe(false)
  })
})

describe('arithmetic and comparison', () => {
  const t = PrefectDateTime.parse('2026-08-20T14:03:11.482913+00:00')
  test('plus/minus seconds are exact to the microsecond', () => {
    expect(t.minusSeconds(60).toString()).toBe('2026-08-20T14:02:11.482913Z')
    expect(t.plusSeconds(0.000001).toString()).toBe('2026-08-20T14:03:11.482914Z')
    expect(t.plusSeconds(365 * 86_400).toString()).toBe('2027-08-20T14:03:11.482913Z')
    expect(t.minusSeconds(0.482913).toString()).toBe('2026-08-20T14:03:11Z')
    expect(t.plusSeconds(-1.5).toString()).toBe('2026-08-20T14:03:09.982913Z')
  })
  test('secondsSince, isBefore, isAfter, equals', () => {
    const later = t.plusSeconds(90.25)
    expect(later.secondsSince(t)).toBe(90.25)
    expect(t.secondsSince(later)).toBe(-90.25)
    expect(t.isBefore(later) && later.isAfter(t)).toBe(true)
    expect(t.isBefore(t) || t.isAfter(t)).toBe(false)
    expect(t.equals(PrefectDateTime.parse('2026-08-20T16:03:11.482913+02:00'))).toBe(true)
    expect(t.compare(later)).toBe(-1)
    expect(later.compare(t)).toBe(1)
    expect(t.compare(t)).toBe(0)
  })
  test('non-finite seconds are rejected', () => {
    expect(() => t.plusSeconds(Number.NaN)).toThrow(/finite/)
    expect(() => t.minusSeconds(Infinity)).toThrow(/finite/)
  })
  test('results outside years 1–9999 are rejected', () => {
    expect(() => PrefectDateTime.fromEpochMicros(MAX).plusSeconds(0.000001)).toThrow(/outside/)
    expect(() => PrefectDateTime.fromEpochMicros(MIN - 1n)).toThrow(/outside/)
  })
  test('compareDateTimes compares instants whatever the offset', () => {
    expect(
      compareDateTimes('2026-08-20T14:03:09.517204Z', '2026-08-20T16:03:09.517204+02:00'),
    ).toBe(0)
    expect(compareDateTimes('2026-08-20T14:03:09.517204Z', '2026-08-20T14:03:09.517205Z')).toBe(-1)
    expect(compareDateTimes('2026-08-20T14:03:10Z', '2026-08-20T14:03:09.999999Z')).toBe(1)
    expect(() => compareDateTimes('x', '2026-08-20T14:03:10Z')).toThrow(/invalid datetime/)
  })
})

describe('conversions', () => {
  test('formatPrefectDateTime writes the server form', () => {
    expect(formatPrefectDateTime(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe('2024-01-02T03:04:05Z')
    expect(formatPrefectDateTime(Date.UTC(2024, 0, 2, 3, 4, 5, 6))).toBe(
      '2024-01-02T03:04:05.006000Z',
    )
    expect(formatPrefectDateTime(0)).toBe('1970-01-01T00:00:00Z')
    expect(formatPrefectDateTime(-1)).toBe('1969-12-31T23:59:59.999000Z')
    expect(() => formatPrefectDateTime(Number.NaN)).toThrow(/finite/)
  })
  test('fractional milliseconds are kept to the microsecond', () => {
    expect(PrefectDateTime.fromEpochMillis(1.5).toString()).toBe('1970-01-01T00:00:00.001500Z')
    expect(PrefectDateTime.fromEpochMillis(-0.25).epochMicros).toBe(-250n)
  })
  test('toEpochMillis rounds down, also before 1970', () => {
    expect(PrefectDateTime.fromEpochMicros(1999n).toEpochMillis()).toBe(1)
    expect(PrefectDateTime.fromEpochMicros(-1n).toEpochMillis()).toBe(-1)
  })
  test('fromDate / toDate', () => {
    const date = new Date('2026-08-20T14:03:09.517Z')
    expect(PrefectDateTime.fromDate(date).toDate()).toEqual(date)
    expect(() => PrefectDateTime.fromDate(new Date('nope'))).toThrow(/finite/)
  })
  test('toJSON and toIsoformat', () => {
    const t = PrefectDateTime.parse('2026-08-20T14:03:09.517204Z')
    expect(JSON.stringify({ t })).toBe('{"t":"2026-08-20T14:03:09.517204Z"}')
    expect(t.toIsoformat()).toBe('2026-08-20T14:03:09.517204+00:00')
    expect(PrefectDateTime.parse('2024-01-02T03:04:05Z').toIsoformat()).toBe(
      '2024-01-02T03:04:05+00:00',
    )
  })
  test('fromEpochMicros rejects non-bigints', () => {
    expect(() => PrefectDateTime.fromEpochMicros(5 as never)).toThrow(/bigint/)
  })
})

describe('properties', () => {
  const micros = fc.bigInt({ min: MIN, max: MAX })

  test('serialise → parse round-trips every representable instant', () => {
    fc.assert(
      fc.property(micros, (us) => {
        const t = PrefectDateTime.fromEpochMicros(us)
        const text = t.toString()
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z$/)
        expect(PrefectDateTime.parse(text).epochMicros).toBe(us)
        expect(PrefectDateTime.parse(t.toIsoformat()).epochMicros).toBe(us)
      }),
      { numRuns: 3000 },
    )
  })

  test('parse → serialise is the identity on the server form', () => {
    fc.assert(
      fc.property(micros, (us) => {
        const text = PrefectDateTime.fromEpochMicros(us).toString()
        expect(PrefectDateTime.parse(text).toString()).toBe(text)
      }),
    )
  })

  test('every accepted spelling (offsets, 0–6 digits) means the same instant as Date for ms', () => {
    const parts = fc.record({
      ms: fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }),
      extraMicros: fc.integer({ min: 0, max: 999 }),
      offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
      digits: fc.integer({ min: 0, max: 6 }),
    })
    fc.assert(
      fc.property(parts, ({ ms, extraMicros, offsetMinutes, digits }) => {
        const exact = BigInt(ms) * 1000n + BigInt(extraMicros)
        // Truncate to the requested number of fractional digits.
        const unit = 10n ** BigInt(6 - digits)
        const truncated = exact - ((((exact % 1_000_000n) % unit) + unit) % unit)
        const local = new Date(Number(truncated / 1000n) + offsetMinutes * 60_000)
        const fraction = (truncated % 1_000_000n).toString().padStart(6, '0').slice(0, digits)
        const sign = offsetMinutes < 0 ? '-' : '+'
        const abs = Math.abs(offsetMinutes)
        const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
        const text = `${local.toISOString().slice(0, 19)}${digits ? `.${fraction}` : ''}${offset}`
        expect(PrefectDateTime.parse(text).epochMicros).toBe(truncated)
      }),
      { numRuns: 3000 },
    )
  })

  test('compare agrees with bigint order', () => {
    fc.assert(
      fc.property(micros, micros, (a, b) => {
        const ta = PrefectDateTime.fromEpochMicros(a)
        const tb = PrefectDateTime.fromEpochMicros(b)
        expect(ta.compare(tb)).toBe(a < b ? -1 : a > b ? 1 : 0)
        expect(compareDateTimes(ta.toString(), tb.toIsoformat())).toBe(ta.compare(tb))
      }),
    )
  })

  test('parse never throws anything but INVALID_DATETIME', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          PrefectDateTime.parse(text)
        } catch (error) {
          expect(isFlowcastError(error, 'INVALID_DATETIME')).toBe(true)
        }
      }),
    )
  })
})

describe('PrefectDateTime arithmetic with clamp', () => {
  test('throws past the representable range by default, clamps when asked', () => {
    const early = PrefectDateTime.parse('0001-01-01T00:00:30Z')
    expect(() => early.minusSeconds(60)).toThrow(/outside years 1–9999/)
    expect(early.minusSeconds(60, { clamp: true }).toString()).toBe('0001-01-01T00:00:00Z')
    const late = PrefectDateTime.parse('9999-12-31T23:59:30Z')
    expect(() => late.plusSeconds(60)).toThrow(/outside years 1–9999/)
    expect(late.plusSeconds(60, { clamp: true }).toString()).toBe('9999-12-31T23:59:59.999999Z')
    expect(early.minusSeconds(10, { clamp: true }).toString()).toBe('0001-01-01T00:00:20Z')
  })
})

describe('formatting in doubles (|epochMicros| < 2^53) matches an independent reference', () => {
  const safe = BigInt(Number.MAX_SAFE_INTEGER)
  const reference = (micros: bigint) => {
    const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n
    const seconds = (micros - fraction) / 1_000_000n
    const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19)
    return `${iso}${fraction === 0n ? '' : `.${String(fraction).padStart(6, '0')}`}Z`
  }

  test('on arbitrary instants, and they parse back to the same instant', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -safe, max: safe }), (micros) => {
        const text = PrefectDateTime.fromEpochMicros(micros).toString()
        expect(text).toBe(reference(micros))
        expect(PrefectDateTime.parse(text).epochMicros).toBe(micros)
      }),
      { numRuns: 5000 },
    )
  })

  test('on both sides of day boundaries and at the ends of the range', () => {
    const day = 86_400_000_000n
    const edges = [-safe, safe, 0n, -1n, 1n]
    for (const k of [-1n, 1n, 20_000n, -104_000n, 104_000n]) edges.push(k * day - 1n, k * day)
    for (const micros of edges) {
      if (micros < -safe || micros > safe) continue
      expect(PrefectDateTime.fromEpochMicros(micros).toString()).toBe(reference(micros))
    }
  })
})

describe('fromEpochMillis', () => {
  test('whole and fractional milliseconds give the same instants as bigint arithmetic', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
          fc.double({ min: -62_135_596_800_000, max: 253_402_300_799_999, noNaN: true }),
        ),
        (ms) => {
          const whole = Math.floor(ms)
          const expected = BigInt(whole) * 1000n + BigInt(Math.round((ms - whole) * 1000))
          expect(PrefectDateTime.fromEpochMillis(ms).epochMicros).toBe(expected)
        },
      ),
      { numRuns: 3000 },
    )
  })
})

describe('epochMicrosOf', () => {
  const safe = BigInt(Number.MAX_SAFE_INTEGER)
  const expected = (text: string) => {
    const at = PrefectDateTime.tryParse(text)
    return at && at.epochMicros >= -safe && at.epochMicros <= safe
      ? Number(at.epochMicros)
      : Number.NaN
  }

  test('is the parsed instant in plain numbers wherever that is exact, NaN elsewhere', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MIN, max: MAX }), fc.boolean(), (us, iso) => {
        const t = PrefectDateTime.fromEpochMicros(us)
        const text = iso ? t.toIsoformat() : t.toString()
        const value = epochMicrosOf(text)
        if (us >= -9_000_000_000_000_000n && us < 9_000_000_000_000_000n) {
          expect(value).toBe(Number(us))
        } else {
          // Beyond 9e15 µs (years 1685 and 2255) only the bigint form is exact.
          expect(Number.isNaN(value) || BigInt(value) === us).toBe(true)
        }
        expect(Object.is(value, expected(text)) || Number.isNaN(value)).toBe(true)
      }),
      { numRuns: 3000 },
    )
  })

  test('agrees with PrefectDateTime.tryParse on arbitrary and offset text', () => {
    const offsetText = fc
      .record({
        seconds: fc.integer({ min: -8_000_000_000, max: 8_000_000_000 }),
        fraction: fc.integer({ min: 0, max: 999_999 }),
        offsetMinutes: fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
      })
      .map(({ seconds, fraction, offsetMinutes }) => {
        const base = PrefectDateTime.fromEpochMicros(BigInt(seconds) * 1_000_000n)
        const local = base
          .plusSeconds(offsetMinutes * 60)
          .toString()
          .slice(0, 19)
        const sign = offsetMinutes < 0 ? '-' : '+'
        const abs = Math.abs(offsetMinutes)
        return `${local}.${String(fraction).padStart(6, '0')}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
      })
    fc.assert(
      fc.property(fc.oneof(fc.string(), offsetText), (text) => {
        expect(epochMicrosOf(text)).toBe(expected(text))
      }),
      { numRuns: 3000 },
    )
  })

  test('rejects what parse rejects', () => {
    for (const text of ['2026-02-30T00:00:00Z', '2026-08-20T14:03:09', 'soon', '']) {
      expect(epochMicrosOf(text)).toBeNaN()
    }
    expect(epochMicrosOf('1970-01-01T00:00:00.000001Z')).toBe(1)
    expect(epochMicrosOf('1969-12-31T23:59:59.999999-00:00')).toBe(-1)
  })
})

describe('formatPrefectDateTime', () => {
  test('matches PrefectDateTime for any milliseconds, repeated or not', () => {
    const ms = fc.oneof(
      fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 }),
      fc.double({ min: -62_135_596_800_000, max: 253_402_300_799_999, noNaN: true }),
      fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }),
    )
    fc.assert(
      fc.property(fc.array(ms, { minLength: 1, maxLength: 4 }), (values) => {
        for (const value of [...values, ...values]) {
          expect(formatPrefectDateTime(value)).toBe(
            PrefectDateTime.fromEpochMillis(value).toString(),
          )
        }
      }),
      { numRuns: 2000 },
    )
  })

  test('throws INVALID_DATETIME outside years 1–9999, even right after a valid call', () => {
    formatPrefectDateTime(0)
    for (const bad of [Number.NaN, Infinity, 253_402_300_800_000, -62_135_596_800_001]) {
      expect(() => formatPrefectDateTime(bad)).toThrow(/invalid datetime/)
    }
    expect(formatPrefectDateTime(0)).toBe('1970-01-01T00:00:00Z')
  })
})
