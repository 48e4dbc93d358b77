import type { EventInput, ReceivedEvent } from '@flowcast/core'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { afterEach, describe, expect, it } from 'vitest'
import { createEventsSubscriber, type EventsSubscriber } from '../src/index.node.js'
import { activeResources, pause, seededRandom, waitFor } from './helpers/util.js'

const fastReconnect = { initialDelayMs: 10, maxDelayMs: 50 }
const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startServer(
  options: Parameters<typeof createFakePrefectServer>[0] = {},
): Promise<FakePrefectServer> {
  const server = await createFakePrefectServer(options)
  cleanups.push(() => server.close())
  return server
}

function subscribe(options: Parameters<typeof createEventsSubscriber>[0]): {
  subscriber: EventsSubscriber
  events: ReceivedEvent[]
} {
  const subscriber = createEventsSubscriber({ reconnect: fastReconnect, ...options })
  cleanups.push(() => subscriber.close())
  const events: ReceivedEvent[] = []
  subscriber.onEvent((event) => events.push(event))
  return { subscriber, events }
}

const thing = (n: number, extra: Partial<EventInput> = {}): EventInput => ({
  event: 'test.thing.happened',
  resource: { 'prefect.resource.id': `test.thing.${n}` },
  ...extra,
})

describe('subscriber against the fake server', () => {
  it('loses nothing and duplicates nothing across a drop mid-stream', async () => {
    const server = await startServer()
    const { subscriber, events } = subscribe({ apiUrl: server.apiUrl })
    await server.waitForSubscriber({ existing: true })
    const ids: string[] = []
    for (let i = 0; i < 100; i++) ids.push(server.publishEvent(thing(i)).id)
    await waitFor(() => events.length >= 100, '100 events')
    const cursorAtDrop = subscriber.cursor
    expect(server.faults.dropConnections({ path: '/events/out' })).toBe(1)
    for (let i = 100; i < 200; i++) ids.push(server.publishEvent(thing(i)).id)
    await waitFor(() => events.length >= 200, '200 events')
    await pause(30)
    expect(events.map((e) => e.id)).toEqual(ids)
    expect(subscriber.stats.reconnects).toBe(1)
    expect(subscriber.stats.duplicates).toBeGreaterThan(0)
    const out = server.recorder.connections.filter((c) => c.kind === 'out')
    expect(out).toHaveLength(2)
    // The second connection resumed from the last event before the drop, minus the margin.
    const since = (out[1]?.filters[0] as { occurred: { since: string } }).occurred.since
    expect(since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$/)
    expect(since).toBe(cursorAtDrop)
  })

  it('skips and counts control and garbage frames, keeps streaming', async () => {
    const server = await startServer()
    const { subscriber, events } = subscribe({ apiUrl: server.apiUrl })
    await server.waitForSubscriber({ existing: true })
    server.faults.injectFrames([
      { type: 'checkpoint', offset: 1 },
      { type: 'keep-alive' },
      {},
      'garbage that is not JSON',
      new Uint8Array([0, 1, 2]),
      { type: 'event', event: { nope: true } },
      { type: 'event' },
    ])
    const published = server.publishEvent(thing(1))
    await waitFor(() => events.length === 1, 'the event after the garbage')
    expect(events[0]?.id).toBe(published.id)
    expect(subscriber.state).toBe('open')
    expect(subscriber.stats).toMatchObject({
      skippedFrames: 7,
      skippedByKind: { unknown_type: 2, no_type: 1, not_json: 1, binary: 1, invalid_event: 2 },
      skippedByType: { checkpoint: 1, 'keep-alive': 1, event: 2 },
      reconnects: 0,
    })
  })

  it('re-applies the related filter the server ignores live', async () => {
    const server = await startServer()
    const { events } = subscribe({
      apiUrl: server.apiUrl,
      filter: { related: { role: ['deployment'] } },
    })
    await server.waitForSubscriber({ existing: true })
    server.publishEvent(thing(1))
    const wanted = server.publishEvent(
      thing(2, {
        related: [
          { 'prefect.resource.id': 'prefect.deployment.d', 'prefect.resource.role': 'deployment' },
        ],
      }),
    )
    await waitFor(() => events.length === 1)
    await pause(20)
    expect(events.map((e) => e.id)).toEqual([wanted.id])
  })

  it.each(['hard', 'soft'] as const)(
    '%s auth failure is AUTH_REJECTED after exactly one attempt',
    async (mode) => {
      const server = await startServer({ authString: 'user:pass' })
      server.faults.refuseAuth(mode, { reason: 'Invalid token' })
      const { subscriber } = subscribe({ apiUrl: server.apiUrl, authString: 'user:pass' })
      await waitFor(() => subscriber.state === 'closed', 'closed')
      expect(subscriber.error?.code).toBe('AUTH_REJECTED')
      expect(subscriber.error?.message).not.toContain('user:pass')
      await pause(150)
      expect(server.recorder.connections).toHaveLength(1)
      expect(server.recorder.connections[0]?.authToken).toBe('user:pass')
    },
  )

  it('a wrong auth string is AUTH_REJECTED (close 1008), and the iterator throws it', async () => {
    const server = await startServer({ authString: 'user:pass' })
    const subscriber = createEventsSubscriber({ apiUrl: server.apiUrl, authString: 'user:nope' })
    cleanups.push(() => subscriber.close())
    await expect(
      (async () => {
        for await (const _ of subscriber) {
          // no events expected
        }
      })(),
    ).rejects.toMatchObject({ code: 'AUTH_REJECTED', status: 1008 })
    expect(server.recorder.connections).toHaveLength(1)
  })

  it('an upgrade answered 403 is a final CONNECT_FAILED (status 403), 401 is AUTH_REJECTED', async () => {
    const server = await startServer()
    server.faults.rejectUpgrades(403)
    const a = subscribe({ apiUrl: server.apiUrl })
    await waitFor(() => a.subscriber.state === 'closed')
    expect(a.subscriber.error).toMatchObject({ code: 'CONNECT_FAILED', status: 403 })
    server.faults.rejectUpgrades(401)
    const b = subscribe({ apiUrl: server.apiUrl })
    await waitFor(() => b.subscriber.state === 'closed')
    expect(b.subscriber.error).toMatchObject({ code: 'AUTH_REJECTED', status: 401 })
    await pause(100)
    expect(server.recorder.rejectedUpgrades).toHaveLength(2)
  })

  it('a silent server trips the stall watchdog, which reconnects', async () => {
    const server = await startServer()
    const { subscriber, events } = subscribe({
      apiUrl: server.apiUrl,
      pingIntervalMs: 50,
      stallTimeoutMs: 250,
    })
    const first = await server.waitForSubscriber({ existing: true })
    server.faults.silence(true, { connection: first.id })
    server.publishEvent(thing(1))
    await waitFor(() => subscriber.stats.stalls === 1 && subscriber.state === 'open', 'a stall')
    await waitFor(() => events.length === 1, 'the held event via backfill')
    expect(server.recorder.connections.filter((c) => c.kind === 'out')).toHaveLength(2)
    server.publishEvent(thing(2))
    await waitFor(() => events.length === 2)
  })

  it('accepts frames over 2 MiB', async () => {
    const server = await startServer()
    const { events } = subscribe({ apiUrl: server.apiUrl })
    await server.waitForSubscriber({ existing: true })
    const big = server.publishEvent(thing(1, { payload: { blob: 'x'.repeat(1_400_000) } }))
    const frame = {
      type: 'event',
      event: {
        ...big,
        id: '0190a000-0000-7000-8000-00000000b16b',
        payload: { blob: 'y'.repeat(2_300_000) },
      },
    }
    server.faults.injectFrames([frame])
    await waitFor(() => events.length === 2, 'both large events')
    expect((events[1]?.payload.blob as string).length).toBe(2_300_000)
  })

  it('a frame over maxPayloadBytes stops with PROTOCOL instead of replaying it forever', async () => {
    const server = await startServer()
    const { subscriber } = subscribe({ apiUrl: server.apiUrl, maxPayloadBytes: 2 * 1024 * 1024 })
    await server.waitForSubscriber({ existing: true })
    server.publishEvent(thing(1, { payload: { blob: 'z'.repeat(1_400_000) } }))
    const big = server.events[0]!
    server.faults.injectFrames([
      {
        type: 'event',
        event: {
          ...big,
          id: '0190a000-0000-7000-8000-0000000b16b2',
          payload: { blob: 'y'.repeat(2_300_000) },
        },
      },
    ])
    await waitFor(() => subscriber.state === 'closed', 'the subscriber to stop')
    expect(subscriber.error).toMatchObject({ code: 'PROTOCOL', status: 1009 })
    expect(server.recorder.connections.filter((c) => c.kind === 'out')).toHaveLength(1)
  })

  it('close() leaves no sockets or timers behind', async () => {
    const server = await startServer()
    await pause(20)
    const before = activeResources()
    const subscriber = createEventsSubscriber({ apiUrl: server.apiUrl })
    await server.waitForSubscriber({ existing: true })
    expect(activeResources().TCPSocketWrap ?? 0).toBeGreaterThan(before.TCPSocketWrap ?? 0)
    await subscriber.close()
    await waitFor(() => server.openConnections.length === 0, 'the server to see the close')
    await waitFor(
      () => (activeResources().TCPSocketWrap ?? 0) === (before.TCPSocketWrap ?? 0),
      'sockets to be released',
    )
    expect(activeResources().Timeout ?? 0).toBeLessThanOrEqual(before.Timeout ?? 0)
    expect(server.recorder.connections[0]?.closeCode).toBe(1000)
  })

  it('abort via signal closes it the same way', async () => {
    const server = await startServer()
    const controller = new AbortController()
    const { subscriber } = subscribe({ apiUrl: server.apiUrl, signal: controller.signal })
    await server.waitForSubscriber({ existing: true })
    controller.abort()
    await waitFor(() => server.openConnections.length === 0)
    expect(subscriber.state).toBe('closed')
    expect(subscriber.error).toBeUndefined()
  })

  it('delivers a seeded run of 10,000 events with 20 random drops exactly once', async () => {
    const random = seededRandom(20260820)
    const server = await startServer()
    const base = Date.now() - 120_000
    const { subscriber, events } = subscribe({
      apiUrl: server.apiUrl,
      lookbackMs: 300_000,
      resumeMarginMs: 1_000,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      random,
    })
    await server.waitForSubscriber({ existing: true })
    const total = 10_000
    const batch = 100
    const dropBatches = new Set<number>()
    while (dropBatches.size < 20) dropBatches.add(1 + Math.floor(random() * (total / batch - 2)))
    const ids: string[] = []
    let drops = 0
    const outConnections = () => server.recorder.connections.filter((c) => c.kind === 'out')
    let connectionsAtLastDrop = 0
    for (let b = 0; b < total / batch; b++) {
      if (dropBatches.has(b)) {
        // Each drop hits a fresh connection, so 20 drops mean 20 reconnects.
        await waitFor(
          () =>
            outConnections().length > connectionsAtLastDrop &&
            server.openConnections.some((c) => c.kind === 'out'),
          'reconnected before the next drop',
        )
        connectionsAtLastDrop = outConnections().length
        const armed = server.faults.dropConnections({
          path: '/events/out',
          afterEvents: 1 + Math.floor(random() * batch),
          ...(random() < 0.3 ? { code: [1000, 1001, 1011, 1012][Math.floor(random() * 4)] } : {}),
        })
        drops += armed
      }
      for (let i = 0; i < batch; i++) {
        const n = b * batch + i
        const occurred = new Date(base + n).toISOString().replace('Z', '000Z')
        ids.push(server.publishEvent(thing(n, { occurred })).id)
      }
      await new Promise((resolve) => setImmediate(resolve))
    }
    await waitFor(() => events.length >= total, `${total} events`, 20_000)
    await pause(50)
    expect(drops).toBe(20)
    expect(events).toHaveLength(total)
    expect(new Set(events.map((e) => e.id)).size).toBe(total)
    expect(new Set(ids)).toEqual(new Set(events.map((e) => e.id)))
    expect(subscriber.stats.reconnects).toBeGreaterThanOrEqual(20)
    expect(subscriber.stats.events).toBe(total)
  })
})

