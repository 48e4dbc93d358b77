import { WebSocket as MockWebSocket } from 'mock-socket'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectMockSocket, type FakePrefectMockSocket } from '../src/mock-socket.js'

let fake: FakePrefectMockSocket
afterEach(() => fake?.close())

function open(url: string, protocols: string[]) {
  const socket = new MockWebSocket(url, protocols)
  const messages: string[] = []
  let wake: (() => void) | undefined
  socket.onmessage = (event) => {
    messages.push(String(event.data))
    wake?.()
  }
  const closed = new Promise<CloseEvent>((resolve) => (socket.onclose = resolve))
  let read = 0
  return {
    socket,
    closed,
    async next() {
      while (read >= messages.length) await new Promise<void>((r) => (wake = r))
      return messages[read++]!
    },
  }
}

describe('./mock-socket adapter', () => {
  it('lists flow runs, and ends a waiting nextFlowRun with CLOSED on close', async () => {
    fake = createFakePrefectMockSocket()
    const deployment = fake.createDeployment()
    const run = fake.createFlowRun({ deploymentId: deployment.id })
    fake.createFlowRun()
    expect(fake.flowRuns({ deploymentId: deployment.id }).map((r) => r.id)).toEqual([run.id])
    const waiting = fake.nextFlowRun({ deploymentId: deployment.id })
    fake.close()
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('runs the OSS handshake and streams state events from the shared model', async () => {
    fake = createFakePrefectMockSocket()
    const run = fake.createFlowRun()
    const client = open('ws://prefect.test/api/events/out', ['prefect'])
    await new Promise((r) => (client.socket.onopen = r))
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
    await fake.runLifecycle(run.id, [
      'Pending',
      () => fake.faults.injectFrames(['{"type":"control"}']),
      'Running',
    ])
    expect(JSON.parse(await client.next()).event.event).toBe('prefect.flow-run.Pending')
    expect(await client.next()).toBe('{"type":"control"}')
    expect(JSON.parse(await client.next()).event.event).toBe('prefect.flow-run.Running')
  })

  it('refuses a connection without `prefect` when auth is on, and closes 1008 on a wrong token', async () => {
    fake = createFakePrefectMockSocket({ authString: 'user:pass' })
    const refused = open('ws://prefect.test/api/events/out', [])
    const event = await refused.closed
    expect(refused.socket.readyState).toBe(MockWebSocket.CLOSED)
    expect(event.type).toBe('close')
    expect(fake.recorder.rejectedUpgrades[0]!.status).toBe(403)

    const wrong = open('ws://prefect.test/api/events/out', ['prefect'])
    await new Promise((r) => (wrong.socket.onopen = r))
    wrong.socket.send('{"type":"auth","token":"user:nope"}')
    const closed = await wrong.closed
    expect([closed.code, closed.reason]).toEqual([1008, 'Invalid token'])
  })
})
