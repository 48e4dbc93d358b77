import { validateAgainstSchema } from '@flowcast/prefect-spec'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createManualClock } from '../clock.js'
import { formatPrefectDateTime } from '../datetime.js'
import { FlowcastError } from '../errors.js'
import { encodeLogsFilterFrame, parseLogsServerFrame } from './frames.js'
import { compareLogs, matchesLogFilter } from './matching.js'
import { logLevelName, parseLogLevel, type Log } from './models.js'
import { LogCreateSchema, LogFilterSchema, LogSchema, validate } from '../schemas.js'
import { createRunLogsFollower } from './run-logs-follower.js'
import type { PullLogsSource, PushLogsSource } from './sources.js'

const run = '0190b2a4-8c1e-7d3a-9f00-000000000001'
const other = '0190b2a4-8c1e-7d3a-9f00-000000000002'
let seq = 0
function log(overrides: Partial<Log> = {}): Log {
  seq++
  return {
    id: `0190b2a4-8c1e-7d3a-9f00-${String(100000000000 + seq)}`,
    created: '2026-01-01T00:00:00.000000Z',
    updated: '2026-01-01T00:00:00.000000Z',
    name: 'prefect.flow_runs',
    level: 20,
    message: `message ${seq}`,
    timestamp: '2026-01-01T00:00:01.000000Z',
    flow_run_id: run,
    task_run_id: null,
    ...overrides,
  }
}

describe('models against the OpenAPI schema', () => {
  const dateTime = fc
    .integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2100, 0, 1) })
    .map((ms) => formatPrefectDateTime(ms))
  const uuid = fc.uuid()
  const logArb = fc.record({
    id: uuid,
    created: fc.option(dateTime, { nil: null }),
    updated: fc.option(dateTime, { nil: null }),
    name: fc.string(),
    level: fc.integer({ min: 0, max: 60 }),
    message: fc.string(),
    timestamp: dateTime,
    flow_run_id: fc.option(uuid, { nil: null }),
    task_run_id: fc.option(uuid, { nil: null }),
  })
  const filterArb = fc.record(
    {
      operator: fc.constantFrom('and_' as const, 'or_' as const),
      level: fc.record({ ge_: fc.integer(), le_: fc.integer() }, { requiredKeys: [] }),
      timestamp: fc.record({ before_: dateTime, after_: dateTime }, { requiredKeys: [] }),
      flow_run_id: fc.record({ any_: fc.array(uuid, { maxLength: 3 }) }, { requiredKeys: [] }),
      task_run_id: fc.record(
        { any_: fc.array(uuid, { maxLength: 3 }), is_null_: fc.boolean() },
        { requiredKeys: [] },
      ),
      text: fc.record({ query: fc.string({ maxLength: 200 }) }),
    },
    { requiredKeys: [] },
  )
  const junk = fc.oneof(fc.jsonValue(), fc.constant(null), fc.constant({}))

  test('property: logs, creates and filters core accepts validate against OpenAPI', () => {
    fc.assert(
      fc.property(logArb, filterArb, (value, filter) => {
        expect(validate(LogSchema, value).success).toBe(true)
        expect(validateAgainstSchema('Log', value)).toEqual([])
        const { id: _id, created: _c, updated: _u, ...create } = value
        expect(validate(LogCreateSchema, create).success).toBe(true)
        expect(validateAgainstSchema('LogCreate', create)).toEqual([])
        expect(
          validateAgainstSchema('LogFilter', JSON.parse(encodeLogsFilterFrame(filter)).filter),
        ).toEqual([])
      }),
    )
  })

  test('property: with junk spliced in, core never accepts what OpenAPI rejects', () => {
    fc.assert(
      fc.property(
        filterArb,
        fc.constantFrom('', 'level', 'timestamp', 'flow_run_id', 'task_run_id', 'text'),
        fc.string({ maxLength: 8 }),
        junk,
        (filter, where, key, value) => {
          const copy = JSON.parse(JSON.stringify(filter)) as Record<string, unknown>
          const target = where === '' ? copy : copy[where]
          if (target && typeof target === 'object') (target as Record<string, unknown>)[key] = value
          else copy[where] = value
          const result = validate(LogFilterSchema, copy)
          if (result.success) {
            expect(
              validateAgainstSchema('LogFilter', JSON.parse(JSON.stringify(result.data))),
            ).toEqual([])
          }
        },
      ),
    )
  })

  test('LogCreate rejects unknown keys like the server', () => {
    const { id: _id, created: _c, updated: _u, ...create } = log()
    expect(validate(LogCreateSchema, { ...create, extra: 1 }).success).toBe(false)
    expect(validateAgainstSchema('LogCreate', { ...create, extra: 1 })).not.toEqual([])
  })
})

