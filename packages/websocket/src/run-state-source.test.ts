import { createManualClock, type FlowRunStateObservation } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import {
  completeHandshake,
  createFakeWebSocket,
  eventFrame,
  flowRunStateEvent,
} from '../test/helpers/fake-websocket.js'
import { createWebSocketRunStateSource } from './index.js'
import type { WebSocketRunStateSourceOptions } from './run-state-source.js'

const start = Date.UTC(2026, 7, 20, 14, 0, 0)
const runA = '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6c'
const runB = '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6d'

function setup(options: Partial<WebSocketRunStateSourceOptions> = {}) {
  const kit = createFakeWebSocket()
  const clock = createManualClock(start)
  const source = createWebSocketRunStateSource({
    apiUrl: 'http://127.0.0.1:4200/api',
    WebSocket: kit.WebSocket,
    clock,
    random: () => 1,
    ...options,
  })
  const healths: string[] = []
  source.onHealthChange((health) => healths.push(health))
  return { kit, clock, source, healths }
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('createWebSocketRunStateSource', () => {
  it('opens one shared subscription on the first watch, 60 s back, flow-run events only', () => {
    const { kit, source } = setup()
    expect(kit.sockets).toHaveLength(0)
    expect(source.health).toBe('connecting')
    source.watch(runA, () => {})
    source.watch(runB, () => {})
    expect(kit.sockets).toHaveLength(1)
    const frame = completeHandshake(kit.last()) as { filter: Record<string, unknown> }
    expect(frame.filter).toEqual({
      occurred: { since: '2026-08-20T13:59:00Z', until: '2027-08-20T14:00:00Z' },
      event: { prefix: ['prefect.flow-run.'] },
    })
    expect(source.health).toBe('healthy')
    expect(source.watchedRuns).toBe(2)
    void source.close()
  })

  it('demultiplexes states by flow run id and stops after unwatch', () => {
    const { kit, source } = setup()
    const a: FlowRunStateObservation[] = []
    const b: FlowRunStateObservation[] = []
    const stopA = source.watch(runA, (o) => a.push(o))
    source.watch(runB, (o) => b.push(o))
    completeHandshake(kit.last())
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'RUNNING', 'Running')))
    kit.last().receive(eventFrame(flowRunStateEvent(runB, 'PENDING', 'Pending')))
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'FAILED', 'TimedOut')))
    expect(a.map((o) => [o.type, o.name])).toEqual([
      ['RUNNING', 'Running'],
      ['FAILED', 'TimedOut'],
    ])
    expect(b.map((o) => o.type)).toEqual(['PENDING'])
    expect(a[0]?.flowRunId).toBe(runA)
    stopA()
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'COMPLETED', 'Completed')))
    expect(a).toHaveLength(2)
    expect(source.watchedRuns).toBe(1)
    void source.close()
  })

  it('keeps every watch of one run apart, the same listener twice included', () => {
    const { kit, source } = setup()
    const seen: string[] = []
    const listener = (o: FlowRunStateObservation) => seen.push(`shared ${o.type}`)
    const stop1 = source.watch(runA, listener)
    const stop2 = source.watch(runA, listener)
    const stop3 = source.watch(runA, (o) => seen.push(`own ${o.type}`))
    completeHandshake(kit.last())
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'RUNNING', 'Running')))
    expect(seen).toEqual(['shared RUNNING', 'shared RUNNING', 'own RUNNING'])
    stop2()
    stop2()
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'PENDING', 'Pending')))
    expect(seen.slice(3)).toEqual(['shared PENDING', 'own PENDING'])
    stop3()
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'CANCELLING', 'Cancelling')))
    expect(seen.slice(5)).toEqual(['shared CANCELLING'])
    expect(source.watchedRuns).toBe(1)
    stop1()
    expect(source.watchedRuns).toBe(0)
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'COMPLETED', 'Completed')))
    expect(seen).toHaveLength(6)
    void source.close()
  })

  it('ignores flow-run events that carry no state (heartbeats)', () => {
    const { kit, source } = setup()
    const seen: FlowRunStateObservation[] = []
    source.watch(runA, (o) => seen.push(o))
    completeHandshake(kit.last())
    kit.last().receive(
      eventFrame({
        ...flowRunStateEvent(runA, 'RUNNING', 'Running'),
        event: 'prefect.flow-run.heartbeat',
        resource: { 'prefect.resource.id': `prefect.flow-run.${runA}` },
        payload: {},
      }),
    )
    expect(seen).toHaveLength(0)
    void source.close()
  })

  it('hands a new watch the state seen just before it', async () => {
    const { kit, source } = setup()
    source.watch(runA, () => {})
    completeHandshake(kit.last())
    kit.last().receive(eventFrame(flowRunStateEvent(runB, 'COMPLETED', 'Completed')))
    const late: FlowRunStateObservation[] = []
    source.watch(runB, (o) => late.push(o))
    await tick()
    expect(late.map((o) => o.type)).toEqual(['COMPLETED'])
    void source.close()
  })

  it('maps connection states to health, and auth rejection to failed', () => {
    const { kit, clock, source, healths } = setup()
    source.watch(runA, () => {})
    completeHandshake(kit.last())
    kit.last().fail()
    expect(source.health).toBe('degraded')
    expect(source.lastError?.code).toBe('TRANSPORT_FAILED')
    clock.advance(500)
    kit.last().accept('prefect')
    kit.last().serverClose(1008, 'Invalid token')
    expect(source.health).toBe('failed')
    expect(source.lastError?.code).toBe('AUTH_REJECTED')
    expect(healths).toEqual(['healthy', 'degraded', 'failed'])
    expect(clock.pendingTimers).toBe(0)
  })

  it('reports a stalled stream as degraded', () => {
    const { kit, clock, source } = setup()
    source.watch(runA, () => {})
    completeHandshake(kit.last())
    clock.advance(15_000)
    expect(source.health).toBe('degraded')
    expect(source.lastError?.code).toBe('TIMEOUT')
    void source.close()
  })

  it('close() fails the source with CLOSED and leaves nothing running', async () => {
    const { kit, clock, source } = setup()
    source.watch(runA, () => {})
    completeHandshake(kit.last())
    await source.close()
    expect(source.health).toBe('failed')
    expect(source.lastError?.code).toBe('CLOSED')
    expect(kit.last().readyState).toBe(3)
    expect(clock.pendingTimers).toBe(0)
  })

  it('rejects a look-back over 60 s and bad subscriber options at construction', () => {
    expect(() => setup({ lookbackMs: 120_000 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(() => setup({ stallTimeoutMs: -5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })
})

describe('createWebSocketRunStateSource: re-probe after a fatal error', () => {
  it('tries a new subscription on a jittered slow schedule after a 403, and recovers', async () => {
    const { kit, clock, source, healths } = setup({ random: () => 0.5 })
    const seen: FlowRunStateObservation[] = []
    source.watch(runA, (observation) => seen.push(observation))
    kit.last().rejectUpgrade(403)
    await tick()
    expect(source.health).toBe('failed')
    expect(source.lastError?.status).toBe(403)
    // Still blocked at the first re-probe (180 s × (0.5 + 0.5)).
    clock.advance(179_999)
    expect(kit.sockets).toHaveLength(1)
    clock.advance(1)
    expect(kit.sockets).toHaveLength(2)
    kit.last().rejectUpgrade(403)
    await tick()
    expect(source.health).toBe('failed')
    // The proxy lets WebSockets through again.
    clock.advance(180_000)
    expect(kit.sockets).toHaveLength(3)
    completeHandshake(kit.last())
    expect(source.health).toBe('healthy')
    kit.last().receive(eventFrame(flowRunStateEvent(runA, 'COMPLETED', 'Completed')))
    expect(seen.map((o) => o.type)).toEqual(['COMPLETED'])
    expect(healths).toEqual(['failed', 'connecting', 'failed', 'connecting', 'healthy'])
    void source.close()
  })

  it("profile 'test' re-probes after about a second", async () => {
    const { kit, clock, source } = setup({ random: () => 0.5, profile: 'test' })
    source.watch(runA, () => {})
    kit.last().rejectUpgrade(403)
    await tick()
    expect(source.health).toBe('failed')
    clock.advance(999)
    expect(kit.sockets).toHaveLength(1)
    clock.advance(1)
    expect(kit.sockets).toHaveLength(2)
    void source.close()
  })

  it('never re-probes after rejected credentials, and stops re-probing on close', async () => {
    const auth = setup()
    auth.source.watch(runA, () => {})
    auth.kit.last().serverClose(1008)
    await tick()
    expect(auth.source.lastError?.code).toBe('AUTH_REJECTED')
    auth.clock.advance(3_600_000)
    expect(auth.kit.sockets).toHaveLength(1)

    const blocked = setup()
    blocked.source.watch(runA, () => {})
    blocked.kit.last().rejectUpgrade(403)
    await tick()
    expect(blocked.clock.pendingTimers).toBe(1)
    await blocked.source.close()
    expect(blocked.clock.pendingTimers).toBe(0)
  })
})
