import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createRunWatcher } from '@flowcast/core'
import {
  createWebhookReceiver,
  createWebhookRunStateSource,
  type WebhookDelivery,
} from '../src/index.js'
import { createRedisFanout, createRedisIdempotencyStore, type RedisFanout } from '../src/redis.js'
import { flowRunEvent, post, startRedis, type RedisServer } from './helpers.js'
import { mount, type Mounted } from './servers.js'

let redis: RedisServer
beforeAll(async () => {
  redis = await startRedis()
})
afterAll(async () => {
  await redis?.stop()
})

const opened: Mounted[] = []
const fanouts: RedisFanout[] = []
afterEach(async () => {
  for (const server of opened.splice(0)) await server.close()
  for (const fanout of fanouts.splice(0)) await fanout.close()
})

/** One service instance: its own receiver and port, sharing the Redis server. */
async function instance(kind: 'node:http' | 'hono', keyPrefix: string) {
  const client = redis.client()
  const fanout = createRedisFanout({ redis: client, channel: `${keyPrefix}deliveries` })
  fanouts.push(fanout)
  await fanout.ready()
  const receiver = createWebhookReceiver({
    path: '/hook',
    secrets: 's3cret',
    store: createRedisIdempotencyStore({ redis: client, keyPrefix }),
    fanout,
  })
  const dispatched: WebhookDelivery[] = []
  receiver.onDelivery((delivery) => {
    dispatched.push(delivery)
  })
  const server = await mount(kind, receiver)
  opened.push(server)
  return { receiver, server, dispatched, client }
}

const auth = { authorization: 'Bearer s3cret' }

describe('two receivers on two ports sharing one redis-server', () => {
  it('dispatches the same event posted to both exactly once', async () => {
    const prefix = `t1:${crypto.randomUUID()}:`
    const a = await instance('node:http', prefix)
    const b = await instance('hono', prefix)
    const event = flowRunEvent()
    const first = await post(a.server.url, { headers: auth, body: JSON.stringify(event) })
    const second = await post(b.server.url, { headers: auth, body: JSON.stringify(event) })
    expect([first.status, second.status]).toEqual([200, 200])
    expect(JSON.parse(second.body)).toEqual({ status: 'duplicate' })
    expect(a.dispatched.length + b.dispatched.length).toBe(1)
    expect(await a.client.get(`${prefix}${event.id}`)).toBe('done')
    expect(await a.client.pttl(`${prefix}${event.id}`)).toBeGreaterThan(86_000_000)
  })

  it('dispatches 1,000 concurrent deliveries of 100 events, spread over both, 100 times', async () => {
    const prefix = `t2:${crypto.randomUUID()}:`
    const a = await instance('node:http', prefix)
    const b = await instance('node:http', prefix)
    const events = Array.from({ length: 100 }, () => flowRunEvent())
    const answers = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        post((i % 2 === 0 ? a : b).server.url, {
          headers: auth,
          body: JSON.stringify(events[i % 100]),
        }),
      ),
    )
    const keys = [...a.dispatched, ...b.dispatched].map((d) => d.key)
    expect(keys).toHaveLength(100)
    expect(new Set(keys).size).toBe(100)
    expect(answers.every((x) => x.status === 200 || x.status === 409)).toBe(true)
  })

  it('answers 409 on the other instance while the first handles it, and releases a failed claim', async () => {
    const prefix = `t3:${crypto.randomUUID()}:`
    const a = await instance('node:http', prefix)
    const b = await instance('node:http', prefix)
    let release!: () => void
    let failNext = true
    a.receiver.onDelivery(async () => {
      await new Promise<void>((resolve) => (release = resolve))
      if (failNext) {
        failNext = false
        throw new Error('boom')
      }
    })
    const event = flowRunEvent()
    const first = post(a.server.url, { headers: auth, body: JSON.stringify(event) })
    await expect.poll(() => release !== undefined).toBe(true)
    const meanwhile = await post(b.server.url, { headers: auth, body: JSON.stringify(event) })
    expect(meanwhile.status).toBe(409)
    expect(meanwhile.headers['retry-after']).toBe('1')
    release()
    expect((await first).status).toBe(500)
    expect(await a.client.get(`${prefix}${event.id}`)).toBeNull()
    const repost = await post(b.server.url, { headers: auth, body: JSON.stringify(event) })
    expect(repost.status).toBe(200)
    expect(b.dispatched.map((d) => d.event.id)).toEqual([event.id])
  })

  it('resolves a waiter on one instance from a delivery to the other', async () => {
    const prefix = `t4:${crypto.randomUUID()}:`
    const a = await instance('node:http', prefix)
    const b = await instance('hono', prefix)
    const source = createWebhookRunStateSource({ receiver: b.receiver })
    const watcher = createRunWatcher({ sources: { push: source } })
    const flowRunId = crypto.randomUUID()
    const waiting = watcher.wait(flowRunId, { timeoutMs: 10_000 })
    const running = flowRunEvent({ flowRunId, type: 'RUNNING', occurred: '2026-11-29T12:00:00Z' })
    const done = flowRunEvent({
      flowRunId,
      type: 'FAILED',
      name: 'TimedOut',
      occurred: '2026-11-29T12:00:05Z',
    })
    await post(a.server.url, { headers: auth, body: JSON.stringify(running) })
    await post(a.server.url, { headers: auth, body: JSON.stringify(done) })
    const result = await waiting
    expect(result).toMatchObject({
      outcome: 'terminal',
      stateType: 'FAILED',
      stateName: 'TimedOut',
      source: 'webhook',
    })
    expect(b.dispatched).toHaveLength(0)
    watcher.close()
    source.close()
  })
})
