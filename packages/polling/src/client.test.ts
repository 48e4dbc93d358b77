import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createEvent, createManualClock, isFlowcastError, type FlowcastError } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
// The Node entry, as Node programs get it: it explains undici's network errors.
import { createPrefectClient } from './index.node.js'
import { setNetworkFailureReader } from './http.js'
import { networkFailure } from './network-failure.js'

interface Recorded {
  method: string
  url: string
  headers: Record<string, string>
  body: string | undefined
}

type Handler = (request: Recorded, signal: AbortSignal | undefined) => Response | Promise<Response>

function fakeFetch(handler: Handler) {
  const calls: Recorded[] = []
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers: Record<string, string> = {}
    new Headers(init.headers).forEach((value, key) => (headers[key] = value))
    const request: Recorded = {
      method: init.method ?? 'GET',
      url: String(input),
      headers,
      body: typeof init.body === 'string' ? init.body : undefined,
    }
    calls.push(request)
    return handler(request, init.signal ?? undefined)
  }
  return { fetch: fetch as typeof globalThis.fetch, calls }
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  })

const RUN_ID = '0190b7f0-6e8d-7168-9c3e-9b7d20f41a6c'
const API = 'http://127.0.0.1:4200/api'

function flowRun(overrides: Record<string, unknown> = {}) {
  return {
    id: RUN_ID,
    created: '2026-08-20T14:03:00.000000Z',
    updated: '2026-08-20T14:03:14.927005Z',
    name: 'hopeful-tortoise',
    flow_id: '3f0b6d3e-8a51-4c2a-9a7e-2d1c5b9e4f10',
    state_type: 'COMPLETED',
    state_name: 'Completed',
    state: {
      id: '01a01f7b-b06f-70f2-91a7-e5b2d04852d1',
      type: 'COMPLETED',
      name: 'Completed',
      timestamp: '2026-08-20T14:03:14.927005Z',
      message: null,
    },
    a_field_from_a_newer_server: { kept: true },
    ...overrides,
  }
}

