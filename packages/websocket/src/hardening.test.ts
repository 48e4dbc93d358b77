// Failure modes found by attacking the clients (flapping servers, unreachable servers, slow
// consumers, hostile frames, reflected secrets), each pinned with fake sockets and a manual clock.
import {
  createManualClock,
  isFlowcastError,
  type FlowcastError,
  type Logger,
  type ReceivedEvent,
} from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import {
  completeHandshake,
  createFakeWebSocket,
  eventFrame,
  makeEvent,
} from '../test/helpers/fake-websocket.js'
import { createEventsEmitter, createEventsSubscriber } from './index.js'
import type { EventsSubscriberOptions } from './subscriber.js'

const start = Date.UTC(2026, 7, 20, 14, 0, 0)
const apiUrl = 'http://127.0.0.1:4200/api'
const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = []
  const log = (message: string, fields?: Record<string, unknown>) =>
    lines.push(`${message} ${JSON.stringify(fields ?? {})}`)
  return { lines, debug: log, info: log, warn: log, error: log }
}

function subscriber(options: Partial<EventsSubscriberOptions> = {}) {
  const kit = createFakeWebSocket('node')
  const clock = createManualClock(start)
  const sub = createEventsSubscriber({
    apiUrl,
    WebSocket: kit.WebSocket,
    clock,
    random: () => 1,
    ...options,
  })
  return { kit, clock, sub }
}

/** Advances the clock 1 ms at a time until a new socket opens (or `limit` ms pass). */
function untilNextSocket(
  kit: ReturnType<typeof createFakeWebSocket>,
  clock: { advance(ms: number): void },
  limit = 120_000,
): boolean {
  const before = kit.sockets.length
  for (let i = 0; i < limit; i += 10) {
    clock.advance(10)
    if (kit.sockets.length > before) return true
  }
  return false
}

describe('a server that answers auth_success and drops at once', () => {
  it('counts each drop as a failed attempt, so maxAttempts ends it', () => {
    const { kit, clock, sub } = subscriber({ reconnect: { maxAttempts: 3 } })
    for (let i = 0; i < 10 && (sub.state as string) !== 'closed'; i++) {
      completeHandshake(kit.last())
      kit.last().serverClose(1011)
      if ((sub.state as string) !== 'closed') untilNextSocket(kit, clock)
    }
    expect(sub.state).toBe('closed')
    expect(kit.sockets).toHaveLength(4)
    expect(sub.error?.code).toBe('CONNECT_FAILED')
    expect(sub.error?.message).toMatch(/gave up after 4 failed/)
    expect(clock.pendingTimers).toBe(0)
  })

  it('ends by maxDowntimeMs measured from the last healthy connection', () => {
    const { kit, clock, sub } = subscriber({ reconnect: { maxDowntimeMs: 20_000 } })
    for (let i = 0; i < 100 && (sub.state as string) !== 'closed'; i++) {
      completeHandshake(kit.last())
      kit.last().serverClose(1000)
      if ((sub.state as string) !== 'closed') untilNextSocket(kit, clock)
    }
    expect(sub.state).toBe('closed')
    expect(sub.error?.message).toMatch(/could not connect for \d+ ms/)
    expect(clock.now() - start).toBeLessThanOrEqual(21_000)
  })

  it('follows the backoff: attempts per minute stay bounded without limits', () => {
    const { kit, clock, sub } = subscriber({ random: () => 0.5 })
    const opened: number[] = []
    while (clock.now() - start < 60_000) {
      opened.push(clock.now())
      completeHandshake(kit.last())
      kit.last().serverClose(1011)
      if (!untilNextSocket(kit, clock, 60_000)) break
    }
    // 0.5 × min(30 s, 500 ms × 2^n): 250, 500, 1000, … 15000 — about 9 attempts in a minute.
    expect(opened.length).toBeLessThanOrEqual(10)
    const gaps = opened.slice(1).map((t, i) => t - opened[i]!)
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]!).toBeGreaterThanOrEqual(gaps[i - 1]!)
    void sub.close()
  })
})

describe('a frame that looks valid but breaks arithmetic', () => {
  it('an event from the first minute of year 1 is delivered and nothing throws', () => {
    const { kit, sub } = subscriber()
    const got: ReceivedEvent[] = []
    sub.onEvent((event) => got.push(event))
    completeHandshake(kit.last())
    const early = makeEvent({ occurred: '0001-01-01T00:00:30Z' })
    expect(() => kit.last().receive(eventFrame(early))).not.toThrow()
    kit.last().receive(eventFrame(makeEvent()))
    return flush().then(() => {
      expect(got.map((e) => e.id)).toContain(early['id'])
      expect(got).toHaveLength(2)
      expect(sub.state).toBe('open')
      void sub.close()
    })
  })
})

