import { describe, expect, it } from 'vitest'

import { isFlowcastError } from '../errors.js'
import type { Logger } from '../logger.js'
import { notifyListeners, numberOption, nonNegativeOr, positiveOr, atLeastOr } from './index.js'

function recordingLogger(): Logger & { errors: [string, unknown][] } {
  const errors: [string, unknown][] = []
  const ignore = () => {}
  return { debug: ignore, info: ignore, warn: ignore, error: (m, f) => errors.push([m, f]), errors }
}

describe('notifyListeners', () => {
  it('calls every listener in order with the arguments, logging one that throws', () => {
    const logger = recordingLogger()
    const calls: string[] = []
    notifyListeners<[string, number]>(
      [
        (a, b) => calls.push(`1:${a}${b}`),
        () => {
          throw new Error('boom')
        },
        (a, b) => calls.push(`3:${a}${b}`),
      ],
      ['x', 2],
      logger,
      'a listener threw',
      { flowRunId: 'r' },
    )
    expect(calls).toEqual(['1:x2', '3:x2'])
    expect(logger.errors).toEqual([['a listener threw', { flowRunId: 'r', error: 'Error: boom' }]])
  })
})

describe('numeric options', () => {
  const prefix = '[@flowcast/test] invalid options'
  function code(run: () => unknown): string | undefined {
    try {
      run()
    } catch (error) {
      return isFlowcastError(error) ? `${error.code}: ${error.message}` : 'other'
    }
    return undefined
  }

  it('positiveOr refuses 0, negatives, NaN and Infinity, and keeps the fallback for undefined', () => {
    expect(positiveOr(prefix, 'n', undefined, 7)).toBe(7)
    expect(positiveOr(prefix, 'n', 0.5, 7)).toBe(0.5)
    expect(code(() => positiveOr(prefix, 'n', 0, 7))).toBe(
      'INVALID_OPTIONS: [@flowcast/test] invalid options: n must be a number greater than 0, got 0',
    )
    for (const bad of [-1, Number.NaN, Infinity, '3' as unknown as number]) {
      expect(code(() => positiveOr(prefix, 'n', bad, 7))).toMatch(/^INVALID_OPTIONS: /)
    }
  })

  it('nonNegativeOr accepts 0 and Infinity, atLeastOr its minimum', () => {
    expect(nonNegativeOr(prefix, 'n', 0, 7)).toBe(0)
    expect(nonNegativeOr(prefix, 'n', Infinity, 7)).toBe(Infinity)
    expect(code(() => nonNegativeOr(prefix, 'n', -0.1, 7))).toMatch(
      /n must be a number at least 0 \(or Infinity\), got -0.1/,
    )
    expect(atLeastOr(prefix, 'm', 1, 2, 1)).toBe(1)
    expect(code(() => atLeastOr(prefix, 'm', 0.9, 2, 1))).toMatch(/m must be a number at least 1/)
    expect(code(() => atLeastOr(prefix, 'm', Number.NaN, 2, 1))).toMatch(/INVALID_OPTIONS/)
  })

  it('numberOption checks integers, upper bounds and Infinity', () => {
    const rule = { min: 1, max: 5, integer: true }
    expect(numberOption(prefix, 'k', 5, 1, rule)).toBe(5)
    expect(code(() => numberOption(prefix, 'k', 2.5, 1, rule))).toMatch(
      /k must be an integer between 1 and 5, got 2.5/,
    )
    expect(code(() => numberOption(prefix, 'k', 6, 1, rule))).toMatch(/INVALID_OPTIONS/)
    expect(numberOption(prefix, 'k', Infinity, 1, { min: 0, allowInfinity: true })).toBe(Infinity)
  })
})
