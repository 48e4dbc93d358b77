import { createManualClock } from '@flowcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { barrier, eventOf, farFilter, openSocket, subscribe, wsUrl } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const resource = (id: string) => ({ 'prefect.resource.id': id })

describe('/events/out handshake (docs/protocol.md §1.2)', () => {
  it('accepts the prefect subprotocol and answers auth_success compactly', async () => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/out'), {
      protocols: ['x', 'prefect'],
    })
    expect(socket.ws.protocol).toBe('prefect')
    socket.send({ type: 'auth', token: null })
    expect(await socket.next()).toBe('{"type":"auth_success"}')
  })

  it.each([
    [{ type: 'filter', filter: {} }, "Expected 'auth' message"],
    [{ type: 'auth', token: null }, 'Auth required but no token provided'],
    [{ type: 'auth', token: '' }, 'Auth required but no token provided'],
    [{ type: 'auth', token: 'user:wrong' }, 'Invalid token'],
  ])('closes 1008 with the exact reason for %j', async (frame, reason) => {
    server = await createFakePrefectServer({ authString: 'user:pass' })
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] })
    socket.send(frame)
    expect(await socket.closed).toEqual({ code: 1008, reason })
    expect(socket.frames).toEqual([])
  })

  it('accepts the raw auth string (not base64) as the token', async () => {
    server = await createFakePrefectServer({ authString: 'user:pass' })
    const socket = await subscribe(server.apiUrl, farFilter(), { token: 'user:pass' })
    await barrier(socket)
    expect(server.recorder.connections[0]!.authToken).toBe('user:pass')
  })

  it('answers HTTP 403 to an upgrade without `prefect` when auth is on', async () => {
    server = await createFakePrefectServer({ authString: 'user:pass' })
    await expect(openSocket(wsUrl(server.apiUrl, '/events/out'))).rejects.toMatchObject({
      status: 403,
    })
    expect(server.recorder.rejectedUpgrades[0]).toMatchObject({
      path: '/api/events/out',
      status: 403,
    })
  })

  it('answers 404 to an unknown websocket path', async () => {
    server = await createFakePrefectServer()
    await expect(
      openSocket(wsUrl(server.apiUrl, '/logs/nope'), { protocols: ['prefect'] }),
    ).rejects.toMatchObject({
      status: 404,
    })
  })

  it('legacy mode without auth: no subprotocol, the first frame is the filter', async () => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/out'))
    expect(socket.ws.protocol).toBe('')
    socket.send({ type: 'filter', filter: farFilter() })
    await server.waitForSubscriber({ existing: true })
    server.publishEvent({ event: 'x.y', resource: resource('x.1') })
    expect(eventOf(await socket.next()).event).toBe('x.y')
    expect(server.recorder.connections[0]!.mode).toBe('legacy')
  })

  it.each([
    [{ type: 'nope', filter: {} }, 1002, "Expected 'filter' message"],
    [{ filter: {} }, 1011, ''],
    ['not json', 1011, ''],
  ])('filter frame %j closes %i', async (frame, code, reason) => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] })
    socket.send({ type: 'auth', token: null })
    await socket.next()
    socket.send(frame)
    expect(await socket.closed).toEqual({ code, reason })
  })

  it('closes 1002 "Invalid filter: 1 validation error…" on an invalid filter (extra keys forbidden)', async () => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] })
    socket.send({ type: 'auth', token: null })
    await socket.next()
    socket.send({ type: 'filter', filter: { scope: { account: 'a' } } })
    const closed = await socket.closed
    expect(closed.code).toBe(1002)
    expect(closed.reason.startsWith('Invalid filter: 1 validation error')).toBe(true)
    expect(new TextEncoder().encode(closed.reason).length).toBeLessThanOrEqual(123)
  })

  it('answers protocol pings and ignores text sent after the filter', async () => {
    server = await createFakePrefectServer()
    const socket = await subscribe(server.apiUrl, farFilter())
    socket.send('anything at all')
    await barrier(socket)
    expect(socket.ws.readyState).toBe(socket.ws.OPEN)
    expect(server.recorder.connections[0]!.clientFrames).toContain('anything at all')
  })
})

