import { isFlowcastError } from '@flowcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { api, barrier, farFilter, openSocket, subscribe, wsUrl } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const event = (name: string, id: string) => ({
  occurred: new Date().toISOString(),
  event: name,
  resource: { 'prefect.resource.id': 'acme.order.42', 'acme.region': 'eu' },
  related: [{ 'prefect.resource.id': 'prefect.tag.x', 'prefect.resource.role': 'tag' }],
  payload: { total: 3 },
  id,
})

describe('recorder and assertions', () => {
  it('records connections (path, protocols, headers, token, filters), HTTP requests and received events', async () => {
    server = await createFakePrefectServer()
    const filter = farFilter({ event: { prefix: ['acme.'] } })
    const out = await subscribe(server.apiUrl, filter, { token: 'tok', backfill: false })
    await barrier(out)
    const posted = await api(server.apiUrl, '/events', {
      body: [event('acme.order.shipped', '0199d1a4-0000-7000-8000-000000000001')],
      headers: { 'x-test': 'yes' },
    })
    expect(posted.status).toBe(204)
    const [connection] = server.recorder.connections
    expect(connection).toMatchObject({
      id: 'c1',
      path: '/api/events/out',
      kind: 'out',
      protocols: ['prefect'],
      protocol: 'prefect',
      mode: 'prefect',
      authToken: 'tok',
      filters: [filter],
      backfill: false,
    })
    expect(connection!.clientFrames[0]).toBe('{"type":"auth","token":"tok"}')
    expect(server.recorder.httpRequests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/api/events',
      status: 204,
      headers: { 'x-test': 'yes' },
    })
    expect(server.recorder.receivedEvents.map((e) => e.event)).toEqual(['acme.order.shipped'])
    expect(server.recorder.eventArrivals[0]).toMatchObject({ source: 'http', duplicate: false })
    out.close()
    await out.closed
    await expect.poll(() => server.recorder.connections[0]!.closedAt).toBeDefined()
    expect(server.openConnections).toEqual([])
    server.recorder.clear()
    expect(server.recorder.httpRequests).toEqual([])
  })

  it('expectEmitted returns the match, or throws a readable diff of the closest events', async () => {
    server = await createFakePrefectServer()
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/in'))
    socket.send(event('acme.order.shipped', '0199d1a4-0000-7000-8000-000000000002'))
    socket.send(event('acme.order.paid', '0199d1a4-0000-7000-8000-000000000003'))
    await server.waitForEmitted({ event: 'acme.order.paid' })
    expect(server.expectEmitted({ event: /shipped$/, resource: { 'acme.region': 'eu' } }).id).toBe(
      '0199d1a4-0000-7000-8000-000000000002',
    )
    expect(
      server.expectEmitted({ related: { 'prefect.resource.role': 'tag' }, payload: { total: 3 } }),
    ).toBeDefined()
    let error: unknown
    try {
      server.expectEmitted({ event: 'acme.order.refunded', resource: { 'acme.region': 'us' } })
    } catch (e) {
      error = e
    }
    expect(isFlowcastError(error, 'NOT_FOUND')).toBe(true)
    const message = (error as Error).message
    expect(message).toContain('[@flowcast/fake-server] expectEmitted')
    expect(message).toContain('expected an emitted event matching event "acme.order.refunded"')
    expect(message).toContain('none of the 2 received events matched')
    expect(message).toContain('- event: expected "acme.order.refunded", got "acme.order.shipped"')
    expect(message).toContain('- resource["acme.region"]: expected "us", got "eu"')
  })

  it('waitForEmitted rejects with the diff when aborted', async () => {
    server = await createFakePrefectServer()
    const controller = new AbortController()
    const waiting = server.waitForEmitted({ event: 'never' }, { signal: controller.signal })
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' })
  })
})
