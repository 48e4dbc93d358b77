import { describe, expect, test } from 'vitest'
import { FLOWCAST_ERROR_CODES, FlowcastError, describeError, isFlowcastError } from './errors.js'

describe('FlowcastError', () => {
  test('carries code, status, details and cause', () => {
    const cause = new Error('socket hang up')
    const error = new FlowcastError('HTTP', '[@flowcast/polling] GET /flow_runs/x failed: 503', {
      cause,
      status: 503,
      details: { method: 'GET' },
    })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('FlowcastError')
    expect(error.code).toBe('HTTP')
    expect(error.status).toBe(503)
    expect(error.details).toEqual({ method: 'GET' })
    expect(Object.isFrozen(error.details)).toBe(true)
    expect(error.cause).toBe(cause)
    expect(error.message).toBe('[@flowcast/polling] GET /flow_runs/x failed: 503')
  })

  test('optional fields are absent when not given', () => {
    const error = new FlowcastError('CLOSED', '[@flowcast/core] closed: by caller')
    expect('status' in error).toBe(false)
    expect('details' in error).toBe(false)
    expect('cause' in error).toBe(false)
  })

  test('from() passes FlowcastError through unchanged', () => {
    const original = new FlowcastError('AUTH_REJECTED', 'x')
    expect(FlowcastError.from(original, 'HTTP')).toBe(original)
  })

  test('from() maps AbortError to ABORTED and TimeoutError to TIMEOUT', () => {
    const controller = new AbortController()
    controller.abort()
    const aborted = FlowcastError.from(controller.signal.reason)
    expect(aborted.code).toBe('ABORTED')
    expect(aborted.cause).toBe(controller.signal.reason)
    const timeout = FlowcastError.from(new DOMException('late', 'TimeoutError'))
    expect(timeout.code).toBe('TIMEOUT')
    const named = Object.assign(new Error('stop'), { name: 'AbortError' })
    expect(FlowcastError.from(named, 'HTTP').code).toBe('ABORTED')
  })

  test('from() wraps anything else with the fallback code and a described cause', () => {
    const error = FlowcastError.from(new TypeError('fetch failed'))
    expect(error.code).toBe('TRANSPORT_FAILED')
    expect(error.message).toBe('[@flowcast/core] operation failed: TypeError: fetch failed')
    expect(FlowcastError.from('boom', 'CONNECT_FAILED', 'custom').message).toBe('custom')
    expect(FlowcastError.from('boom', 'CONNECT_FAILED').code).toBe('CONNECT_FAILED')
    expect(FlowcastError.from(null).cause).toBeNull()
  })
})

describe('isFlowcastError', () => {
  test('checks the class and optionally the code', () => {
    const error = new FlowcastError('TIMEOUT', 'x')
    expect(isFlowcastError(error)).toBe(true)
    expect(isFlowcastError(error, 'TIMEOUT')).toBe(true)
    expect(isFlowcastError(error, 'ABORTED')).toBe(false)
    expect(isFlowcastError(new Error('x'))).toBe(false)
    expect(isFlowcastError({ code: 'TIMEOUT', name: 'FlowcastError' })).toBe(false)
    expect(isFlowcastError(null)).toBe(false)
    expect(isFlowcastError('TIMEOUT')).toBe(false)
  })

  test('recognises errors from another copy of the package by brand', () => {
    const foreign = Object.create(Error.prototype) as Record<PropertyKey, unknown>
    foreign['code'] = 'CLOSED'
    foreign[Symbol.for('@flowcast/core/FlowcastError')] = true
    expect(isFlowcastError(foreign, 'CLOSED')).toBe(true)
  })
})

test('describeError', () => {
  expect(describeError(new RangeError('bad'))).toBe('RangeError: bad')
  expect(describeError(new Error())).toBe('Error')
  expect(describeError('text')).toBe('text')
  expect(describeError(undefined)).toBe('unknown error')
  expect(describeError({ a: 1 })).toBe('{"a":1}')
  const circular: Record<string, unknown> = {}
  circular['self'] = circular
  expect(describeError(circular)).toBe('unknown error')
  expect(describeError(Symbol('s'))).toBe('Symbol(s)')
})

test('FLOWCAST_ERROR_CODES lists each code once', () => {
  expect(new Set(FLOWCAST_ERROR_CODES).size).toBe(FLOWCAST_ERROR_CODES.length)
  expect(FLOWCAST_ERROR_CODES).toContain('WEBHOOK_UNAUTHORIZED')
  expect(FLOWCAST_ERROR_CODES).toHaveLength(18)
})
