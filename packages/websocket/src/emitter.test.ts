import { createManualClock, isFlowcastError, type EventInput } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { createFakeWebSocket, type FakeSocket } from '../test/helpers/fake-websocket.js'
import type { EventsEmitterOptions } from './emitter-options.js'
import { createEventsEmitter } from './index.js'

const start = Date.UTC(2026, 7, 20, 14, 0, 0)
const apiUrl = 'http://127.0.0.1:4200/api'
const cloudUrl = 'https://api.prefect.cloud/api/accounts/A/workspaces/W'

function setup(options: Partial<EventsEmitterOptions> = {}, flavour: 'node' | 'browser' = 'node') {
  const kit = createFakeWebSocket(flavour)
  const clock = createManualClock(start)
  const emitter = createEventsEmitter({
    apiUrl,
    WebSocket: kit.WebSocket,
    clock,
    random: () => 1,
    ...options,
  })
  return { kit, clock, emitter }
}

const input = (n: number): EventInput => ({
  event: 'test.emitted',
  resource: { 'prefect.resource.id': `test.thing.${n}` },
})

/** Event frames (not auth frames) a socket received. */
function eventsSent(socket: FakeSocket): Record<string, unknown>[] {
  return socket.sentJson().filter((frame) => frame.type === undefined)
}

