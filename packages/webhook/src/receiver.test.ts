import { describe, expect, it, vi } from 'vitest'
import { createWebhookReceiver } from './receiver.js'
import type { IdempotencyStore } from './store.js'
import type { WebhookBody, WebhookRequest } from './types.js'

const event = {
  id: '0195f0d2-7a3c-7c2e-9f51-3a1b2c3d4e5f',
  occurred: '2026-11-29T12:00:00.000000Z',
  received: '2026-11-29T12:00:00.100000Z',
  event: 'prefect.flow-run.Completed',
  resource: {
    'prefect.resource.id': 'prefect.flow-run.7d2c3a6e-1b4f-4c8e-9a1d-2e3f4a5b6c7d',
    'prefect.state-type': 'COMPLETED',
  },
  related: [],
  payload: {},
}

function request(
  body: WebhookBody,
  overrides: Partial<Omit<WebhookRequest, 'readBody'>> & { headers?: Record<string, string> } = {},
) {
  const readBody = vi.fn(async () => body)
  const headers = overrides.headers ?? {}
  const req: WebhookRequest = {
    method: overrides.method ?? 'POST',
    path: overrides.path ?? '/hook',
    header: (name) => headers[name],
    readBody,
  }
  return { req, readBody }
}

const bytes = (value: unknown): WebhookBody => ({
  type: 'bytes',
  bytes: new TextEncoder().encode(JSON.stringify(value)),
})

describe('createWebhookReceiver pipeline', () => {
  it('answers 404 and 405 without reading the body', async () => {
    const receiver = createWebhookReceiver({ path: '/hook' })
    const offPath = request(bytes(event), { path: '/other' })
    expect((await receiver.handle(offPath.req)).status).toBe(404)
    const get = request(bytes(event), { method: 'GET' })
    const answer = await receiver.handle(get.req)
    expect(answer).toMatchObject({ status: 405, headers: { allow: 'POST' } })
    expect(offPath.readBody).not.toHaveBeenCalled()
    expect(get.readBody).not.toHaveBeenCalled()
  })

  it('answers 413 from Content-Length before reading', async () => {
    const receiver = createWebhookReceiver({ maxBodyBytes: 10 })
    const big = request(bytes(event), { headers: { 'content-length': '11' } })
    expect((await receiver.handle(big.req)).status).toBe(413)
    expect(big.readBody).not.toHaveBeenCalled()
  })

  it('checks the secret before parsing: a bad secret with a bad body is 401', async () => {
    const receiver = createWebhookReceiver({ secrets: 's' })
    const answer = await receiver.handle(request({ type: 'bytes', bytes: new Uint8Array([1]) }).req)
    expect(answer.status).toBe(401)
  })

  it('tells observers before handlers run, and waits for handlers before answering', async () => {
    const receiver = createWebhookReceiver()
    const order: string[] = []
    receiver.observe(() => order.push('observer'))
    receiver.onDelivery(async () => {
      order.push('handler start')
      await Promise.resolve()
      order.push('handler end')
    })
    const answer = await receiver.handle(request(bytes(event)).req)
    expect(answer.status).toBe(200)
    expect(order).toEqual(['observer', 'handler start', 'handler end'])
  })

  it('answers 503 + Retry-After when the store fails, without dispatching', async () => {
    const store: IdempotencyStore = {
      claim: async () => {
        throw new Error('ECONNREFUSED')
      },
      complete: async () => {},
      release: async () => {},
    }
    const receiver = createWebhookReceiver({ store })
    const handler = vi.fn()
    receiver.onDelivery(handler)
    const answer = await receiver.handle(request(bytes(event)).req)
    expect(answer).toMatchObject({ status: 503, headers: { 'retry-after': '1' } })
    expect(handler).not.toHaveBeenCalled()
  })

  it('runs terminal handlers only for terminal flow-run states', async () => {
    const receiver = createWebhookReceiver()
    const terminal = vi.fn()
    receiver.onFlowRunTerminal(terminal)
    const running = {
      ...event,
      id: '0195f0d2-7a3c-7c2e-9f51-3a1b2c3d4e60',
      resource: { ...event.resource, 'prefect.state-type': 'RUNNING' },
    }
    await receiver.handle(request(bytes(running)).req)
    expect(terminal).not.toHaveBeenCalled()
    await receiver.handle(request(bytes(event)).req)
    expect(terminal).toHaveBeenCalledTimes(1)
  })

  it('rejects bad options with INVALID_OPTIONS', () => {
    expect(() => createWebhookReceiver({ secrets: [''] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(() => createWebhookReceiver({ maxBodyBytes: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(() => createWebhookReceiver({ path: 'hook' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(() => createWebhookReceiver({ hmac: { secrets: 'whsec_!!' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })
})
