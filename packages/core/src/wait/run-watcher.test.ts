import { describe, expect, it, vi } from 'vitest'
import { createManualClock } from '../clock.js'
import { FlowcastError } from '../errors.js'
import type { StateType } from '../models.js'
import type { FlowRunStateObservation } from '../states.js'
import { createRunWatcher } from './run-watcher.js'
import type { PullRunStateSource, PushRunStateSource, RunStateSourceHealth } from './types.js'
import { waitForFlowRun } from './wait-for-flow-run.js'

// ---------------------------------------------------------------------------------------
// Scriptable sources

interface FakePush extends PushRunStateSource {
  health: RunStateSourceHealth
  lastError: FlowcastError | undefined
  emit(observation: FlowRunStateObservation): void
  setHealth(health: RunStateSourceHealth, error?: FlowcastError): void
  watchers(flowRunId: string): number
  readonly totalWatchers: number
  readonly healthListeners: number
}

function fakePush(
  health: RunStateSourceHealth = 'healthy',
  log: string[] = [],
  name = 'websocket',
): FakePush {
  const listeners = new Map<string, Set<(o: FlowRunStateObservation) => void>>()
  const healthListeners = new Set<(h: RunStateSourceHealth) => void>()
  let total = 0
  const source: FakePush = {
    name,
    health,
    lastError: undefined,
    watch(flowRunId, listener) {
      log.push(`watch ${flowRunId}`)
      let set = listeners.get(flowRunId)
      if (!set) listeners.set(flowRunId, (set = new Set()))
      set.add(listener)
      total++
      return () => {
        if (set.delete(listener)) total--
        log.push(`unwatch ${flowRunId}`)
      }
    },
    onHealthChange(listener) {
      healthListeners.add(listener)
      return () => healthListeners.delete(listener)
    },
    emit(o) {
      for (const listener of [...(listeners.get(o.flowRunId) ?? [])]) listener(o)
    },
    setHealth(next, error) {
      source.health = next
      if (error) source.lastError = error
      for (const listener of [...healthListeners]) listener(next)
    },
    watchers: (flowRunId) => listeners.get(flowRunId)?.size ?? 0,
    get totalWatchers() {
      return total
    },
    get healthListeners() {
      return healthListeners.size
    },
  }
  return source
}

type Responder = (flowRunId: string) => FlowRunStateObservation | FlowcastError

interface FakePull extends PullRunStateSource {
  respond: Responder
  readonly reads: string[]
  readTimes: number[]
}

function fakePull(respond: Responder, log: string[] = [], now?: () => number): FakePull {
  const source: FakePull = {
    name: 'polling',
    respond,
    reads: [],
    readTimes: [],
    async read(flowRunId) {
      source.reads.push(flowRunId)
      if (now) source.readTimes.push(now())
      log.push(`read ${flowRunId}`)
      const result = source.respond(flowRunId)
      if (result instanceof FlowcastError) throw result
      return result
    },
  }
  return source
}

const RUN = '0190b7f0-0000-7000-8000-000000000001'

function obs(
  type: StateType,
  name: string,
  second: number,
  flowRunId = RUN,
): FlowRunStateObservation {
  const ss = String(second).padStart(2, '0')
  return {
    flowRunId,
    type,
    name,
    timestamp: `2026-08-20T14:03:${ss}.000000Z`,
    message: null,
    eventId: null,
  }
}

const notFound = () =>
  new FlowcastError('NOT_FOUND', '[@flowcast/test] flow run not found', { status: 404 })
const authRejected = () =>
  new FlowcastError('AUTH_REJECTED', '[@flowcast/test] unauthorized', { status: 401 })
const unreachable = () => new FlowcastError('CONNECT_FAILED', '[@flowcast/test] ECONNREFUSED')

// ---------------------------------------------------------------------------------------

