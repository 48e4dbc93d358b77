import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { barrier, eventOf, farFilter, openSocket, subscribe, wsUrl } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const event = (n: number, extra: Record<string, unknown> = {}) => ({
  occurred: new Date().toISOString(),
  event: `acme.thing.${n}`,
  resource: { 'prefect.resource.id': `acme.thing.${n}` },
  related: [],
  payload: { n },
  id: `0199d1a4-0000-7000-8000-${String(n).padStart(12, '0')}`,
  follows: null,
  ...extra,
})

describe('/events/in (docs/protocol.md §2)', () => {
  it('OSS handshake with the Basic header accepted; one event per frame; received set by the server; dedupe by id', async () => {
    server = await createFakePrefectServer({ authString: 'user:pass' })
    const out = await subscribe(server.apiUrl, farFilter(), { token: 'user:pass' })
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/in'), {
      protocols: ['prefect'],
      headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
    })
    socket.send({ type: 'auth', token: 'user:pass' })
    expect(await socket.next()).toBe('{"type":"auth_success"}')
    socket.send(event(1, { received: '1999-01-01T00:00:00Z', extra: 'dropped' }))
    socket.send(event(1))
    socket.send(event(2))
    const delivered = (await out.take(2)).map(eventOf)
    expect(delivered.map((e) => e.event)).toEqual(['acme.thing.1', 'acme.thing.2'])
    expect(delivered[0]!.received).not.toBe('1999-01-01T00:00:00Z')
    expect(delivered[0]).not.toHaveProperty('extra')
    await barrier(socket)
    expect(server.recorder.receivedEvents.map((e) => e.id)).toEqual([event(1).id, event(2).id])
    expect(server.recorder.eventArrivals.map((a) => a.duplicate)).toEqual([false, true, false])
    expect(server.recorder.connections[1]!.headers.authorization).toMatch(/^Basic /)
    // The server never replies on /events/in.
    expect(socket.frames).toEqual(['{"type":"auth_success"}'])
  })

  it('legacy mode without auth: events straight away', async () => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/in'))
    socket.send(event(3))
    await expect(server.waitForEmitted({ event: 'acme.thing.3' })).resolves.toMatchObject({
      id: event(3).id,
    })
  })

  it.each([
    ['an event without id', JSON.stringify({ ...event(4), id: undefined })],
    ['text that is not JSON', 'nope'],
    [
      'a resource with a null label',
      JSON.stringify(event(5, { resource: { 'prefect.resource.id': 'x', bad: null } })),
    ],
  ])('closes the socket (1011) on %s', async (_what, frame) => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/in'))
    socket.send(frame)
    expect((await socket.closed).code).toBe(1011)
    expect(server.recorder.receivedEvents).toEqual([])
  })

  it('closes the socket (1011) on a binary frame', async () => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/in'))
    socket.ws.send(Buffer.from(JSON.stringify(event(6))))
    expect((await socket.closed).code).toBe(1011)
  })

  it('Cloud: Authorization bearer on the upgrade, no subprotocol, no auth frame; an auth frame closes it', async () => {
    server = await createFakePrefectServer({
      cloud: { accountId: 'A', workspaceId: 'W', apiKey: 'pnu_key' },
    })
    const url = wsUrl(server.apiUrl, '/events/in')
    await expect(openSocket(url)).rejects.toMatchObject({ status: 403 })
    await expect(
      openSocket(url, { headers: { authorization: 'bearer wrong' } }),
    ).rejects.toMatchObject({ status: 403 })
    const socket = await openSocket(url, { headers: { authorization: 'bearer pnu_key' } })
    expect(socket.ws.protocol).toBe('')
    socket.send(event(7))
    await server.waitForEmitted({ id: event(7).id })
    expect(server.recorder.connections[0]!.mode).toBe('cloud-bearer')
    socket.send({ type: 'auth', token: 'pnu_key' })
    expect((await socket.closed).code).toBe(1011)
  })
})