describe('/events/out delivery (docs/protocol.md §1.4)', () => {
  it('backfills at most 15 minutes, oldest first (ASC forced), then streams live', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
    server = await createFakePrefectServer({ clock })
    const at = (m: number) => new Date(clock.now() - m * 60_000).toISOString()
    server.publishEvent({ event: 'old', resource: resource('r'), occurred: at(20) })
    server.publishEvent({ event: 'b', resource: resource('r'), occurred: at(5) })
    server.publishEvent({ event: 'a', resource: resource('r'), occurred: at(10) })
    const socket = await subscribe(server.apiUrl, {
      occurred: { since: at(60), until: '2027-01-01T00:00:00Z' },
      order: 'DESC',
    })
    expect((await socket.take(2)).map((f) => eventOf(f).event)).toEqual(['a', 'b'])
    server.publishEvent({ event: 'live', resource: resource('r') })
    expect(eventOf(await socket.next()).event).toBe('live')
    await barrier(socket)
    expect(socket.eventFrames()).toHaveLength(3)
  })

  it('backfill:false sends only live events', async () => {
    server = await createFakePrefectServer()
    server.publishEvent({ event: 'before', resource: resource('r') })
    const socket = await subscribe(server.apiUrl, farFilter(), { backfill: false })
    await server.waitForSubscriber({ existing: true })
    server.publishEvent({ event: 'after', resource: resource('r') })
    expect(eventOf(await socket.next()).event).toBe('after')
  })

  it('the until gotcha: without `occurred`, live events fall after `until` and are dropped silently', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
    server = await createFakePrefectServer({ clock })
    server.publishEvent({ event: 'recent', resource: resource('r') })
    clock.advance(1000)
    const socket = await subscribe(server.apiUrl, {})
    expect(eventOf(await socket.next()).event).toBe('recent')
    await server.waitForSubscriber({ existing: true })
    server.publishEvent({ event: 'live', resource: resource('r') })
    await barrier(socket)
    expect(socket.eventFrames()).toHaveLength(1)
  })

  it('applies occurred.until to live events', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
    server = await createFakePrefectServer({ clock })
    const socket = await subscribe(server.apiUrl, {
      occurred: { since: '2026-08-20T13:59:00Z', until: '2026-08-20T14:00:05Z' },
    })
    await server.waitForSubscriber({ existing: true })
    server.publishEvent({ event: 'inside', resource: resource('r') })
    clock.advance(10_000)
    server.publishEvent({ event: 'after-until', resource: resource('r') })
    await barrier(socket)
    expect(socket.eventFrames().map((f) => eventOf(f).event)).toEqual(['inside'])
  })

  it('ignores `related` for live events but applies it to the backfill', async () => {
    server = await createFakePrefectServer()
    const related = [{ 'prefect.resource.id': 'prefect.tag.a', 'prefect.resource.role': 'tag' }]
    server.publishEvent({ event: 'stored-match', resource: resource('r'), related })
    server.publishEvent({ event: 'stored-other', resource: resource('r') })
    const socket = await subscribe(server.apiUrl, farFilter({ related: { id: ['prefect.tag.a'] } }))
    expect(eventOf(await socket.next()).event).toBe('stored-match')
    server.publishEvent({ event: 'live-other', resource: resource('r') })
    expect(eventOf(await socket.next()).event).toBe('live-other')
  })

  it('drops the newest live events silently past a 256-event backlog', async () => {
    server = await createFakePrefectServer()
    const socket = await subscribe(server.apiUrl, farFilter())
    await server.waitForSubscriber({ existing: true })
    server.faults.silence(true)
    for (let i = 0; i < 300; i++) server.publishEvent({ event: `e${i}`, resource: resource('r') })
    server.faults.silence(false)
    const frames = await socket.take(256)
    expect(eventOf(frames[255]!).event).toBe('e255')
    await barrier(socket)
    expect(socket.eventFrames()).toHaveLength(256)
    expect(server.recorder.connections[0]!.eventsSent).toBe(256)
  })

  it('writes compact frames with the server-set `received` last and microsecond datetimes', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:03:09.517Z'))
    server = await createFakePrefectServer({ clock })
    const socket = await subscribe(server.apiUrl, farFilter({}, clock.now() - 60_000))
    await server.waitForSubscriber({ existing: true })
    server.publishEvent({
      event: 'x',
      resource: resource('r'),
      occurred: '2026-08-20T14:03:09.1+00:00',
    })
    const frame = await socket.next()
    expect(frame).toMatch(
      /^\{"type":"event","event":\{"occurred":"2026-08-20T14:03:09\.100000Z","event":"x","resource":\{"prefect\.resource\.id":"r"\},"related":\[\],"payload":\{\},"id":"[0-9a-f-]{36}","follows":null,"received":"2026-08-20T14:03:09\.517\d{3}Z"\}\}$/,
    )
  })

  it('serves the Cloud account-level and workspace subscribers with the API key as token', async () => {
    server = await createFakePrefectServer({
      cloud: { accountId: 'A', workspaceId: 'W', apiKey: 'pnu_key' },
    })
    expect(server.apiUrl).toMatch(/\/api\/accounts\/A\/workspaces\/W$/)
    const account = server.apiUrl.replace(/\/workspaces\/W$/, '')
    const a = await subscribe(account, farFilter(), { token: 'pnu_key' })
    const w = await subscribe(server.apiUrl, farFilter(), { token: 'pnu_key' })
    await barrier(a)
    await barrier(w)
    server.publishEvent({ event: 'both', resource: resource('r') })
    expect(eventOf(await a.next()).event).toBe('both')
    expect(eventOf(await w.next()).event).toBe('both')
    const bad = await openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] })
    bad.send({ type: 'auth', token: 'wrong' })
    expect((await bad.closed).code).toBe(1008)
    await expect(openSocket(wsUrl(server.apiUrl, '/events/out'))).rejects.toMatchObject({
      status: 403,
    })
  })
})