describe('createRunWatcher: race-free start', () => {
  it('registers on the push source before the first read', async () => {
    const log: string[] = []
    const clock = createManualClock()
    const push = fakePush('healthy', log)
    const pull = fakePull(() => obs('RUNNING', 'Running', 1), log)
    const watcher = createRunWatcher({ sources: { push, pull }, clock })
    const result = watcher.wait(RUN)
    expect(log).toEqual([`watch ${RUN}`, `read ${RUN}`])
    push.emit(obs('COMPLETED', 'Completed', 2))
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', source: 'websocket' })
    expect(log.at(-1)).toBe(`unwatch ${RUN}`)
  })

  it('hands the push source one shared listener, not a closure per wait', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const listeners: unknown[] = []
    const watch = push.watch.bind(push)
    push.watch = (flowRunId, listener) => {
      listeners.push(listener)
      return watch(flowRunId, listener)
    }
    const watcher = createRunWatcher({ sources: { push }, clock })
    const other = '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6d'
    const first = watcher.wait(RUN)
    const second = watcher.wait(other)
    expect(listeners).toHaveLength(2)
    expect(listeners[0]).toBe(listeners[1])
    // The shared listener still routes each run's state to that run's waits only.
    push.emit({ ...obs('COMPLETED', 'Completed', 2), flowRunId: other })
    await expect(second).resolves.toMatchObject({ outcome: 'terminal', flowRunId: other })
    expect(watcher.activeWaits).toBe(1)
    push.emit(obs('FAILED', 'Failed', 3))
    await expect(first).resolves.toMatchObject({ outcome: 'terminal', stateType: 'FAILED' })
    watcher.close()
  })

  it('resolves from the read when the run finished long before (outside any backfill)', async () => {
    const clock = createManualClock(Date.UTC(2026, 7, 20, 18))
    const push = fakePush('healthy')
    const pull = fakePull(() => obs('COMPLETED', 'Completed', 14))
    const result = await waitForFlowRun(RUN, { sources: { push, pull }, clock })
    expect(result).toMatchObject({
      outcome: 'terminal',
      flowRunId: RUN,
      stateType: 'COMPLETED',
      stateName: 'Completed',
      source: 'polling',
      timings: { startedAt: clock.now(), resolvedAt: clock.now(), elapsedMs: 0 },
    })
    expect(push.totalWatchers).toBe(0)
    expect(push.healthListeners).toBe(0)
    expect(clock.pendingTimers).toBe(0)
  })

  it('resolves from a push observation delivered while watch() runs', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const inner = push.watch.bind(push)
    push.watch = (id, listener) => {
      const stop = inner(id, listener)
      listener(obs('FAILED', 'TimedOut', 3))
      return stop
    }
    const pull = fakePull(() => obs('RUNNING', 'Running', 1))
    const result = await createRunWatcher({ sources: { push, pull }, clock }).wait(RUN)
    expect(result).toMatchObject({
      outcome: 'terminal',
      stateType: 'FAILED',
      stateName: 'TimedOut',
    })
    expect(pull.reads).toEqual([])
    expect(push.totalWatchers).toBe(0)
  })
})

