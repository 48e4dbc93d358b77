import { afterEach, describe, expect, it } from 'vitest'
import { createManualClock, type ManualClock } from '@flowcast/core'
import {
  createWebhookReceiver,
  type WebhookDelivery,
  type WebhookReceiver,
  type WebhookReceiverOptions,
} from '../src/index.js'
import { flowRunEvent, post, postEndless } from './helpers.js'
import { mount, type Mounted, type ServerKind } from './servers.js'

const opened: Mounted[] = []
afterEach(async () => {
  for (const server of opened.splice(0)) await server.close()
})

interface Setup {
  receiver: WebhookReceiver
  server: Mounted
  dispatched: WebhookDelivery[]
  clock: ManualClock
}

async function setup(kind: ServerKind, options: WebhookReceiverOptions = {}): Promise<Setup> {
  const clock = createManualClock(Date.UTC(2026, 10, 29, 12))
  const receiver = createWebhookReceiver({
    path: '/hook',
    secrets: ['old-secret', 'new-secret'],
    clock,
    ...options,
  })
  const dispatched: WebhookDelivery[] = []
  receiver.onDelivery((delivery) => {
    dispatched.push(delivery)
  })
  const server = await mount(kind, receiver, clock)
  opened.push(server)
  return { receiver, server, dispatched, clock }
}

const auth = { authorization: 'Bearer new-secret' }
const body = (value: unknown) => JSON.stringify(value)

