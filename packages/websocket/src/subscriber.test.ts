import {
  PrefectDateTime,
  backoffDefaults,
  createManualClock,
  isFlowcastError,
  type FlowcastError,
  type FlowcastErrorCode,
  type ReceivedEvent,
} from '@flowcast/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  completeHandshake,
  createFakeWebSocket,
  eventFrame,
  makeEvent,
} from '../test/helpers/fake-websocket.js'
import { createEventsSubscriber, reconnectDefaults } from './index.js'
import type { EventsSubscriberOptions } from './subscriber.js'

const start = Date.UTC(2026, 7, 20, 14, 0, 0)
const apiUrl = 'http://127.0.0.1:4200/api'

function setup(
  options: Partial<EventsSubscriberOptions> = {},
  flavour: 'node' | 'browser' = 'node',
) {
  const kit = createFakeWebSocket(flavour)
  const clock = createManualClock(start)
  const subscriber = createEventsSubscriber({
    apiUrl,
    WebSocket: kit.WebSocket,
    clock,
    random: () => 1,
    ...options,
  })
  const received: ReceivedEvent[] = []
  subscriber.onEvent((event) => received.push(event))
  return { kit, clock, subscriber, received }
}

function expectError(fn: () => unknown, code: FlowcastErrorCode, text?: RegExp): FlowcastError {
  try {
    fn()
  } catch (error) {
    expect(isFlowcastError(error, code)).toBe(true)
    if (text) expect((error as Error).message).toMatch(text)
    return error as FlowcastError
  }
  throw new Error('expected a throw')
}

const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

describe('createEventsSubscriber: options', () => {
  const kit = createFakeWebSocket()
  const base = { apiUrl, WebSocket: kit.WebSocket, signal: AbortSignal.abort() }

  it('rejects bad options at construction, saying what to fix', () => {
    expectError(
      () => createEventsSubscriber({ ...base, apiUrl: '' }),
      'INVALID_OPTIONS',
      /apiUrl is required/,
    )
    expectError(() => createEventsSubscriber({ ...base, apiUrl: 'ftp://x/api' }), 'INVALID_OPTIONS')
    expectError(
      () =>
        createEventsSubscriber({
          ...base,
          apiUrl: 'https://api.prefect.cloud/api/accounts/a/workspaces/w',
        }),
      'INVALID_OPTIONS',
      /needs an API key/,
    )
    expectError(
      () => createEventsSubscriber({ ...base, maxPayloadBytes: 1024 }),
      'INVALID_OPTIONS',
      /maxPayloadBytes must be an integer at least 2097152/,
    )
    expectError(
      () => createEventsSubscriber({ ...base, lookbackMs: -1 }),
      'INVALID_OPTIONS',
      /lookbackMs/,
    )
    expectError(
      () => createEventsSubscriber({ ...base, stallTimeoutMs: 0 }),
      'INVALID_OPTIONS',
      /stallTimeoutMs/,
    )
    expectError(
      () => createEventsSubscriber({ ...base, reconnect: { jitter: 'some' as never } }),
      'INVALID_OPTIONS',
      /reconnect.jitter must be 'full' or 'none'/,
    )
    expectError(
      () =>
        createEventsSubscriber({ ...base, reconnect: { initialDelayMs: 5000, maxDelayMs: 10 } }),
      'INVALID_OPTIONS',
      /must not be below/,
    )
    expectError(
      () => createEventsSubscriber({ ...base, reconnect: { maxAttempts: 1.5 } }),
      'INVALID_OPTIONS',
      /maxAttempts/,
    )
    expectError(
      () => createEventsSubscriber({ ...base, scope: 'account' }),
      'INVALID_OPTIONS',
      /scope 'account' needs a Prefect Cloud URL/,
    )
    expectError(() => createEventsSubscriber({ ...base, apiKey: '' }), 'INVALID_OPTIONS', /apiKey/)
    expectError(
      () => createEventsSubscriber({ ...base, filter: { nope: true } as never }),
      'INVALID_FILTER',
    )
  })

  it('never puts a secret in an error message', () => {
    const error = expectError(
      () =>
        createEventsSubscriber({
          ...base,
          authString: 'user:hunter2',
          apiKey: 'pnu_secret',
          maxPayloadBytes: 5,
        }),
      'INVALID_OPTIONS',
    )
    expect(error.message).not.toContain('hunter2')
    expect(error.message).not.toContain('pnu_secret')
  })

  it('reconnects with the core backoff defaults plus its own limits', () => {
    expect(reconnectDefaults).toMatchObject(backoffDefaults)
    expect(Object.isFrozen(reconnectDefaults)).toBe(true)
  })

  it('needs a WebSocket when the runtime has none', () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket
    ;(globalThis as { WebSocket?: unknown }).WebSocket = undefined
    try {
      expectError(
        () => createEventsSubscriber({ apiUrl }),
        'INVALID_OPTIONS',
        /pass options.WebSocket/,
      )
    } finally {
      ;(globalThis as { WebSocket?: unknown }).WebSocket = saved
    }
  })
})

