// A server that answers auth_success and drops at once. Under an injected clock the attempts
// follow the backoff schedule exactly (CI); the limits end it; FLOWCAST_SOAK=1 also runs a
// real minute against it and asserts attempts per minute.
import type { AddressInfo } from 'node:net'
import { computeBackoffDelay, createManualClock, type BackoffPolicy } from '@flowcast/core'
import { createEventsSubscriber, reconnectDefaults } from '@flowcast/websocket'
import { WebSocketServer } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { figure, seededRandom, soak, waitUntil } from './helpers.js'

let server: WebSocketServer
let apiUrl: string
let accepted = 0
beforeAll(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  server.on('connection', (socket) => {
    accepted++
    socket.on('message', () => {
      socket.send(JSON.stringify({ type: 'auth_success' }))
      socket.terminate()
    })
  })
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const policy: BackoffPolicy = {
  initialDelayMs: reconnectDefaults.initialDelayMs,
  maxDelayMs: reconnectDefaults.maxDelayMs,
  multiplier: reconnectDefaults.multiplier,
  jitter: reconnectDefaults.jitter,
}

describe('a flapping server (auth_success, then an immediate drop)', () => {
  it('attempts follow the backoff schedule under an injected clock', async () => {
    const seed = 20_260_820
    const clock = createManualClock(Date.now())
    const t0 = clock.now()
    const subscriber = createEventsSubscriber({
      apiUrl,
      clock,
      random: seededRandom(seed),
      connectTimeoutMs: 600_000,
    })
    const attempts = [t0]
    const minuteMs = 60_000
    let lastError = subscriber.lastError
    for (;;) {
      const count = subscriber.stats.connections
      // Each drop the client notices is a new lastError.
      await waitUntil(() => subscriber.lastError !== lastError, `drop of attempt ${count}`)
      lastError = subscriber.lastError
      while (subscriber.stats.connections === count && clock.now() - t0 < minuteMs) {
        clock.advance(10)
      }
      if (subscriber.stats.connections === count) break
      attempts.push(clock.now())
    }
    await subscriber.close()
    const expected = seededRandom(seed)
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!)
    gaps.forEach((gap, n) => {
      const delay = computeBackoffDelay(n, policy, expected)
      // The loop advances on a 10 ms grid.
      expect(gap - delay).toBeGreaterThanOrEqual(0)
      expect(gap - delay).toBeLessThanOrEqual(10)
    })
    figure('flapping, injected clock', {
      attemptsPerMinute: attempts.length,
      gapsMs: gaps.join('/'),
      issueBaselinePer30s: 116,
    })
    // With resets on every auth_success the gaps would stay under 500 ms: ~120+ per minute.
    expect(attempts.length).toBeLessThan(20)
  })

  it('maxAttempts and maxDowntimeMs end it with CONNECT_FAILED', async () => {
    const byAttempts = createEventsSubscriber({
      apiUrl,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 },
    })
    await waitUntil(() => byAttempts.state === 'closed', 'maxAttempts to end it')
    expect(byAttempts.error?.code).toBe('CONNECT_FAILED')
    expect(byAttempts.stats.connections).toBe(4)

    const started = Date.now()
    const byDowntime = createEventsSubscriber({
      apiUrl,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxDowntimeMs: 500 },
    })
    await waitUntil(() => byDowntime.state === 'closed', 'maxDowntimeMs to end it', 30_000)
    expect(byDowntime.error?.message).toMatch(/could not connect for \d+ ms/)
    figure('flapping, limits', {
      maxAttempts3Sockets: byAttempts.stats.connections,
      maxDowntime500Sockets: byDowntime.stats.connections,
      maxDowntime500EndedAfterMs: Date.now() - started,
    })
  })

  it.runIf(soak)('soak: a real minute stays under the backoff bound', async () => {
    const before = accepted
    const subscriber = createEventsSubscriber({ apiUrl })
    await new Promise((resolve) => setTimeout(resolve, 60_000))
    await subscriber.close()
    const perMinute = accepted - before
    figure('flapping, real minute', { attemptsPerMinute: perMinute })
    expect(perMinute).toBeLessThanOrEqual(15)
  })
})
