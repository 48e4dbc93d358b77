import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { openSocket, wsUrl } from './helpers.js'

/** Sends raw bytes on a fresh TCP connection and returns the status line's code (0 when the server closed without one) and body. */
function raw(port: number, request: string | Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) })
    })
    socket.end(request)
  })
}

/** A POST with a raw body over real `fetch`. */
async function post(
  server: FakePrefectServer,
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  contentType = 'application/json',
): Promise<{ status: number; body: string }> {
  const response = await fetch(`${server.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  })
  return { status: response.status, body: await response.text() }
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`

interface Case {
  name: string
  run(server: FakePrefectServer): Promise<{ status: number; body: string }>
  /** The status Prefect (or the fake's documented choice) answers; otherwise only "not 5xx". */
  status?: number
  body?: string
}

const unknownId = '00000000-0000-4000-8000-000000000000'
const bodyEndpoints = [
  '/events',
  '/events/filter',
  '/events/count-by/event',
  '/flow_runs/filter',
  '/flow_runs/count',
  '/flow_runs/paginate',
  '/flows/filter',
  '/deployments/filter',
  '/deployments/count',
  `/flow_runs/${unknownId}/set_state`,
  `/deployments/${unknownId}/create_flow_run`,
]

function bodyCases(): Case[] {
  const cases: Case[] = []
  const parseError = '{"detail":"There was an error parsing the body"}'
  for (const path of bodyEndpoints) {
    const at = (name: string) => `${name} → POST ${path}`
    cases.push(
      {
        name: at('100,000 nested arrays'),
        run: (s) => post(s, path, nested(100_000)),
        status: 400,
        body: parseError,
      },
      {
        name: at('1,001 nested objects'),
        run: (s) => post(s, path, nestedObjects(1001)),
        status: 400,
        body: parseError,
      },
      { name: at('999 nested arrays'), run: (s) => post(s, path, nested(999)) },
      { name: at('non-JSON text'), run: (s) => post(s, path, 'not json {'), status: 422 },
      { name: at('truncated JSON'), run: (s) => post(s, path, '{"limit": 1'), status: 422 },
      {
        name: at('binary bytes'),
        run: (s) =>
          post(
            s,
            path,
            Uint8Array.from({ length: 4096 }, (_, i) => (i * 131) % 256),
          ),
        status: 422,
      },
      {
        name: at('invalid UTF-8'),
        run: (s) => post(s, path, Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])),
        status: 422,
      },
      { name: at('JSON null'), run: (s) => post(s, path, 'null') },
      { name: at('JSON string'), run: (s) => post(s, path, '"x"') },
      { name: at('JSON number'), run: (s) => post(s, path, '42') },
      { name: at('JSON array'), run: (s) => post(s, path, '[1,2]') },
      { name: at('huge number'), run: (s) => post(s, path, '{"limit": 1e400, "offset": 1e400}') },
      {
        name: at('huge integer'),
        run: (s) => post(s, path, '{"limit": 123456789012345678901234567890, "page": 1e20}'),
      },
      { name: at('negative numbers'), run: (s) => post(s, path, '{"limit": -1, "offset": -5}') },
      {
        name: at('unicode and control characters'),
        run: (s) =>
          post(
            s,
            path,
            JSON.stringify({ name: 'ü😀\u0000\u202e', filter: { event: { prefix: ['😀'] } } }),
          ),
      },
      { name: at('lone surrogate'), run: (s) => post(s, path, '{"name": "\\ud800"}') },
      {
        name: at('valid JSON as text/plain'),
        run: (s) => post(s, path, '{}', 'text/plain'),
      },
      {
        name: at('form-encoded body'),
        run: (s) => post(s, path, 'a=1&b=2', 'application/x-www-form-urlencoded'),
      },
      {
        name: at('wrong types everywhere'),
        run: (s) =>
          post(
            s,
            path,
            JSON.stringify({
              flow_runs: { id: { any_: 'x' }, tags: 3 },
              flows: [],
              sort: 7,
              state: 'RUNNING',
              filter: 'all',
            }),
          ),
      },
    )
  }
  return cases
}

