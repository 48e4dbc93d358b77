import { createManualClock } from '@flowcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { api, expectSchema } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`
const unknownId = '0199d1a4-0000-7000-8000-00000000abcd'

describe('REST auth (docs/protocol.md §6.1)', () => {
  it('OSS auth string: 401 {"exception_message":"Unauthorized"} without Basic; /health exempt', async () => {
    server = await createFakePrefectServer({ authString: 'user:pass' })
    const denied = await api(server.apiUrl, '/admin/version')
    expect(denied.status).toBe(401)
    expect(denied.text).toBe('{"exception_message":"Unauthorized"}')
    expect(
      (
        await api(server.apiUrl, '/admin/version', {
          headers: { authorization: basic('user:nope') },
        })
      ).status,
    ).toBe(401)
    const ok = await api(server.apiUrl, '/admin/version', {
      headers: { authorization: basic('user:pass') },
    })
    expect(ok.status).toBe(200)
    expect(ok.text).toBe('"3.8.4"')
    const health = await api(server.apiUrl, '/health')
    expect(health.status).toBe(200)
    expect(health.body).toBe(true)
  })

  it('Cloud: Bearer under /api/accounts/{a}/workspaces/{w}; other prefixes are 404', async () => {
    server = await createFakePrefectServer({
      cloud: { accountId: 'a1', workspaceId: 'w1', apiKey: 'pnu_k' },
    })
    const run = server.createFlowRun()
    expect((await api(server.apiUrl, `/flow_runs/${run.id}`)).status).toBe(401)
    const ok = await api(server.apiUrl, `/flow_runs/${run.id}`, {
      headers: { authorization: 'bearer pnu_k' },
    })
    expect(ok.status).toBe(200)
    expectSchema('FlowRunResponse', ok.body)
    const wrongWorkspace = server.apiUrl.replace('/workspaces/w1', '/workspaces/w2')
    expect(
      (
        await api(wrongWorkspace, `/flow_runs/${run.id}`, {
          headers: { authorization: 'Bearer pnu_k' },
        })
      ).status,
    ).toBe(404)
    expect((await api(server.url, `/api/flow_runs/${run.id}`)).status).toBe(404)
  })
})

describe('X-PREFECT-API-VERSION and CSRF (docs/protocol.md §6.1)', () => {
  const versioned = (path: string, version: string, init: { body?: unknown } = {}) =>
    api(server.apiUrl, path, { ...init, headers: { 'x-prefect-api-version': version } })

  it.each(['0.8.4', '0.8.0', '3.0.0', '1.0.0', ' 0.8.4 ', '+1.0.0', '0.10_0.0'])(
    'accepts version %j',
    async (version) => {
      server = await createFakePrefectServer()
      const response = await versioned('/admin/version', version)
      expect(response.status).toBe(200)
      expect(response.body).toBe('3.8.4')
    },
  )

  it('accepts requests without the header', async () => {
    server = await createFakePrefectServer()
    expect((await api(server.apiUrl, '/admin/version')).status).toBe(200)
  })

  it.each(['abc', '0.8', '0.8.4.1', '0.8.x', '1..0', '0.8.4-rc1', '1_.0.0'])(
    'answers 400 to the malformed version %j',
    async (version) => {
      server = await createFakePrefectServer()
      const response = await versioned('/admin/version', version)
      expect(response.status).toBe(400)
      expect(response.body).toEqual({
        detail: `Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received ${version}`,
      })
    },
  )

  it.each(['0.7.9', '0.0.1', '0.-1.9'])('answers 400 to the old version %j', async (version) => {
    server = await createFakePrefectServer()
    const response = await versioned('/flow_runs/filter', version, { body: {} })
    expect(response.status).toBe(400)
    expect(response.body).toEqual({
      detail: `The request specified API version ${version} but this server requires version 0.8.0 or higher.`,
    })
  })

  it('checks the version after auth and routing, and not on /health', async () => {
    server = await createFakePrefectServer({ authString: 'user:pass' })
    expect((await versioned('/admin/version', 'bad')).status).toBe(401)
    const authorized = (path: string) =>
      api(server.apiUrl, path, {
        headers: { 'x-prefect-api-version': '0.1.0', authorization: basic('user:pass') },
      })
    expect((await authorized('/nowhere')).status).toBe(404)
    expect((await authorized('/health')).status).toBe(200)
    expect((await authorized('/admin/version')).status).toBe(400)
  })

  it('GET /csrf-token answers 422 "CSRF protection is disabled."', async () => {
    server = await createFakePrefectServer()
    const response = await api(server.apiUrl, `/csrf-token?client=${unknownId}`)
    expect(response.status).toBe(422)
    expect(response.text).toBe('{"detail":"CSRF protection is disabled."}')
    const missing = await api(server.apiUrl, '/csrf-token')
    expect(missing.status).toBe(422)
    expect(missing.body.exception_detail).toEqual([
      { type: 'missing', loc: ['query', 'client'], msg: 'Field required', input: null },
    ])
    expect((await api(server.apiUrl, '/csrf-token', { body: {} })).status).toBe(405)
  })

  it('serves no /csrf-token in Cloud mode', async () => {
    server = await createFakePrefectServer({
      cloud: { accountId: 'a', workspaceId: 'w', apiKey: 'pnu_key' },
    })
    const headers = { authorization: 'Bearer pnu_key' }
    expect((await api(server.apiUrl, '/admin/version', { headers })).status).toBe(200)
    const response = await api(server.apiUrl, `/csrf-token?client=${unknownId}`, { headers })
    expect(response.status).toBe(404)
  })
})

