import { type Logger } from '@flowcast/core'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { createFakePrefectHandlers } from '../src/msw.js'

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

const warnings: string[] = []
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message) => void warnings.push(message),
  error: () => {},
}
const fake = createFakePrefectHandlers({ logger })
const strict = createFakePrefectHandlers({
  baseUrl: 'http://strict.test/api',
  onPollingOnly: 'error',
})
const msw = setupServer(...fake.handlers, ...strict.handlers)
beforeAll(() => msw.listen({ onUnhandledRequest: 'error' }))
afterEach(() => {
  fake.reset()
  strict.reset()
  warnings.length = 0
})
afterAll(() => msw.close())

const read = (apiUrl: string, id: string) => fetch(`${apiUrl}/flow_runs/${id}`)
const filter = (apiUrl: string, ids: string[]) =>
  fetch(`${apiUrl}/flow_runs/filter`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ flow_runs: { id: { any_: ids } } }),
  })

describe('msw: flow-run handles', () => {
  it('hands out a run created through msw, with its recorded create', async () => {
    const deployment = fake.createDeployment()
    const next = fake.nextFlowRun({ deploymentId: deployment.id })
    const response = await fetch(`${fake.apiUrl}/deployments/${deployment.id}/create_flow_run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parameters: { n: 1 } }),
    })
    const created = (await response.json()) as { id: string }
    expect((await next).id).toBe(created.id)
    expect(fake.recorder.createdFlowRuns.map((r) => r.flowRun.id)).toEqual([created.id])
    expect(fake.flowRuns({ deploymentId: deployment.id }).map((r) => r.id)).toEqual([created.id])
  })
})

describe('msw: a wait that ends by polling with no WebSocket', () => {
  it('is reported once through the logger when a run read active is read ended', async () => {
    const run = fake.createFlowRun()
    expect((await read(fake.apiUrl, run.id)).status).toBe(200)
    fake.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    expect(fake.pollingOnlyRuns).toEqual([])
    expect((await filter(fake.apiUrl, [run.id])).status).toBe(200)
    await read(fake.apiUrl, run.id)
    expect(fake.pollingOnlyRuns).toEqual([run.id])
    expect(fake.webSocketsSeen).toBe(0)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('WebSocket: globalThis.WebSocket')
    fake.reset()
    expect(fake.pollingOnlyRuns).toEqual([])
  })

  it('stays quiet for a run that had already ended at the first read', async () => {
    const run = fake.createFlowRun({ state: { type: 'COMPLETED' } })
    await read(fake.apiUrl, run.id)
    await read(fake.apiUrl, run.id)
    expect(fake.pollingOnlyRuns).toEqual([])
    expect(warnings).toHaveLength(0)
  })

  it('stays quiet once a WebSocket reached the handlers', async () => {
    const socket = new globalThis.WebSocket('ws://prefect.test/api/events/out', ['prefect'])
    await new Promise((resolve) => socket.addEventListener('open', resolve))
    expect(fake.webSocketsSeen).toBe(1)
    const run = fake.createFlowRun()
    await read(fake.apiUrl, run.id)
    fake.setFlowRunState(run.id, { type: 'FAILED' }, { force: true })
    await read(fake.apiUrl, run.id)
    expect(fake.pollingOnlyRuns).toEqual([])
    socket.close()
  })

  it('rejects an unknown onPollingOnly value', () => {
    expect(() => createFakePrefectHandlers({ onPollingOnly: 'loud' as 'warn' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it("'error' answers the read that would end the wait with a 500 that says why", async () => {
    const run = strict.createFlowRun()
    await read(strict.apiUrl, run.id)
    strict.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    const ended = await read(strict.apiUrl, run.id)
    expect(ended.status).toBe(500)
    const body = (await ended.json()) as { exception_message: string }
    expect(body.exception_message).toContain(`flow run ${run.id} was read over REST until it ended`)
    expect((await filter(strict.apiUrl, [run.id])).status).toBe(500)
  })
})