const requestCases: Case[] = [
  {
    name: 'OPTIONS * (asterisk-form target)',
    run: (s) => raw(s.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    status: 400,
  },
  {
    name: 'GET * (asterisk-form target)',
    run: (s) => raw(s.port, 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    status: 400,
  },
  {
    name: 'absolute-form target',
    run: (s) =>
      raw(
        s.port,
        `GET http://127.0.0.1:${s.port}/api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
    status: 400,
  },
  {
    name: 'Host header that is not a host',
    run: (s) => raw(s.port, 'GET /api/health HTTP/1.1\r\nHost: [::\r\nConnection: close\r\n\r\n'),
  },
  {
    name: 'no Host header (HTTP/1.0)',
    run: (s) => raw(s.port, 'GET /api/health HTTP/1.0\r\n\r\n'),
    status: 200,
  },
  {
    name: 'websocket upgrade on *',
    run: (s) =>
      raw(
        s.port,
        'GET * HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
  },
  {
    name: 'malformed percent escape in a path parameter',
    run: (s) =>
      raw(s.port, 'GET /api/flow_runs/%ZZ%E0%A4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    status: 422,
  },
  {
    name: '10,000-character path parameter',
    run: (s) => fetch(`${s.apiUrl}/flow_runs/${'a'.repeat(10_000)}`).then(asResult),
    status: 422,
  },
  {
    name: 'empty path segments',
    run: (s) => fetch(`${s.url}/api//flow_runs//filter`, { method: 'POST' }).then(asResult),
    status: 404,
  },
  {
    name: 'garbage page token',
    run: (s) => fetch(`${s.apiUrl}/events/filter/next?page-token=%E0%A4%A`).then(asResult),
    status: 403,
  },
  {
    name: 'unicode API version header',
    run: (s) =>
      fetch(`${s.apiUrl}/admin/version`, {
        headers: { 'x-prefect-api-version': encodeURIComponent('∞.∞.∞') },
      }).then(asResult),
    status: 400,
  },
  {
    name: 'unknown countable',
    run: (s) => post(s, '/events/count-by/nope', '{"filter": {}}'),
    status: 422,
  },
  {
    name: 'count-by with an interval past any duration',
    run: (s) => post(s, '/events/count-by/time', '{"filter": {}, "time_interval": 1e300}'),
    status: 422,
  },
  {
    name: 'count-by with too many buckets',
    run: (s) =>
      post(
        s,
        '/events/count-by/time',
        '{"filter": {}, "time_unit": "second", "time_interval": 0.01}',
      ),
    status: 422,
  },
  {
    name: '100,000 ids in one filter',
    run: (s) =>
      post(
        s,
        '/flow_runs/filter',
        JSON.stringify({
          flow_runs: { id: { any_: Array.from({ length: 100_000 }, () => unknownId) } },
        }),
      ),
    status: 200,
  },
  {
    name: 'unknown method on a known path',
    run: (s) => fetch(`${s.apiUrl}/events`, { method: 'PATCH' }).then(asResult),
    status: 405,
  },
  {
    name: 'method the HTTP parser does not know',
    run: (s) => raw(s.port, 'BREW /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  },
  {
    name: 'client that aborts in the middle of a body',
    run: (s) =>
      new Promise((resolve, reject) => {
        const socket = connect(s.port, '127.0.0.1', () => {
          socket.write(
            'POST /api/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n[1,2,',
            () => {
              socket.destroy()
              resolve({ status: 0, body: '' })
            },
          )
        })
        socket.on('error', reject)
      }),
  },
  {
    name: 'request line that is not HTTP',
    run: (s) => raw(s.port, '\x00\x01\x02 garbage\r\n\r\n'),
  },
]

async function asResult(response: Response): Promise<{ status: number; body: string }> {
  return { status: response.status, body: await response.text() }
}

describe('bad input never gets a 5xx', () => {
  let server: FakePrefectServer | undefined
  afterEach(async () => {
    await server?.close()
    server = undefined
  })

  it('answers every case of the matrix with a 4xx/2xx, never a 5xx', async () => {
    server = await createFakePrefectServer()
    const cases = [...bodyCases(), ...requestCases]
    const failures: string[] = []
    for (const c of cases) {
      const result = await c.run(server)
      const ok =
        result.status < 500 &&
        (c.status === undefined || result.status === c.status) &&
        (c.body === undefined || result.body === c.body)
      if (!ok) failures.push(`${c.name}: ${result.status} ${result.body.slice(0, 200)}`)
    }
    console.log(`bad-input matrix: ${cases.length} cases, ${failures.length} failures`)
    expect(failures).toEqual([])
    // The server is still healthy afterwards.
    expect((await fetch(`${server.apiUrl}/health`)).status).toBe(200)
  })

  it('answers 413 to a body over maxRequestBodyBytes without buffering it, and records no body', async () => {
    server = await createFakePrefectServer({ maxRequestBodyBytes: 1024 * 1024 })
    const big = `[${'1,'.repeat(1024 * 1024)}1]`
    const response = await post(server, '/events', big)
    expect(response.status).toBe(413)
    const record = server.recorder.httpRequests.at(-1)!
    expect(record.status).toBe(413)
    expect(record.body).toBeUndefined()
    expect(record.bodyBytes).toBe(big.length)
    expect((await post(server, '/events', '[]')).status).toBe(204)
  })

  it('bounds the recorder: newest entries by count, request bodies by total bytes', async () => {
    server = await createFakePrefectServer({ recorderLimit: 50, recorderBodyBytes: 100_000 })
    const body = JSON.stringify({ flow_runs: { name: { like_: 'x'.repeat(10_000) } } })
    for (let i = 0; i < 120; i++) await post(server, '/flow_runs/filter', body)
    const records = server.recorder.httpRequests
    expect(records).toHaveLength(50)
    const kept = records.filter((r) => r.body !== undefined)
    expect(kept.length).toBeGreaterThan(0)
    expect(kept.length * body.length).toBeLessThanOrEqual(100_000)
    // The newest bodies are the ones kept.
    expect(records.at(-1)!.body).toEqual(JSON.parse(body))
    expect(records.every((r) => r.bodyBytes === body.length)).toBe(true)
  })

  it('bounds the frames a connection record keeps and the arrivals list', async () => {
    server = await createFakePrefectServer({ recorderLimit: 50 })
    const socket = await openSocket(wsUrl(server.apiUrl, '/events/in'), { protocols: ['prefect'] })
    socket.send({ type: 'auth', token: null })
    expect(await socket.next()).toBe('{"type":"auth_success"}')
    for (let i = 0; i < 120; i++) {
      socket.send({
        occurred: '2026-08-20T12:00:00Z',
        event: `e${i}`,
        resource: { 'prefect.resource.id': 'r' },
        id: `0199d1a4-0000-7000-8000-${String(i).padStart(12, '0')}`,
      })
    }
    const events = server.waitForEmitted({ event: 'e119' })
    await events
    socket.close()
    expect(server.events).toHaveLength(120)
    const record = server.recorder.connections.at(-1)!
    expect(record.clientFrames).toHaveLength(50)
    expect(JSON.parse(record.clientFrames.at(-1)!)).toMatchObject({ event: 'e119' })
    expect(server.recorder.eventArrivals).toHaveLength(50)
  })
})