describe('levels', () => {
  test('by name or number, case-insensitive; bad input is a typed error', () => {
    expect(parseLogLevel('INFO')).toBe(20)
    expect(parseLogLevel('warning')).toBe(30)
    expect(parseLogLevel('warn')).toBe(30)
    expect(parseLogLevel('15')).toBe(15)
    expect(parseLogLevel(40)).toBe(40)
    expect(() => parseLogLevel('LOUD')).toThrow(FlowcastError)
    expect(() => parseLogLevel(-1)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    expect(logLevelName(50)).toBe('CRITICAL')
    expect(logLevelName(15)).toBe('Level 15')
  })
})

describe('matchesLogFilter', () => {
  test('level, timestamp (inclusive), flow_run_id and task_run_id; text ignored', () => {
    const task = '0190b2a4-8c1e-7d3a-9f00-0000000000aa'
    const a = log({ level: 30, timestamp: '2026-01-01T00:00:05.000000Z', task_run_id: task })
    expect(matchesLogFilter(a, { level: { ge_: 30, le_: 30 } })).toBe(true)
    expect(matchesLogFilter(a, { level: { ge_: 31 } })).toBe(false)
    expect(matchesLogFilter(a, { level: { le_: 29 } })).toBe(false)
    expect(matchesLogFilter(a, { timestamp: { after_: a.timestamp, before_: a.timestamp } })).toBe(
      true,
    )
    expect(matchesLogFilter(a, { timestamp: { after_: '2026-01-01T00:00:05.000001Z' } })).toBe(
      false,
    )
    expect(matchesLogFilter(a, { timestamp: { before_: '2026-01-01T00:00:04.999999Z' } })).toBe(
      false,
    )
    expect(matchesLogFilter(a, { flow_run_id: { any_: [run.toUpperCase()] } })).toBe(true)
    expect(matchesLogFilter(a, { flow_run_id: { any_: [other] } })).toBe(false)
    expect(matchesLogFilter(a, { task_run_id: { any_: [task] } })).toBe(true)
    expect(matchesLogFilter(a, { task_run_id: { is_null_: true } })).toBe(false)
    expect(matchesLogFilter(log(), { task_run_id: { is_null_: true } })).toBe(true)
    expect(matchesLogFilter(a, { text: { query: 'nothing like it' } })).toBe(true)
    expect(matchesLogFilter(log({ flow_run_id: null }), { flow_run_id: { any_: [run] } })).toBe(
      false,
    )
  })

  test('compareLogs orders by timestamp, then id', () => {
    const late = log({ timestamp: '2026-01-01T00:00:09.000000Z' })
    const tieB = log()
    const tieA = { ...log(), id: '0190b2a4-8c1e-7d3a-9f00-000000000000' }
    expect([late, tieB, tieA].sort(compareLogs)).toEqual([tieA, tieB, late])
  })
})

describe('parseLogsServerFrame', () => {
  test('only {"type":"log"} with a valid log is a log; nothing throws', () => {
    const value = log()
    const frame = parseLogsServerFrame(JSON.stringify({ type: 'log', log: value }))
    expect(frame).toEqual({ kind: 'log', log: value })
    const bytes = new TextEncoder().encode(JSON.stringify({ type: 'log', log: value }))
    expect(parseLogsServerFrame(bytes).kind).toBe('log')
    expect(parseLogsServerFrame(bytes, { binary: true })).toMatchObject({ reason: 'binary' })
    expect(parseLogsServerFrame('{"type":"auth_success"}')).toEqual({ kind: 'auth_success' })
    expect(parseLogsServerFrame('{"type":"auth_failure","reason":"no"}')).toEqual({
      kind: 'auth_failure',
      reason: 'no',
    })
    expect(parseLogsServerFrame('{"type":"event","event":{}}')).toMatchObject({
      reason: 'unknown_type',
      type: 'event',
    })
    expect(parseLogsServerFrame('{"type":"log"}')).toMatchObject({ reason: 'invalid_log' })
    expect(parseLogsServerFrame('{"type":"log","log":{"id":"x"}}')).toMatchObject({
      kind: 'unknown',
      reason: 'invalid_log',
      detail: expect.stringContaining('id'),
    })
    expect(parseLogsServerFrame('nope')).toMatchObject({ reason: 'not_json' })
    expect(parseLogsServerFrame('[]')).toMatchObject({ reason: 'not_object' })
    expect(parseLogsServerFrame('{}')).toMatchObject({ reason: 'no_type' })
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          expect(() => parseLogsServerFrame(text)).not.toThrow()
        },
      ),
    )
  })

  test('the filter frame is compact and validated', () => {
    expect(encodeLogsFilterFrame({ flow_run_id: { any_: [run] } })).toBe(
      `{"type":"filter","filter":{"flow_run_id":{"any_":["${run}"]}}}`,
    )
    expect(() => encodeLogsFilterFrame({ nope: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_FILTER' }),
    )
  })
})