describe('createEventsSubscriber: handshake', () => {
  it('offers `prefect`, authenticates, then sends the filter with a far-future until', () => {
    const { kit, subscriber } = setup({
      authString: 'user:pass',
      filter: { event: { prefix: ['prefect.flow-run.'] } },
    })
    const socket = kit.last()
    expect(socket.url).toBe('ws://127.0.0.1:4200/api/events/out')
    expect(socket.protocols).toEqual(['prefect'])
    expect(socket.options?.maxPayload).toBeGreaterThanOrEqual(2 * 1024 * 1024)
    expect(subscriber.state).toBe('connecting')
    socket.accept('prefect')
    expect(socket.sentJson()).toEqual([{ type: 'auth', token: 'user:pass' }])
    socket.receive(JSON.stringify({ type: 'auth_success' }), false)
    expect(subscriber.state).toBe('open')
    const filter = socket.sentJson()[1]
    expect(filter).toEqual({
      type: 'filter',
      filter: {
        occurred: { since: '2026-08-20T13:59:00Z', until: '2027-08-20T14:00:00Z' },
        event: { prefix: ['prefect.flow-run.'] },
      },
    })
    void subscriber.close()
  })

  it('sends a null token without credentials, and the API key on Cloud', () => {
    const oss = setup()
    oss.kit.last().accept('prefect')
    expect(oss.kit.last().sentJson()[0]).toEqual({ type: 'auth', token: null })
    void oss.subscriber.close()

    const cloud = setup({
      apiUrl: 'https://api.prefect.cloud/api/accounts/A/workspaces/W',
      apiKey: 'pnu_key',
    })
    expect(cloud.kit.last().url).toBe(
      'wss://api.prefect.cloud/api/accounts/A/workspaces/W/events/out',
    )
    cloud.kit.last().accept('prefect')
    expect(cloud.kit.last().sentJson()[0]).toEqual({ type: 'auth', token: 'pnu_key' })
    void cloud.subscriber.close()
  })

  it('sends backfill:false only on the first connection', () => {
    const { kit, subscriber } = setup({ backfill: false })
    const first = completeHandshake(kit.last())
    expect(first?.backfill).toBe(false)
    kit.last().fail()
    expect(subscriber.state).toBe('reconnecting')
  })

  it('keeps a user-given occurred window and re-applies it on the client', () => {
    const { kit, received, subscriber } = setup({
      filter: { occurred: { since: '2026-08-20T13:50:00.5Z', until: '2026-08-20T15:00:00Z' } },
    })
    const filter = completeHandshake(kit.last()) as { filter: { occurred: unknown } }
    expect(filter.filter.occurred).toEqual({
      since: '2026-08-20T13:50:00.500000Z',
      until: '2026-08-20T15:00:00Z',
    })
    kit.last().receive(eventFrame(makeEvent({ occurred: '2026-08-20T16:00:00Z' })))
    expect(received).toHaveLength(0)
    expect(subscriber.stats.filtered).toBe(1)
    void subscriber.close()
  })
})