function hangUntilAborted(signal: AbortSignal | undefined): Promise<Response> {
  return new Promise((_, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}

async function caught(promise: Promise<unknown>): Promise<FlowcastError> {
  try {
    await promise
  } catch (error) {
    if (isFlowcastError(error)) return error
    throw error
  }
  throw new Error('expected a rejection')
}

describe('createPrefectClient: requests and auth', () => {
  it('reads a flow run, tolerating unknown fields, with Cloud Bearer auth', async () => {
    const { fetch, calls } = fakeFetch(() => json(flowRun()))
    const client = createPrefectClient({
      apiUrl: 'https://api.prefect.cloud/api/accounts/a1/workspaces/w1/',
      apiKey: 'pnu_secret',
      fetch,
    })
    const run = await client.readFlowRun(RUN_ID)
    expect(run.state?.type).toBe('COMPLETED')
    expect(run['a_field_from_a_newer_server']).toEqual({ kept: true })
    expect(calls[0]).toMatchObject({
      method: 'GET',
      url: `https://api.prefect.cloud/api/accounts/a1/workspaces/w1/flow_runs/${RUN_ID}`,
      headers: { authorization: 'Bearer pnu_secret', accept: 'application/json' },
    })
    expect(client.location.kind).toBe('cloud-workspace')
  })

  it('sends OSS Basic auth, and no Authorization header without credentials', async () => {
    const basic = fakeFetch(() => json('3.8.4'))
    await createPrefectClient({
      apiUrl: API,
      authString: 'admin:pass',
      fetch: basic.fetch,
    }).version()
    expect(basic.calls[0]!.headers['authorization']).toBe(`Basic ${btoa('admin:pass')}`)
    expect(basic.calls[0]!.url).toBe(`${API}/admin/version`)
    const none = fakeFetch(() => json('3.8.4'))
    expect(await createPrefectClient({ apiUrl: API, fetch: none.fetch }).version()).toBe('3.8.4')
    expect(none.calls[0]!.headers['authorization']).toBeUndefined()
  })

  it('filters flow runs with the body as given', async () => {
    const { fetch, calls } = fakeFetch(() => json([flowRun()]))
    const client = createPrefectClient({ apiUrl: API, fetch })
    const runs = await client.filterFlowRuns({ flow_runs: { id: { any_: [RUN_ID] } }, limit: 1 })
    expect(runs).toHaveLength(1)
    expect(calls[0]).toMatchObject({ method: 'POST', url: `${API}/flow_runs/filter` })
    expect(JSON.parse(calls[0]!.body!)).toEqual({ flow_runs: { id: { any_: [RUN_ID] } }, limit: 1 })
    expect(calls[0]!.headers['content-type']).toBe('application/json')
  })

  it('creates a flow run from a deployment with an idempotency key', async () => {
    const { fetch, calls } = fakeFetch(() => json(flowRun({ state_type: 'SCHEDULED' }), 201))
    const client = createPrefectClient({ apiUrl: API, fetch })
    await client.createFlowRunFromDeployment('dep-1', { parameters: { n: 1 } })
    await client.createFlowRunFromDeployment('dep-1', { idempotency_key: 'mine' })
    const first = JSON.parse(calls[0]!.body!) as Record<string, unknown>
    expect(calls[0]!.url).toBe(`${API}/deployments/dep-1/create_flow_run`)
    expect(first['parameters']).toEqual({ n: 1 })
    expect(first['idempotency_key']).toMatch(/^[0-9a-f-]{36}$/)
    expect(JSON.parse(calls[1]!.body!)).toEqual({ idempotency_key: 'mine' })
  })

  it('sets a flow run state', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json(
        {
          state: { ...flowRun().state, type: 'CANCELLING', name: 'Cancelling' },
          status: 'ACCEPT',
          details: { type: 'accept_details' },
        },
        201,
      ),
    )
    const client = createPrefectClient({ apiUrl: API, fetch })
    const result = await client.setFlowRunState(RUN_ID, { type: 'CANCELLING' }, { force: true })
    expect(result.status).toBe('ACCEPT')
    expect(JSON.parse(calls[0]!.body!)).toEqual({ state: { type: 'CANCELLING' }, force: true })
  })

  it('emits events as a compact array and validates them first', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }))
    const client = createPrefectClient({ apiUrl: API, fetch })
    const event = createEvent({
      event: 'app.order.placed',
      resource: { 'prefect.resource.id': 'app.order.1' },
    })
    await client.emitEvents([event])
    expect(calls[0]).toMatchObject({ method: 'POST', url: `${API}/events` })
    expect(JSON.parse(calls[0]!.body!)).toEqual([event])
    const bad = { ...event, resource: {} } as unknown as typeof event
    expect((await caught(client.emitEvents([bad]))).code).toBe('INVALID_EVENT')
    expect(calls).toHaveLength(1)
  })

  it('rejects credentials embedded in the API URL without echoing them', () => {
    try {
      createPrefectClient({ apiUrl: 'http://user:hunter22@127.0.0.1:4200/api' })
      expect.unreachable()
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_OPTIONS' })
      expect((error as Error).message).not.toContain('hunter22')
    }
  })
})

