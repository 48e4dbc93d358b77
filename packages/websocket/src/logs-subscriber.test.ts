import { createManualClock, type Log } from '@flowcast/core'
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
})
