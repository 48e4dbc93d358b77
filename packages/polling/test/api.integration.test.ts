// The typed calls generated from Prefect's OpenAPI schema, against the fake Prefect server on a
// real loopback port: OSS and Cloud URL forms, auth, params, bodies, retries.
import { FlowcastError } from '@flowcast/core'
import {
  createFakePrefectServer,
  type FakePrefectServer,
  type FakePrefectServerOptions,
} from '@flowcast/fake-server'
import { afterEach, describe, expect, it } from 'vitest'
import { createPrefectClient, type PrefectClientOptions } from '../src/index.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startServer(options: FakePrefectServerOptions = {}): Promise<FakePrefectServer> {
  const server = await createFakePrefectServer({ pingIntervalMs: 0, ...options })
  cleanups.push(() => server.close())
  return server
}

function clientFor(server: FakePrefectServer, options: Partial<PrefectClientOptions> = {}) {
  return createPrefectClient({
    apiUrl: server.apiUrl,
    timeoutMs: 5_000,
    retryBackoff: { initialDelayMs: 0, maxDelayMs: 0 },
    ...options,
  })
}

const cloud = { accountId: 'acc-1', workspaceId: 'ws-1', apiKey: 'pnu_secret_key_123' }
const workspacePrefix = `/api/accounts/${cloud.accountId}/workspaces/${cloud.workspaceId}`

async function rejection(promise: Promise<unknown>): Promise<FlowcastError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(error).toBeInstanceOf(FlowcastError)
  return error as FlowcastError
}

