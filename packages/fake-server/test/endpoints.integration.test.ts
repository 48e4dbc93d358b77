import { createManualClock } from '@flowcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { api, expectSchema } from './helpers.js'

const unknownId = '00000000-0000-4000-8000-000000000000'

describe('endpoints Prefect’s clients call', () => {
  let server: FakePrefectServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('POST /flow_runs/count and /paginate are routes (not 405); GET /flow_runs/count is a bad UUID', async () => {
    server = await createFakePrefectServer({
      clock: createManualClock(Date.parse('2026-08-20T12:00:00Z')),
    })
    for (let i = 0; i < 5; i++) server.createFlowRun({ name: `run-${i}` })
    const count = await api(server.apiUrl, '/flow_runs/count', { body: {} })
    expect(count).toMatchObject({ status: 200, body: 5 })
    const page = await api(server.apiUrl, '/flow_runs/paginate', {
      body: { limit: 2, page: 3, sort: 'NAME_ASC' },
    })
    expect(page.status).toBe(200)
    expectSchema('FlowRunPaginationResponse', page.body)
    expect(Object.keys(page.body)).toEqual(['results', 'count', 'limit', 'pages', 'page'])
    expect(page.body).toMatchObject({ count: 5, limit: 2, pages: 3, page: 3 })
    expect(page.body.results.map((r: { name: string }) => r.name)).toEqual(['run-4'])
    const all = await api(server.apiUrl, '/flow_runs/filter', { body: { sort: 'NAME_ASC' } })
    const pages = []
    for (let p = 1; p <= 3; p++) {
      const body = { limit: 2, page: p, sort: 'NAME_ASC' }
      pages.push(...(await api(server.apiUrl, '/flow_runs/paginate', { body })).body.results)
    }
    const idsOf = (runs: { id: string }[]) => runs.map((r) => r.id)
    expect(idsOf(pages)).toEqual(idsOf(all.body))
    expect((await api(server.apiUrl, '/flow_runs/paginate', { body: { page: 0 } })).status).toBe(
      422,
    )
    expect((await api(server.apiUrl, '/flow_runs/count')).status).toBe(422)
  })

  it('GET /flow_run_states/?flow_run_id= lists the states oldest first; GET /flow_run_states/{id}', async () => {
    server = await createFakePrefectServer()
    const run = server.createFlowRun()
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    const states = await api(server.apiUrl, `/flow_run_states/?flow_run_id=${run.id}`)
    expect(states.status).toBe(200)
    for (const state of states.body) expectSchema('State', state)
    expect(states.body.map((s: { name: string }) => s.name)).toEqual([
      'Scheduled',
      'Pending',
      'Running',
      'Completed',
    ])
    expect(Object.keys(states.body[0])).toEqual([
      'id',
      'type',
      'name',
      'timestamp',
      'message',
      'data',
      'state_details',
    ])
    const one = await api(server.apiUrl, `/flow_run_states/${states.body[1].id}`)
    expect(one.body).toEqual(states.body[1])
    expect((await api(server.apiUrl, `/flow_run_states/${unknownId}`)).body).toEqual({
      detail: 'Flow run state not found',
    })
    expect((await api(server.apiUrl, `/flow_run_states/?flow_run_id=${unknownId}`)).body).toEqual(
      [],
    )
    expect((await api(server.apiUrl, '/flow_run_states/')).status).toBe(422)
    expect((await api(server.apiUrl, '/flow_run_states/?flow_run_id=nope')).status).toBe(422)
  })

  it('GET /flows/{id} and GET /deployments/{id} answer the response models in their key order', async () => {
    server = await createFakePrefectServer()
    const deployment = server.createDeployment({ flowName: 'etl', name: 'nightly', tags: ['a'] })
    const flow = await api(server.apiUrl, `/flows/${deployment.flowId}`)
    expect(flow.status).toBe(200)
    expectSchema('Flow', flow.body)
    expect(Object.keys(flow.body)).toEqual(['id', 'created', 'updated', 'name', 'tags', 'labels'])
    expect(flow.body.name).toBe('etl')
    const read = await api(server.apiUrl, `/deployments/${deployment.id}`)
    expect(read.status).toBe(200)
    expectSchema('DeploymentResponse', read.body)
    expect(read.body).toMatchObject({
      id: deployment.id,
      name: 'nightly',
      flow_id: deployment.flowId,
      tags: ['a'],
      work_pool_name: 'default-pool',
      work_queue_name: 'default',
    })
    expect(Object.keys(read.body).slice(0, 7)).toEqual([
      'id',
      'created',
      'updated',
      'name',
      'version',
      'description',
      'flow_id',
    ])
    expect((await api(server.apiUrl, `/flows/${unknownId}`)).body).toEqual({
      detail: 'Flow not found',
    })
    expect((await api(server.apiUrl, `/deployments/${unknownId}`)).status).toBe(404)
    expect((await api(server.apiUrl, '/deployments/not-a-uuid')).status).toBe(422)
  })

  it('POST /events/count-by/{countable}: event, resource, day and time buckets', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T12:00:00Z'))
    server = await createFakePrefectServer({ clock })
    const publish = (event: string, resource: string, occurred: string, name?: string) =>
      server!.publishEvent({
        event,
        occurred,
        resource: {
          'prefect.resource.id': resource,
          ...(name ? { 'prefect.resource.name': name } : {}),
        },
      })
    publish('a', 'r.1', '2026-08-18T10:00:00Z', 'first')
    publish('b', 'r.1', '2026-08-19T10:00:00Z', 'first')
    publish('b', 'r.2', '2026-08-20T10:00:00Z')
    const filter = {
      occurred: { since: '2026-08-18T00:00:00Z', until: '2026-08-20T11:00:00Z' },
    }
    const byEvent = await api(server.apiUrl, '/events/count-by/event', { body: { filter } })
    expect(byEvent.status).toBe(200)
    for (const c of byEvent.body) expectSchema('EventCount', c)
    expect(byEvent.body.map((c: { value: string; count: number }) => [c.value, c.count])).toEqual([
      ['b', 2],
      ['a', 1],
    ])
    expect(Object.keys(byEvent.body[0])).toEqual([
      'value',
      'label',
      'count',
      'start_time',
      'end_time',
    ])
    const byResource = await api(server.apiUrl, '/events/count-by/resource', { body: { filter } })
    expect(
      byResource.body.map((c: { value: string; label: string; count: number }) => [
        c.value,
        c.label,
        c.count,
      ]),
    ).toEqual([
      ['r.1', 'first', 2],
      ['r.2', 'r.2', 1],
    ])
    const byDay = await api(server.apiUrl, '/events/count-by/day', { body: { filter } })
    expect(byDay.status).toBe(200)
    for (const c of byDay.body) expectSchema('EventCount', c)
    expect(byDay.body.map((c: { label: string; count: number }) => [c.label, c.count])).toEqual([
      ['2026-08-18T00:00:00+00:00', 1],
      ['2026-08-19T00:00:00+00:00', 1],
      ['2026-08-20T00:00:00+00:00', 1],
    ])
    // Day buckets are numbered from Prefect's pivot, Monday 2024-04-08.
    expect(byDay.body[0].value).toBe(
      String((Date.UTC(2026, 7, 18) - Date.UTC(2024, 3, 8)) / 86_400_000),
    )
    expect(byDay.body[0].end_time).toBe('2026-08-18T23:59:59.999999Z')
    const hours = await api(server.apiUrl, '/events/count-by/time', {
      body: { filter, time_unit: 'hour', time_interval: 12 },
    })
    expect(hours.body.filter((c: { count: number }) => c.count > 0)).toHaveLength(3)
    expect(hours.body).toHaveLength(5)
    const tooMany = await api(server.apiUrl, '/events/count-by/time', {
      body: { filter, time_unit: 'second', time_interval: 1 },
    })
    expect(tooMany.status).toBe(422)
    expect(tooMany.body.detail).toContain('buckets, which is too many')
  })

  it('answers 501 naming the method and path for Prefect operations it does not implement, 404 for others', async () => {
    server = await createFakePrefectServer()
    const samples: [string, string][] = [
      ['POST', '/flow_runs/'],
      ['DELETE', `/flow_runs/${unknownId}`],
      ['POST', '/flow_runs/history'],
      ['POST', '/flow_runs/lateness'],
      ['GET', '/work_pools/my-pool'],
      ['POST', '/work_pools/my-pool/get_scheduled_flow_runs'],
      ['GET', '/version'],
    ]
    for (const [method, path] of samples) {
      const response = await api(server.apiUrl, path, { method })
      expect(response.status, `${method} ${path}`).toBe(501)
      expect(response.body.detail).toContain(`${method} ${path}`)
      expect(response.body.detail).toContain('does not implement')
    }
    expect((await api(server.apiUrl, '/made/up/path')).status).toBe(404)
    expect((await api(server.apiUrl, '/flow_runs/filter/extra', { body: {} })).status).toBe(404)
    // A known path with a method no operation has is a 405, with Allow.
    const wrong = await api(server.apiUrl, '/flow_runs/filter', { method: 'PUT' })
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toContain('POST')
  })

  it('maps zod validation to Prefect’s 422 entries (missing, enum, extra_forbidden, int_type)', async () => {
    server = await createFakePrefectServer()
    const run = server.createFlowRun()
    const detail = async (path: string, body: unknown) => {
      const response = await api(server!.apiUrl, path, { body })
      expect(response.status).toBe(422)
      expect(response.body.exception_message).toBe('Invalid request received.')
      expect(response.body.request_body).toEqual(body)
      return response.body.exception_detail
    }
    const setState = `/flow_runs/${run.id}/set_state`
    expect(await detail(setState, {})).toEqual([
      { type: 'missing', loc: ['body', 'state'], msg: 'Field required' },
    ])
    expect(await detail(setState, { state: {} })).toEqual([
      { type: 'missing', loc: ['body', 'state', 'type'], msg: 'Field required' },
    ])
    expect((await detail(setState, { state: { type: 'NOPE' } }))[0]).toMatchObject({
      type: 'enum',
      loc: ['body', 'state', 'type'],
      input: 'NOPE',
      msg: expect.stringMatching(/^Input should be 'SCHEDULED', .* or 'CANCELLING'$/),
    })
    expect(await detail(setState, { state: { type: 'RUNNING', extra: 1 } })).toEqual([
      {
        type: 'extra_forbidden',
        loc: ['body', 'state', 'extra'],
        msg: 'Extra inputs are not permitted',
        input: 1,
      },
    ])
    expect(await detail('/events/filter', { limit: 'x' })).toEqual([
      {
        type: 'int_type',
        loc: ['body', 'limit'],
        msg: 'Input should be a valid integer',
        input: 'x',
      },
    ])
  })

  it('hands out only the declared members: the Node server object is not the model', async () => {
    server = await createFakePrefectServer()
    for (const internal of ['runs', 'store', 'listen', 'decideUpgrade', 'restartHook', 'options']) {
      expect(internal in server, internal).toBe(false)
    }
    expect(typeof server.createFlowRun).toBe('function')
    expect(server.port).toBeGreaterThan(0)
    expect(server.apiUrl).toBe(`http://127.0.0.1:${server.port}/api`)
    server.createFlowRun()
    expect(server.events).toHaveLength(1)
  })

  it('serves the new endpoints through msw too (same route table)', async () => {
    const { createFakePrefectHandlers } = await import('../src/msw.js')
    const { setupServer } = await import('msw/node')
    const fake = createFakePrefectHandlers()
    const msw = setupServer(...fake.handlers)
    msw.listen({ onUnhandledRequest: 'error' })
    try {
      fake.createFlowRun()
      expect((await api(fake.apiUrl, '/flow_runs/count', { body: {} })).body).toBe(1)
      expect((await api(fake.apiUrl, '/flow_runs/', { body: {} })).status).toBe(501)
      // Only the declared controls are reachable on the adapter's object.
      expect('runs' in fake).toBe(false)
      expect('store' in fake).toBe(false)
    } finally {
      msw.close()
    }
  })
})