describe('createRunWatcher: terminal means state type', () => {
  it('is not fooled by AwaitingRetry after a failure; resolves at the real end', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => obs('RUNNING', 'Running', 1))
    const seen: string[] = []
    let settled = false
    const result = createRunWatcher({ sources: { push, pull }, clock })
      .wait(RUN, { onState: (o, source) => seen.push(`${o.name}/${o.type}@${source}`) })
      .finally(() => (settled = true))
    await clock.advanceAsync(0)
    push.emit({ ...obs('SCHEDULED', 'AwaitingRetry', 2), message: 'Flow run failed: boom' })
    push.emit(obs('RUNNING', 'Running', 4))
    await clock.advanceAsync(0)
    expect(settled).toBe(false)
    push.emit(obs('COMPLETED', 'Completed', 6))
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', stateType: 'COMPLETED' })
    expect(seen).toEqual([
      'Running/RUNNING@polling',
      'AwaitingRetry/SCHEDULED@websocket',
      'Running/RUNNING@websocket',
      'Completed/COMPLETED@websocket',
    ])
  })

  it('drops observations older than the last known state (REST lagging the event)', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    let current = obs('SCHEDULED', 'Scheduled', 0)
    const pull = fakePull(() => current)
    const seen: string[] = []
    const watcher = createRunWatcher({ sources: { push, pull }, clock, reconcileIntervalMs: 1_000 })
    const result = watcher.wait(RUN, { timeoutMs: 5_000, onState: (o) => seen.push(o.name) })
    await clock.advanceAsync(0)
    push.emit(obs('RUNNING', 'Running', 5))
    current = obs('PENDING', 'Pending', 3)
    await clock.advanceAsync(1_000)
    // A terminal state older than what we know is superseded (e.g. a run that was re-run).
    push.emit(obs('COMPLETED', 'Completed', 4))
    await clock.advanceAsync(4_000)
    await expect(result).resolves.toMatchObject({
      outcome: 'timeout',
      lastState: { name: 'Running', type: 'RUNNING' },
    })
    expect(seen).toEqual(['Scheduled', 'Running'])
  })

  it('reports the same state seen from both sources once', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => obs('RUNNING', 'Running', 1))
    const seen: string[] = []
    const result = createRunWatcher({ sources: { push, pull }, clock }).wait(RUN, {
      onState: (o, source) => seen.push(`${o.name}@${source}`),
    })
    await clock.advanceAsync(0)
    push.emit(obs('RUNNING', 'Running', 1))
    push.emit(obs('CANCELLED', 'Cancelled', 2))
    await expect(result).resolves.toMatchObject({ stateType: 'CANCELLED', source: 'websocket' })
    expect(seen).toEqual(['Running@polling', 'Cancelled@websocket'])
  })
})

describe('createRunWatcher: reading schedule', () => {
  it('reconciles on the slow interval while push is healthy (a silent stream)', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    let current = obs('RUNNING', 'Running', 1)
    const pull = fakePull(
      () => current,
      [],
      () => clock.now(),
    )
    const result = createRunWatcher({ sources: { push, pull }, clock }).wait(RUN)
    await clock.advanceAsync(29_900)
    expect(pull.readTimes).toEqual([0])
    current = obs('COMPLETED', 'Completed', 9)
    await clock.advanceAsync(100)
    await expect(result).resolves.toMatchObject({
      outcome: 'terminal',
      source: 'polling',
      timings: { elapsedMs: 30_000 },
    })
    expect(pull.readTimes).toEqual([0, 30_000])
  })

  it('reads on a fast backoff while push is degraded and returns to push when it recovers', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(
      () => obs('RUNNING', 'Running', 1),
      [],
      () => clock.now(),
    )
    const watcher = createRunWatcher({ sources: { push, pull }, clock })
    const result = watcher.wait(RUN)
    await clock.advanceAsync(5_000)
    expect(pull.readTimes).toEqual([0])
    push.setHealth('degraded', unreachable())
    await clock.advanceAsync(20_000)
    // 5 s (now), then +1 s, +1.5 s, +2.25 s, +3.375 s (grid 100 ms), +5.0625 s, +7.59375 s
    expect(pull.readTimes).toEqual([0, 5_000, 6_000, 7_500, 9_800, 13_200, 18_300])
    push.setHealth('healthy')
    await clock.advanceAsync(29_000)
    expect(pull.readTimes).toHaveLength(7)
    await clock.advanceAsync(1_000)
    expect(pull.readTimes.at(-1)).toBe(55_000)
    push.emit(obs('COMPLETED', 'Completed', 9))
    await expect(result).resolves.toMatchObject({ source: 'websocket' })
  })

  it('reads on the backoff with a pull source only, up to the cap', async () => {
    const clock = createManualClock()
    const pull = fakePull(
      () => obs('PENDING', 'Pending', 1),
      [],
      () => clock.now(),
    )
    const result = waitForFlowRun(RUN, {
      sources: { pull },
      clock,
      fallbackPolling: { initialDelayMs: 1_000, multiplier: 2, maxDelayMs: 4_000 },
      timeoutMs: 20_000,
    })
    await clock.advanceAsync(20_000)
    expect(pull.readTimes).toEqual([0, 1_000, 3_000, 7_000, 11_000, 15_000, 19_000])
    await expect(result).resolves.toMatchObject({
      outcome: 'timeout',
      lastState: { type: 'PENDING' },
      timings: { elapsedMs: 20_000 },
    })
  })

  it('with a push source only never reads, and resolves from push', async () => {
    const clock = createManualClock()
    const push = fakePush('connecting')
    const result = waitForFlowRun(RUN, { sources: { push }, clock })
    push.setHealth('healthy')
    push.emit(obs('CRASHED', 'Crashed', 1))
    await expect(result).resolves.toMatchObject({ stateType: 'CRASHED', source: 'websocket' })
  })
})

