import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { barrier, farFilter, openSocket, wsUrl, type TestSocket } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const resource = { 'prefect.resource.id': 'acme.thing' }
const nameOf = (frame: string) => (JSON.parse(frame) as { event: { event: string } }).event.event
const idOf = (frame: string) => (JSON.parse(frame) as { event: { id: string } }).event.id

/** Stores `count` events `stored.<n>` (n = occurrence order), published newest first. */
function storeBackfill(count: number): void {
  const base = Date.now() - 10 * 60_000
  for (let n = count - 1; n >= 0; n--) {
    const occurred = new Date(base + n * 10).toISOString()
    server.publishEvent({ event: `stored.${n}`, resource, occurred })
  }
}

/** Authenticates, sends the filter and resolves once the server has subscribed the socket. */
async function subscribeAndWait(options: { backfill?: boolean } = {}): Promise<TestSocket> {
  const socket = await openSocket(wsUrl(server.apiUrl, '/events/out'), { protocols: ['prefect'] })
  socket.send({ type: 'auth', token: null })
  expect(await socket.next()).toBe('{"type":"auth_success"}')
  const subscribed = server.waitForSubscriber()
  socket.send({ type: 'filter', filter: farFilter({}, Date.now() - 14 * 60_000), ...options })
  await subscribed
  return socket
}

const range = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, n) => `${prefix}.${n}`)

describe('/events/out backfill in pages (docs/protocol.md §1.4)', () => {
  it('sends 1,000 stored events oldest first, then the first 256 events published meanwhile', async () => {
    server = await createFakePrefectServer()
    storeBackfill(1_000)
    const socket = await subscribeAndWait()
    // The first page of 250 is out; the other three follow one event-loop turn apart, so these
    // land in the subscriber's live queue, which holds 256 and drops the newest beyond that.
    for (let n = 0; n < 400; n++) server.publishEvent({ event: `live.${n}`, resource })

    const frames = await socket.take(1_256)
    await barrier(socket)
    expect(socket.eventFrames()).toHaveLength(1_256)
    expect(frames.map(nameOf)).toEqual([...range('stored', 1_000), ...range('live', 256)])
    expect(new Set(frames.map(idOf)).size).toBe(1_256)
    expect(server.recorder.connections[0]!.eventsSent).toBe(1_256)
  })

  it('streams live events at once after a backfill of a single page', async () => {
    server = await createFakePrefectServer()
    storeBackfill(250)
    const socket = await subscribeAndWait()
    for (let n = 0; n < 400; n++) server.publishEvent({ event: `live.${n}`, resource })

    const frames = await socket.take(650)
    await barrier(socket)
    expect(socket.eventFrames()).toHaveLength(650)
    expect(frames.map(nameOf)).toEqual([...range('stored', 250), ...range('live', 400)])
  })

  it('honours backfillPageSize and subscriberBacklog, and keeps injected frames in order', async () => {
    server = await createFakePrefectServer({ backfillPageSize: 2, subscriberBacklog: 3 })
    storeBackfill(5)
    const socket = await subscribeAndWait()
    server.publishEvent({ event: 'live.0', resource })
    server.faults.injectFrames(['{"type":"control"}'])
    for (let n = 1; n < 5; n++) server.publishEvent({ event: `live.${n}`, resource })

    const frames = await socket.take(9)
    await barrier(socket)
    expect(socket.frames).toHaveLength(10) // auth_success + 9
    expect(frames.map((f) => (f.startsWith('{"type":"event"') ? nameOf(f) : f))).toEqual([
      ...range('stored', 5),
      'live.0',
      '{"type":"control"}',
      'live.1',
      'live.2',
    ])
  })

  it('sends only live events, unqueued, with backfill:false', async () => {
    server = await createFakePrefectServer()
    storeBackfill(600)
    const socket = await subscribeAndWait({ backfill: false })
    for (let n = 0; n < 300; n++) server.publishEvent({ event: `live.${n}`, resource })

    const frames = await socket.take(300)
    await barrier(socket)
    expect(socket.eventFrames()).toHaveLength(300)
    expect(frames.map(nameOf)).toEqual(range('live', 300))
  })

  it('rejects a backfillPageSize that is not a positive integer', async () => {
    await expect(createFakePrefectServer({ backfillPageSize: 0 })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    })
  })
})
