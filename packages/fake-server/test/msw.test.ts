import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { createFakePrefectHandlers } from '../src/msw.js'
import { expectSchema } from './helpers.js'

// Node 20 has no global WebSocket; msw's WebSocket interception patches the global, so give it one.
const hadWebSocket = 'WebSocket' in globalThis
beforeAll(() => {
  if (!hadWebSocket) {
    Object.defineProperty(globalThis, 'WebSocket', {
      value: NodeWebSocket,
      configurable: true,
      writable: true,
    })
  }
})
afterAll(() => {
  if (!hadWebSocket) delete (globalThis as { WebSocket?: unknown }).WebSocket
})

const fake = createFakePrefectHandlers()
const msw = setupServer(...fake.handlers)
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  msw.resetHandlers()
  fake.reset()
})
afterAll(() => msw.close())

interface Client {
  socket: WebSocket
  messages: string[]
  next(): Promise<string>
  closed: Promise<{ code: number; reason: string }>
}

function connect(path: string, protocols: string[]): Client {
  const socket = new globalThis.WebSocket(`ws://prefect.test/api${path}`, protocols)
  const messages: string[] = []
  let read = 0
  let wake: (() => void) | undefined
  socket.addEventListener('message', (event) => {
    messages.push(String(event.data))
    wake?.()
  })
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (event) =>
      resolve({ code: event.code, reason: event.reason }),
    ),
  )
  return {
    socket,
    messages,
    closed,
    async next() {
      while (read >= messages.length) await new Promise<void>((r) => (wake = r))
      return messages[read++]!
    },
  }
}

describe('./msw handlers', () => {
  it('serves REST through msw from the shared state model', async () => {
    const deployment = fake.createDeployment({ tags: ['a'] })
    const response = await fetch(`${fake.apiUrl}/deployments/${deployment.id}/create_flow_run`, {
      method: 'POST',
      body: JSON.stringify({ tags: ['b'] }),
    })
    expect(response.status).toBe(201)
    const run = (await response.json()) as { id: string; tags: string[] }
    expectSchema('FlowRunResponse', run)
    expect(run.tags).toEqual(['a', 'b'])
    expect(fake.readFlowRun(run.id)!.state_type).toBe('SCHEDULED')
    const missing = await fetch(`${fake.apiUrl}/flow_runs/0199d1a4-0000-7000-8000-00000000abcd`)
    expect(await missing.json()).toEqual({ detail: 'Flow run not found' })
  })

  it('streams /events/out through ws.link with the OSS handshake, backfill and live events', async () => {
    const run = fake.createFlowRun()
    const client = connect('/events/out', ['prefect'])
    await new Promise((r) => client.socket.addEventListener('open', r))
    expect(client.socket.protocol).toBe('prefect')
    client.socket.send('{"type":"auth","token":null}')
    expect(await client.next()).toBe('{"type":"auth_success"}')
    const since = new Date(Date.now() - 60_000).toISOString()
    client.socket.send(
      JSON.stringify({
        type: 'filter',
        filter: { occurred: { since, until: '2100-01-01T00:00:00Z' } },
      }),
    )
    expect(JSON.parse(await client.next()).event.event).toBe('prefect.flow-run.Scheduled')
    await fake.waitForSubscriber({ existing: true })
    await fake.runLifecycle(run.id, ['Pending'])
    expect(JSON.parse(await client.next()).event.event).toBe('prefect.flow-run.Pending')
    fake.faults.dropConnections({ code: 1011 })
    expect((await client.closed).code).toBe(1011)
  })

  it('applies the same handshake rules: 1008 on a bad token, events in on /events/in', async () => {
    const strict = createFakePrefectHandlers({
      authString: 'user:pass',
      baseUrl: 'http://strict.test/api',
    })
    msw.use(...strict.handlers)
    const socket = new globalThis.WebSocket('ws://strict.test/api/events/out', ['prefect'])
    socket.addEventListener('open', () => socket.send('{"type":"auth","token":"nope"}'))
    const closed = await new Promise<CloseEvent>((r) => socket.addEventListener('close', r))
    expect([closed.code, closed.reason]).toEqual([1008, 'Invalid token'])

    const emitter = connect('/events/in', [])
    await new Promise((r) => emitter.socket.addEventListener('open', r))
    emitter.socket.send(
      JSON.stringify({
        occurred: new Date().toISOString(),
        event: 'acme.hello',
        resource: { 'prefect.resource.id': 'acme.1' },
        id: '0199d1a4-0000-7000-8000-000000000042',
      }),
    )
    await expect(fake.waitForEmitted({ event: 'acme.hello' })).resolves.toBeDefined()
  })
})
