import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import {
  createInstrumentation,
  createManualClock,
  type InstrumentationBackend,
} from '@flowcast/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFlowcast, type Flowcast } from './flowcast.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function fake(): Promise<FakePrefectServer> {
  const server = await createFakePrefectServer({ pingIntervalMs: 0 })
  cleanups.push(() => server.close())
  return server
}

function track(flowcast: Flowcast): Flowcast {
  cleanups.push(() => flowcast.close())
  return flowcast
}

describe('createFlowcast: configuration', () => {
  it('reads PREFECT_* from env when options are missing; explicit options win', async () => {
    const server = await fake()
    const fromEnv = track(createFlowcast({ env: { PREFECT_API_URL: `${server.apiUrl}/` } }))
    expect(fromEnv.apiUrl).toBe(server.apiUrl)
    expect(await fromEnv.client.version()).toBe('3.8.4')
    const explicit = track(
      createFlowcast({ apiUrl: server.apiUrl, env: { PREFECT_API_URL: 'http://127.0.0.1:1/api' } }),
    )
    expect(explicit.apiUrl).toBe(server.apiUrl)
    expect(explicit.transport).toBe('auto')
  })

  it('needs an API URL and a known transport', () => {
    expect(() => createFlowcast({ env: {} })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(() =>
      createFlowcast({ apiUrl: 'http://127.0.0.1:4200/api', transport: 'smoke' as never, env: {} }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
  })

  it('sends the auth string from the environment', async () => {
    const server = await createFakePrefectServer({ pingIntervalMs: 0, authString: 'admin:pass' })
    cleanups.push(() => server.close())
    const flowcast = track(
      createFlowcast({
        env: { PREFECT_API_URL: server.apiUrl, PREFECT_API_AUTH_STRING: 'admin:pass' },
      }),
    )
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    server.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    await expect(flowcast.waitForFlowRun(run.id, { timeoutMs: 5_000 })).resolves.toMatchObject({
      outcome: 'terminal',
    })
  })
})

describe('createFlowcast: instrumentation', () => {
  function recordingBackend() {
    const counted: string[] = []
    const spans: string[] = []
    const backend: InstrumentationBackend = {
      counter: (spec) => ({ add: () => counted.push(spec.name) }),
      histogram: (spec) => ({ record: () => counted.push(spec.name) }),
      startSpan: (name) => {
        spans.push(name)
        return { setAttribute() {}, inject() {}, end() {} }
      },
    }
    return { backend, counted, spans }
  }

  it('refuses a bare backend at creation, naming the fix', () => {
    const { backend } = recordingBackend()
    expect(() =>
      createFlowcast({
        apiUrl: 'http://127.0.0.1:4200/api',
        env: {},
        instrumentation: backend as never,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTIONS',
        message: expect.stringContaining('createInstrumentation(backend)'),
      }),
    )
  })

  it('reports the wait and its REST reads through a wrapped backend', async () => {
    const server = await fake()
    const { backend, counted, spans } = recordingBackend()
    const flowcast = track(
      createFlowcast({
        apiUrl: server.apiUrl,
        env: {},
        transport: 'polling',
        profile: 'test',
        instrumentation: createInstrumentation(backend),
      }),
    )
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    server.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    await expect(flowcast.waitForFlowRun(run.id, { timeoutMs: 5_000 })).resolves.toMatchObject({
      outcome: 'terminal',
    })
    expect(spans).toContain('flowcast.wait_for_flow_run')
    expect(counted).toContain('flowcast.wait.outcomes')
    expect(counted).toContain('http.client.request.duration')
  })
})

describe('createFlowcast: waiting', () => {
  it('runs a deployment with parameters and waits for it', async () => {
    const server = await fake()
    const deployment = server.createDeployment({ parameters: { region: 'eu' } })
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const pending = flowcast.runDeployment(deployment.id, {
      parameters: { n: 3 },
      wait: { timeoutMs: 10_000 },
    })
    await server.waitForSubscriber()
    const run = server.recorder.httpRequests.find((r) => r.path.endsWith('/create_flow_run'))!
    expect(run.body).toMatchObject({ parameters: { n: 3 } })
    const scheduled = server.events.find((e) => e.event === 'prefect.flow-run.Scheduled')!
    const id = scheduled.resource['prefect.resource.id'].slice('prefect.flow-run.'.length)
    await server.runLifecycle(id, ['Pending', 'Running', 'Completed'])
    const { flowRun, result } = await pending
    expect(flowRun.id).toBe(id)
    expect(flowRun.parameters).toMatchObject({ region: 'eu', n: 3 })
    expect(result).toMatchObject({
      outcome: 'terminal',
      stateType: 'COMPLETED',
      source: 'websocket',
    })
  })

  it('runDeployment without wait returns the created run only', async () => {
    const server = await fake()
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const { flowRun, result } = await flowcast.runDeployment(server.createDeployment().id)
    expect(flowRun.state?.type).toBe('SCHEDULED')
    expect(result).toBeUndefined()
    expect(server.recorder.connections).toHaveLength(0)
  })

  it('runDeployment finds a deployment by FLOW/NAME; NOT_FOUND for an unknown one', async () => {
    const server = await fake()
    const deployment = server.createDeployment({ flowName: 'etl', name: 'nightly' })
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const { flowRun } = await flowcast.runDeployment('etl/nightly', { parameters: { n: 1 } })
    expect(flowRun.deployment_id).toBe(deployment.id)
    await expect(flowcast.runDeployment('etl/missing')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    })
  })

  it('runDeployment checks parameters with validateParameters before creating anything', async () => {
    const server = await fake()
    const deployment = server.createDeployment({
      flowName: 'etl',
      name: 'typed',
      parameterOpenApiSchema: { type: 'object', properties: { n: { type: 'integer' } } },
    })
    const seen: unknown[] = []
    const flowcast = track(
      createFlowcast({
        apiUrl: server.apiUrl,
        env: {},
        validateParameters: (parameters) => {
          seen.push(parameters)
          return typeof parameters.n === 'number'
            ? []
            : [{ parameter: 'n', message: 'must be integer' }]
        },
      }),
    )
    await expect(
      flowcast.runDeployment(deployment.id, { parameters: { n: 'x' } }),
    ).rejects.toMatchObject({
      code: 'INVALID_PARAMETERS',
      details: { issues: [{ parameter: 'n', message: 'must be integer' }] },
    })
    expect(server.recorder.httpRequests.some((r) => r.path.endsWith('/create_flow_run'))).toBe(
      false,
    )
    // Without the local check the server's 409 refuses it.
    const plain = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    await expect(
      plain.runDeployment('etl/typed', { parameters: { n: 'x' } }),
    ).rejects.toMatchObject({ code: 'HTTP', status: 409 })
    const { flowRun } = await flowcast.runDeployment('etl/typed', { parameters: { n: 2 } })
    expect(flowRun.parameters).toEqual({ n: 2 })
    expect(seen).toEqual([{ n: 'x' }, { n: 2 }])
  })

  it('shares one WebSocket between concurrent waits', async () => {
    const server = await fake()
    const deployment = server.createDeployment()
    const ids = Array.from(
      { length: 20 },
      () => server.createFlowRun({ deploymentId: deployment.id }).id,
    )
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const results = ids.map((id) => flowcast.waitForFlowRun(id, { timeoutMs: 10_000 }))
    await server.waitForSubscriber()
    for (const id of ids) server.setFlowRunState(id, { type: 'FAILED' }, { force: true })
    const settled = await Promise.all(results)
    expect(settled.every((r) => r.outcome === 'terminal' && r.stateType === 'FAILED')).toBe(true)
    expect(server.recorder.connections.filter((c) => c.kind === 'out')).toHaveLength(1)
  })

  it("transport 'polling' never opens a WebSocket", async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const flowcast = track(
      createFlowcast({
        apiUrl: server.apiUrl,
        env: {},
        transport: 'polling',
        polling: { intervalMs: 100 },
      }),
    )
    const result = flowcast.waitForFlowRun(run.id, { timeoutMs: 10_000 })
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'], { stepMs: 50 })
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', source: 'polling' })
    expect(server.recorder.connections).toHaveLength(0)
  })

  it("profile 'test' polls 10 ms after the first read instead of 1 s", async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const clock = createManualClock(Date.now())
    const flowcast = track(
      createFlowcast({
        apiUrl: server.apiUrl,
        env: {},
        transport: 'polling',
        profile: 'test',
        clock,
      }),
    )
    const result = flowcast.waitForFlowRun(run.id)
    await vi.waitFor(() => expect(server.recorder.httpRequests).toHaveLength(1))
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    await clock.advanceAsync(9)
    expect(server.recorder.httpRequests).toHaveLength(1)
    await clock.advanceAsync(1)
    await expect(result).resolves.toMatchObject({
      outcome: 'terminal',
      source: 'polling',
      timings: { elapsedMs: 10 },
    })
    expect(() => createFlowcast({ apiUrl: server.apiUrl, profile: 'quick' as 'test' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it('close() ends pending waits as aborted and refuses new ones', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const flowcast = createFlowcast({ apiUrl: server.apiUrl, env: {} })
    const result = flowcast.waitForFlowRun(run.id)
    await server.waitForSubscriber()
    await flowcast.close()
    await expect(result).resolves.toMatchObject({ outcome: 'aborted' })
    await expect(flowcast.waitForFlowRun(run.id)).rejects.toMatchObject({ code: 'CLOSED' })
  })
})

describe('createFlowcast: events', () => {
  it('emits events over REST and subscribes to them', async () => {
    const server = await fake()
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const subscriber = flowcast.subscribe({ event: { prefix: ['shop.'] } })
    await server.waitForSubscriber()
    const [sent] = await flowcast.emit({
      event: 'shop.order.paid',
      resource: { 'prefect.resource.id': 'shop.order.42' },
    })
    expect(server.expectEmitted({ event: 'shop.order.paid' }).id).toBe(sent!.id)
    for await (const event of subscriber) {
      expect(event.id).toBe(sent!.id)
      break
    }
  })
})
