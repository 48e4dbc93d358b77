import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'

let server: FakePrefectServer
const receivers: { close(): void }[] = []
afterEach(async () => {
  await server?.close()
  for (const r of receivers.splice(0)) r.close()
})

interface Delivery {
  method: string
  headers: IncomingMessage['headers']
  body: string
}

async function webhookReceiver(status = 200) {
  const deliveries: Delivery[] = []
  const http = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      deliveries.push({ method: req.method!, headers: req.headers, body })
      res.writeHead(status).end('ok')
    })
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  receivers.push(http)
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`, deliveries }
}

describe('call-webhook automations (docs/protocol.md §7)', () => {
  it('fires on a terminal flow-run state with the rendered template, no Content-Type unless configured', async () => {
    server = await createFakePrefectServer()
    const receiver = await webhookReceiver()
    server.addAutomation({
      name: 'on finish',
      trigger: {
        expect: ['prefect.flow-run.*'],
        match: {
          'prefect.resource.id': 'prefect.flow-run.*',
          'prefect.state-type': ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'],
        },
      },
      action: {
        url: receiver.url,
        headers: { 'x-secret': 's3cret' },
        payload:
          '{"name": "{{ event.event }}", "run": "{{ event.resource[\'prefect.resource.id\'] }}", "flow": "{{ flow_run.name }}", "missing": "{{ event.nope.deeper }}"}',
      },
    })
    const run = server.createFlowRun({ name: 'quick-otter' })
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    await server.settleWebhooks()
    expect(receiver.deliveries).toHaveLength(1)
    const [delivery] = receiver.deliveries
    expect(delivery!.method).toBe('POST')
    expect(delivery!.headers['content-type']).toBeUndefined()
    expect(delivery!.headers['x-secret']).toBe('s3cret')
    expect(JSON.parse(delivery!.body)).toEqual({
      name: 'prefect.flow-run.Completed',
      run: `prefect.flow-run.${run.id}`,
      flow: 'quick-otter',
      missing: '',
    })
    expect(server.recorder.webhookCalls[0]).toMatchObject({
      status: 200,
      responseBody: 'ok',
      error: undefined,
    })
  })

  it('sends an empty body by default, does not retry a 500, and renders tojson like Jinja', async () => {
    server = await createFakePrefectServer()
    const failing = await webhookReceiver(500)
    const json = await webhookReceiver()
    server.addAutomation({ trigger: { expect: ['acme.ping'] }, action: { url: failing.url } })
    server.addAutomation({
      trigger: { expect: ['acme.ping'] },
      action: {
        url: json.url,
        headers: { 'Content-Type': 'application/json' },
        payload: '{{ event.payload|tojson }}',
      },
    })
    server.publishEvent({
      event: 'acme.ping',
      resource: { 'prefect.resource.id': 'acme.x' },
      payload: { b: '<&>', a: 1 },
    })
    server.publishEvent({ event: 'acme.other', resource: { 'prefect.resource.id': 'acme.x' } })
    await server.settleWebhooks()
    expect(failing.deliveries).toHaveLength(1)
    expect(failing.deliveries[0]!.body).toBe('')
    expect(server.recorder.webhookCalls.find((c) => c.url === failing.url)!.status).toBe(500)
    expect(json.deliveries[0]!.headers['content-type']).toBe('application/json')
    expect(json.deliveries[0]!.body).toBe('{"a": 1, "b": "\\u003c\\u0026\\u003e"}')
  })

  it('records a template error as a failed action without calling the URL', async () => {
    server = await createFakePrefectServer()
    const receiver = await webhookReceiver()
    server.addAutomation({
      trigger: {},
      action: { url: receiver.url, payload: '{% for x in y %}{% endfor %}' },
    })
    server.publishEvent({ event: 'any', resource: { 'prefect.resource.id': 'r' } })
    await server.settleWebhooks()
    expect(receiver.deliveries).toEqual([])
    expect(server.recorder.webhookCalls[0]!.error).toContain('not supported')
  })
})