describe('createEventsSubscriber: frames', () => {
  it('delivers events once, skips and counts everything else, never throws', async () => {
    const { kit, subscriber, received } = setup()
    const socket = kit.last()
    completeHandshake(socket)
    const a = makeEvent()
    const b = makeEvent()
    socket.receive(eventFrame(a))
    socket.receive(JSON.stringify({ type: 'checkpoint', offset: 3 }))
    socket.receive(eventFrame(a))
    socket.receive('{}')
    socket.receive('not json')
    socket.receive('[1,2]')
    socket.receive(JSON.stringify({ type: 'keep-alive' }))
    socket.receive(JSON.stringify({ type: 'event', event: { id: 'x' } }))
    socket.receive(new Uint8Array([1, 2, 3]), true)
    socket.receive(JSON.stringify({ type: 'auth_success' }))
    socket.receive(eventFrame(b))
    expect(received.map((e) => e.id)).toEqual([a.id, b.id])
    expect(subscriber.stats).toMatchObject({
      events: 2,
      duplicates: 1,
      skippedFrames: 8,
      skippedByKind: {
        unknown_type: 2,
        no_type: 1,
        not_json: 1,
        not_object: 1,
        invalid_event: 1,
        binary: 1,
        control: 1,
      },
      skippedByType: { checkpoint: 1, 'keep-alive': 1, event: 1, auth_success: 1 },
    })
    expect(subscriber.state).toBe('open')
    await subscriber.close()
  })

  it('reads the clock once per event frame: its arrival time dates dedupe and the cursor', async () => {
    const clock = createManualClock(start)
    let reads = 0
    const counting = { ...clock, now: () => (reads++, clock.now()) }
    const kit = createFakeWebSocket('node')
    const subscriber = createEventsSubscriber({ apiUrl, WebSocket: kit.WebSocket, clock: counting })
    completeHandshake(kit.last())
    const before = reads
    for (let i = 0; i < 10; i++) kit.last().receive(eventFrame(makeEvent()))
    expect(reads - before).toBe(10)
    expect(subscriber.stats.events).toBe(10)
    await subscriber.close()
  })

  it('counts frames before auth_success that are not auth frames', () => {
    const { kit, subscriber } = setup()
    kit.last().accept('prefect')
    kit.last().receive(JSON.stringify({ type: 'hello' }))
    kit.last().receive(JSON.stringify({ type: 'auth_success' }))
    expect(subscriber.stats.skippedByType).toEqual({ hello: 1 })
    expect(subscriber.state).toBe('open')
    void subscriber.close()
  })

  it('re-applies the related filter the server ignores for live events', async () => {
    const { kit, subscriber, received } = setup({
      filter: { related: { role: ['deployment'], id: ['prefect.deployment.d1'] } },
    })
    completeHandshake(kit.last())
    const match = makeEvent({
      related: [
        { 'prefect.resource.id': 'prefect.deployment.d1', 'prefect.resource.role': 'deployment' },
      ],
    })
    const other = makeEvent({
      related: [
        { 'prefect.resource.id': 'prefect.deployment.d2', 'prefect.resource.role': 'deployment' },
      ],
    })
    kit.last().receive(eventFrame(other))
    kit.last().receive(eventFrame(match))
    expect(received.map((e) => e.id)).toEqual([match.id])
    expect(subscriber.stats.filtered).toBe(1)
    await subscriber.close()
  })

  it('works the same with a browser-style socket (string and ArrayBuffer frames)', async () => {
    const { kit, subscriber, received } = setup({}, 'browser')
    completeHandshake(kit.last())
    const a = makeEvent()
    kit.last().receive(eventFrame(a))
    kit.last().receive(new Uint8Array([123, 125]), true)
    expect(received.map((e) => e.id)).toEqual([a.id])
    expect(subscriber.stats.skippedByKind).toEqual({ binary: 1 })
    await subscriber.close()
  })

  it('is an async iterable, and keeps events that arrive before anyone listens', async () => {
    const kit = createFakeWebSocket()
    const clock = createManualClock(start)
    const subscriber = createEventsSubscriber({ apiUrl, WebSocket: kit.WebSocket, clock })
    completeHandshake(kit.last())
    const events = [makeEvent(), makeEvent(), makeEvent()]
    for (const event of events.slice(0, 2)) kit.last().receive(eventFrame(event))
    const ids: string[] = []
    const done = (async () => {
      for await (const event of subscriber) {
        ids.push(event.id)
        if (ids.length === 3) break
      }
    })()
    await flush()
    kit.last().receive(eventFrame(events[2]!))
    await done
    expect(ids).toEqual(events.map((e) => e.id))
    // Breaking out of the only loop closed the subscriber.
    expect(subscriber.state).toBe('closed')
    expect(clock.pendingTimers).toBe(0)
  })
})

