import { createManualClock } from '@flowcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, sampleFrames, type FakePrefectServer } from '../src/index.js'
import { api, barrier, eventOf, farFilter, openSocket, subscribe, wsUrl } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const resource = { 'prefect.resource.id': 'r' }

describe('fault injection', () => {
  it('injects raw frames (control, keep-alive, {}, non-JSON, binary) in order with events', async () => {
    server = await createFakePrefectServer()
    const socket = await subscribe(server.apiUrl, farFilter())
    await server.waitForSubscriber({ existing: true })
    server.publishEvent({ event: 'before', resource })
    const count = server.faults.injectFrames([
      sampleFrames.checkpoint,
      sampleFrames.control,
      sampleFrames.keepAlive,
      sampleFrames.emptyObject,
      sampleFrames.notJson,
      sampleFrames.binary,
      { type: 'custom', n: 1 },
    ])
    expect(count).toBe(1)
    server.publishEvent({ event: 'after', resource })
    const frames = await socket.take(9)
    expect(eventOf(frames[0]!).event).toBe('before')
    expect(frames.slice(1, 8)).toEqual([
      sampleFrames.checkpoint,
      sampleFrames.control,
      sampleFrames.keepAlive,
      '{}',
      'this is not json',
      '<binary 4>',
      '{"type":"custom","n":1}',
    ])
    expect(eventOf(frames[8]!).event).toBe('after')
  })

  it('drops abruptly (1006), with a code, after N events, or after a time', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
    server = await createFakePrefectServer({ clock })
    const a = await subscribe(server.apiUrl, farFilter({}, clock.now() - 1000))
    await barrier(a)
    expect(server.faults.dropConnections()).toBe(1)
    expect((await a.closed).code).toBe(1006)

    const b = await subscribe(server.apiUrl, farFilter({}, clock.now() - 1000))
    await barrier(b)
    server.faults.dropConnections({ code: 4000, reason: 'bye' })
    expect(await b.closed).toEqual({ code: 4000, reason: 'bye' })

    const c = await subscribe(server.apiUrl, farFilter({}, clock.now() - 1000))
    await barrier(c)
    server.faults.dropConnections({ afterEvents: 2 })
    for (let i = 0; i < 3; i++) server.publishEvent({ event: `e${i}`, resource })
    expect((await c.closed).code).toBe(1006)
    expect(c.eventFrames().map((f) => eventOf(f).event)).toEqual(['e0', 'e1'])

    const d = await subscribe(server.apiUrl, farFilter({}, clock.now() - 1000))
    await barrier(d)
    server.faults.dropConnections({ afterMs: 5000 })
    clock.advance(4999)
    await barrier(d)
    clock.advance(1)
    expect((await d.closed).code).toBe(1006)
  })

  it('refuses auth soft (auth_failure then 1008) and hard (1008, no message)', async () => {
    server = await createFakePrefectServer()
    server.faults.refuseAuth('soft', { reason: 'API key expired' })
    const soft = await openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] })
    soft.send({ type: 'auth', token: 'k' })
    expect(await soft.next()).toBe('{"type":"auth_failure","reason":"API key expired"}')
    expect((await soft.closed).code).toBe(1008)
    server.faults.refuseAuth('hard')
    const hard = await openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] })
    hard.send({ type: 'auth', token: 'k' })
    expect((await hard.closed).code).toBe(1008)
    expect(hard.frames).toEqual([])
    server.faults.refuseAuth(null)
    await subscribe(server.apiUrl, farFilter())
  })

  it('rejects upgrades (403/404) while REST keeps working', async () => {
    server = await createFakePrefectServer()
    server.faults.rejectUpgrades(403)
    await expect(
      openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] }),
    ).rejects.toMatchObject({ status: 403 })
    server.faults.rejectUpgrades(404, { path: '/events/in' })
    await expect(openSocket(wsUrl(server.apiUrl, '/events/in'))).rejects.toMatchObject({
      status: 404,
    })
    await subscribe(server.apiUrl, farFilter())
    expect((await api(server.apiUrl, '/health')).status).toBe(200)
  })

  it('goes silent: no frames and no pongs until released', async () => {
    server = await createFakePrefectServer()
    const socket = await subscribe(server.apiUrl, farFilter())
    await barrier(socket)
    server.faults.silence(true)
    server.publishEvent({ event: 'held', resource })
    await expect(barrier(socket, 150)).rejects.toThrow('no pong')
    expect(socket.eventFrames()).toEqual([])
    server.faults.silence(false)
    expect(eventOf(await socket.next()).event).toBe('held')
    await barrier(socket)
  })

  it('delays frames by server time, keeping order', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
    server = await createFakePrefectServer({ clock })
    const socket = await subscribe(server.apiUrl, farFilter({}, clock.now() - 1000))
    await barrier(socket)
    server.faults.delayFrames(1000)
    server.publishEvent({ event: 'slow', resource })
    server.faults.injectFrames([sampleFrames.control])
    await barrier(socket)
    expect(socket.frames).toHaveLength(1)
    clock.advance(1000)
    expect(eventOf(await socket.next()).event).toBe('slow')
    expect(await socket.next()).toBe(sampleFrames.control)
  })

  it('fails chosen HTTP routes (500; 429 with Retry-After; a number of times) and slows responses', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
    server = await createFakePrefectServer({ clock, pingIntervalMs: 0 })
    const run = server.createFlowRun()
    server.faults.httpError({
      method: 'GET',
      path: '/flow_runs/*',
      status: 429,
      retryAfter: 7,
      times: 1,
    })
    server.faults.httpError({ path: '/admin/version', status: 500 })
    const limited = await api(server.apiUrl, `/flow_runs/${run.id}`)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('7')
    expect((await api(server.apiUrl, `/flow_runs/${run.id}`)).status).toBe(200)
    const failed = await api(server.apiUrl, '/admin/version')
    expect(failed.status).toBe(500)
    expect(failed.body).toEqual({ exception_message: 'Internal Server Error' })
    server.faults.reset()
    server.faults.slowResponses(2000)
    let done = false
    const pending = api(server.apiUrl, '/admin/version').then((r) => ((done = true), r))
    await expect.poll(() => clock.pendingTimers).toBe(1)
    expect(done).toBe(false)
    clock.advance(2000)
    expect((await pending).status).toBe(200)
  })

  it('restarts: drops every connection with 1012, refuses connections while down, keeps state', async () => {
    server = await createFakePrefectServer()
    const run = server.createFlowRun()
    const socket = await subscribe(server.apiUrl, farFilter())
    await barrier(socket)
    const restarting = server.faults.restart({ downMs: 100 })
    expect((await socket.closed).code).toBe(1012)
    await expect(fetch(`${server.apiUrl}/health`)).rejects.toThrow()
    await restarting
    const read = await api(server.apiUrl, `/flow_runs/${run.id}`)
    expect(read.status).toBe(200)
    const again = await subscribe(server.apiUrl, farFilter())
    expect(eventOf(await again.next()).event).toBe('prefect.flow-run.Scheduled')
  })
})