describe('typed REST calls (OSS URL)', () => {
  it('GET a path with a path param and Basic auth', async () => {
    const server = await startServer({ authString: 'admin:hunter2' })
    const run = server.createFlowRun()
    const client = clientFor(server, { authString: 'admin:hunter2' })

    const read = await client.api.GET('/flow_runs/{id}', { params: { path: { id: run.id } } })

    expect(read.id).toBe(run.id)
    expect(read.state?.type).toBe('SCHEDULED')
    const request = server.recorder.httpRequests.at(-1)!
    expect(request.path).toBe(`/api/flow_runs/${run.id}`)
    expect(request.headers['authorization']).toBe(
      `Basic ${Buffer.from('admin:hunter2').toString('base64')}`,
    )
  })

  it('cancels a run with set_state and a CANCELLING state', async () => {
    const server = await startServer()
    const run = server.createFlowRun()
    server.setFlowRunState(run.id, { type: 'RUNNING' }, { force: true })
    const client = clientFor(server)

    const result = await client.api.POST('/flow_runs/{id}/set_state', {
      params: { path: { id: run.id } },
      body: { state: { type: 'CANCELLING', message: 'stopped by CI' } },
    })

    expect(result.status).toBe('ACCEPT')
    expect(result.state?.type).toBe('CANCELLING')
    expect(server.readFlowRun(run.id)?.state?.type).toBe('CANCELLING')
    expect(server.recorder.httpRequests.at(-1)?.body).toEqual({
      state: { type: 'CANCELLING', message: 'stopped by CI' },
    })
  })

  it('sends query params, header params and JSON bodies, and reads 204 as undefined', async () => {
    const server = await startServer()
    const seen: Array<{ method: string; path: string; query: string; body: unknown }> = []
    const record = (request: {
      method: string
      path: string
      query: URLSearchParams
      body: unknown
    }) => ({
      method: request.method,
      path: request.path,
      query: request.query.toString(),
      body: request.body,
    })
    server.use(
      {
        method: 'GET',
        path: '/flow_run_states/',
        respond: (request) => {
          seen.push(record(request))
          return { status: 200, body: [] }
        },
      },
      {
        path: /^\/deployments\/[^/]+$/,
        respond: (request) => {
          seen.push(record(request))
          return { status: 204 }
        },
      },
    )
    const client = clientFor(server)
    const runId = '0190b6ba-4d39-7e2a-9d5b-2f6a7c3e1a10'
    const deploymentId = '0190b6ba-4d39-7e2a-9d5b-2f6a7c3e1a11'

    const states = await client.api.GET('/flow_run_states/', {
      params: { query: { flow_run_id: runId }, header: { 'x-prefect-api-version': '0.8.4' } },
    })
    const patched = await client.api.PATCH('/deployments/{id}', {
      params: { path: { id: deploymentId } },
      body: { paused: true },
    })
    const deleted = await client.api.DELETE('/deployments/{id}', {
      params: { path: { id: deploymentId } },
    })

    expect(states).toEqual([])
    expect(patched).toBeUndefined()
    expect(deleted).toBeUndefined()
    expect(seen).toEqual([
      { method: 'GET', path: '/flow_run_states/', query: `flow_run_id=${runId}`, body: undefined },
      { method: 'PATCH', path: `/deployments/${deploymentId}`, query: '', body: { paused: true } },
      { method: 'DELETE', path: `/deployments/${deploymentId}`, query: '', body: undefined },
    ])
    const headers = server.recorder.httpRequests.map((request) => request.headers)
    expect(headers[0]?.['x-prefect-api-version']).toBe('0.8.4')
    expect(headers[1]?.['content-type']).toBe('application/json')
  })

  it('sends the README filter bodies: deployments by tag, artifacts of a run', async () => {
    const server = await startServer()
    const bodies: unknown[] = []
    server.use(
      {
        method: 'POST',
        path: '/deployments/filter',
        respond: ({ body }) => {
          bodies.push(body)
          return { status: 200, body: [{ id: 'd-1', name: 'nightly-etl' }] }
        },
      },
      {
        method: 'POST',
        path: '/artifacts/filter',
        respond: ({ body }) => {
          bodies.push(body)
          return { status: 200, body: [{ key: 'summary', type: 'markdown', data: '# ok' }] }
        },
      },
    )
    const client = clientFor(server)
    const flowRunId = '0190b6ba-4d39-7e2a-9d5b-2f6a7c3e1a12'

    const deployments = await client.api.POST('/deployments/filter', {
      body: { deployments: { tags: { all_: ['nightly'] } }, sort: 'NAME_ASC', limit: 50 },
    })
    const artifacts = await client.api.POST('/artifacts/filter', {
      body: { artifacts: { flow_run_id: { any_: [flowRunId] } }, sort: 'CREATED_DESC' },
    })

    expect(deployments.map((deployment) => deployment.name)).toEqual(['nightly-etl'])
    expect(artifacts.map((artifact) => artifact.data)).toEqual(['# ok'])
    expect(bodies).toEqual([
      { deployments: { tags: { all_: ['nightly'] } }, sort: 'NAME_ASC', limit: 50 },
      { artifacts: { flow_run_id: { any_: [flowRunId] } }, sort: 'CREATED_DESC' },
    ])
  })

  it('encodes path params, so a key with a slash stays one segment', async () => {
    const server = await startServer()
    let seenPath: string | undefined
    server.use({
      path: /^\/artifacts\/.+\/latest$/,
      respond: (request) => {
        seenPath = request.path
        return { status: 200, body: { key: 'report/daily', type: 'markdown' } }
      },
    })
    const client = clientFor(server)

    const artifact = await client.api.GET('/artifacts/{key}/latest', {
      params: { path: { key: 'report/daily' } },
    })

    expect(artifact.key).toBe('report/daily')
    expect(seenPath).toBe('/artifacts/report%2Fdaily/latest')
  })

  it('refuses an empty path param before sending anything', async () => {
    const server = await startServer()
    const client = clientFor(server)

    const error = await rejection(
      client.api.GET('/flow_runs/{id}', { params: { path: { id: '' } } }),
    )

    expect(error.code).toBe('INVALID_OPTIONS')
    expect(server.recorder.httpRequests).toHaveLength(0)
  })

  it('retries a read-only POST on 503 and succeeds', async () => {
    const server = await startServer()
    const run = server.createFlowRun()
    server.faults.httpError({ method: 'POST', path: '/flow_runs/filter', status: 503, times: 2 })
    const client = clientFor(server, { retries: 3 })

    const runs = await client.api.POST('/flow_runs/filter', {
      body: { flow_runs: { id: { any_: [run.id] } } },
    })

    expect(runs.map((found) => found.id)).toEqual([run.id])
    expect(server.recorder.httpRequests.map((request) => request.status)).toEqual([503, 503, 200])
  })

  it('does not retry a POST that changes state on 503 unless asked to', async () => {
    const server = await startServer()
    const run = server.createFlowRun()
    server.faults.httpError({ path: '/flow_runs/*/set_state', status: 503, times: 1 })
    const client = clientFor(server, { retries: 3 })
    const init = {
      params: { path: { id: run.id } },
      body: { state: { type: 'RUNNING' as const } },
    }

    const error = await rejection(client.api.POST('/flow_runs/{id}/set_state', init))
    expect(error).toMatchObject({ code: 'HTTP', status: 503 })
    expect(server.recorder.httpRequests).toHaveLength(1)

    server.faults.httpError({ path: '/flow_runs/*/set_state', status: 503, times: 1 })
    const result = await client.api.POST('/flow_runs/{id}/set_state', {
      ...init,
      retry: 'idempotent',
    })
    expect(result.status).toBe('ACCEPT')
    expect(server.recorder.httpRequests.map((request) => request.status)).toEqual([503, 503, 201])
  })

  it('honours the signal of a typed call', async () => {
    const server = await startServer()
    const client = clientFor(server)
    const controller = new AbortController()
    controller.abort()

    const error = await rejection(client.api.GET('/admin/version', { signal: controller.signal }))

    expect(error.code).toBe('ABORTED')
    expect(server.recorder.httpRequests).toHaveLength(0)
  })
})