describe('createEventsSubscriber: resume', () => {
  it('resumes from the last occurred minus the margin, to the microsecond', () => {
    const { kit, clock, subscriber } = setup({ lookbackMs: 600_000 })
    completeHandshake(kit.last())
    kit.last().receive(eventFrame(makeEvent({ occurred: '2026-08-20T13:59:30.123456Z' })))
    kit.last().receive(eventFrame(makeEvent({ occurred: '2026-08-20T13:59:40.654321Z' })))
    kit.last().receive(eventFrame(makeEvent({ occurred: '2026-08-20T13:59:35Z' })))
    expect(subscriber.cursor).toBe('2026-08-20T13:58:40.654321Z')
    kit.last().fail()
    clock.advance(500)
    expect(kit.sockets).toHaveLength(2)
    const filter = completeHandshake(kit.last()) as { filter: { occurred: { since: string } } }
    expect(filter.filter.occurred.since).toBe('2026-08-20T13:58:40.654321Z')
    void subscriber.close()
  })

  it('warns when an outage outlasted the 15-minute replay window', () => {
    const warnings: string[] = []
    const logger = {
      debug() {},
      info() {},
      warn: (message: string) => warnings.push(message),
      error() {},
    }
    const { kit, clock, subscriber } = setup({
      logger,
      reconnect: { initialDelayMs: 1000 },
      connectTimeoutMs: 3_600_000,
    })
    completeHandshake(kit.last())
    kit.last().serverClose(1011)
    for (let i = 0; i < 30; i++) {
      clock.advance(60_000)
      kit.last().fail()
    }
    clock.advance(60_000)
    completeHandshake(kit.last())
    expect(warnings.some((w) => w.includes('outlasted the server replay window'))).toBe(true)
    void subscriber.close()
  })

  it('does not move the cursor past now for events from the future', () => {
    const { kit, subscriber } = setup()
    completeHandshake(kit.last())
    kit.last().receive(eventFrame(makeEvent({ occurred: '2026-08-20T18:00:00Z' })))
    expect(subscriber.cursor).toBe('2026-08-20T13:59:00Z')
    void subscriber.close()
  })

  it('keeps the cursor exact outside the years plain numbers hold (1685–2255)', () => {
    const { kit, subscriber } = setup({
      filter: { occurred: { since: '0001-01-01T00:00:00Z', until: '9999-12-31T00:00:00Z' } },
      resumeMarginMs: 60_000,
    })
    completeHandshake(kit.last())
    kit.last().receive(eventFrame(makeEvent({ occurred: '0001-01-01T00:00:30.000001Z' })))
    expect(subscriber.cursor).toBe('0001-01-01T00:00:00Z')
    kit.last().receive(eventFrame(makeEvent({ occurred: '1200-05-06T07:08:09.123456+01:30' })))
    expect(subscriber.cursor).toBe('1200-05-06T05:37:09.123456Z')
    kit.last().receive(eventFrame(makeEvent({ occurred: '2026-08-20T13:59:40.654321Z' })))
    expect(subscriber.cursor).toBe('2026-08-20T13:58:40.654321Z')
    kit.last().receive(eventFrame(makeEvent({ occurred: '1900-01-01T00:00:00Z' })))
    expect(subscriber.cursor).toBe('2026-08-20T13:58:40.654321Z')
    void subscriber.close()
  })

  it('advances the cursor exactly as PrefectDateTime arithmetic does, for any events and clock', () => {
    const instant = fc.oneof(
      fc.bigInt({ min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n }),
      fc.bigInt({ min: 1_700_000_000_000_000n, max: 1_900_000_000_000_000n }),
    )
    fc.assert(
      fc.property(
        fc.array(fc.tuple(instant, fc.boolean()), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 3_600_000 }).map((ms) => ms / 7),
        fc.double({ min: 1e12, max: 2e12, noNaN: true }),
        (events, marginMs, nowMs) => {
          const kit = createFakeWebSocket()
          const clock = createManualClock(nowMs)
          const subscriber = createEventsSubscriber({
            apiUrl,
            WebSocket: kit.WebSocket,
            clock,
            resumeMarginMs: marginMs,
            filter: { occurred: { since: '0001-01-01T00:00:00Z', until: '9999-12-31T00:00:00Z' } },
          })
          completeHandshake(kit.last())
          let expected = PrefectDateTime.parse('0001-01-01T00:00:00Z')
          const now = PrefectDateTime.fromEpochMillis(nowMs)
          for (const [micros, iso] of events) {
            const at = PrefectDateTime.fromEpochMicros(micros)
            kit
              .last()
              .receive(eventFrame(makeEvent({ occurred: iso ? at.toIsoformat() : `${at}` })))
            const candidate = (at.isAfter(now) ? now : at).minusSeconds(marginMs / 1000, {
              clamp: true,
            })
            if (candidate.isAfter(expected)) expected = candidate
            expect(subscriber.cursor).toBe(expected.toString())
          }
          void subscriber.close()
        },
      ),
      { numRuns: 300 },
    )
  })

  it('drops replayed duplicates after a reconnect', () => {
    const { kit, clock, subscriber, received } = setup()
    completeHandshake(kit.last())
    const a = makeEvent()
    const b = makeEvent()
    kit.last().receive(eventFrame(a))
    kit.last().serverClose(1011)
    clock.advance(500)
    completeHandshake(kit.last())
    kit.last().receive(eventFrame(a))
    kit.last().receive(eventFrame(b))
    expect(received.map((e) => e.id)).toEqual([a.id, b.id])
    expect(subscriber.stats).toMatchObject({ duplicates: 1, reconnects: 1, connections: 2 })
    void subscriber.close()
  })
})

