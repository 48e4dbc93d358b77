// CORS like Prefect's server (docs/protocol.md §6.4), over a real loopback port.
import { request as httpRequest } from 'node:http'
import { createFakePrefectServer } from '@flowcast/fake-server'
import WebSocket from 'ws'
import { describe, expect, it } from 'vitest'

/** A raw HTTP request (fetch forbids `Origin` and the preflight headers). */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (text += chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

const origin = 'http://127.0.0.1:5173'

describe('CORS with the default policy (every origin, method, header)', () => {
  it('answers a preflight on every REST route with 200 and the Allow-* headers', async () => {
    await using server = await createFakePrefectServer()
    for (const [path, method] of [
      ['/flow_runs/filter', 'POST'],
      ['/flow_runs/00000000-0000-4000-8000-000000000000', 'GET'],
      ['/deployments/name/etl/nightly', 'GET'],
      ['/events', 'POST'],
      ['/health', 'GET'],
      ['/no/such/route', 'DELETE'],
    ] as const) {
      const response = await send(`${server.apiUrl}${path}`, 'OPTIONS', {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'authorization, content-type, x-prefect-api-version',
      })
      expect(response.status, path).toBe(200)
      expect(response.body).toBe('OK')
      expect(response.headers['access-control-allow-origin']).toBe('*')
      expect(response.headers['access-control-allow-methods']).toBe(
        'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
      )
      expect(response.headers['access-control-allow-headers']).toBe(
        'authorization, content-type, x-prefect-api-version',
      )
      expect(response.headers['access-control-max-age']).toBe('600')
    }
    // A preflight never reaches the API: not recorded, no auth needed.
    expect(server.recorder.httpRequests).toHaveLength(0)
  })

  it('puts Access-Control-Allow-Origin on every answer to a request with an Origin', async () => {
    await using server = await createFakePrefectServer()
    const run = server.createFlowRun()
    const ok = await send(`${server.apiUrl}/flow_runs/${run.id}`, 'GET', { origin })
    expect(ok.status).toBe(200)
    expect(ok.headers['access-control-allow-origin']).toBe('*')
    const missing = await send(`${server.apiUrl}/no/such/route`, 'GET', { origin })
    expect(missing.status).toBe(404)
    expect(missing.headers['access-control-allow-origin']).toBe('*')
    const noOrigin = await send(`${server.apiUrl}/flow_runs/${run.id}`, 'GET', {})
    expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined()
    const withCookie = await send(`${server.apiUrl}/flow_runs/${run.id}`, 'GET', {
      origin,
      cookie: 'a=b',
    })
    expect(withCookie.headers['access-control-allow-origin']).toBe(origin)
    expect(withCookie.headers['vary']).toBe('Origin')
  })

  it('decorates refusals too: a 401 from an auth-string server carries the header', async () => {
    await using server = await createFakePrefectServer({ authString: 'admin:pass' })
    const refused = await send(`${server.apiUrl}/flow_runs/filter`, 'POST', { origin }, '{}')
    expect(refused.status).toBe(401)
    expect(refused.headers['access-control-allow-origin']).toBe('*')
    const preflight = await send(`${server.apiUrl}/flow_runs/filter`, 'OPTIONS', {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization',
    })
    expect(preflight.status).toBe(200)
  })

  it('accepts WebSocket upgrades from any origin', async () => {
    await using server = await createFakePrefectServer()
    const socket = new WebSocket(`${server.url}/api/events/out`.replace('http', 'ws'), 'prefect', {
      origin: 'https://elsewhere.example',
    })
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    socket.close()
    expect(server.recorder.connections[0]?.headers['origin']).toBe('https://elsewhere.example')
  })
})

describe('CORS with allowed lists (PREFECT_SERVER_CORS_ALLOWED_*)', () => {
  const cors = {
    allowedOrigins: [origin],
    allowedMethods: ['GET', 'POST'],
    allowedHeaders: ['Authorization'],
  }

  it('echoes an allowed origin and lists the allowed methods and headers', async () => {
    await using server = await createFakePrefectServer({ cors })
    const response = await send(`${server.apiUrl}/flow_runs/filter`, 'OPTIONS', {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'Authorization, Content-Type',
    })
    expect(response.status).toBe(200)
    expect(response.headers['access-control-allow-origin']).toBe(origin)
    expect(response.headers['vary']).toBe('Origin')
    expect(response.headers['access-control-allow-methods']).toBe('GET, POST')
    expect(response.headers['access-control-allow-headers']).toBe(
      'accept, accept-language, authorization, content-language, content-type',
    )
    const run = server.createFlowRun()
    const simple = await send(`${server.apiUrl}/flow_runs/${run.id}`, 'GET', { origin })
    expect(simple.headers['access-control-allow-origin']).toBe(origin)
    expect(simple.headers['vary']).toBe('Origin')
  })

  it('refuses a preflight from another origin, for another method or header with 400', async () => {
    await using server = await createFakePrefectServer({ cors })
    const refused = await send(`${server.apiUrl}/flow_runs/filter`, 'OPTIONS', {
      origin: 'http://evil.example',
      'access-control-request-method': 'DELETE',
      'access-control-request-headers': 'x-custom',
    })
    expect(refused.status).toBe(400)
    expect(refused.body).toBe('Disallowed CORS origin, method, headers')
    expect(refused.headers['access-control-allow-origin']).toBeUndefined()
    const simple = await send(`${server.apiUrl}/health`, 'GET', { origin: 'http://evil.example' })
    expect(simple.status).toBe(200)
    expect(simple.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('rejects a malformed policy with INVALID_OPTIONS', async () => {
    await expect(
      createFakePrefectServer({ cors: { allowedOrigins: '*' as unknown as string[] } }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
  })
})
