import { createManualClock, type Log, type Logger } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { completeHandshake, createFakeWebSocket } from '../test/helpers/fake-websocket.js'
import { createLogsSubscriber } from './index.js'

const apiUrl = 'http://127.0.0.1:4200/api'
const start = Date.UTC(2026, 7, 20, 14, 0, 0)
const runId = '0190b2a4-8c1e-7d3a-9f00-000000000001'

const log = (n: number): Log => ({
  id: `0190b2a4-8c1e-7d3a-9f00-${String(100000000000 + n)}`,
  created: null,
  updated: null,
  name: 'prefect.flow_runs',
  level: 20,
  message: `log ${n}`,
  timestamp: '2026-08-20T13:59:59Z',
  flow_run_id: runId,
  task_run_id: null,
})

describe('createLogsSubscriber', () => {
  it('moves the time window on every (re)connect and dedupes across reconnects', () => {
    const kit = createFakeWebSocket()
    const clock = createManualClock(start)
    const got: string[] = []
    const subscriber = createLogsSubscriber({
      apiUrl,
      WebSocket: kit.WebSocket,
      clock,
      reconnect: { initialDelayMs: 100, jitter: 'none' },
      pingIntervalMs: 0,
      stallTimeoutMs: 60_000,
      filter: { flow_run_id: { any_: [runId] } },
      onLog: (l) => got.push(l.message),
    })
    const first = completeHandshake(kit.last()) as { filter: Record<string, unknown> }
    expect(first.filter).toEqual({
      flow_run_id: { any_: [runId] },
      timestamp: { after_: '2026-08-20T13:59:00Z', before_: '2027-08-20T14:00:00Z' },
    })
    expect(kit.last().url).toBe('ws://127.0.0.1:4200/api/logs/out')
    kit.last().receive(JSON.stringify({ type: 'log', log: log(1) }))
    clock.advance(30_000)
    kit.last().fail()
    clock.advance(100)
    const second = completeHandshake(kit.last()) as { filter: { timestamp: { after_: string } } }
    expect(second.filter.timestamp.after_).toBe('2026-08-20T13:59:30.100000Z')
    kit.last().receive(JSON.stringify({ type: 'log', log: log(1) }))
    kit.last().receive(JSON.stringify({ type: 'log', log: log(2) }))
    kit.last().receive(JSON.stringify({ type: 'log', log: { ...log(3), flow_run_id: null } }))
    expect(got).toEqual(['log 1', 'log 2'])
    expect(subscriber.stats).toMatchObject({ logs: 2, duplicates: 1, filtered: 1, reconnects: 1 })
    void subscriber.close()
  })

  it('pauses the socket at maxQueuedLogs, names the missed range, and resumes once drained', async () => {
    const kit = createFakeWebSocket()
    const clock = createManualClock(start)
    const warnings: { message: string; fields: Record<string, unknown> | undefined }[] = []
    const ignore = () => {}
    const logger: Logger = {
      debug: ignore,
      info: ignore,
      warn: (message, fields) => warnings.push({ message, fields }),
      error: ignore,
    }
    const subscriber = createLogsSubscriber({
      apiUrl,
      WebSocket: kit.WebSocket,
      clock,
      logger,
      maxQueuedLogs: 10,
      reconnect: { initialDelayMs: 100, jitter: 'none' },
      pingIntervalMs: 0,
      stallTimeoutMs: 60_000,
    })
    const iterator = subscriber[Symbol.asyncIterator]()
    completeHandshake(kit.last())
    // Nobody reads: the subscriber stops at 10 queued instead of holding all 30.
    for (let n = 1; n <= 30; n++) kit.last().receive(JSON.stringify({ type: 'log', log: log(n) }))
    expect(subscriber.stats).toMatchObject({ pauses: 1, queued: 10, queuedHighWater: 10 })
    expect(kit.last().closedBy).toContain(1000)
    expect(subscriber.state).toBe('reconnecting')
    clock.advance(5_000)
    const got: string[] = []
    for (let i = 0; i < 5; i++) got.push(((await iterator.next()).value as Log).message)
    // Half drained: a new socket, whose window starts from now (no backfill for logs).
    expect(kit.sockets).toHaveLength(2)
    const resumed = completeHandshake(kit.last()) as { filter: { timestamp: { after_: string } } }
    expect(resumed.filter.timestamp.after_).toBe('2026-08-20T13:59:05Z')
    expect(warnings.at(-1)?.fields).toEqual({
      since: '2026-08-20T14:00:00Z',
      until: '2026-08-20T14:00:05Z',
    })
    expect(warnings.at(-1)?.message).toContain('may be missing')
    for (let n = 31; n <= 33; n++) kit.last().receive(JSON.stringify({ type: 'log', log: log(n) }))
    while (got.length < 13) got.push(((await iterator.next()).value as Log).message)
    expect(got).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `log ${i + 1}`),
      'log 31',
      'log 32',
      'log 33',
    ])
    expect(subscriber.stats).toMatchObject({ pauses: 1, queued: 0, queuedHighWater: 10 })
    expect(subscriber.state).toBe('open')
    await iterator.return?.()
    expect(subscriber.state).toBe('closed')
  })
})