describe('createEventsSubscriber: failures', () => {
  it('close 1008 is AUTH_REJECTED, final, after exactly one attempt', async () => {
    const { kit, clock, subscriber } = setup({ authString: 'user:wrong' })
    const errors: FlowcastError[] = []
    subscriber.onError((error) => errors.push(error))
    kit.last().accept('prefect')
    kit.last().serverClose(1008, 'Invalid token')
    expect(subscriber.state).toBe('closed')
    expect(errors).toHaveLength(1)
    expect(errors[0]?.code).toBe('AUTH_REJECTED')
    expect(errors[0]?.status).toBe(1008)
    expect(errors[0]?.message).not.toContain('user:wrong')
    clock.advance(120_000)
    expect(kit.sockets).toHaveLength(1)
    expect(clock.pendingTimers).toBe(0)
    await expect(subscriber[Symbol.asyncIterator]().next()).rejects.toMatchObject({
      code: 'AUTH_REJECTED',
    })
  })

  it('an auth_failure frame is AUTH_REJECTED with the reason', () => {
    const { kit, clock, subscriber } = setup({
      apiUrl: 'https://api.prefect.cloud/api/accounts/A/workspaces/W',
      apiKey: 'pnu_bad',
    })
    kit.last().accept('prefect')
    kit.last().receive(JSON.stringify({ type: 'auth_failure', reason: 'bad key' }))
    expect(subscriber.error?.code).toBe('AUTH_REJECTED')
    expect(subscriber.error?.message).toContain('bad key')
    expect(subscriber.error?.message).not.toContain('pnu_bad')
    clock.advance(60_000)
    expect(kit.sockets).toHaveLength(1)
  })

  it('HTTP 401 on the upgrade is AUTH_REJECTED; 403 is a final CONNECT_FAILED; 503 is retried', async () => {
    const a = setup()
    a.kit.last().rejectUpgrade(401)
    await flush()
    expect(a.subscriber.error).toMatchObject({ code: 'AUTH_REJECTED', status: 401 })

    const b = setup()
    b.kit.last().rejectUpgrade(403)
    await flush()
    expect(b.subscriber.error).toMatchObject({ code: 'CONNECT_FAILED', status: 403 })
    b.clock.advance(60_000)
    expect(b.kit.sockets).toHaveLength(1)

    const c = setup()
    c.kit.last().rejectUpgrade(503)
    await flush()
    expect(c.subscriber.state).toBe('reconnecting')
    c.clock.advance(1000)
    expect(c.kit.sockets).toHaveLength(2)
    await c.subscriber.close()
  })

  it('a frame over maxPayloadBytes (close 1009) is final instead of a replay loop', () => {
    const { kit, clock, subscriber } = setup()
    completeHandshake(kit.last())
    kit.last().serverClose(1009)
    expect(subscriber.error).toMatchObject({ code: 'PROTOCOL', status: 1009 })
    expect(subscriber.error?.message).toContain('maxPayloadBytes')
    clock.advance(60_000)
    expect(kit.sockets).toHaveLength(1)
  })

  it('close 1002 (invalid filter) is a final PROTOCOL error', () => {
    const { kit, subscriber } = setup()
    completeHandshake(kit.last())
    kit.last().serverClose(1002, 'Invalid filter: 1 validation error')
    expect(subscriber.error).toMatchObject({ code: 'PROTOCOL', status: 1002 })
  })

  it('reconnects with full-jitter backoff that grows, caps, and resets after a healthy connection', () => {
    const delays: number[] = []
    const { kit, clock, subscriber } = setup({
      reconnect: { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3 },
      random: () => 0.5,
    })
    const measure = () => {
      const before = kit.sockets.length
      const t0 = clock.now()
      for (let i = 0; i < 10_000 && kit.sockets.length === before; i++) clock.advance(1)
      delays.push(clock.now() - t0)
    }
    kit.last().fail()
    for (let i = 0; i < 4; i++) {
      measure()
      kit.last().fail()
    }
    // 0.5 * min(1000, 100 * 3^n): 50, 150, 450, 500 (capped)
    measure()
    expect(delays).toEqual([50, 150, 450, 500, 500])
    // auth_success then a drop at once is a failed attempt: the backoff keeps growing.
    completeHandshake(kit.last())
    expect(subscriber.state).toBe('open')
    kit.last().fail()
    delays.length = 0
    measure()
    expect(delays).toEqual([500])
    // Open for the healthy threshold (10 s), then dropped: the backoff starts over.
    completeHandshake(kit.last())
    clock.advance(10_000)
    kit.last().fail()
    delays.length = 0
    measure()
    expect(delays).toEqual([50])
    void subscriber.close()
  })

  it("profile 'test' reconnects after 10 ms doubling to 200 ms, healthy after 500 ms", () => {
    const delays: number[] = []
    const { kit, clock, subscriber } = setup({ profile: 'test', random: () => 0.5 })
    const measure = () => {
      const before = kit.sockets.length
      const t0 = clock.now()
      for (let i = 0; i < 10_000 && kit.sockets.length === before; i++) clock.advance(1)
      delays.push(clock.now() - t0)
    }
    for (let i = 0; i < 6; i++) {
      kit.last().fail()
      measure()
    }
    // No jitter: 10, 20, 40, 80, 160, 200 (capped).
    expect(delays).toEqual([10, 20, 40, 80, 160, 200])
    completeHandshake(kit.last())
    clock.advance(500)
    kit.last().fail()
    delays.length = 0
    measure()
    expect(delays).toEqual([10])
    void subscriber.close()
  })

  it("profile 'test' pings every 500 ms and reconnects after 2 s of silence; options win", () => {
    const { kit, clock, subscriber } = setup({
      profile: 'test',
      reconnect: { initialDelayMs: 300 },
    })
    completeHandshake(kit.last())
    clock.advance(500)
    expect(kit.last().pings).toHaveLength(1)
    clock.advance(1_500)
    expect(subscriber.state).toBe('reconnecting')
    clock.advance(299)
    expect(kit.sockets).toHaveLength(1)
    clock.advance(1)
    expect(kit.sockets).toHaveLength(2)
    void subscriber.close()
  })

  it('gives up after maxAttempts consecutive failures with CONNECT_FAILED', () => {
    const { kit, clock, subscriber } = setup({ reconnect: { maxAttempts: 2 } })
    kit.last().fail()
    clock.advance(10_000)
    kit.last().fail()
    clock.advance(10_000)
    kit.last().fail()
    expect(kit.sockets).toHaveLength(3)
    expect(subscriber.error?.code).toBe('CONNECT_FAILED')
    expect(subscriber.error?.message).toMatch(/gave up after 3 failed/)
    expect(clock.pendingTimers).toBe(0)
  })

  it('gives up when no connection succeeded for maxDowntimeMs', () => {
    const { kit, clock, subscriber } = setup({ reconnect: { maxDowntimeMs: 3000 } })
    for (let i = 0; i < 20 && subscriber.state !== 'closed'; i++) {
      kit.last().fail()
      clock.advance(5_000)
    }
    expect(subscriber.error?.code).toBe('CONNECT_FAILED')
    expect(clock.now() - start).toBeLessThanOrEqual(15_000)
  })

  it('retries a handshake that never completes', () => {
    const { kit, clock, subscriber } = setup({ connectTimeoutMs: 2000 })
    clock.advance(2000)
    expect(kit.sockets[0]?.closedBy).toContain('terminate')
    expect(subscriber.lastError?.code).toBe('TIMEOUT')
    clock.advance(1000)
    expect(kit.sockets).toHaveLength(2)
    void subscriber.close()
  })

  it('reconnects after a clean close by default, ends on it when configured', async () => {
    const a = setup()
    completeHandshake(a.kit.last())
    a.kit.last().serverClose(1000)
    expect(a.subscriber.state).toBe('reconnecting')
    a.clock.advance(500)
    expect(a.kit.sockets).toHaveLength(2)
    await a.subscriber.close()

    const b = setup({ reconnectOnCleanClose: false })
    completeHandshake(b.kit.last())
    const iterator = b.subscriber[Symbol.asyncIterator]()
    const next = iterator.next()
    b.kit.last().serverClose(1001)
    await expect(next).resolves.toEqual({ value: undefined, done: true })
    expect(b.subscriber.state).toBe('closed')
    expect(b.subscriber.error).toBeUndefined()
  })

  it('reports every state change', async () => {
    const { kit, clock, subscriber } = setup()
    const states: string[] = []
    subscriber.onStateChange((state) => states.push(state))
    completeHandshake(kit.last())
    kit.last().fail()
    clock.advance(500)
    completeHandshake(kit.last())
    await subscriber.close()
    expect(states).toEqual(['open', 'reconnecting', 'open', 'closed'])
  })
})