describe('createRunWatcher: fallbackPolling: false', () => {
  it('reads once to start, never while push is down, and fails when push stays down', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(
      () => obs('RUNNING', 'Running', 1),
      [],
      () => clock.now(),
    )
    const result = waitForFlowRun(RUN, {
      sources: { push, pull },
      clock,
      fallbackPolling: false,
      reconcileIntervalMs: Infinity,
    })
    await clock.advanceAsync(1_000)
    push.setHealth('degraded', unreachable())
    await clock.advanceAsync(14_900)
    expect(pull.readTimes).toEqual([0])
    await clock.advanceAsync(100)
    await expect(result).resolves.toMatchObject({
      outcome: 'transport_failed',
      error: { code: 'CONNECT_FAILED' },
      timings: { elapsedMs: 16_000 },
    })
  })

  it('retries a failed first read until one answers, then stops reading', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    let fail = true
    const pull = fakePull(
      () => (fail ? unreachable() : obs('COMPLETED', 'Completed', 1)),
      [],
      () => clock.now(),
    )
    const result = waitForFlowRun(RUN, {
      sources: { push, pull },
      clock,
      fallbackPolling: false,
      reconcileIntervalMs: Infinity,
    })
    await clock.advanceAsync(2_000)
    fail = false
    await clock.advanceAsync(1_000)
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', source: 'polling' })
    expect(pull.readTimes).toEqual([0, 1_000, 2_500])
  })
})

describe('createRunWatcher: timeout and abort', () => {
  it('times out with the last known state', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => obs('RUNNING', 'Running', 1))
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock, timeoutMs: 2_500 })
    await clock.advanceAsync(2_499)
    push.emit(obs('PAUSED', 'Suspended', 2))
    await clock.advanceAsync(100)
    const settled = await result
    expect(settled).toMatchObject({
      outcome: 'timeout',
      lastState: { type: 'PAUSED', name: 'Suspended' },
      timings: { elapsedMs: 2_500 },
    })
    expect(push.totalWatchers).toBe(0)
  })

  it('aborts on the signal, removing its listener and the push registration', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => obs('RUNNING', 'Running', 1))
    const controller = new AbortController()
    const remove = vi.spyOn(controller.signal, 'removeEventListener')
    const result = waitForFlowRun(RUN, {
      sources: { push, pull },
      clock,
      signal: controller.signal,
    })
    await clock.advanceAsync(0)
    controller.abort(new Error('user pressed ctrl-c'))
    const settled = await result
    expect(settled.outcome).toBe('aborted')
    if (settled.outcome !== 'aborted') throw new Error('unreachable')
    expect((settled.reason as Error).message).toBe('user pressed ctrl-c')
    expect(settled.lastState?.type).toBe('RUNNING')
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function))
    expect(push.totalWatchers).toBe(0)
    expect(clock.pendingTimers).toBe(0)
  })

  it('is aborted at once for an already aborted signal, without touching the sources', async () => {
    const log: string[] = []
    const push = fakePush('healthy', log)
    const pull = fakePull(() => obs('COMPLETED', 'Completed', 1), log)
    const result = await waitForFlowRun(RUN, {
      sources: { push, pull },
      signal: AbortSignal.abort(),
    })
    expect(result.outcome).toBe('aborted')
    expect(log).toEqual([])
  })
})