describe('events REST (docs/protocol.md §6.2)', () => {
  it('POST /events stores events (204) and 422s invalid ones; POST /events/filter pages with next_page', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T12:00:00Z'))
    server = await createFakePrefectServer({ clock })
    const events = Array.from({ length: 5 }, (_, i) => ({
      occurred: new Date(clock.now() - (10 - i) * 1000).toISOString(),
      event: `e${i}`,
      resource: { 'prefect.resource.id': 'r' },
      id: `0199d1a4-0000-7000-8000-00000000000${i}`,
    }))
    const posted = await api(server.apiUrl, '/events', { body: events })
    expect(posted.status).toBe(204)
    expect(posted.text).toBe('')
    const invalid = await api(server.apiUrl, '/events', {
      body: [{ event: 'no-id', resource: { 'prefect.resource.id': 'r' } }],
    })
    expect(invalid.status).toBe(422)
    expect(invalid.body.exception_message).toBe('Invalid request received.')

    const tooMany = await api(server.apiUrl, '/events/filter', { body: { limit: 51 } })
    expect(tooMany.status).toBe(422)
    expect(tooMany.body.exception_detail[0]).toMatchObject({
      loc: ['body', 'limit'],
      type: 'less_than_equal',
    })

    const first = await api(server.apiUrl, '/events/filter', { body: { limit: 2 } })
    expect(first.status).toBe(200)
    expectSchema('EventPage', first.body)
    expect(first.body.total).toBe(5)
    expect(first.body.events.map((e: { event: string }) => e.event)).toEqual(['e4', 'e3'])
    const origin = new URL(server.apiUrl).origin
    expect(first.body.next_page.startsWith(`${origin}/api/events/filter/next?page-token=`)).toBe(
      true,
    )
    const token = first.body.next_page.split('page-token=')[1]
    const inner = JSON.parse(
      Buffer.from(Buffer.from(token, 'base64').toString(), 'base64').toString(),
    )
    expect(inner).toMatchObject({ count: 5, page_size: 2, offset: 2 })

    const second = await api(first.body.next_page, '')
    expectSchema('EventPage', second.body)
    expect(second.body.events.map((e: { event: string }) => e.event)).toEqual(['e2', 'e1'])
    const third = await api(second.body.next_page, '')
    expect(third.body.events.map((e: { event: string }) => e.event)).toEqual(['e0'])
    expect(third.body.next_page).toBeNull()

    expect((await api(server.apiUrl, '/events/filter/next?page-token=%%%garbage')).status).toBe(403)
    expect((await api(server.apiUrl, '/events/filter/next?page-token=bm90IGpzb24=')).status).toBe(
      403,
    )
  })

  it('POST /events/filter defaults until to now, 422s unknown filter keys and honours ASC', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T12:00:00Z'))
    server = await createFakePrefectServer({ clock })
    server.publishEvent({ event: 'now', resource: { 'prefect.resource.id': 'r' } })
    server.publishEvent({
      event: 'future',
      resource: { 'prefect.resource.id': 'r' },
      occurred: '2026-08-21T00:00:00Z',
    })
    const page = await api(server.apiUrl, '/events/filter', { body: { filter: { order: 'ASC' } } })
    expect(page.body.events.map((e: { event: string }) => e.event)).toEqual(['now'])
    const bad = await api(server.apiUrl, '/events/filter', { body: { filter: { nope: 1 } } })
    expect(bad.status).toBe(422)
  })
})

