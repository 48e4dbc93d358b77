import type { AddressInfo } from 'node:net'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { createFlowcast, type Flowcast } from 'flowcast'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Server } from 'node:http'
import {
  createWaitServer,
  parsePort,
  shutdownGracefully,
  type WaitServerOptions,
} from './server.js'

let prefect: FakePrefectServer
let flowcast: Flowcast
let server: Server
let base: string

async function start(options: Partial<WaitServerOptions> = {}): Promise<void> {
  if (server?.listening) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  server = createWaitServer({ flowcast, ...options })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** The id of the flow run the service created (from the run's Scheduled event). */
function createdRunIds(): string[] {
  return prefect.events
    .filter((e) => e.event === 'prefect.flow-run.Scheduled')
    .map((e) => e.resource['prefect.resource.id'].slice('prefect.flow-run.'.length))
}

beforeEach(async () => {
  prefect = await createFakePrefectServer({ pingIntervalMs: 0 })
  flowcast = createFlowcast({ apiUrl: prefect.apiUrl, env: {} })
  await start()
})
afterEach(async () => {
  if (server.listening) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  await flowcast.close()
  await prefect.close()
})

describe('wait-server', () => {
  it('starts a deployment run and answers when it has completed', async () => {
    const deployment = prefect.createDeployment({ name: 'nightly' })
    const response = fetch(`${base}/runs`, {
      method: 'POST',
      body: JSON.stringify({ deployment_id: deployment.id, parameters: { n: 2 }, wait: true }),
    })
    await prefect.waitForSubscriber()
    const scheduled = prefect.events.find((e) => e.event === 'prefect.flow-run.Scheduled')!
    const id = scheduled.resource['prefect.resource.id'].slice('prefect.flow-run.'.length)
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

  it('answers 400 for its own validation errors only, naming the problem', async () => {
    const deployment = prefect.createDeployment()
    const post = (body: string) => fetch(`${base}/runs`, { method: 'POST', body })
    const zero = await post(
      JSON.stringify({ deployment_id: deployment.id, wait: true, timeout_seconds: 0 }),
    )
    expect(zero.status).toBe(400)
    expect(await zero.json()).toEqual({
      error: 'timeout_seconds must be a number of seconds greater than 0',
    })
    const tooLong = await post(
      JSON.stringify({ deployment_id: deployment.id, wait: true, timeout_seconds: 901 }),
    )
    expect(await tooLong.json()).toEqual({ error: 'timeout_seconds must be at most 900' })
    expect((await fetch(`${base}/runs/${deployment.id}/outcome?timeout_seconds=abc`)).status).toBe(
      400,
    )
    expect((await post('{not json')).status).toBe(400)
    expect(createdRunIds()).toEqual([])

    // A TypeError from a bug is the service's fault: 500, and its message stays inside.
    await start({
      flowcast: {
        ...flowcast,
        runDeployment: () => Promise.reject(new TypeError('cannot read properties of undefined')),
      },
    })
    const bug = await post(JSON.stringify({ deployment_id: deployment.id }))
    expect(bug.status).toBe(500)
    expect(await bug.json()).toEqual({ error: 'internal error' })
  })

  it('passes an Idempotency-Key through, so a retried request does not start a second run', async () => {
    const deployment = prefect.createDeployment()
    const post = () =>
      fetch(`${base}/runs`, {
        method: 'POST',
        headers: { 'idempotency-key': 'order-42' },
        body: JSON.stringify({ deployment_id: deployment.id }),
      })
    const first = (await (await post()).json()) as { flow_run_id: string }
    const retry = (await (await post()).json()) as { flow_run_id: string }
    expect(retry.flow_run_id).toBe(first.flow_run_id)
    expect(createdRunIds()).toEqual([first.flow_run_id])
  })

  it('requires the bearer token on /runs when authToken is set; /health stays open', async () => {
    await start({ authToken: 's3cret' })
    const deployment = prefect.createDeployment()
    const post = (headers: Record<string, string>) =>
      fetch(`${base}/runs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ deployment_id: deployment.id }),
      })
    expect((await post({})).status).toBe(401)
    expect((await post({ authorization: 'Bearer wrong!' })).status).toBe(401)
    expect((await fetch(`${base}/runs/${deployment.id}/outcome`)).status).toBe(401)
    expect(createdRunIds()).toEqual([])
    expect((await post({ authorization: 'Bearer s3cret' })).status).toBe(202)
    expect((await fetch(`${base}/health`)).status).toBe(200)
  })

  it('reports on /health whether Prefect answers', async () => {
    const healthy = await fetch(`${base}/health`)
    expect(healthy.status).toBe(200)
    expect(await healthy.json()).toMatchObject({ ok: true, prefect: { reachable: true } })

    const unreachable = createFlowcast({
      apiUrl: 'http://127.0.0.1:1/api',
      env: {},
      rest: { retries: 0 },
    })
    await start({ flowcast: unreachable })
    const down = await fetch(`${base}/health`)
    expect(down.status).toBe(503)
    expect(await down.json()).toMatchObject({ ok: false, prefect: { reachable: false } })
    await unreachable.close()
  })

  it('shuts down gracefully: a pending wait answers aborted before the server closes', async () => {
    const run = prefect.createFlowRun({ deploymentId: prefect.createDeployment().id })
    const pending = fetch(`${base}/runs/${run.id}/outcome`)
    await prefect.waitForSubscriber()
    await shutdownGracefully(server, flowcast, { deadlineMs: 5_000 })
    const res = await pending
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ flow_run_id: run.id, outcome: 'aborted' })
    expect(server.listening).toBe(false)
  })
})

describe('parsePort', () => {
  it('accepts 0 to 65535 and names a bad value', () => {
    expect(parsePort(undefined)).toBe(3000)
    expect(parsePort('8080')).toBe(8080)
    expect(() => parsePort('abc')).toThrow('PORT must be an integer from 0 to 65535, got "abc"')
    expect(() => parsePort('70000')).toThrow('got "70000"')
  })
})