describe('createPrefectClient: events paging', () => {
  const event = (n: number) => ({
    ...createEvent({ event: `app.tick.${n}`, resource: { 'prefect.resource.id': 'app.clock' } }),
    received: '2026-08-20T14:03:14.931417Z',
  })

  it('follows next_page exactly as given', async () => {
    const next1 = `http://127.0.0.1:4200/api/events/filter/next?page-token=YWJj+ZA/==`
    const next2 = `http://127.0.0.1:4200/api/events/filter/next?page-token=ZGVm`
    const { fetch, calls } = fakeFetch((request) => {
      if (request.url.endsWith('/events/filter'))
        return json({ events: [event(1), event(2)], total: 5, next_page: next1 })
      if (request.url === next1)
        return json({ events: [event(3), event(4)], total: 5, next_page: next2 })
      return json({ events: [event(5)], total: 5, next_page: null })
    })
    const client = createPrefectClient({ apiUrl: API, authString: 'a:b', fetch })
    const names: string[] = []
    for await (const e of client.readEvents({ event: { prefix: ['app.'] } }, { limit: 2 }))
      names.push(e.event)
    expect(names).toEqual(['app.tick.1', 'app.tick.2', 'app.tick.3', 'app.tick.4', 'app.tick.5'])
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      `POST ${API}/events/filter`,
      `GET ${next1}`,
      `GET ${next2}`,
    ])
    expect(JSON.parse(calls[0]!.body!)).toEqual({
      filter: { event: { prefix: ['app.'] } },
      limit: 2,
    })
    expect(calls[1]!.headers['authorization']).toBe(`Basic ${btoa('a:b')}`)
  })

  it('stops at maxEvents without fetching more pages', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json({
        events: [event(1), event(2)],
        total: 9,
        next_page: `${API}/events/filter/next?page-token=x`,
      }),
    )
    const client = createPrefectClient({ apiUrl: API, fetch })
    const got: string[] = []
    for await (const e of client.readEvents(null, { maxEvents: 2 })) got.push(e.id)
    expect(got).toHaveLength(2)
    expect(calls).toHaveLength(1)
  })

  it('refuses a next_page on another origin (credentials stay home)', async () => {
    const { fetch, calls } = fakeFetch(() => json({ events: [], total: 0, next_page: null }))
    const client = createPrefectClient({ apiUrl: API, apiKey: 'k', fetch })
    const error = await caught(
      client.readNextEventPage('http://evil.example/api/events/filter/next?page-token=x'),
    )
    expect(error.code).toBe('PROTOCOL')
    expect(calls).toHaveLength(0)
  })

  it('validates the filter before sending it', async () => {
    const { fetch, calls } = fakeFetch(() => json({ events: [], total: 0, next_page: null }))
    const client = createPrefectClient({ apiUrl: API, fetch })
    const error = await caught(client.readEventPage({ nope: true } as never))
    expect(error.code).toBe('INVALID_FILTER')
    expect(calls).toHaveLength(0)
  })
})

