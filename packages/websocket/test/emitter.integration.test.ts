import type { EventInput } from '@flowcast/core'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { afterEach, describe, expect, it } from 'vitest'
import { createEventsEmitter, type EventsEmitter } from '../src/index.node.js'
import { pause, waitFor } from './helpers/util.js'

const cleanups: (() => Promise<unknown>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {})
})

async function startServer(
  options: Parameters<typeof createFakePrefectServer>[0] = {},
): Promise<FakePrefectServer> {
  const server = await createFakePrefectServer(options)
  cleanups.push(() => server.close())
  return server
}

function emitter(options: Parameters<typeof createEventsEmitter>[0]): EventsEmitter {
  const created = createEventsEmitter({
    reconnect: { initialDelayMs: 10, maxDelayMs: 50 },
    ...options,
  })
  cleanups.push(() => created.close({ signal: AbortSignal.timeout(1000) }))
  return created
}

const order = (n: number): EventInput => ({
  event: 'shop.order.paid',
  resource: { 'prefect.resource.id': `shop.order.${n}` },
  payload: { n },
})

function countById(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1)
  return counts
}

describe('emitter against the fake server', () => {
  it('OSS with an auth string: Basic on the upgrade, raw token in the auth frame', async () => {
    const server = await startServer({ authString: 'user:pass' })
    const events = emitter({ apiUrl: server.apiUrl, authString: 'user:pass' })
    const sent = events.emit(order(1))
    await events.close()
    const record = server.recorder.connections[0]
    expect(record?.path).toBe('/api/events/in')
    expect(record?.protocols).toEqual(['prefect'])
    expect(record?.headers.authorization).toBe(
      `Basic ${Buffer.from('user:pass').toString('base64')}`,
    )
    expect(record?.authToken).toBe('user:pass')
    expect(server.expectEmitted({ id: sent.id, event: 'shop.order.paid' }).payload).toEqual({
      n: 1,
    })
    expect(events.stats).toMatchObject({ emitted: 1, confirmed: 1, unconfirmed: 0 })
  })

  it('Cloud: bearer header, no subprotocol, no auth frame', async () => {
    const cloud = { accountId: 'acc-1', workspaceId: 'ws-1', apiKey: 'pnu_cloudkey' }
    const server = await startServer({ cloud })
    const events = emitter({ apiUrl: server.apiUrl, apiKey: cloud.apiKey })
    const sent = events.emit(order(1))
    await events.close()
    const record = server.recorder.connections[0]
    expect(record?.path).toBe('/api/accounts/acc-1/workspaces/ws-1/events/in')
    expect(record?.mode).toBe('cloud-bearer')
    expect(record?.protocols).toEqual([])
    expect(record?.headers.authorization).toBe('bearer pnu_cloudkey')
    expect(record?.authToken).toBeUndefined()
    expect(record?.clientFrames.every((frame) => !frame.includes('"type":"auth"'))).toBe(true)
    server.expectEmitted({ id: sent.id })
  })

  it('holds every event exactly once across a server restart', async () => {
    const server = await startServer({ authString: 'user:pass' })
    const events = emitter({ apiUrl: server.apiUrl, authString: 'user:pass', checkpointEvery: 50 })
    const ids: string[] = []
    for (let i = 0; i < 400; i++) ids.push(events.emit(order(i)).id)
    await waitFor(() => server.recorder.receivedEvents.length > 100, 'some events to arrive')
    const restarted = server.faults.restart({ downMs: 100 })
    for (let i = 400; i < 800; i++) {
      ids.push(events.emit(order(i)).id)
      if (i % 100 === 0) await pause(5)
    }
    await restarted
    for (let i = 800; i < 1000; i++) ids.push(events.emit(order(i)).id)
    await events.close()
    const stored = countById(server.recorder.receivedEvents.map((e) => e.id))
    expect(stored.size).toBe(1000)
    expect([...stored.values()].every((n) => n === 1)).toBe(true)
    expect(new Set(ids)).toEqual(new Set(stored.keys()))
    expect(events.stats.reconnects).toBeGreaterThanOrEqual(1)
    expect(events.stats.confirmed).toBe(1000)
    expect(events.stats.resent).toBeGreaterThan(0)
    expect(
      server.recorder.connections.filter((c) => c.kind === 'in').length,
    ).toBeGreaterThanOrEqual(2)
  })

  it('a wrong auth string rejects flush with AUTH_REJECTED after one attempt', async () => {
    const server = await startServer({ authString: 'user:pass' })
    const events = emitter({ apiUrl: server.apiUrl, authString: 'user:wrong' })
    events.emit(order(1))
    await expect(events.flush()).rejects.toMatchObject({ code: 'AUTH_REJECTED' })
    await pause(100)
    expect(server.recorder.connections).toHaveLength(1)
    expect(server.recorder.receivedEvents).toHaveLength(0)
  })

  it('gives up with CONNECT_FAILED when the server is unreachable for maxDowntimeMs', async () => {
    const server = await startServer()
    const apiUrl = server.apiUrl
    await server.close()
    const events = emitter({
      apiUrl,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20, maxDowntimeMs: 200 },
    })
    events.emit(order(1))
    await expect(events.flush()).rejects.toMatchObject({ code: 'CONNECT_FAILED' })
    expect(events.state).toBe('closed')
  })
})
