// The emitter's and the webhook receiver's metrics, read back through the OpenTelemetry SDK.
import { flowcastMetrics as m, type EventInput } from '@flowcast/core'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { createWebhookReceiver, type WebhookRequest } from '@flowcast/webhook'
import { createEventsEmitter } from '@flowcast/websocket'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createOtelHarness } from './harness.js'

const cleanups: Array<() => Promise<unknown> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const order = (n: number): EventInput => ({
  event: 'shop.order.paid',
  resource: { 'prefect.resource.id': `shop.order.${n}` },
})

const eventsIn = {
  'messaging.system': 'prefect',
  'messaging.operation.name': 'send',
  'messaging.destination.name': 'events/in',
}

describe('@flowcast/otel: the events emitter', () => {
  it('counts events sent and confirmed, the outbox depth and checkpoint latency', async () => {
    const server = await createFakePrefectServer({ pingIntervalMs: 0 })
    cleanups.push(() => server.close())
    const otel = createOtelHarness()
    cleanups.push(() => otel.shutdown())
    const emitter = createEventsEmitter({
      apiUrl: server.apiUrl,
      WebSocket: WebSocket as never,
      profile: 'test',
      instrumentation: otel.instrumentation,
    })
    cleanups.push(() => emitter.close({ signal: AbortSignal.timeout(1000) }))
    for (let i = 0; i < 5; i++) emitter.emit(order(i))
    expect((await otel.collect()).value(m.emitterOutbox.name)).toBe(5)
    await emitter.flush()

    const collected = await otel.collect()
    expect(collected.points(m.sentMessages.name)).toEqual([{ attributes: eventsIn, value: 5 }])
    expect(collected.value(m.emitterConfirmed.name)).toBe(5)
    expect(collected.value(m.emitterResent.name)).toBe(0)
    expect(collected.value(m.emitterOutbox.name)).toBe(0)
    expect(collected.value(m.emitterCheckpointDuration.name)).toBe(emitter.stats.checkpoints)
    expect(collected.value(m.connections.name, { 'messaging.destination.name': 'events/in' })).toBe(
      1,
    )
  })
})

describe('@flowcast/otel: the webhook receiver', () => {
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
  const request = (body: unknown, headers: Record<string, string> = {}): WebhookRequest => ({
    method: 'POST',
    path: '/hook',
    header: (name) => headers[name],
    readBody: () =>
      Promise.resolve({ type: 'bytes', bytes: new TextEncoder().encode(JSON.stringify(body)) }),
  })

  it('counts deliveries by status and outcome, and duplicates', async () => {
    const otel = createOtelHarness()
    cleanups.push(() => otel.shutdown())
    const receiver = createWebhookReceiver({
      secrets: 's3cret',
      instrumentation: otel.instrumentation,
    })
    const auth = { authorization: 'Bearer s3cret' }
    expect((await receiver.handle(request(event, auth))).outcome).toBe('dispatched')
    expect((await receiver.handle(request(event, auth))).outcome).toBe('duplicate')
    expect((await receiver.handle(request(event))).status).toBe(401)

    const collected = await otel.collect()
    expect(collected.points(m.webhookDeliveries.name)).toEqual(
      expect.arrayContaining([
        {
          attributes: {
            'http.response.status_code': 200,
            'flowcast.webhook.outcome': 'dispatched',
          },
          value: 1,
        },
        {
          attributes: { 'http.response.status_code': 200, 'flowcast.webhook.outcome': 'duplicate' },
          value: 1,
        },
        {
          attributes: {
            'http.response.status_code': 401,
            'flowcast.webhook.outcome': 'unauthorized',
          },
          value: 1,
        },
      ]),
    )
    expect(collected.value(m.webhookDeliveries.name)).toBe(3)
    expect(collected.value(m.webhookDuplicates.name)).toBe(1)
  })
})