describe('createRunWatcher: transport failures', () => {
  it('fails at once when push failed and pull rejects the credentials', async () => {
    const clock = createManualClock()
    const push = fakePush('failed')
    push.lastError = authRejected()
    const pull = fakePull(() => authRejected())
    const result = await waitForFlowRun(RUN, { sources: { push, pull }, clock })
    expect(result.outcome).toBe('transport_failed')
    if (result.outcome !== 'transport_failed') throw new Error('unreachable')
    expect(result.error.code).toBe('AUTH_REJECTED')
    expect(result.timings.elapsedMs).toBe(0)
  })

  it('fails after transportFailureMs when push is down and every read fails', async () => {
    const clock = createManualClock()
    const push = fakePush('connecting')
    const pull = fakePull(() => unreachable())
    let settled = false
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock }).finally(
      () => (settled = true),
    )
    push.setHealth('degraded', new FlowcastError('CONNECT_FAILED', '[@flowcast/test] refused'))
    await clock.advanceAsync(14_900)
    expect(settled).toBe(false)
    await clock.advanceAsync(100)
    const settledResult = await result
    expect(settledResult).toMatchObject({
      outcome: 'transport_failed',
      error: { code: 'CONNECT_FAILED' },
      timings: { elapsedMs: 15_000 },
    })
  })

  it('counts a read that hangs until its timeout from when it was sent', async () => {
    const clock = createManualClock()
    const push = fakePush('degraded')
    const pull: PullRunStateSource = {
      name: 'polling',
      read: () =>
        new Promise((_, reject) => {
          clock.setTimeout(
            () => reject(new FlowcastError('TIMEOUT', '[@flowcast/test] slow')),
            10_000,
          )
        }),
    }
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock })
    await clock.advanceAsync(15_000)
    await expect(result).resolves.toMatchObject({
      outcome: 'transport_failed',
      error: { code: 'TIMEOUT' },
      timings: { elapsedMs: 15_000 },
    })
  })

  it('keeps waiting while push is healthy even if every read fails', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => unreachable())
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock })
    await clock.advanceAsync(60_000)
    push.emit(obs('COMPLETED', 'Completed', 1))
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', source: 'websocket' })
  })

  it('keeps waiting on push when only the read rejects the credentials', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => authRejected())
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock })
    await clock.advanceAsync(60_000)
    expect(pull.reads).toHaveLength(1)
    push.emit(obs('COMPLETED', 'Completed', 1))
    await expect(result).resolves.toMatchObject({ outcome: 'terminal' })
  })

  it('fails when the push source fails permanently and there is no pull source', async () => {
    const clock = createManualClock()
    const push = fakePush('connecting')
    const result = waitForFlowRun(RUN, { sources: { push }, clock })
    push.setHealth('failed', authRejected())
    await clock.advanceAsync(0)
    await expect(result).resolves.toMatchObject({
      outcome: 'transport_failed',
      error: { code: 'AUTH_REJECTED' },
    })
  })

  it('fails after transportFailureMs with a push source only that stays down', async () => {
    const clock = createManualClock()
    const push = fakePush('connecting')
    const result = waitForFlowRun(RUN, { sources: { push }, clock, transportFailureMs: 5_000 })
    await clock.advanceAsync(5_000)
    await expect(result).resolves.toMatchObject({
      outcome: 'transport_failed',
      error: { code: 'TRANSPORT_FAILED' },
    })
  })

  it('a transient read failure resets once a read works', async () => {
    const clock = createManualClock()
    const push = fakePush('degraded')
    let fail = true
    const pull = fakePull(() => (fail ? unreachable() : obs('RUNNING', 'Running', 1)))
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock, timeoutMs: 32_000 })
    await clock.advanceAsync(10_000)
    fail = false
    await clock.advanceAsync(10_000)
    fail = true
    // Failing again since 20.8 s: 32 s is within 15 s of that, so this is a timeout.
    await clock.advanceAsync(12_000)
    await expect(result).resolves.toMatchObject({ outcome: 'timeout' })
  })
})