describe('createEventsSubscriber: stall watchdog', () => {
  it('pings every 5 s and reconnects after 15 s without a frame or pong', () => {
    const { kit, clock, subscriber } = setup()
    completeHandshake(kit.last())
    clock.advance(5000)
    expect(kit.last().pings).toHaveLength(1)
    kit.last().pong()
    clock.advance(5000)
    kit.last().pong()
    clock.advance(5000)
    expect(kit.last().pings).toHaveLength(3)
    expect(subscriber.state).toBe('open')
    // From now on the server stays silent.
    clock.advance(15_000)
    expect(subscriber.stats.stalls).toBe(1)
    expect(subscriber.state).toBe('reconnecting')
    expect(kit.sockets[0]?.closedBy).toContain('terminate')
    expect(subscriber.lastError?.code).toBe('TIMEOUT')
    clock.advance(500)
    expect(kit.sockets).toHaveLength(2)
    void subscriber.close()
  })

  it('counts frames as liveness', () => {
    const { kit, clock, subscriber } = setup({ pingIntervalMs: 0 })
    completeHandshake(kit.last())
    for (let i = 0; i < 6; i++) {
      clock.advance(10_000)
      kit.last().receive(JSON.stringify({ type: 'keep-alive' }))
    }
    expect(subscriber.stats.stalls).toBe(0)
    expect(kit.last().pings).toHaveLength(0)
    clock.advance(15_000)
    expect(subscriber.stats.stalls).toBe(1)
    void subscriber.close()
  })

  it('without a ping API it runs only when a stall timeout is given', () => {
    const quiet = setup({}, 'browser')
    completeHandshake(quiet.kit.last())
    quiet.clock.advance(120_000)
    expect(quiet.subscriber.stats.stalls).toBe(0)
    expect(quiet.clock.pendingTimers).toBe(0)
    void quiet.subscriber.close()

    const watched = setup({ stallTimeoutMs: 30_000 }, 'browser')
    completeHandshake(watched.kit.last())
    watched.clock.advance(30_000)
    expect(watched.subscriber.stats.stalls).toBe(1)
    void watched.subscriber.close()
  })
})