describe.each(['node:http', 'express', 'hono'] as const)('the bad-input table on %s', (kind) => {
  it('answers a valid delivery 200 and dispatches it once, with no Content-Type', async () => {
    const { server, dispatched } = await setup(kind)
    const event = flowRunEvent()
    const answer = await post(server.url, { headers: auth, body: body(event) })
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ status: 'dispatched' })
    expect(dispatched).toHaveLength(1)
    expect(dispatched[0]!.event).toEqual(event)
    expect(dispatched[0]!.flowRun).toMatchObject({ type: 'COMPLETED', name: 'Completed' })
  })

  it.each([
    ['a missing secret', {}],
    ['a wrong secret', { authorization: 'Bearer nope' }],
    ['a secret in the wrong scheme', { authorization: 'Basic new-secret' }],
    ['the secret in the wrong header', { 'x-webhook-secret': 'new-secret' }],
  ])('answers %s 401, says nothing useful, dispatches nothing', async (_name, headers) => {
    const { server, dispatched } = await setup(kind)
    const answer = await post(server.url, { headers, body: body(flowRunEvent()) })
    expect(answer.status).toBe(401)
    expect(answer.body).toBe('{"error":"unauthorized"}')
    expect(answer.body).not.toContain('secret')
    expect(dispatched).toHaveLength(0)
  })

  it('accepts both secrets during a rotation, and a configured header', async () => {
    const rotated = await setup(kind)
    for (const secret of ['old-secret', 'new-secret']) {
      const answer = await post(rotated.server.url, {
        headers: { authorization: `Bearer ${secret}` },
        body: body(flowRunEvent()),
      })
      expect(answer.status).toBe(200)
    }
    expect(rotated.dispatched).toHaveLength(2)
    const custom = await setup(kind, { secretHeader: 'X-Prefect-Secret' })
    const wrongHeader = await post(custom.server.url, { headers: auth, body: body(flowRunEvent()) })
    expect(wrongHeader.status).toBe(401)
    const right = await post(custom.server.url, {
      headers: { 'x-prefect-secret': 'old-secret' },
      body: body(flowRunEvent()),
    })
    expect(right.status).toBe(200)
    expect(custom.dispatched).toHaveLength(1)
  })

  it('answers 404 off the path and 405 (Allow: POST) to another method, before reading auth', async () => {
    const { server, dispatched } = await setup(kind)
    const offPath = await post(`${server.origin}/elsewhere`, { body: body(flowRunEvent()) })
    expect(offPath.status).toBe(404)
    const get = await post(server.url, { method: 'GET' })
    expect(get.status).toBe(405)
    expect(get.headers['allow']).toBe('POST')
    const put = await post(server.url, { method: 'PUT', body: body(flowRunEvent()) })
    expect(put.status).toBe(405)
    expect(dispatched).toHaveLength(0)
  })

  it('answers an oversized body 413 (declared or streamed) and still takes a 1.5 MB event', async () => {
    const { server, dispatched } = await setup(kind)
    const big = 'x'.repeat(2 * 1024 * 1024 + 1)
    const declared = await post(server.url, { headers: auth, body: big })
    expect(declared.status).toBe(413)
    const streamed = await post(server.url, {
      headers: { ...auth, 'transfer-encoding': 'chunked' },
      body: big,
    })
    expect(streamed.status).toBe(413)
    const large = flowRunEvent()
    large.payload = { blob: 'y'.repeat(1_500_000) }
    const ok = await post(server.url, { headers: auth, body: body(large) })
    expect(ok.status).toBe(200)
    expect(dispatched).toHaveLength(1)
    expect(dispatched[0]!.event.id).toBe(large.id)
  })

  it('answers 408 to a body that never ends, after the read timeout', async () => {
    const { server, dispatched, clock } = await setup(kind, { readTimeoutMs: 5_000 })
    const endless = postEndless(server.url, auth)
    try {
      await expect.poll(() => clock.pendingTimers).toBeGreaterThan(0)
      await clock.advanceAsync(5_000)
      const answer = await endless.answer
      expect(answer.status).toBe(408)
    } finally {
      endless.stop()
    }
    expect(dispatched).toHaveLength(0)
    const ok = await post(server.url, { headers: auth, body: body(flowRunEvent()) })
    expect(ok.status).toBe(200)
  })

  it.each([
    ['malformed JSON', '{"id": ', 400],
    ['an empty body', '', 400],
    ['bytes that are not UTF-8', new Uint8Array([0xff, 0xfe, 0x7b]), 400],
    ['JSON that is not an object', '[1, 2]', 422],
    ['JSON without an event', '{"hello": "world"}', 422],
    ['an event missing required fields', body({ event: 'prefect.flow-run.Completed' }), 422],
    [
      'an envelope whose event misses its id',
      body({ event: { ...flowRunEvent(), id: undefined } }),
      422,
    ],
  ] as const)('answers %s %i and dispatches nothing', async (_name, payload, status) => {
    const { server, dispatched } = await setup(kind)
    const answer = await post(server.url, { headers: auth, body: payload })
    expect(answer.status).toBe(status)
    expect(dispatched).toHaveLength(0)
  })

  it('answers the same delivery 200 again without dispatching it twice', async () => {
    const { server, dispatched } = await setup(kind)
    const event = flowRunEvent()
    expect((await post(server.url, { headers: auth, body: body(event) })).status).toBe(200)
    const again = await post(server.url, { headers: auth, body: body({ event }) })
    expect(again.status).toBe(200)
    expect(JSON.parse(again.body)).toEqual({ status: 'duplicate' })
    expect(dispatched).toHaveLength(1)
  })

  it('keys by event id and automation id: two automations on one event are two deliveries', async () => {
    const { server, dispatched } = await setup(kind)
    const event = flowRunEvent()
    for (const id of ['a1', 'a2', 'a1']) {
      await post(server.url, {
        headers: auth,
        body: body({ event, automation: { id, name: `auto ${id}` }, note: 'kept' }),
      })
    }
    expect(dispatched.map((d) => d.key)).toEqual([`${event.id}:a1`, `${event.id}:a2`])
    expect(dispatched[0]!.automation).toEqual({ id: 'a1', name: 'auto a1' })
    expect(dispatched[0]!.extra).toEqual({ note: 'kept' })
  })

  it('answers 409 + Retry-After while the first is still handled, not dispatching it', async () => {
    const { receiver, server } = await setup(kind)
    let release!: () => void
    const started: string[] = []
    receiver.onDelivery(async (delivery) => {
      started.push(delivery.key)
      await new Promise<void>((resolve) => (release = resolve))
    })
    const event = flowRunEvent()
    const first = post(server.url, { headers: auth, body: body(event) })
    await expect.poll(() => started.length).toBe(1)
    const second = await post(server.url, { headers: auth, body: body(event) })
    expect(second.status).toBe(409)
    expect(second.headers['retry-after']).toBe('1')
    release()
    expect((await first).status).toBe(200)
    expect(started).toHaveLength(1)
  })

  it('answers 500 when a handler throws, reports it, and dispatches the re-post', async () => {
    const { receiver, server, dispatched } = await setup(kind)
    let failures = 1
    receiver.onDelivery(() => {
      if (failures-- > 0) throw new Error('database down')
    })
    const errors: unknown[] = []
    receiver.onError((error) => errors.push(error))
    const event = flowRunEvent()
    const failed = await post(server.url, { headers: auth, body: body(event) })
    expect(failed.status).toBe(500)
    expect(failed.body).not.toContain('database')
    expect(errors).toEqual([new Error('database down')])
    const retried = await post(server.url, { headers: auth, body: body(event) })
    expect(retried.status).toBe(200)
    expect(JSON.parse(retried.body)).toEqual({ status: 'dispatched' })
    expect(dispatched).toHaveLength(2)
    const third = await post(server.url, { headers: auth, body: body(event) })
    expect(JSON.parse(third.body)).toEqual({ status: 'duplicate' })
  })

  it('dispatches 1,000 concurrent deliveries of 100 distinct events exactly 100 times', async () => {
    const { receiver, server } = await setup(kind)
    const counts = new Map<string, number>()
    receiver.onDelivery(async (delivery) => {
      counts.set(delivery.key, (counts.get(delivery.key) ?? 0) + 1)
      await new Promise((resolve) => setTimeout(resolve, 1))
    })
    const events = Array.from({ length: 100 }, () => flowRunEvent())
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        post(server.url, { headers: auth, body: body(events[i % 100]) }),
      ),
    )
    expect(counts.size).toBe(100)
    expect([...counts.values()].every((n) => n === 1)).toBe(true)
    const statuses = new Set(answers.map((a) => a.status))
    expect([...statuses].every((s) => s === 200 || s === 409)).toBe(true)
    expect(answers.filter((a) => a.body === '{"status":"dispatched"}')).toHaveLength(100)
  })
})

describe('a body parser mounted first (Express + express.json())', () => {
  it('still checks the shared secret and parses the parsed body', async () => {
    const { server, dispatched } = await setup('express+json')
    expect((await post(server.url, { body: body(flowRunEvent()) })).status).toBe(401)
    const answer = await post(server.url, { headers: auth, body: body(flowRunEvent()) })
    expect(answer.status).toBe(200)
    expect((await post(server.url, { headers: auth, body: '{"x": 1}' })).status).toBe(422)
    expect(dispatched).toHaveLength(1)
  })

  it('fails closed on HMAC (401) and logs once how to mount the handler', async () => {
    const errors: string[] = []
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (message: string) => errors.push(message),
    }
    const { server, dispatched } = await setup('express+json', {
      secrets: undefined,
      hmac: { secrets: ['whsec_c2VjcmV0LWtleQ=='] },
      logger,
    })
    for (let i = 0; i < 2; i++) {
      const answer = await post(server.url, { body: body(flowRunEvent()) })
      expect(answer.status).toBe(401)
    }
    expect(errors).toHaveLength(1)
    expect(errors[0]).toContain('before any body parser')
    expect(errors[0]).not.toContain('c2VjcmV0')
    expect(dispatched).toHaveLength(0)
  })
})
