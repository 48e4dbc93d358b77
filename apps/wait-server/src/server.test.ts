import type { AddressInfo } from 'node:net'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { createFlowcast, type Flowcast } from 'flowcast'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWaitServer } from './server.js'

let prefect: FakePrefectServer
let flowcast: Flowcast
let base: string
let close: () => Promise<void>

beforeEach(async () => {
  prefect = await createFakePrefectServer({ pingIntervalMs: 0 })
  flowcast = createFlowcast({ apiUrl: prefect.apiUrl, env: {} })
  const server = createWaitServer({ flowcast })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  close = async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await flowcast.close()
    await prefect.close()
  }
})
afterEach(() => close())

describe('wait-server', () => {
  it('starts a deployment run and answers when it has completed', async () => {
    const deployment = prefect.createDeployment({ name: 'nightly' })
    const response = fetch(`${base}/runs`, {
      method: 'POST',
      body: JSON.stringify({ deployment_id: deployment.id, parameters: { n: 2 }, wait: true }),
    })
    const { id } = await prefect.nextFlowRun({ deploymentId: deployment.id, timeoutMs: 5_000 })
    await prefect.waitForSubscriber()
    await prefect.runLifecycle(id, ['Pending', 'Running', 'Completed'])
    const res = await response
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      flow_run_id: id,
      outcome: 'terminal',
      state_type: 'COMPLETED',
      source: 'websocket',
    })
  })

  it('reports an existing run, and times out as asked', async () => {
    const run = prefect.createFlowRun({ deploymentId: prefect.createDeployment().id })
    prefect.setFlowRunState(run.id, { type: 'RUNNING' }, { force: true })
    const timedOut = await fetch(`${base}/runs/${run.id}/outcome?timeout_seconds=0.3`)
    expect(await timedOut.json()).toMatchObject({ outcome: 'timeout', state_type: 'RUNNING' })
    prefect.setFlowRunState(run.id, { type: 'FAILED' }, { force: true })
    const done = await fetch(`${base}/runs/${run.id}/outcome`)
    expect(await done.json()).toMatchObject({ outcome: 'terminal', state_type: 'FAILED' })
  })

  it('answers 202 without waiting, 400 without a deployment, 404 for unknown deployments', async () => {
    const deployment = prefect.createDeployment()
    const started = await fetch(`${base}/runs`, {
      method: 'POST',
      body: JSON.stringify({ deployment_id: deployment.id }),
    })
    expect(started.status).toBe(202)
    expect(await started.json()).toMatchObject({ state_type: 'SCHEDULED' })
    expect((await fetch(`${base}/runs`, { method: 'POST', body: '{}' })).status).toBe(400)
    const unknown = await fetch(`${base}/runs`, {
      method: 'POST',
      body: JSON.stringify({ deployment_id: '0190b7f0-0000-7000-8000-000000000001' }),
    })
    expect(unknown.status).toBe(404)
  })
})