describe('createRunWatcher: NOT_FOUND', () => {
  it('ends with transport_failed NOT_FOUND when the run stays unknown for notFoundGraceMs', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(
      () => notFound(),
      [],
      () => clock.now(),
    )
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock })
    await clock.advanceAsync(10_000)
    const settled = await result
    expect(settled).toMatchObject({
      outcome: 'transport_failed',
      error: { code: 'NOT_FOUND' },
      lastState: null,
      timings: { elapsedMs: 10_000 },
    })
    // NOT_FOUND is re-read on the fast backoff even while push is healthy.
    expect(pull.readTimes.slice(0, 3)).toEqual([0, 1_000, 2_500])
  })

  it('tolerates NOT_FOUND once the run has been seen (a lagging replica)', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => notFound())
    const result = waitForFlowRun(RUN, { sources: { push, pull }, clock })
    await clock.advanceAsync(500)
    push.emit(obs('SCHEDULED', 'Scheduled', 0))
    await clock.advanceAsync(30_000)
    push.emit(obs('COMPLETED', 'Completed', 9))
    await expect(result).resolves.toMatchObject({ outcome: 'terminal' })
  })

  it('recovers when the run appears within the grace', async () => {
    const clock = createManualClock()
    let found = false
    const pull = fakePull(() => (found ? obs('COMPLETED', 'Completed', 1) : notFound()))
    const result = waitForFlowRun(RUN, { sources: { pull }, clock })
    await clock.advanceAsync(2_000)
    found = true
    await clock.advanceAsync(2_000)
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', source: 'polling' })
  })
})

describe('createRunWatcher: multiplexing', () => {
  it('shares one registration and one read per run across waits', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => obs('RUNNING', 'Running', 1))
    const watcher = createRunWatcher({ sources: { push, pull }, clock })
    const first = watcher.wait(RUN)
    await clock.advanceAsync(0)
    const late: string[] = []
    const second = watcher.wait(RUN, { onState: (o) => late.push(o.name) })
    expect(late).toEqual(['Running'])
    expect(push.watchers(RUN)).toBe(1)
    expect(pull.reads).toHaveLength(1)
    expect(watcher).toMatchObject({ activeWaits: 2, watchedRuns: 1 })
    push.emit(obs('COMPLETED', 'Completed', 2))
    const [a, b] = await Promise.all([first, second])
    expect(a.outcome).toBe('terminal')
    expect(b.outcome).toBe('terminal')
    expect(watcher).toMatchObject({ activeWaits: 0, watchedRuns: 0 })
  })

  it('aborting one of two waits on a run keeps the other', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull(() => obs('RUNNING', 'Running', 1))
    const watcher = createRunWatcher({ sources: { push, pull }, clock })
    const controller = new AbortController()
    const first = watcher.wait(RUN, { signal: controller.signal })
    const second = watcher.wait(RUN)
    controller.abort()
    await expect(first).resolves.toMatchObject({ outcome: 'aborted' })
    expect(push.watchers(RUN)).toBe(1)
    push.emit(obs('COMPLETED', 'Completed', 2))
    await expect(second).resolves.toMatchObject({ outcome: 'terminal' })
  })

  it('runs 10,000 waits on one shared timer', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const pull = fakePull((id) => obs('RUNNING', 'Running', 1, id))
    const watcher = createRunWatcher({ sources: { push, pull }, clock })
    const ids = Array.from({ length: 10_000 }, (_, i) => `run-${i}`)
    const results = ids.map((id, i) => watcher.wait(id, { timeoutMs: 60_000 + i }))
    await clock.advanceAsync(0)
    expect(clock.pendingTimers).toBe(1)
    expect(push.totalWatchers).toBe(10_000)
    ids.forEach((id, i) => push.emit(obs(i % 2 ? 'FAILED' : 'COMPLETED', 'Done', 2, id)))
    const settled = await Promise.all(results)
    expect(settled.filter((r) => r.outcome === 'terminal')).toHaveLength(10_000)
    expect(
      settled.filter((r) => r.outcome === 'terminal' && r.stateType === 'FAILED'),
    ).toHaveLength(5_000)
    expect(clock.pendingTimers).toBe(0)
    expect(push.totalWatchers).toBe(0)
  })

  it('close() aborts pending waits with CLOSED and refuses new ones', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const watcher = createRunWatcher({ sources: { push }, clock })
    const pending = watcher.wait(RUN)
    watcher.close()
    watcher.close()
    const result = await pending
    expect(result.outcome).toBe('aborted')
    if (result.outcome !== 'aborted') throw new Error('unreachable')
    expect(result.reason).toMatchObject({ code: 'CLOSED' })
    await expect(watcher.wait(RUN)).rejects.toMatchObject({ code: 'CLOSED' })
    expect(push.totalWatchers).toBe(0)
    expect(push.healthListeners).toBe(0)
  })
})

