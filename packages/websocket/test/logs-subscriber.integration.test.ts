import type { Log } from '@flowcast/core'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createLogsSubscriber,
  createWebSocketLogsSource,
  type LogsSubscriber,
} from '../src/index.node.js'
import { waitFor } from './helpers/util.js'

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

function subscribe(options: Parameters<typeof createLogsSubscriber>[0]): {
  subscriber: LogsSubscriber
  logs: Log[]
} {
  const subscriber = createLogsSubscriber({ reconnect: fastReconnect, ...options })
  cleanups.push(() => subscriber.close())
  const logs: Log[] = []
  subscriber.onLog((log) => logs.push(log))
  return { subscriber, logs }
}

describe('logs subscriber against the fake server', () => {
  it('receives live logs of one run, each once, and skips non-log frames', async () => {
    const server = await startServer({ authString: 'user:pass' })
    const run = server.createFlowRun()
    const subscribed = server.logs.waitForSubscriber()
    const { subscriber, logs } = subscribe({
      apiUrl: server.apiUrl,
      authString: 'user:pass',
      filter: { flow_run_id: { any_: [run.id] } },
    })
    await subscribed
    server.logs.injectFrames([
      { type: 'event', event: {} },
      'not json',
      { type: 'keepalive' },
      { type: 'log', log: { id: 'nope' } },
    ])
    server.logs.create([{ message: 'one', flow_run_id: run.id }, { message: 'other run' }])
    await waitFor(() => logs.length === 1)
    expect(logs.map((l) => l.message)).toEqual(['one'])
    expect(subscriber.stats).toMatchObject({
      logs: 1,
      skippedFrames: 4,
      skippedByKind: { unknown_type: 2, not_json: 1, invalid_log: 1 },
    })
    expect(subscriber.state).toBe('open')
  })

  it('resubscribes after a drop and goes on delivering, each log once', async () => {
    const server = await startServer()
    const run = server.createFlowRun()
    let subscribed = server.logs.waitForSubscriber()
    const { subscriber, logs } = subscribe({
      apiUrl: server.apiUrl,
      filter: { flow_run_id: { any_: [run.id] } },
    })
    await subscribed
    server.logs.create([{ message: 'a', flow_run_id: run.id }])
    await waitFor(() => logs.length === 1)
    subscribed = server.logs.waitForSubscriber()
    server.logs.dropConnections()
    await subscribed
    server.logs.create([{ message: 'b', flow_run_id: run.id }])
    await waitFor(() => logs.length === 2)
    expect(logs.map((l) => l.message)).toEqual(['a', 'b'])
    expect(subscriber.stats.reconnects).toBe(1)
  })

  it('rejected credentials end the subscription with AUTH_REJECTED', async () => {
    const server = await startServer({ authString: 'user:pass' })
    const { subscriber } = subscribe({ apiUrl: server.apiUrl, authString: 'user:wrong' })
    await waitFor(() => subscriber.state === 'closed')
    expect(subscriber.error?.code).toBe('AUTH_REJECTED')
    expect(subscriber.error?.message).not.toContain('user:wrong')
  })

  it('text and operator are refused: the socket would ignore them', () => {
    expect(() =>
      createLogsSubscriber({ apiUrl: 'http://127.0.0.1:1/api', filter: { text: { query: 'x' } } }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_FILTER' }))
  })

  it('the logs source subscribes per watched run and stops on unwatch', async () => {
    const server = await startServer()
    const run = server.createFlowRun()
    const source = createWebSocketLogsSource({ apiUrl: server.apiUrl, reconnect: fastReconnect })
    cleanups.push(() => source.close())
    const got: string[] = []
    const subscribed = server.logs.waitForSubscriber()
    const stop = source.watch(run.id, (log) => got.push(log.message))
    await subscribed
    server.logs.create([{ message: 'hello', flow_run_id: run.id }])
    await waitFor(() => got.length === 1)
    stop()
    await waitFor(() => server.logs.subscribers === 0)
  })
})
