import { expect, test, vi } from 'vitest'
import { silentLogger, type Logger } from './logger.js'

test('silentLogger accepts every level and writes nothing', () => {
  const spies = (['debug', 'info', 'warn', 'error', 'log'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation(() => {}),
  )
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    expect(silentLogger[level]('message', { a: 1 })).toBeUndefined()
  }
  expect(spies.every((s) => s.mock.calls.length === 0)).toBe(true)
  expect(Object.isFrozen(silentLogger)).toBe(true)
  const logger: Logger = console
  expect(typeof logger.warn).toBe('function')
})