describe('typed REST calls (Cloud workspace URL)', () => {
  it('puts the workspace prefix from the API URL in front of the typed path, with Bearer auth', async () => {
    const server = await startServer({ cloud })
    const deployment = server.createDeployment({ name: 'nightly' })
    const client = clientFor(server, { apiKey: cloud.apiKey })
    expect(client.apiUrl).toMatch(new RegExp(`${workspacePrefix}$`))

    const run = await client.api.POST('/deployments/{id}/create_flow_run', {
      params: { path: { id: deployment.id } },
      body: { parameters: { n: 3 }, idempotency_key: 'typed-1' },
    })

    expect(run.deployment_id).toBe(deployment.id)
    expect(run.parameters).toEqual({ n: 3 })
    const request = server.recorder.httpRequests.at(-1)!
    expect(request.path).toBe(`${workspacePrefix}/deployments/${deployment.id}/create_flow_run`)
    expect(request.headers['authorization']).toBe(`Bearer ${cloud.apiKey}`)
  })

  it('a rejected key is AUTH_REJECTED and never shows the key', async () => {
    const server = await startServer({ cloud })
    const client = clientFor(server, { apiKey: 'pnu_wrong_key_456' })

    const error = await rejection(
      client.api.POST('/flow_runs/filter', {
        body: { limit: 1 },
        signal: AbortSignal.timeout(5_000),
      }),
    )

    expect(error.code).toBe('AUTH_REJECTED')
    expect(error.status).toBe(401)
    expect(error.message).toContain(`${workspacePrefix}/flow_runs/filter`)
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain(
      'pnu_wrong_key_456',
    )
  })

  it('retries a 503 on a workspace path and succeeds', async () => {
    const server = await startServer({ cloud })
    const run = server.createFlowRun()
    server.faults.httpError({ method: 'GET', path: '/flow_runs/*', status: 503, times: 1 })
    const client = clientFor(server, { apiKey: cloud.apiKey })

    const read = await client.api.GET('/flow_runs/{id}', { params: { path: { id: run.id } } })

    expect(read.id).toBe(run.id)
    expect(server.recorder.httpRequests.map((request) => request.status)).toEqual([503, 200])
  })
})