describe('flow runs and deployments REST (docs/protocol.md §6.3)', () => {
  it('GET /flow_runs/{id}: 404 {"detail":"Flow run not found"}; 422 on a non-UUID', async () => {
    server = await createFakePrefectServer()
    const missing = await api(server.apiUrl, `/flow_runs/${unknownId}`)
    expect(missing.status).toBe(404)
    expect(missing.text).toBe('{"detail":"Flow run not found"}')
    expect((await api(server.apiUrl, '/flow_runs/not-a-uuid')).status).toBe(422)
  })

  it('create_flow_run: 201 Scheduled with tags merged; extra keys 422; unknown deployment 404; idempotency 200', async () => {
    server = await createFakePrefectServer()
    const deployment = server.createDeployment({
      tags: ['d1', 'shared'],
      parameters: { a: 1, b: 2 },
    })
    const created = await api(server.apiUrl, `/deployments/${deployment.id}/create_flow_run`, {
      body: { tags: ['shared', 'r1'], parameters: { b: 3 }, idempotency_key: 'k1', name: 'my-run' },
    })
    expect(created.status).toBe(201)
    expectSchema('FlowRunResponse', created.body)
    expect(created.body).toMatchObject({
      name: 'my-run',
      deployment_id: deployment.id,
      tags: ['d1', 'shared', 'r1'],
      parameters: { a: 1, b: 3 },
      state_type: 'SCHEDULED',
      state_name: 'Scheduled',
      run_count: 0,
      work_pool_name: 'default-pool',
      work_queue_name: 'default',
    })
    expect(created.body.next_scheduled_start_time).toBe(
      created.body.state.state_details.scheduled_time,
    )
    const again = await api(server.apiUrl, `/deployments/${deployment.id}/create_flow_run`, {
      body: { idempotency_key: 'k1' },
    })
    expect(again.status).toBe(200)
    expect(again.body.id).toBe(created.body.id)
    expect(
      (
        await api(server.apiUrl, `/deployments/${deployment.id}/create_flow_run`, {
          body: { nope: 1 },
        })
      ).status,
    ).toBe(422)
    const missing = await api(server.apiUrl, `/deployments/${unknownId}/create_flow_run`, {
      body: {},
    })
    expect(missing.status).toBe(404)
  })

  it('GET /deployments/name/{flow}/{deployment}: the deployment with its schema; 404 otherwise', async () => {
    server = await createFakePrefectServer()
    const schema = {
      type: 'object',
      properties: { n: { type: 'integer', position: 0 } },
      required: ['n'],
    }
    const deployment = server.createDeployment({
      flowName: 'etl',
      name: 'nightly',
      parameters: { n: 1 },
      parameterOpenApiSchema: schema,
    })
    server.createDeployment({ flowName: 'other', name: 'nightly' })
    const found = await api(server.apiUrl, '/deployments/name/etl/nightly')
    expect(found.status).toBe(200)
    expectSchema('DeploymentResponse', found.body)
    expect(found.body).toMatchObject({
      id: deployment.id,
      name: 'nightly',
      parameters: { n: 1 },
      parameter_openapi_schema: schema,
      enforce_parameter_schema: true,
    })
    const byId = await api(server.apiUrl, `/deployments/${deployment.id}`)
    expect(byId.body).toEqual(found.body)
    const defaults = await api(server.apiUrl, '/deployments/name/other/nightly')
    expect(defaults.body.parameter_openapi_schema).toEqual({ type: 'object', properties: {} })
    for (const path of ['/deployments/name/etl/daily', '/deployments/name/nope/nightly']) {
      const missing = await api(server.apiUrl, path)
      expect(missing.status).toBe(404)
      expect(missing.text).toBe('{"detail":"Deployment not found"}')
    }
  })

  it('create_flow_run: 409 when the merged parameters fail an enforced schema, nothing created', async () => {
    server = await createFakePrefectServer()
    const deployment = server.createDeployment({
      parameters: { n: 1 },
      parameterOpenApiSchema: {
        type: 'object',
        properties: {
          n: { type: 'integer' },
          mode: { type: 'string', enum: ['full', 'quick'], default: 'full' },
          label: { type: 'string' },
        },
        required: ['n'],
      },
    })
    const create = (body: Record<string, unknown>) =>
      api(server.apiUrl, `/deployments/${deployment.id}/create_flow_run`, { body })
    const wrongType = await create({ parameters: { n: 'abc' } })
    expect(wrongType.status).toBe(409)
    expect(wrongType.body).toEqual({
      detail:
        "Error creating flow run: Validation failed for field 'n'. Failure reason: 'abc' is not of type 'integer'",
    })
    const notInEnum = await create({ parameters: { mode: 'slow' } })
    expect(notInEnum.body.detail).toBe(
      "Error creating flow run: Validation failed for field 'mode'. Failure reason: 'slow' is not one of ['full', 'quick']",
    )
    const noDefault = server.createDeployment({
      parameterOpenApiSchema: {
        type: 'object',
        properties: { n: { type: 'integer' } },
        required: ['n'],
      },
    })
    const missing = await api(server.apiUrl, `/deployments/${noDefault.id}/create_flow_run`, {
      body: {},
    })
    expect(missing.body.detail).toBe(
      "Error creating flow run: Validation failed. Failure reason: 'n' is a required property",
    )
    expect((await api(server.apiUrl, '/flow_runs/filter', { body: {} })).body).toEqual([])
    // An optional parameter without a default also accepts null (Prefect's preprocessing).
    expect((await create({ parameters: { label: null } })).status).toBe(201)
    // The run can turn enforcement off.
    const unchecked = await create({ parameters: { n: 'abc' }, enforce_parameter_schema: false })
    expect(unchecked.status).toBe(201)
    expect(unchecked.body.parameters).toEqual({ n: 'abc' })
  })

  it('create_flow_run: enforcement without a schema is a 409; not enforced, anything goes', async () => {
    server = await createFakePrefectServer()
    const bare = server.createDeployment({ parameterOpenApiSchema: null })
    const refused = await api(server.apiUrl, `/deployments/${bare.id}/create_flow_run`, {
      body: {},
    })
    expect(refused.status).toBe(409)
    expect(refused.body.detail).toMatch(/^Error updating deployment: Cannot update parameters/)
    const open = server.createDeployment({
      parameterOpenApiSchema: { type: 'object', properties: { n: { type: 'integer' } } },
      enforceParameterSchema: false,
    })
    const created = await api(server.apiUrl, `/deployments/${open.id}/create_flow_run`, {
      body: { parameters: { n: 'x' } },
    })
    expect(created.status).toBe(201)
  })

  it('create_flow_run: an idempotency key is scoped to the flow, as Prefect indexes it', async () => {
    server = await createFakePrefectServer()
    const a = server.createDeployment({ flowName: 'etl', name: 'a' })
    const b = server.createDeployment({ flowName: 'etl', name: 'b' })
    const c = server.createDeployment({ flowName: 'other', name: 'c' })
    const create = (id: string) =>
      api(server.apiUrl, `/deployments/${id}/create_flow_run`, {
        body: { idempotency_key: 'ci-42' },
      })
    const first = await create(a.id)
    const sameFlow = await create(b.id)
    const otherFlow = await create(c.id)
    expect([first.status, sameFlow.status, otherFlow.status]).toEqual([201, 200, 201])
    expect(sameFlow.body.id).toBe(first.body.id)
    expect(otherFlow.body.id).not.toBe(first.body.id)
  })

  it('POST /flow_runs/filter: id and state-type filters, limit, offset, sort', async () => {
    server = await createFakePrefectServer()
    const runs = ['c-run', 'a-run', 'b-run'].map((name) => server.createFlowRun({ name }))
    await server.runLifecycle(runs[0]!.id, ['Pending', 'Running', 'Completed'])
    await server.runLifecycle(runs[1]!.id, ['Pending', 'Running', 'Failed'])
    const terminal = await api(server.apiUrl, '/flow_runs/filter', {
      body: { flow_runs: { state: { type: { any_: ['COMPLETED', 'FAILED'] } } }, sort: 'NAME_ASC' },
    })
    expect(terminal.status).toBe(200)
    for (const run of terminal.body) expectSchema('FlowRunResponse', run)
    expect(terminal.body.map((r: { name: string }) => r.name)).toEqual(['a-run', 'c-run'])
    const byId = await api(server.apiUrl, '/flow_runs/filter', {
      body: {
        flow_runs: { id: { any_: [runs[2]!.id, runs[0]!.id] } },
        sort: 'NAME_DESC',
        limit: 1,
        offset: 1,
      },
    })
    expect(byId.body.map((r: { name: string }) => r.name)).toEqual(['b-run'])
    const bad = await api(server.apiUrl, '/flow_runs/filter', { body: { flow_runs: { nope: {} } } })
    expect(bad.status).toBe(422)
    // start_time is evaluated (Prefect's semantics: runs that never started do not match after_).
    const started = await api(server.apiUrl, '/flow_runs/filter', {
      body: { flow_runs: { start_time: { after_: '2000-01-01T00:00:00Z' } }, sort: 'NAME_ASC' },
    })
    expect(started.status).toBe(200)
    expect(started.body.map((r: { name: string }) => r.name)).toEqual(['a-run', 'c-run'])
    const tooMany = await api(server.apiUrl, '/flow_runs/filter', { body: { limit: 201 } })
    expect(tooMany.status).toBe(422)
    expect(tooMany.body).toEqual({ detail: 'Invalid limit: must be less than or equal to 200.' })
    const atMax = await api(server.apiUrl, '/flow_runs/filter', { body: { limit: 200 } })
    expect(atMax.status).toBe(200)
  })

  it('set_state returns an OrchestrationResult with 201 on ACCEPT and 404 for unknown runs', async () => {
    server = await createFakePrefectServer()
    const run = server.createFlowRun()
    const accepted = await api(server.apiUrl, `/flow_runs/${run.id}/set_state`, {
      body: { state: { type: 'PENDING', message: 'submitted' } },
    })
    expect(accepted.status).toBe(201)
    expectSchema('OrchestrationResult', accepted.body)
    expect(accepted.body).toMatchObject({
      status: 'ACCEPT',
      state: { type: 'PENDING', name: 'Pending', message: 'submitted' },
    })
    expect(server.events.at(-1)!.id).toBe(accepted.body.state.id)
    expect(
      (
        await api(server.apiUrl, `/flow_runs/${unknownId}/set_state`, {
          body: { state: { type: 'RUNNING' } },
        })
      ).status,
    ).toBe(404)
    expect(
      (
        await api(server.apiUrl, `/flow_runs/${run.id}/set_state`, {
          body: { state: { type: 'NOPE' } },
        })
      ).status,
    ).toBe(422)
  })

  it('answers 404 {"detail":"Not Found"} for unknown routes and 405 for wrong methods', async () => {
    server = await createFakePrefectServer()
    const notFound = await api(server.apiUrl, '/nope')
    expect(notFound.status).toBe(404)
    expect(notFound.body).toEqual({ detail: 'Not Found' })
    expect((await api(server.apiUrl, '/events/filter')).status).toBe(405)
  })

  it('runs REST overrides registered with use() first, and resetHandlers() removes them', async () => {
    server = await createFakePrefectServer()
    server.use({
      method: 'GET',
      path: '/admin/version',
      respond: () => ({ status: 200, body: '2.20.0' }),
    })
    expect((await api(server.apiUrl, '/admin/version')).body).toBe('2.20.0')
    server.resetHandlers()
    expect((await api(server.apiUrl, '/admin/version')).body).toBe('3.8.4')
  })
})
