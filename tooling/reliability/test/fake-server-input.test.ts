// The fake server's bad-input matrix over a real port: whatever a client sends, the answer is
// never a 5xx (a fake that crashes on bad input cannot stand in for Prefect).
import { connect } from 'node:net'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { figure } from './helpers.js'

let server: FakePrefectServer
let origin: string
beforeAll(async () => {
  server = await createFakePrefectServer()
  origin = new URL(server.apiUrl).origin
})
afterAll(() => server.close())

/** Sends raw bytes and returns the status code of the response. */
function rawStatus(request: string): Promise<number> {
  const { hostname, port } = new URL(origin)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(request))
    let head = ''
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1')
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(head)
      if (match) {
        socket.destroy()
        resolve(Number(match[1]))
      }
    })
    socket.on('error', reject)
    socket.on('close', () =>
      reject(new Error(`no status line in ${JSON.stringify(head.slice(0, 80))}`)),
    )
  })
}

const post = async (path: string, body: BodyInit, type = 'application/json') =>
  (
    await fetch(`${server.apiUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    })
  ).status

const cases: [name: string, send: () => Promise<number>, expected?: number][] = [
  ['JSON syntax error', () => post('/flow_runs/filter', '{"limit": '), 422],
  [
    'deeply nested JSON body',
    () => post('/flow_runs/filter', '['.repeat(100_000) + ']'.repeat(100_000)),
    400,
  ],
  [
    'request target *',
    () => rawStatus(`OPTIONS * HTTP/1.1\r\nHost: ${new URL(origin).host}\r\n\r\n`),
    400,
  ],
  ['64 MiB body', () => post('/events', Buffer.alloc(64 * 1024 * 1024, 0x20))],
  ['binary body', () => post('/flow_runs/filter', new Uint8Array([0xff, 0xfe, 0x00, 0x80]))],
  ['wrong content type', () => post('/flow_runs/filter', '{}', 'text/plain')],
  ['empty body on a POST', () => post('/deployments/filter', '')],
  ['JSON of the wrong type', () => post('/events', '"not a list"')],
  [
    'event with a year-1 occurred',
    () =>
      post(
        '/events',
        JSON.stringify([
          {
            id: '0190f000-0000-7000-8000-0000000000aa',
            event: 'x',
            occurred: '0001-01-01T00:00:00Z',
            resource: { 'prefect.resource.id': 'r' },
          },
        ]),
      ),
  ],
  ['negative limit', () => post('/flow_runs/filter', '{"limit": -5}')],
  [
    'not a UUID in the path',
    async () => (await fetch(`${server.apiUrl}/flow_runs/not-a-uuid`)).status,
  ],
  ['unknown path', async () => (await fetch(`${server.apiUrl}/no/such/thing`)).status],
  [
    'percent-encoding garbage',
    async () => (await fetch(`${origin}/api/flow_runs/%E0%A4%A`)).status,
  ],
  [
    'huge query string',
    async () => (await fetch(`${server.apiUrl}/flow_runs/${'a'.repeat(60_000)}`)).status,
  ],
]

describe("the fake server's bad-input matrix", () => {
  const statuses: Record<string, number> = {}
  afterAll(() =>
    figure('fake server bad input', {
      cases: Object.keys(statuses).length,
      fiveHundreds: Object.values(statuses).filter((s) => s >= 500).length,
    }),
  )
  for (const [name, send, expected] of cases) {
    it(`${name}: no 5xx`, async () => {
      const status = await send()
      statuses[name] = status
      expect(status).toBeLessThan(500)
      if (expected !== undefined) expect(status).toBe(expected)
    })
  }
})