describe('createEventsSubscriber: close', () => {
  it('leaves no timers, listeners or open sockets, and ends iteration', async () => {
    const { kit, clock, subscriber } = setup()
    completeHandshake(kit.last())
    const iterator = subscriber[Symbol.asyncIterator]()
    const next = iterator.next()
    await subscriber.close()
    await expect(next).resolves.toEqual({ value: undefined, done: true })
    expect(subscriber.state).toBe('closed')
    expect(kit.last().readyState).toBe(3)
    expect(kit.last().closedBy).toEqual([1000])
    expect(clock.pendingTimers).toBe(0)
  })

  it('closes while reconnecting without opening another socket', async () => {
    const { kit, clock, subscriber } = setup()
    kit.last().fail()
    expect(clock.pendingTimers).toBe(1)
    await subscriber.close()
    expect(clock.pendingTimers).toBe(0)
    clock.advance(60_000)
    expect(kit.sockets).toHaveLength(1)
  })

  it('closes on abort, and an aborted signal never connects', async () => {
    const controller = new AbortController()
    const { kit, clock, subscriber } = setup({ signal: controller.signal })
    completeHandshake(kit.last())
    controller.abort()
    await flush()
    expect(subscriber.state).toBe('closed')
    expect(kit.last().readyState).toBe(3)
    expect(clock.pendingTimers).toBe(0)

    const never = setup({ signal: AbortSignal.abort() })
    expect(never.kit.sockets).toHaveLength(0)
    expect(never.subscriber.state).toBe('closed')
  })

  it('supports await using', async () => {
    const kit = createFakeWebSocket()
    const clock = createManualClock(start)
    {
      await using subscriber = createEventsSubscriber({ apiUrl, WebSocket: kit.WebSocket, clock })
      completeHandshake(kit.last())
      expect(subscriber.state).toBe('open')
    }
    expect(kit.last().readyState).toBe(3)
    expect(clock.pendingTimers).toBe(0)
  })
})
