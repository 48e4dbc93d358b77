import {
  FlowcastError,
  createManualClock,
  parseFlowRun,
  type FlowRun,
  type FlowRunStateObservation,
  type StateType,
} from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import type { FlowRunFilterBody } from './types.js'
import { createPollingRunStateSource } from './polling-source.js'

const hex = (n: number) => n.toString(16).padStart(12, '0')
const runId = (n: number) => `0190b7f0-0000-7000-8000-${hex(n)}`

/** A fake REST client over an in-memory table of run states. */
function fakeClient() {
  const states = new Map<string, { type: StateType; name: string; second: number }>()
  const requests: Array<{ kind: 'read' | 'filter'; body?: FlowRunFilterBody; id?: string }> = []
  let failure: FlowcastError | undefined
  const toRun = (id: string): FlowRun => {
    const s = states.get(id)!
    const ss = String(s.second).padStart(2, '0')
    return parseFlowRun({
      id,
      created: '2026-08-20T14:00:00Z',
      updated: `2026-08-20T14:03:${ss}Z`,
      flow_id: '3f0b6d3e-8a51-4c2a-9a7e-2d1c5b9e4f10',
      state: {
        id: '01a01f7b-b06f-70f2-91a7-e5b2d04852d1',
        type: s.type,
        name: s.name,
        timestamp: `2026-08-20T14:03:${ss}Z`,
      },
    })
  }
  const client = {
    states,
    requests,
    fail(error: FlowcastError | undefined) {
      failure = error
    },
    set(id: string, type: StateType, name: string, second: number) {
      states.set(id, { type, name, second })
    },
    async readFlowRun(id: string) {
      requests.push({ kind: 'read', id })
      if (failure) throw failure
      if (!states.has(id)) {
        throw new FlowcastError('NOT_FOUND', '[@flowcast/test] not found', { status: 404 })
      }
      return toRun(id)
    },
    async filterFlowRuns(body: FlowRunFilterBody = {}) {
      requests.push({ kind: 'filter', body })
      if (failure) throw failure
      const ids = body.flow_runs?.id?.any_ ?? []
      const types = body.flow_runs?.state?.type?.any_
      const matching = ids
        .filter((id) => states.has(id))
        .filter((id) => !types || types.includes(states.get(id)!.type))
        .sort()
        .reverse()
      const offset = body.offset ?? 0
      return matching.slice(offset, offset + (body.limit ?? 200)).map(toRun)
    },
  }
  return client
}