function fakePush() {
  const listeners = new Map<string, (log: Log) => void>()
  const source: PushLogsSource = {
    name: 'websocket',
    watch(id, listener) {
      listeners.set(id, listener)
      return () => listeners.delete(id)
    },
  }
  return { source, send: (value: Log) => listeners.get(value.flow_run_id!)?.(value) }
}

function fakePull(stored: Log[], fail?: () => FlowcastError | undefined) {
  const calls: Array<string | undefined> = []
  const source: PullLogsSource = {
    name: 'polling',
    read(ids, options = {}) {
      calls.push(options.after)
      const error = fail?.()
      if (error) return Promise.reject(error)
      return Promise.resolve(
        stored
          .filter((l) => ids.includes(l.flow_run_id!))
          .filter((l) =>
            matchesLogFilter(l, options.after ? { timestamp: { after_: options.after } } : {}),
          )
          .sort(compareLogs),
      )
    },
  }
  return { source, calls }
}

describe('createRunLogsFollower', () => {
  test('each log once across socket and REST; reconciles every 2 s, 1 s in the straggler window', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1))
    const stored: Log[] = [log({ timestamp: '2026-01-01T00:00:00.000000Z' })]
    const push = fakePush()
    const pull = fakePull(stored)
    const got: Array<[string, string]> = []
    const follower = createRunLogsFollower({
      flowRunId: run,
      sources: { push: push.source, pull: pull.source },
      clock,
      onLogs: (logs, source) => logs.forEach((l) => got.push([l.message, source])),
    })
    follower.start()
    await clock.advanceAsync(0)
    expect(got).toEqual([[stored[0]!.message, 'polling']])
    const live = log({ timestamp: '2026-01-01T00:00:01.000000Z' })
    stored.push(live)
    push.send(live)
    push.send(live)
    await clock.advanceAsync(0)
    expect(got.at(-1)).toEqual([live.message, 'websocket'])
    await clock.advanceAsync(2_000)
    expect(pull.calls).toHaveLength(2)
    // The REST read overlaps the newest read log; the live log is a duplicate.
    expect(pull.calls[1]).toBe('2025-12-31T23:59:50Z')
    expect(got).toHaveLength(2)
    const finishing = follower.finish({ stragglerMs: 3_000 })
    const straggler = log({ timestamp: '2026-01-01T00:00:02.000000Z' })
    stored.push(straggler)
    await clock.advanceAsync(1_000)
    expect(got.at(-1)).toEqual([straggler.message, 'polling'])
    await clock.advanceAsync(2_000)
    await finishing
    expect(pull.calls).toHaveLength(5) // first, 2 s, 3 s and 4 s in the window, its end
    expect(follower.stats.duplicates).toBeGreaterThan(0)
    expect(got.map(([m]) => m)).toEqual([stored[0]!.message, live.message, straggler.message])
  })

  test('a failing REST source is reported once and never stops the socket', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1))
    const push = fakePush()
    const errors: string[] = []
    const pull = fakePull([], () => new FlowcastError('HTTP', 'boom 500'))
    const got: string[] = []
    const follower = createRunLogsFollower({
      flowRunId: run,
      sources: { push: push.source, pull: pull.source },
      clock,
      onLogs: (logs) => logs.forEach((l) => got.push(l.message)),
      onError: (error, source) => errors.push(`${source}:${error.code}`),
    })
    follower.start()
    await clock.advanceAsync(4_000)
    const live = log()
    push.send(live)
    await clock.advanceAsync(0)
    await follower.finish()
    expect(errors).toEqual(['polling:HTTP'])
    expect(got).toEqual([live.message])
    expect(pull.calls.length).toBeGreaterThanOrEqual(3)
  })

  test('a socket burst is delivered in timestamp order', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1))
    const push = fakePush()
    const batches: string[][] = []
    const follower = createRunLogsFollower({
      flowRunId: run,
      sources: { push: push.source },
      clock,
      onLogs: (logs) => batches.push(logs.map((l) => l.timestamp)),
    })
    follower.start()
    push.send(log({ timestamp: '2026-01-01T00:00:03.000000Z' }))
    push.send(log({ timestamp: '2026-01-01T00:00:01.000000Z' }))
    await clock.advanceAsync(0)
    follower.stop()
    expect(batches).toEqual([['2026-01-01T00:00:01.000000Z', '2026-01-01T00:00:03.000000Z']])
  })
})
