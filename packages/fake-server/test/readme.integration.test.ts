// This file is shown verbatim in the package README ("A consumer test in a few lines").
import { createFakePrefectServer, sampleFrames } from '@flowcast/fake-server'
import { expect, it } from 'vitest'
import WebSocket from 'ws'

it('runs a flow run to Completed across a dropped connection and two control frames', async () => {
  await using server = await createFakePrefectServer()
  const run = server.createFlowRun()
  const watch = watchFlowRun(server.apiUrl, run.id)
  await server.waitForSubscriber({ existing: true })

  await server.runLifecycle(run.id, [
    'Pending',
    () => server.faults.dropConnections(), // abrupt drop: the client sees 1006 ...
    () => server.waitForSubscriber(), // ... and reconnects
    'Running',
    () => server.faults.injectFrames([sampleFrames.control, sampleFrames.control]),
    'Completed',
  ])

  expect(await watch.terminal).toBe('COMPLETED')
  expect(watch.connections).toBe(2)
  expect(watch.skippedFrames).toBe(2)
})

/** A deliberately tiny subscriber: reconnects, dedupes by id, skips every non-event frame. */
function watchFlowRun(apiUrl: string, flowRunId: string) {
  const state = {
    connections: 0,
    skippedFrames: 0,
    terminal: undefined as unknown as Promise<string>,
  }
  const seen = new Set<string>()
  state.terminal = new Promise((resolve) => {
    let done = false
    const connect = () => {
      state.connections++
      const ws = new WebSocket(`${apiUrl.replace(/^http/, 'ws')}/events/out`, ['prefect'])
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'auth', token: null }))
        const since = new Date(Date.now() - 60_000).toISOString()
        const filter = {
          occurred: { since, until: '2100-01-01T00:00:00Z' },
          any_resource: { id: [`prefect.flow-run.${flowRunId}`] },
        }
        ws.send(JSON.stringify({ type: 'filter', filter }))
      })
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as {
          type?: string
          event?: { id: string; resource: Record<string, string> }
        }
        if (frame.type === 'auth_success') return
        if (frame.type !== 'event' || !frame.event) return void state.skippedFrames++
        if (seen.has(frame.event.id)) return
        seen.add(frame.event.id)
        const type = frame.event.resource['prefect.state-type'] ?? ''
        if (['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'].includes(type)) {
          done = true
          ws.close()
          resolve(type)
        }
      })
      ws.on('close', () => done || setTimeout(connect, 10))
      ws.on('error', () => {})
    }
    connect()
  })
  return state
}