describe('createPollingRunStateSource: read (pull)', () => {
  it('reads one run with GET and answers NOT_FOUND for unknown runs', async () => {
    const client = fakeClient()
    client.set(runId(1), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client })
    await expect(source.read(runId(1))).resolves.toMatchObject({
      flowRunId: runId(1),
      type: 'RUNNING',
      name: 'Running',
    })
    await expect(source.read(runId(2))).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(client.requests.map((r) => r.kind)).toEqual(['read', 'read'])
    expect(source.health).toBe('healthy')
  })

  it('batches reads issued together into one filter request per page', async () => {
    const client = fakeClient()
    for (let i = 0; i < 450; i++) client.set(runId(i), 'PENDING', 'Pending', 1)
    const source = createPollingRunStateSource({ client })
    const reads = Array.from({ length: 451 }, (_, i) =>
      source.read(runId(i)).catch((e: FlowcastError) => e),
    )
    const results = await Promise.all(reads)
    expect(client.requests).toHaveLength(3)
    expect(client.requests.map((r) => r.body?.flow_runs?.id?.any_?.length)).toEqual([200, 200, 51])
    expect(client.requests[0]!.body?.limit).toBe(200)
    expect(
      results.slice(0, 450).every((r) => !(r instanceof FlowcastError) && r.type === 'PENDING'),
    ).toBe(true)
    expect(results[450]).toMatchObject({ code: 'NOT_FOUND' })
  })

  it('rejects a read when its signal aborts, and all reads on close', async () => {
    const client = fakeClient()
    client.set(runId(1), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client })
    const controller = new AbortController()
    const aborted = source.read(runId(1), { signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' })
    const pending = source.read(runId(1))
    source.close()
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' })
    await expect(source.read(runId(1))).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('reports health from requests: degraded on errors, failed on AUTH_REJECTED', async () => {
    const client = fakeClient()
    client.set(runId(1), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client })
    const seen: string[] = []
    source.onHealthChange((h) => seen.push(h))
    expect(source.health).toBe('connecting')
    client.fail(new FlowcastError('CONNECT_FAILED', '[@flowcast/test] refused'))
    await expect(source.read(runId(1))).rejects.toMatchObject({ code: 'CONNECT_FAILED' })
    client.fail(undefined)
    await source.read(runId(1))
    client.fail(new FlowcastError('AUTH_REJECTED', '[@flowcast/test] 401', { status: 401 }))
    await expect(source.read(runId(1))).rejects.toMatchObject({ code: 'AUTH_REJECTED' })
    expect(seen).toEqual(['degraded', 'healthy', 'failed'])
    expect(source.lastError?.code).toBe('AUTH_REJECTED')
  })
})

describe('createPollingRunStateSource: watch (push)', () => {
  it("profile 'test' polls 10 ms after a watch, grows to 100 ms, and explicit options win", async () => {
    const clock = createManualClock()
    const client = fakeClient()
    client.set(runId(1), 'RUNNING', 'Running', 0)
    const source = createPollingRunStateSource({ client, clock, profile: 'test' })
    source.watch(runId(1), () => {})
    await clock.advanceAsync(9)
    expect(client.requests).toHaveLength(0)
    await clock.advanceAsync(1)
    expect(client.requests).toHaveLength(1)
    await clock.advanceAsync(1_000)
    expect(source.intervalMs).toBe(100)
    source.close()
    const tuned = createPollingRunStateSource({ client, clock, profile: 'test', intervalMs: 50 })
    expect(tuned.intervalMs).toBe(50)
    tuned.close()
    expect(() => createPollingRunStateSource({ client, profile: 'fast' as 'test' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it('polls every watched run in one request per tick and pushes each change once', async () => {
    const clock = createManualClock()
    const client = fakeClient()
    client.set(runId(1), 'SCHEDULED', 'Scheduled', 0)
    client.set(runId(2), 'PENDING', 'Pending', 0)
    const source = createPollingRunStateSource({ client, clock })
    const seen: string[] = []
    const record = (o: FlowRunStateObservation) => seen.push(`${o.flowRunId.slice(-1)}:${o.name}`)
    source.watch(runId(1), record)
    source.watch(runId(2), record)
    await clock.advanceAsync(1_000)
    expect(client.requests).toHaveLength(1)
    expect(client.requests[0]!.body).toEqual({
      flow_runs: { id: { any_: [runId(1), runId(2)] } },
      limit: 2,
    })
    expect(seen.sort()).toEqual(['1:Scheduled', '2:Pending'])
    // No change: the interval grows 1 s -> 1.5 s -> 2.25 s.
    await clock.advanceAsync(1_000)
    expect(source.intervalMs).toBe(1_500)
    await clock.advanceAsync(1_500)
    expect(client.requests).toHaveLength(3)
    expect(source.intervalMs).toBe(2_250)
    client.set(runId(1), 'RUNNING', 'Running', 5)
    await clock.advanceAsync(2_250)
    expect(seen.at(-1)).toBe('1:Running')
    // A change resets the interval.
    expect(source.intervalMs).toBe(1_000)
    source.close()
  })

  it('stops polling a run once it is terminal, and stops the timer when nothing is left', async () => {
    const clock = createManualClock()
    const client = fakeClient()
    client.set(runId(1), 'COMPLETED', 'Completed', 3)
    client.set(runId(2), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client, clock })
    const seen: string[] = []
    source.watch(runId(1), (o) => seen.push(o.name))
    const stop2 = source.watch(runId(2), () => {})
    await clock.advanceAsync(1_000)
    await clock.advanceAsync(1_500)
    expect(seen).toEqual(['Completed'])
    expect(client.requests[1]!.body?.flow_runs?.id?.any_).toEqual([runId(2)])
    stop2()
    await clock.advanceAsync(60_000)
    expect(client.requests).toHaveLength(2)
    expect(clock.pendingTimers).toBe(0)
  })

  it('asks only for terminal runs when more runs are watched than fit in a page', async () => {
    const clock = createManualClock()
    const client = fakeClient()
    for (let i = 0; i < 1_000; i++) client.set(runId(i), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client, clock })
    const done: string[] = []
    for (let i = 0; i < 1_000; i++)
      source.watch(runId(i), (o) => done.push(`${o.flowRunId}:${o.type}`))
    await clock.advanceAsync(1_000)
    expect(client.requests).toHaveLength(1)
    expect(client.requests[0]!.body).toMatchObject({
      flow_runs: { state: { type: { any_: ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'] } } },
      limit: 200,
      offset: 0,
      sort: 'ID_DESC',
    })
    expect(client.requests[0]!.body?.flow_runs?.id?.any_).toHaveLength(1_000)
    // 250 finish at once: two pages in that tick.
    for (let i = 0; i < 250; i++) client.set(runId(i), 'COMPLETED', 'Completed', 2)
    await clock.advanceAsync(1_500)
    expect(client.requests).toHaveLength(3)
    expect(new Set(done).size).toBe(250)
    // Next tick asks only about the 750 still running.
    await clock.advanceAsync(1_000)
    expect(client.requests).toHaveLength(4)
    expect(client.requests[3]!.body?.flow_runs?.id?.any_).toHaveLength(750)
    source.close()
  })

  it('splits very large watch sets by maxIdsPerRequest', async () => {
    const clock = createManualClock()
    const client = fakeClient()
    for (let i = 0; i < 2_500; i++) client.set(runId(i), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client, clock })
    for (let i = 0; i < 2_500; i++) source.watch(runId(i), () => {})
    await clock.advanceAsync(1_000)
    expect(client.requests.map((r) => r.body?.flow_runs?.id?.any_?.length)).toEqual([
      1_000, 1_000, 500,
    ])
    source.close()
  })

  it('turns degraded when a poll fails, and healthy again when one works', async () => {
    const clock = createManualClock()
    const client = fakeClient()
    client.set(runId(1), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client, clock })
    source.watch(runId(1), () => {})
    client.fail(new FlowcastError('HTTP', '[@flowcast/test] 503', { status: 503 }))
    await clock.advanceAsync(1_000)
    expect(source.health).toBe('degraded')
    client.fail(undefined)
    await clock.advanceAsync(1_500)
    expect(source.health).toBe('healthy')
    source.close()
  })

  it('several listeners on one run each get the state; unwatching one keeps the other', async () => {
    const clock = createManualClock()
    const client = fakeClient()
    client.set(runId(1), 'RUNNING', 'Running', 1)
    const source = createPollingRunStateSource({ client, clock })
    const a: string[] = []
    const b: string[] = []
    const stopA = source.watch(runId(1), (o) => a.push(o.name))
    source.watch(runId(1), (o) => b.push(o.name))
    stopA()
    stopA()
    expect(source.watchedRuns).toBe(1)
    await clock.advanceAsync(1_000)
    expect(a).toEqual([])
    expect(b).toEqual(['Running'])
    source.close()
    expect(() => source.watch(runId(1), () => {})).toThrow(
      expect.objectContaining({ code: 'CLOSED' }),
    )
  })
})