describe('a slow consumer', () => {
  it('pauses the socket at maxQueuedEvents, resumes from the cursor, loses nothing', async () => {
    const { kit, sub } = subscriber({ maxQueuedEvents: 10 })
    const iterator = sub[Symbol.asyncIterator]()
    completeHandshake(kit.last())
    const events = Array.from({ length: 30 }, (_, i) =>
      makeEvent({ occurred: `2026-08-20T13:59:${String(i).padStart(2, '0')}Z` }),
    )
    // The server sends everything; the subscriber stops reading at 10 queued.
    for (const event of events) kit.last().receive(eventFrame(event))
    expect(sub.stats.queuedHighWater).toBe(10)
    expect(sub.stats.pauses).toBe(1)
    expect(kit.sockets).toHaveLength(1)
    expect(kit.last().closedBy).toContain(1000)
    // A server that replays from the filter's `since`, like Prefect's backfill.
    const served = new Set<unknown>([kit.last()])
    const serve = () => {
      const socket = kit.last()
      if (served.has(socket)) return
      served.add(socket)
      const frame = completeHandshake(socket) as { filter: { occurred: { since: string } } }
      resumedFrom.push(frame.filter.occurred.since)
      for (const event of events) {
        if ((event['occurred'] as string) >= frame.filter.occurred.since) {
          socket.receive(eventFrame(event))
        }
      }
    }
    const resumedFrom: string[] = []
    const got: string[] = []
    while (got.length < 30) {
      got.push(((await iterator.next()).value as ReceivedEvent).id)
      serve()
    }
    expect(resumedFrom[0]).toBe('2026-08-20T13:59:00Z')
    expect(sub.stats.duplicates).toBeGreaterThan(0)
    expect(got).toEqual(events.map((e) => e['id']))
    expect(sub.stats.queuedHighWater).toBeLessThanOrEqual(10)
    await sub.close()
  })

  it('ends with REPLAY_GAP naming the range when the pause outlasts the replay window', async () => {
    const { kit, clock, sub } = subscriber({ maxQueuedEvents: 4 })
    const iterator = sub[Symbol.asyncIterator]()
    completeHandshake(kit.last())
    for (let i = 0; i < 4; i++) kit.last().receive(eventFrame(makeEvent()))
    clock.advance(20 * 60_000)
    for (let i = 0; i < 4; i++) expect((await iterator.next()).done).toBe(false)
    let error: FlowcastError | undefined
    try {
      await iterator.next()
    } catch (thrown) {
      error = thrown as FlowcastError
    }
    expect(isFlowcastError(error, 'REPLAY_GAP')).toBe(true)
    expect(error?.details).toEqual({ since: '2026-08-20T13:59:00Z', until: '2026-08-20T14:05:00Z' })
    expect(kit.sockets).toHaveLength(1)
  })

  it('bounds the buffer kept before anyone listens the same way', async () => {
    const { kit, sub } = subscriber({ maxQueuedEvents: 8 })
    completeHandshake(kit.last())
    for (let i = 0; i < 20; i++) kit.last().receive(eventFrame(makeEvent()))
    expect(sub.stats.queued).toBe(8)
    expect(sub.state).toBe('reconnecting')
    const got: ReceivedEvent[] = []
    sub.onEvent((event) => got.push(event))
    await flush()
    expect(got).toHaveLength(8)
    expect(kit.sockets).toHaveLength(2)
    await sub.close()
  })
})

describe('a quiet stream', () => {
  it('does not warn about the replay window after a short drop following a long silence', () => {
    const logger = recordingLogger()
    const { kit, clock, sub } = subscriber({ logger })
    completeHandshake(kit.last())
    // 30 quiet minutes with pongs, then a drop and a quick reconnect.
    for (let i = 0; i < 360; i++) {
      clock.advance(5_000)
      kit.last().pong(kit.last().pings.at(-1) ?? '')
    }
    kit.last().serverClose(1011)
    untilNextSocket(kit, clock)
    completeHandshake(kit.last())
    expect(logger.lines.filter((l) => l.includes('replay window'))).toEqual([])
    void sub.close()
  })
})

describe('secrets reflected by a server or a proxy', () => {
  const apiKey = 'pnu_PLANTEDKEY1234567890'
  const cloudUrl = 'https://api.prefect.cloud/api/accounts/a/workspaces/w'

  it('are redacted from auth_failure and close reasons, in errors and logs', () => {
    for (const reflect of ['auth_failure', 'close'] as const) {
      const logger = recordingLogger()
      const { kit, sub } = subscriber({ apiUrl: cloudUrl, apiKey, logger })
      kit.last().accept('prefect')
      if (reflect === 'auth_failure') {
        kit.last().receive(JSON.stringify({ type: 'auth_failure', reason: `bad token ${apiKey}` }))
      } else {
        kit.last().serverClose(1008, `rejected ${apiKey}`)
      }
      expect(sub.error?.code).toBe('AUTH_REJECTED')
      const everything = `${sub.error?.message} ${JSON.stringify(sub.error?.details)} ${logger.lines.join('\n')}`
      expect(everything).not.toContain(apiKey)
      expect(everything).toContain('***')
    }
  })

  it('a password in the API URL never reaches messages or logs', () => {
    const logger = recordingLogger()
    const { kit, clock, sub } = subscriber({
      apiUrl: 'http://svc:url-pass-PLANTED@127.0.0.1:4200/api',
      logger,
      reconnect: { maxAttempts: 1 },
    })
    kit.last().fail('connect ECONNREFUSED http://svc:url-pass-PLANTED@127.0.0.1:4200')
    untilNextSocket(kit, clock)
    kit.last().fail()
    expect(sub.error?.code).toBe('CONNECT_FAILED')
    const everything = `${sub.error?.message} ${logger.lines.join('\n')}`
    expect(everything).not.toContain('url-pass-PLANTED')
    expect(everything).toContain('ws://127.0.0.1:4200/api/events/out')
  })
})