describe('createPrefectClient: errors', () => {
  it('maps 401 to AUTH_REJECTED with an ofetch-style message and no secrets; never retried', async () => {
    const { fetch, calls } = fakeFetch(() => json({ exception_message: 'Unauthorized' }, 401))
    const client = createPrefectClient({ apiUrl: API, authString: 'admin:sup3rsecret', fetch })
    const error = await caught(client.readFlowRun(RUN_ID))
    expect(error.code).toBe('AUTH_REJECTED')
    expect(error.status).toBe(401)
    expect(error.message).toBe(
      `[@flowcast/polling] [GET] "${API}/flow_runs/${RUN_ID}": 401 Unauthorized: Unauthorized`,
    )
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toMatch(
      /sup3rsecret|YWRtaW46c3VwM3JzZWNyZXQ/,
    )
    expect(calls).toHaveLength(1)
  })

  it('maps 403 to AUTH_REJECTED and 404 to NOT_FOUND', async () => {
    const forbidden = fakeFetch(() => json({ detail: 'Missing CSRF token.' }, 403))
    expect(
      (await caught(createPrefectClient({ apiUrl: API, fetch: forbidden.fetch }).version())).code,
    ).toBe('AUTH_REJECTED')
    const missing = fakeFetch(() => json({ detail: 'Flow run not found' }, 404))
    const error = await caught(
      createPrefectClient({ apiUrl: API, fetch: missing.fetch }).readFlowRun(RUN_ID),
    )
    expect(error).toMatchObject({ code: 'NOT_FOUND', status: 404 })
    expect(error.message).toContain('404 Not Found: Flow run not found')
  })

  it('maps 422 to HTTP with the server detail', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json(
        {
          detail: [
            {
              loc: ['body', 'flow_runs', 'nope'],
              msg: 'Extra inputs are not permitted',
              type: 'extra_forbidden',
            },
          ],
        },
        422,
      ),
    )
    const error = await caught(createPrefectClient({ apiUrl: API, fetch }).filterFlowRuns({}))
    expect(error).toMatchObject({ code: 'HTTP', status: 422 })
    expect(error.message).toBe(
      `[@flowcast/polling] [POST] "${API}/flow_runs/filter": 422 Unprocessable Entity: body.flow_runs.nope: Extra inputs are not permitted`,
    )
    expect(error.details).toMatchObject({
      detail: 'body.flow_runs.nope: Extra inputs are not permitted',
    })
    expect(calls).toHaveLength(1)
  })

  it('retries 5xx with backoff and succeeds', async () => {
    const clock = createManualClock()
    let n = 0
    const { fetch, calls } = fakeFetch(() =>
      ++n < 3 ? json({ detail: 'busy' }, 503) : json('3.8.4'),
    )
    const client = createPrefectClient({
      apiUrl: API,
      fetch,
      clock,
      retryBackoff: { jitter: 'none' },
    })
    const version = client.version()
    await clock.advanceAsync(499)
    expect(calls).toHaveLength(1)
    await clock.advanceAsync(1)
    expect(calls).toHaveLength(2)
    await clock.advanceAsync(1_000)
    expect(await version).toBe('3.8.4')
    expect(calls).toHaveLength(3)
  })

  it("profile 'test' retries after 10 ms, then 20 ms", async () => {
    const clock = createManualClock()
    let n = 0
    const { fetch, calls } = fakeFetch(() =>
      ++n < 3 ? json({ detail: 'busy' }, 503) : json('3.8.4'),
    )
    const client = createPrefectClient({ apiUrl: API, fetch, clock, profile: 'test' })
    const version = client.version()
    await clock.advanceAsync(9)
    expect(calls).toHaveLength(1)
    await clock.advanceAsync(1)
    expect(calls).toHaveLength(2)
    await clock.advanceAsync(20)
    expect(await version).toBe('3.8.4')
    expect(calls).toHaveLength(3)
  })

  it('gives up after the retries with the last status', async () => {
    const clock = createManualClock()
    const { fetch, calls } = fakeFetch(
      () => new Response('oops', { status: 500, statusText: 'Internal Server Error' }),
    )
    const client = createPrefectClient({ apiUrl: API, fetch, clock, retries: 2 })
    const pending = caught(client.readFlowRun(RUN_ID))
    await clock.advanceAsync(60_000)
    const error = await pending
    expect(error).toMatchObject({ code: 'HTTP', status: 500, details: { attempts: 3 } })
    expect(error.message).toBe(
      `[@flowcast/polling] [GET] "${API}/flow_runs/${RUN_ID}": 500 Internal Server Error: oops`,
    )
    expect(calls).toHaveLength(3)
  })

  it('honours Retry-After on 429 and ends with RATE_LIMITED', async () => {
    const clock = createManualClock()
    const times: number[] = []
    const { fetch } = fakeFetch(() => {
      times.push(clock.now())
      return json({ detail: 'slow down' }, 429, { 'retry-after': '7' })
    })
    const client = createPrefectClient({ apiUrl: API, fetch, clock, retries: 2 })
    const pending = caught(client.setFlowRunState(RUN_ID, { type: 'RUNNING' }))
    await clock.advanceAsync(30_000)
    const error = await pending
    expect(error).toMatchObject({
      code: 'RATE_LIMITED',
      status: 429,
      details: { retryAfterMs: 7_000 },
    })
    expect(times).toEqual([0, 7_000, 14_000])
  })

  it('does not retry non-idempotent set_state on 503', async () => {
    const { fetch, calls } = fakeFetch(() => json({ detail: 'down' }, 503))
    const error = await caught(
      createPrefectClient({ apiUrl: API, fetch }).setFlowRunState(RUN_ID, { type: 'RUNNING' }),
    )
    expect(error).toMatchObject({ code: 'HTTP', status: 503 })
    expect(calls).toHaveLength(1)
  })

  it('retries network errors and ends with CONNECT_FAILED', async () => {
    const clock = createManualClock()
    const { fetch, calls } = fakeFetch(() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      })
    })
    const client = createPrefectClient({ apiUrl: API, fetch, clock, retries: 1 })
    const pending = caught(client.readFlowRun(RUN_ID))
    await clock.advanceAsync(10_000)
    const error = await pending
    expect(error.code).toBe('CONNECT_FAILED')
    expect(error.message).toBe(
      `[@flowcast/polling] [GET] "${API}/flow_runs/${RUN_ID}": ECONNREFUSED: nothing accepts connections there; check that the Prefect server is running and that the API URL has the right host and port`,
    )
    expect(calls).toHaveLength(2)
  })

  it('names the real cause of `fetch failed` on a refused port, with what to check', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as AddressInfo).port
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const client = createPrefectClient({
      apiUrl: `http://127.0.0.1:${port}/api`,
      authString: 'user:pw-PLANTED',
      retries: 0,
    })
    const error = await caught(client.readFlowRun(RUN_ID))
    expect(error.code).toBe('CONNECT_FAILED')
    expect(error.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`)
    expect(error.message).toContain('check that the Prefect server is running')
    expect(error.message).not.toContain('fetch failed')
    expect(error.message).not.toContain('pw-PLANTED')
    expect(error.details?.['networkCode']).toBe('ECONNREFUSED')
    const blocked = await caught(
      createPrefectClient({ apiUrl: 'http://127.0.0.1:1/api', retries: 0 }).readFlowRun(RUN_ID),
    )
    expect(blocked.message).toMatch(/fetch refuses this port.*check the API URL's port/)
  })

  it('without the Node entry (browsers), a network error keeps its own message', async () => {
    const { fetch } = fakeFetch(() => {
      throw new TypeError('Failed to fetch', {
        cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
      })
    })
    setNetworkFailureReader(() => undefined)
    try {
      const error = await caught(
        createPrefectClient({ apiUrl: API, fetch, retries: 0 }).readFlowRun(RUN_ID),
      )
      expect(error.code).toBe('CONNECT_FAILED')
      expect(error.message).toBe(
        `[@flowcast/polling] [GET] "${API}/flow_runs/${RUN_ID}": TypeError: Failed to fetch`,
      )
      expect(error.details?.['networkCode']).toBeUndefined()
    } finally {
      setNetworkFailureReader(networkFailure)
    }
  })

  it('times out each attempt and ends with TIMEOUT', async () => {
    const clock = createManualClock()
    const { fetch, calls } = fakeFetch((_, signal) => hangUntilAborted(signal))
    const client = createPrefectClient({ apiUrl: API, fetch, clock, retries: 1, timeoutMs: 1_000 })
    const pending = caught(client.readFlowRun(RUN_ID, { timeoutMs: 2_000 }))
    await clock.advanceAsync(20_000)
    const error = await pending
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toContain('timed out after 2000 ms')
    expect(calls).toHaveLength(2)
  })

  it('never retries an abort the caller asked for', async () => {
    const clock = createManualClock()
    const { fetch, calls } = fakeFetch((_, signal) => hangUntilAborted(signal))
    const client = createPrefectClient({ apiUrl: API, fetch, clock })
    const controller = new AbortController()
    const pending = caught(client.readFlowRun(RUN_ID, { signal: controller.signal }))
    await clock.advanceAsync(10)
    controller.abort(new Error('shutting down'))
    const error = await pending
    expect(error.code).toBe('ABORTED')
    expect((error.cause as Error).message).toBe('shutting down')
    await clock.advanceAsync(60_000)
    expect(calls).toHaveLength(1)
  })

  it('stops retrying when aborted during the backoff', async () => {
    const clock = createManualClock()
    const { fetch, calls } = fakeFetch(() => json({}, 502))
    const client = createPrefectClient({ apiUrl: API, fetch, clock })
    const controller = new AbortController()
    const pending = caught(client.version({ signal: controller.signal }))
    await clock.advanceAsync(0)
    controller.abort()
    expect((await pending).code).toBe('ABORTED')
    await clock.advanceAsync(60_000)
    expect(calls).toHaveLength(1)
  })

  it('rejects invalid responses with PROTOCOL', async () => {
    const { fetch } = fakeFetch(() => json({ id: 'not-a-uuid' }))
    const error = await caught(createPrefectClient({ apiUrl: API, fetch }).readFlowRun(RUN_ID))
    expect(error.code).toBe('PROTOCOL')
    expect(error.message).toMatch(/^\[@flowcast\/polling\] \[GET\] ".*": unexpected response: /)
    const notJson = fakeFetch(() => new Response('<html>', { status: 200 }))
    expect(
      (await caught(createPrefectClient({ apiUrl: API, fetch: notJson.fetch }).version())).code,
    ).toBe('PROTOCOL')
  })
})
