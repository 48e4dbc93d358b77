import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { PrefectDateTime, isPrefectDateTime } from './datetime.js'
import { isFlowcastError } from './errors.js'
import { datetimeLike } from '../test/arbitraries.js'

// A reference reader written for clarity, not speed: the grammar of docs/protocol.md §4.3 as a regular
// expression and the calendar arithmetic of `Date`. The character-code reader in datetime.ts
// must agree with it on every string: same instant, or the same error message.
const GRAMMAR =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/
const MIN_MICROS = -62_135_596_800_000_000n // 0001-01-01T00:00:00Z
const MAX_MICROS = 253_402_300_799_999_999n // 9999-12-31T23:59:59.999999Z

function referenceParse(text: string): bigint | string {
  const m = GRAMMAR.exec(text)
  if (!m) {
    return `${JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)} is not an ISO 8601 datetime with a timezone (e.g. 2026-08-20T14:03:09.517204Z)`
  }
  const [, ys, mos, ds, hs, mis, ss, fraction = '', z, sign, ohs, oms] = m as unknown as string[]
  const [year, month, day, hour, minute, second] = [ys, mos, ds, hs, mis, ss].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const lastDay = new Date(Date.UTC(2000, month, 0)).getUTCDate() // month's length in 2000
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const daysInMonth = month === 2 ? (leap ? 29 : 28) : lastDay
  if (year < 1) return `year ${ys} is out of range`
  if (month < 1 || month > 12) return `month ${mos} is out of range`
  if (day < 1 || day > daysInMonth) return `day ${ds} is out of range`
  if (hour > 23) return `hour ${hs} is out of range`
  if (minute > 59) return `minute ${mis} is out of range`
  if (second > 59) return `second ${ss} is out of range`
  let offsetSeconds = 0
  if (!z) {
    if (Number(ohs) > 23 || Number(oms) > 59) return `offset ${sign}${ohs}:${oms} is out of range`
    offsetSeconds = (sign === '-' ? -1 : 1) * (Number(ohs) * 3600 + Number(oms) * 60)
  }
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute, second, 0)
  const micros =
    BigInt(date.getTime()) * 1000n +
    BigInt(fraction.padEnd(6, '0') || '0') -
    BigInt(offsetSeconds) * 1_000_000n
  if (micros < MIN_MICROS || micros > MAX_MICROS) return `${micros} µs is outside years 1–9999`
  return micros
}

function outcome(text: string): bigint | string {
  try {
    return PrefectDateTime.parse(text).epochMicros
  } catch (error) {
    expect(isFlowcastError(error, 'INVALID_DATETIME')).toBe(true)
    return (error as Error).message.replace('[@flowcast/core] invalid datetime: ', '')
  }
}

describe('the datetime reader agrees with the reference grammar', () => {
  test('on strings near the grammar and on arbitrary strings', () => {
    let accepted = 0
    fc.assert(
      fc.property(fc.oneof(datetimeLike, fc.string({ maxLength: 40 })), (text) => {
        const expected = referenceParse(text)
        expect(outcome(text)).toBe(expected)
        const ok = typeof expected === 'bigint'
        expect(isPrefectDateTime(text)).toBe(ok)
        expect(PrefectDateTime.tryParse(text)?.epochMicros).toBe(ok ? expected : undefined)
        if (ok) accepted++
      }),
      { numRuns: 5000 },
    )
    // Both outcomes were exercised, so a disagreement in either direction would show.
    expect(accepted).toBeGreaterThan(200)
    expect(accepted).toBeLessThan(4500)
  })

  test.each([
    '0001-01-01T00:59:59+01:00',
    '0001-01-01T01:00:00+01:00',
    '0001-01-01T00:00:00-00:01',
    '9999-12-31T23:59:59.999999-00:01',
    '9999-12-31T23:00:00+01:00',
    '2255-03-14T15:59:59.999999Z',
    '2255-03-14T16:00:00.000001Z',
    '2255-03-14T18:00:00.5+02:00',
    '1684-10-19T08:00:00.000001Z',
    '1684-10-19T07:59:59.999999Z',
  ])('at the edges of the range and of exact number arithmetic: %s', (text) => {
    expect(outcome(text)).toBe(referenceParse(text))
    expect(isPrefectDateTime(text)).toBe(typeof referenceParse(text) === 'bigint')
  })
})