describe('Prefect Cloud paths', () => {
  const cloud = { accountId: 'acc-1', workspaceId: 'ws-1', apiKey: 'pnu_cloudkey' }

  it('subscribes on the workspace path with the API key as the auth token', async () => {
    const server = await startServer({ cloud })
    expect(server.apiUrl).toMatch(/\/api\/accounts\/acc-1\/workspaces\/ws-1$/)
    const { events } = subscribe({ apiUrl: server.apiUrl, apiKey: cloud.apiKey })
    const record = await server.waitForSubscriber({ existing: true })
    expect(record.path).toBe('/api/accounts/acc-1/workspaces/ws-1/events/out')
    expect(record.protocols).toEqual(['prefect'])
    expect(record.authToken).toBe('pnu_cloudkey')
    expect(record.headers.authorization).toBeUndefined()
    server.publishEvent(thing(1))
    await waitFor(() => events.length === 1)
  })

  it('subscribes at the account level with scope: account', async () => {
    const server = await startServer({ cloud })
    subscribe({ apiUrl: server.apiUrl, apiKey: cloud.apiKey, scope: 'account' })
    await waitFor(
      () => server.recorder.connections.length + server.recorder.rejectedUpgrades.length > 0,
    )
    const path = server.recorder.connections[0]?.path ?? server.recorder.rejectedUpgrades[0]?.path
    expect(path).toBe('/api/accounts/acc-1/events/out')
  })

  it('a wrong API key is AUTH_REJECTED after one attempt', async () => {
    const server = await startServer({ cloud })
    const { subscriber } = subscribe({ apiUrl: server.apiUrl, apiKey: 'pnu_wrong' })
    await waitFor(() => subscriber.state === 'closed')
    expect(subscriber.error?.code).toBe('AUTH_REJECTED')
    expect(subscriber.error?.message).not.toContain('pnu_wrong')
    await pause(100)
    expect(server.recorder.connections).toHaveLength(1)
  })
})
