import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { backoffDefaults, computeBackoffDelay } from './backoff.js'
import { isFlowcastError } from './errors.js'

describe('computeBackoffDelay', () => {
  test('defaults: 500 ms doubling, capped at 30 s, full jitter', () => {
    expect(backoffDefaults).toEqual({
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      multiplier: 2,
      jitter: 'full',
    })
    expect(Object.isFrozen(backoffDefaults)).toBe(true)
    const caps = [0, 1, 2, 3, 4, 5, 6, 7].map((n) => computeBackoffDelay(n, { jitter: 'none' }))
    expect(caps).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
  })

  test('full jitter scales the cap by the random source', () => {
    expect(computeBackoffDelay(3, {}, () => 0)).toBe(0)
    expect(computeBackoffDelay(3, {}, () => 0.5)).toBe(2000)
    expect(computeBackoffDelay(3, {}, () => 0.999)).toBeCloseTo(3996)
    expect(computeBackoffDelay(100, {}, () => 0.5)).toBe(15_000)
  })

  test('odd random values are clamped into [0, 1]', () => {
    expect(computeBackoffDelay(0, {}, () => 7)).toBe(500)
    expect(computeBackoffDelay(0, {}, () => -1)).toBe(0)
    expect(computeBackoffDelay(0, {}, () => Number.NaN)).toBe(0)
  })

  test('huge, negative and fractional attempts stay within bounds', () => {
    expect(computeBackoffDelay(10_000, { jitter: 'none' })).toBe(30_000)
    expect(computeBackoffDelay(-3, { jitter: 'none' })).toBe(500)
    expect(computeBackoffDelay(Number.NaN, { jitter: 'none' })).toBe(500)
    expect(computeBackoffDelay(2.9, { jitter: 'none' })).toBe(2000)
    expect(computeBackoffDelay(Infinity, { jitter: 'none' })).toBe(500)
    expect(computeBackoffDelay(10_000, { initialDelayMs: 0, jitter: 'none' })).toBe(0)
  })

  test('policy overrides', () => {
    expect(
      computeBackoffDelay(2, {
        initialDelayMs: 100,
        multiplier: 3,
        maxDelayMs: 10_000,
        jitter: 'none',
      }),
    ).toBe(900)
    expect(computeBackoffDelay(5, { multiplier: 1, jitter: 'none' })).toBe(500)
    expect(computeBackoffDelay(0, { initialDelayMs: 5000, maxDelayMs: 1000, jitter: 'none' })).toBe(
      1000,
    )
  })

  test('invalid policies throw INVALID_OPTIONS', () => {
    for (const policy of [
      { initialDelayMs: -1 },
      { maxDelayMs: Number.NaN },
      { multiplier: 0.5 },
      { initialDelayMs: Infinity },
    ]) {
      let error: unknown
      try {
        computeBackoffDelay(1, policy)
      } catch (e) {
        error = e
      }
      expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
    }
  })

  test('property: 0 ≤ delay ≤ min(max, initial · multiplier^attempt)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initialDelayMs, maxDelayMs, multiplier, r) => {
          const policy = { initialDelayMs, maxDelayMs, multiplier }
          const delay = computeBackoffDelay(attempt, policy, () => r)
          const cap = computeBackoffDelay(attempt, { ...policy, jitter: 'none' })
          expect(delay).toBeGreaterThanOrEqual(0)
          expect(delay).toBeLessThanOrEqual(cap)
          expect(cap).toBeLessThanOrEqual(maxDelayMs)
          expect(Number.isFinite(delay)).toBe(true)
        },
      ),
    )
  })

  test('property: the cap never decreases with the attempt', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), (attempt) => {
        expect(computeBackoffDelay(attempt + 1, { jitter: 'none' })).toBeGreaterThanOrEqual(
          computeBackoffDelay(attempt, { jitter: 'none' }),
        )
      }),
    )
  })

  test('uses Math.random by default and stays in range', () => {
    for (let i = 0; i < 100; i++) {
      const delay = computeBackoffDelay(2)
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThan(2000)
    }
  })
})