describe('createRunWatcher: options', () => {
  it('needs at least one source', () => {
    expect(() => createRunWatcher({ sources: {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it('rejects a bad timeout or flow-run id', async () => {
    const watcher = createRunWatcher({ sources: { push: fakePush() } })
    await expect(watcher.wait(RUN, { timeoutMs: -1 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    await expect(watcher.wait('')).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(() =>
      createRunWatcher({ sources: { push: fakePush() }, reconcileIntervalMs: -5 }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    watcher.close()
  })

  it('survives an onState listener that throws', async () => {
    const clock = createManualClock()
    const push = fakePush('healthy')
    const errors: string[] = []
    const logger = { debug() {}, info() {}, warn() {}, error: (m: string) => errors.push(m) }
    const result = waitForFlowRun(RUN, {
      sources: { push },
      clock,
      logger,
      onState: () => {
        throw new Error('listener bug')
      },
    })
    push.emit(obs('COMPLETED', 'Completed', 1))
    await expect(result).resolves.toMatchObject({ outcome: 'terminal' })
    expect(errors).toEqual(['onState listener threw'])
  })
})

describe('createRunWatcher: profile', () => {
  it("'test' reads from 10 ms on a 5 ms grid and times out on that grid", async () => {
    const clock = createManualClock()
    const pull = fakePull(
      () => obs('PENDING', 'Pending', 1),
      [],
      () => clock.now(),
    )
    const result = waitForFlowRun(RUN, {
      sources: { pull },
      clock,
      profile: 'test',
      timeoutMs: 102,
    })
    await clock.advanceAsync(200)
    // Delays 10, 15, 22.5, 33.75, 50.6, … each rounded up to the 5 ms grid; 102 → 105.
    expect(pull.readTimes).toEqual([0, 10, 25, 50, 85])
    await expect(result).resolves.toMatchObject({ outcome: 'timeout', timings: { elapsedMs: 105 } })
  })

  it("'test' ends an unreachable wait after 2 s; explicit options win over the profile", async () => {
    const clock = createManualClock()
    const pull = fakePull(unreachable)
    const fast = waitForFlowRun(RUN, { sources: { pull }, clock, profile: 'test' })
    const tuned = waitForFlowRun(RUN, {
      sources: { pull },
      clock,
      profile: 'test',
      transportFailureMs: 3_000,
    })
    await clock.advanceAsync(3_100)
    await expect(fast).resolves.toMatchObject({
      outcome: 'transport_failed',
      timings: { elapsedMs: 2_000 },
    })
    await expect(tuned).resolves.toMatchObject({
      outcome: 'transport_failed',
      timings: { elapsedMs: 3_000 },
    })
  })

  it('rejects an unknown profile', () => {
    expect(() =>
      createRunWatcher({ sources: { pull: fakePull(unreachable) }, profile: 'fast' as 'test' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
  })
})
