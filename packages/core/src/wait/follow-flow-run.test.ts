import { describe, expect, test } from 'vitest'
import { createManualClock } from '../clock.js'
import { formatPrefectDateTime } from '../datetime.js'
import { FlowcastError } from '../errors.js'
import type { Log } from '../logs/models.js'
import type { PullLogsSource } from '../logs/sources.js'
import type { FlowRunStateObservation } from '../states.js'
import { followFlowRun, type FlowRunFollowItem } from './follow-flow-run.js'
import type { PullRunStateSource } from './types.js'

const runId = '0190b2a4-8c1e-7d3a-9f00-000000000001'
let seq = 0
const logAt = (ms: number): Log => ({
  id: `0190b2a4-8c1e-7d3a-9f00-${String(100000000000 + ++seq)}`,
  created: null,
  updated: null,
  name: 'prefect.flow_runs',
  level: 20,
  message: `log ${seq}`,
  timestamp: formatPrefectDateTime(ms),
  flow_run_id: runId,
  task_run_id: null,
})
const stateAt = (ms: number, type: FlowRunStateObservation['type']): FlowRunStateObservation => ({
  flowRunId: runId,
  type,
  name: type.charAt(0) + type.slice(1).toLowerCase(),
  timestamp: formatPrefectDateTime(ms),
  message: null,
  eventId: null,
})

function setUp(start: number) {
  const clock = createManualClock(start)
  const stored: Log[] = []
  let state = stateAt(start, 'RUNNING')
  let logsFail: FlowcastError | undefined
  const reads: Array<string | undefined> = []
  const pull: PullRunStateSource = { name: 'polling', read: () => Promise.resolve(state) }
  const logs: PullLogsSource = {
    name: 'polling',
    read(_ids, options = {}) {
      reads.push(options.after)
      if (logsFail) return Promise.reject(logsFail)
      return Promise.resolve(stored.filter((l) => !options.after || l.timestamp >= options.after))
    },
  }
  return {
    clock,
    stored,
    reads,
    pull,
    logs,
    setState: (next: FlowRunStateObservation) => (state = next),
    failLogs: (error: FlowcastError) => (logsFail = error),
  }
}

describe('followFlowRun', () => {
  test('states and logs in one stream; stragglers after a live end, then the outcome', async () => {
    const start = Date.UTC(2026, 0, 1)
    const t = setUp(start)
    t.stored.push(logAt(start))
    const follow = followFlowRun(runId, {
      sources: { pull: t.pull },
      logs: { pull: t.logs },
      clock: t.clock,
    })
    const items: FlowRunFollowItem[] = []
    const collecting = (async () => {
      for await (const item of follow) items.push(item)
    })()
    await t.clock.advanceAsync(0)
    t.stored.push(logAt(start + 500))
    t.setState(stateAt(start + 1_500, 'COMPLETED'))
    await t.clock.advanceAsync(1_000)
    await t.clock.advanceAsync(1_000)
    // The terminal state is known; a straggler lands after it.
    t.stored.push(logAt(start + 2_500))
    let settled = false
    void follow.result.then(() => (settled = true))
    await t.clock.advanceAsync(1_500)
    expect(settled).toBe(false)
    await t.clock.advanceAsync(3_000)
    const result = await follow.result
    await collecting
    expect(result.outcome).toBe('terminal')
    expect(follow.endSeenLive).toBe(true)
    const kinds = items.map((i) => (i.type === 'state' ? i.state.type : i.log.message))
    expect(kinds).toEqual(['log 1', 'RUNNING', 'COMPLETED', 'log 2', 'log 3'])
  })

  test('a run that ended long ago: logs read once, no straggler wait', async () => {
    const start = Date.UTC(2026, 0, 1, 5)
    const t = setUp(start)
    t.setState(stateAt(start - 3 * 3_600_000, 'COMPLETED'))
    t.stored.push(logAt(start - 3 * 3_600_000 - 10))
    const got: string[] = []
    const follow = followFlowRun(runId, {
      sources: { pull: t.pull },
      logs: { pull: t.logs },
      clock: t.clock,
      onLog: (l) => got.push(l.message),
    })
    await t.clock.advanceAsync(0)
    await t.clock.advanceAsync(0)
    const result = await follow.result
    expect(result.outcome).toBe('terminal')
    expect(follow.endSeenLive).toBe(false)
    expect(got).toHaveLength(1)
    expect(t.reads.length).toBeLessThanOrEqual(2)
  })

  test('failing logs change nothing about the outcome', async () => {
    const start = Date.UTC(2026, 0, 1)
    const t = setUp(start)
    t.failLogs(new FlowcastError('NOT_FOUND', '404'))
    t.setState(stateAt(start, 'FAILED'))
    const errors: string[] = []
    const follow = followFlowRun(runId, {
      sources: { pull: t.pull },
      logs: { pull: t.logs },
      clock: t.clock,
      onLogsError: (error) => errors.push(error.code),
    })
    await t.clock.advanceAsync(0)
    await t.clock.advanceAsync(5_000)
    const result = await follow.result
    expect(result).toMatchObject({ outcome: 'terminal', stateType: 'FAILED' })
    expect(errors).toEqual(['NOT_FOUND'])
  })
})