function openOss(socket: FakeSocket): void {
  socket.accept('prefect')
  socket.receive(JSON.stringify({ type: 'auth_success' }), false)
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('createEventsEmitter', () => {
  it('rejects bad options at construction', () => {
    const kit = createFakeWebSocket()
    for (const [options, text] of [
      [{ checkpointEvery: 0 }, /checkpointEvery must be an integer at least 1/],
      [{ maxOutbox: -1 }, /maxOutbox/],
      [{ apiUrl: cloudUrl }, /needs an API key/],
      [{ apiUrl: 'https://api.prefect.cloud/api/accounts/A', apiKey: 'k' }, /workspace URL/],
    ] as const) {
      let thrown: unknown
      try {
        createEventsEmitter({ apiUrl, WebSocket: kit.WebSocket, ...options })
      } catch (error) {
        thrown = error
      }
      expect(isFlowcastError(thrown, 'INVALID_OPTIONS')).toBe(true)
      expect((thrown as Error).message).toMatch(text)
    }
    expect(kit.sockets).toHaveLength(0)
  })

  it('connects on the first emit, OSS handshake with Basic on the upgrade', async () => {
    const { kit, emitter } = setup({ authString: 'user:pass' })
    expect(kit.sockets).toHaveLength(0)
    expect(emitter.state).toBe('idle')
    const event = emitter.emit(input(1))
    expect(event.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(event.occurred).toBe('2026-08-20T14:00:00Z')
    const socket = kit.last()
    expect(socket.url).toBe('ws://127.0.0.1:4200/api/events/in')
    expect(socket.protocols).toEqual(['prefect'])
    expect(socket.options?.headers).toEqual({
      Authorization: `Basic ${Buffer.from('user:pass').toString('base64')}`,
    })
    socket.accept('prefect')
    expect(socket.sentJson()).toEqual([{ type: 'auth', token: 'user:pass' }])
    socket.receive(JSON.stringify({ type: 'auth_success' }), false)
    expect(emitter.state).toBe('open')
    expect(socket.sent[1]).toBe(
      `{"occurred":"2026-08-20T14:00:00Z","event":"test.emitted","resource":{"prefect.resource.id":"test.thing.1"},"related":[],"payload":{},"id":"${event.id}","follows":null}`,
    )
    await emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })

  it('Cloud: bearer header, no subprotocol, no auth frame', async () => {
    const { kit, emitter } = setup({ apiUrl: cloudUrl, apiKey: 'pnu_key' })
    emitter.emit(input(1))
    const socket = kit.last()
    expect(socket.url).toBe('wss://api.prefect.cloud/api/accounts/A/workspaces/W/events/in')
    expect(socket.protocols).toEqual([])
    expect(socket.options?.headers).toEqual({ Authorization: 'bearer pnu_key' })
    socket.accept('')
    expect(socket.sentJson().some((frame) => frame.type === 'auth')).toBe(false)
    expect(eventsSent(socket)).toHaveLength(1)
    const flushed = emitter.flush()
    socket.pong(socket.pings[0])
    await flushed
    expect(emitter.stats).toMatchObject({ emitted: 1, confirmed: 1, unconfirmed: 0 })
    await emitter.close()
  })

  it('confirms with a ping/pong checkpoint every N events', async () => {
    const { kit, emitter } = setup({ checkpointEvery: 3 })
    emitter.emit(input(1))
    openOss(kit.last())
    emitter.emit(input(2))
    expect(kit.last().pings).toHaveLength(0)
    emitter.emit(input(3))
    expect(kit.last().pings).toHaveLength(1)
    emitter.emit(input(4))
    kit.last().pong('unrelated')
    expect(emitter.stats.confirmed).toBe(0)
    kit.last().pong(kit.last().pings[0])
    expect(emitter.stats).toMatchObject({ confirmed: 3, unconfirmed: 1, checkpoints: 1 })
    await emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })

  it('confirms on a timer when fewer than N are unconfirmed', () => {
    const { kit, clock, emitter } = setup({ checkpointIntervalMs: 30_000 })
    emitter.emit(input(1))
    openOss(kit.last())
    clock.advance(29_999)
    expect(kit.last().pings).toHaveLength(0)
    clock.advance(1)
    expect(kit.last().pings).toHaveLength(1)
    kit.last().pong(kit.last().pings[0])
    expect(emitter.stats.confirmed).toBe(1)
    expect(clock.pendingTimers).toBe(0)
    void emitter.close()
  })

  it("profile 'test' checkpoints after 100 ms and reconnects after 10 ms", () => {
    const { kit, clock, emitter } = setup({ profile: 'test' })
    emitter.emit(input(1))
    openOss(kit.last())
    clock.advance(99)
    expect(kit.last().pings).toHaveLength(0)
    clock.advance(1)
    expect(kit.last().pings).toHaveLength(1)
    kit.last().fail('connection reset')
    clock.advance(9)
    expect(kit.sockets).toHaveLength(1)
    clock.advance(1)
    expect(kit.sockets).toHaveLength(2)
    void emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })

  it('resends unconfirmed events in order after a drop; flush waits for them', async () => {
    const { kit, clock, emitter } = setup()
    emitter.emit(input(1))
    openOss(kit.last())
    emitter.emit(input(2))
    emitter.emit(input(3))
    const flushed = emitter.flush()
    expect(kit.last().pings).toHaveLength(1)
    kit.last().fail('connection reset')
    expect(emitter.state).toBe('reconnecting')
    clock.advance(500)
    const second = kit.last()
    expect(kit.sockets).toHaveLength(2)
    openOss(second)
    expect(
      eventsSent(second).map((e) => (e.resource as Record<string, string>)['prefect.resource.id']),
    ).toEqual(['test.thing.1', 'test.thing.2', 'test.thing.3'])
    expect(second.pings).toHaveLength(1)
    second.pong(second.pings[0])
    await flushed
    expect(emitter.stats).toMatchObject({ sent: 6, resent: 3, confirmed: 3, reconnects: 1 })
    await emitter.close()
  })

  it('drops the socket when a checkpoint goes unanswered, then resends', () => {
    const { kit, clock, emitter } = setup({ checkpointEvery: 1, checkpointTimeoutMs: 5000 })
    emitter.emit(input(1))
    openOss(kit.last())
    expect(kit.last().pings).toHaveLength(1)
    clock.advance(5000)
    expect(kit.sockets[0]?.closedBy).toContain('terminate')
    expect(emitter.lastError?.code).toBe('TIMEOUT')
    clock.advance(500)
    openOss(kit.last())
    expect(eventsSent(kit.last())).toHaveLength(1)
    void emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })

  it('refuses oversized and invalid events, and a full outbox', () => {
    const { emitter } = setup({ maxOutbox: 2 })
    const big = { ...input(1), payload: { blob: 'x'.repeat(1_500_001) } }
    let error: unknown
    try {
      emitter.emit(big)
    } catch (thrown) {
      error = thrown
    }
    expect(isFlowcastError(error, 'INVALID_EVENT')).toBe(true)
    expect((error as Error).message).toMatch(/bytes serialised, more than 1500000$/)
    expect(() => emitter.emit({ event: 'x', resource: {} as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_EVENT' }),
    )
    emitter.emit(input(1))
    emitter.emit(input(2))
    expect(() => emitter.emit(input(3))).toThrow(expect.objectContaining({ code: 'OUTBOX_FULL' }))
    expect(emitter.stats.emitted).toBe(2)
    void emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })

  it('keeps an explicit id and occurred', () => {
    const { emitter } = setup()
    const event = emitter.emit({
      ...input(1),
      id: '0190a000-0000-7000-8000-000000000001',
      occurred: '2026-08-20T13:00:00.123456Z',
    })
    expect(event.id).toBe('0190a000-0000-7000-8000-000000000001')
    expect(event.occurred).toBe('2026-08-20T13:00:00.123456Z')
    void emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })

  it('without a ping API confirms once the buffer drained and the socket stayed open', async () => {
    const { kit, clock, emitter } = setup({ settleMs: 1000 }, 'browser')
    emitter.emit(input(1))
    openOss(kit.last())
    kit.last().bufferedAmount = 100
    const flushed = emitter.flush()
    clock.advance(1000)
    expect(emitter.stats.confirmed).toBe(0)
    kit.last().bufferedAmount = 0
    clock.advance(1000)
    await flushed
    expect(emitter.stats.confirmed).toBe(1)
    await emitter.close()
  })

  it('close() flushes, closes, leaves no timers; emit afterwards throws CLOSED', async () => {
    const { kit, clock, emitter } = setup()
    emitter.emit(input(1))
    openOss(kit.last())
    const closed = emitter.close()
    expect(() => emitter.emit(input(2))).toThrow(expect.objectContaining({ code: 'CLOSED' }))
    kit.last().pong(kit.last().pings[0])
    await closed
    expect(emitter.state).toBe('closed')
    expect(kit.last().readyState).toBe(3)
    expect(clock.pendingTimers).toBe(0)
  })

  it('flush rejects with AUTH_REJECTED and nothing is retried', async () => {
    const { kit, clock, emitter } = setup({ authString: 'user:bad' })
    emitter.emit(input(1))
    const flushed = emitter.flush()
    kit.last().accept('prefect')
    kit.last().serverClose(1008, 'Invalid token')
    await expect(flushed).rejects.toMatchObject({ code: 'AUTH_REJECTED' })
    clock.advance(60_000)
    expect(kit.sockets).toHaveLength(1)
    expect(clock.pendingTimers).toBe(0)
  })

  it('goes idle when dropped with nothing to send, and reconnects on the next emit', async () => {
    const { kit, clock, emitter } = setup()
    emitter.emit(input(1))
    openOss(kit.last())
    const flushed = emitter.flush()
    kit.last().pong(kit.last().pings[0])
    await flushed
    kit.last().serverClose(1000)
    expect(emitter.state).toBe('idle')
    clock.advance(60_000)
    expect(kit.sockets).toHaveLength(1)
    emitter.emit(input(2))
    expect(kit.sockets).toHaveLength(2)
    await flush()
    void emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })

  it('flush honours its signal', async () => {
    const { kit, emitter } = setup()
    emitter.emit(input(1))
    openOss(kit.last())
    const controller = new AbortController()
    const flushed = emitter.flush({ signal: controller.signal })
    controller.abort()
    await expect(flushed).rejects.toMatchObject({ code: 'ABORTED', details: { unconfirmed: 1 } })
    await emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
    expect(emitter.state).toBe('closed')
  })

  it('counts as resent only what an earlier socket sent, after a partial confirmation', async () => {
    const { kit, clock, emitter } = setup({ checkpointEvery: 2 })
    emitter.emit(input(1))
    openOss(kit.last())
    emitter.emit(input(2)) // the second send starts a checkpoint for 1 and 2
    emitter.emit(input(3))
    kit.last().pong(kit.last().pings[0])
    expect(emitter.stats).toMatchObject({ sent: 3, confirmed: 2, unconfirmed: 1 })
    kit.last().fail('connection reset')
    emitter.emit(input(4)) // queued while reconnecting: its first send is not a resend
    clock.advance(500)
    const second = kit.last()
    openOss(second)
    expect(
      eventsSent(second).map((e) => (e.resource as Record<string, string>)['prefect.resource.id']),
    ).toEqual(['test.thing.3', 'test.thing.4'])
    expect(emitter.stats).toMatchObject({ sent: 5, resent: 1, unconfirmed: 2 })
    const flushed = emitter.flush()
    second.pong(second.pings.at(-1))
    await flushed
    expect(emitter.stats).toMatchObject({ confirmed: 4, unconfirmed: 0 })
    await emitter.close()
  })

  it('unconfirmedEvents are the events as sent: equal to what emit returned, in JSON', async () => {
    const { kit, emitter } = setup()
    const at = new Date(Date.UTC(2026, 0, 2))
    const first = emitter.emit({ ...input(1), payload: { n: 1, nested: { list: [1, 'a'] } } })
    const second = emitter.emit({ ...input(2), payload: { at, skipped: undefined } })
    const unconfirmed = emitter.unconfirmedEvents
    expect(unconfirmed).toHaveLength(2)
    expect(unconfirmed[0]).toStrictEqual(first)
    expect(Object.keys(unconfirmed[0]!)).toEqual(Object.keys(first))
    // A payload value that is not JSON is held as it is sent: what a re-emit would send again.
    expect(second.payload).toEqual({ at, skipped: undefined })
    expect(unconfirmed[1]).toStrictEqual({ ...second, payload: { at: at.toISOString() } })
    openOss(kit.last())
    expect(eventsSent(kit.last())).toEqual(unconfirmed)
    await emitter.close({ signal: AbortSignal.abort() }).catch(() => {})
  })
})