describe('emitter close against an unreachable server', () => {
  it('rejects by its deadline with TIMEOUT carrying the unconfirmed events', async () => {
    const kit = createFakeWebSocket('node')
    const clock = createManualClock(start)
    const emitter = createEventsEmitter({
      apiUrl,
      WebSocket: kit.WebSocket,
      clock,
      random: () => 1,
    })
    const sent = [1, 2, 3].map((n) =>
      emitter.emit({ event: 'test.emitted', resource: { 'prefect.resource.id': `t.${n}` } }),
    )
    let settled: unknown
    const closing = emitter.close().catch((error: unknown) => (settled = error))
    for (let t = 0; t < 10_000; t += 500) {
      kit.last().fail('connect ECONNREFUSED 127.0.0.1:4200')
      clock.advance(500)
      await flush()
    }
    await clock.advanceAsync(100)
    await closing
    expect(isFlowcastError(settled, 'TIMEOUT')).toBe(true)
    const error = settled as FlowcastError
    expect(error.message).toMatch(/3 events were not confirmed/)
    expect((error.details?.['events'] as { id: string }[]).map((e) => e.id)).toEqual(
      sent.map((e) => e.id),
    )
    expect(emitter.unconfirmedEvents.map((e) => e.id)).toEqual(sent.map((e) => e.id))
    expect(emitter.state).toBe('closed')
    expect(clock.pendingTimers).toBe(0)
  })

  it('takes a per-call deadline, and flush({ timeoutMs }) keeps the events queued', async () => {
    const kit = createFakeWebSocket('node')
    const clock = createManualClock(start)
    const emitter = createEventsEmitter({
      apiUrl,
      WebSocket: kit.WebSocket,
      clock,
      random: () => 1,
    })
    emitter.emit({ event: 'test.emitted', resource: { 'prefect.resource.id': 't.1' } })
    const flushing = emitter.flush({ timeoutMs: 2_000 }).catch((error: unknown) => error)
    await clock.advanceAsync(2_000)
    expect(isFlowcastError(await flushing, 'TIMEOUT')).toBe(true)
    expect(emitter.stats.unconfirmed).toBe(1)
    const closing = emitter.close({ timeoutMs: 1_000 }).catch((error: unknown) => error)
    await clock.advanceAsync(1_000)
    expect(isFlowcastError(await closing, 'TIMEOUT')).toBe(true)
  })
})

describe('a 403 on the upgrade', () => {
  it('means a rejected key for the Cloud emitter (the key is in the upgrade header)', async () => {
    const kit = createFakeWebSocket('node')
    const emitter = createEventsEmitter({
      apiUrl: 'https://api.prefect.cloud/api/accounts/a/workspaces/w',
      apiKey: 'pnu_bad',
      WebSocket: kit.WebSocket,
      clock: createManualClock(start),
    })
    emitter.emit({ event: 'test.emitted', resource: { 'prefect.resource.id': 't.1' } })
    const closing = emitter.close().catch((error: unknown) => error)
    kit.last().rejectUpgrade(403)
    const error = (await closing) as FlowcastError
    expect(error.code).toBe('AUTH_REJECTED')
    expect(error.status).toBe(403)
    expect(emitter.unconfirmedEvents).toHaveLength(1)
  })

  it('means a proxy block for the subscriber (credentials travel in the auth frame)', async () => {
    const { kit, sub } = subscriber()
    kit.last().rejectUpgrade(403)
    await flush()
    expect(sub.error?.code).toBe('CONNECT_FAILED')
    expect(sub.error?.status).toBe(403)
  })
})

describe('a stray auth_failure after the handshake', () => {
  it('is skipped as a control frame instead of ending the stream', () => {
    const { kit, sub } = subscriber()
    completeHandshake(kit.last())
    kit.last().receive(JSON.stringify({ type: 'auth_failure', reason: 'late' }))
    kit.last().receive(eventFrame(makeEvent()))
    expect(sub.state).toBe('open')
    expect(sub.stats.skippedByKind.control).toBe(1)
    expect(sub.stats.events).toBe(1)
    void sub.close()
  })
})
