// Exactly-once delivery and zero-loss emission against the fake Prefect server on a real port,
// with seeded drops, restarts and abrupt TCP drops.
import type { ReceivedEvent } from '@flowcast/core'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { createEventsEmitter, createEventsSubscriber } from '@flowcast/websocket'
import { describe, expect, it } from 'vitest'
import { figure, seededRandom, waitUntil } from './helpers.js'

const uuid = (prefix: string, i: number) =>
  `${prefix}-0000-7000-8000-${i.toString(16).padStart(12, '0')}`

describe('subscriber: exactly once across seeded drops', () => {
  it('50,000 events across 50 drops arrive with 0 lost and 0 duplicated', async () => {
    const rounds = 50
    const perRound = 1_000
    await using server = await createFakePrefectServer({ subscriberBacklog: 1_000_000 })
    const base = Date.now() - 12 * 60_000
    const seen = new Map<string, number>()
    let deliveries = 0
    const subscriber = createEventsSubscriber({
      apiUrl: server.apiUrl,
      lookbackMs: 13 * 60_000,
      resumeMarginMs: 1_000,
      reconnect: { initialDelayMs: 5, maxDelayMs: 50 },
      onEvent: (event: ReceivedEvent) => {
        deliveries++
        seen.set(event.id, (seen.get(event.id) ?? 0) + 1)
      },
    })
    await waitUntil(() => subscriber.state === 'open', 'the subscriber to open')
    await server.waitForSubscriber({ existing: true })
    const random = seededRandom(50)
    const started = Date.now()
    for (let round = 0; round < rounds; round++) {
      // Armed mid-batch: the socket drops after a seeded number of event frames.
      server.faults.dropConnections({
        path: '/events/out',
        afterEvents: 1 + Math.floor(random() * (perRound - 1)),
      })
      for (let j = 0; j < perRound; j++) {
        const i = round * perRound + j
        server.publishEvent({
          id: uuid('0190c000', i),
          event: 'reliability.exactly-once',
          occurred: new Date(base + i * 10).toISOString(),
          resource: { 'prefect.resource.id': `reliability.item.${i % 50}` },
        })
      }
      await waitUntil(
        () => subscriber.stats.reconnects >= round + 1 && seen.size === (round + 1) * perRound,
        `round ${round}: drop, reconnect and every event`,
      )
    }
    const total = rounds * perRound
    const duplicated = deliveries - seen.size
    figure('subscriber exactly-once', {
      events: total,
      drops: subscriber.stats.reconnects,
      lost: total - seen.size,
      duplicated,
      replayedDuplicatesDropped: subscriber.stats.duplicates,
      ms: Date.now() - started,
    })
    expect(seen.size).toBe(total)
    expect(duplicated).toBe(0)
    expect(subscriber.stats.reconnects).toBeGreaterThanOrEqual(rounds)
    await subscriber.close()
  })
})

describe('emitter: zero loss across restarts and abrupt drops', () => {
  it('20,000 events across 10 restarts and 10 TCP drops all reach the server', async () => {
    await using server = await createFakePrefectServer({ recorderLimit: 100_000 })
    const emitter = createEventsEmitter({
      apiUrl: server.apiUrl,
      checkpointEvery: 250,
      reconnect: { initialDelayMs: 5, maxDelayMs: 100 },
      closeTimeoutMs: 60_000,
    })
    const random = seededRandom(20)
    const started = Date.now()
    const ids: string[] = []
    for (let round = 0; round < 20; round++) {
      for (let j = 0; j < 1_000; j++) {
        const i = round * 1_000 + j
        ids.push(
          emitter.emit({
            id: uuid('0190d000', i),
            event: 'reliability.emitted',
            resource: { 'prefect.resource.id': `reliability.item.${i % 50}` },
          }).id,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 20)))
      if (round % 2 === 0) await server.faults.restart({ downMs: 20 })
      else server.faults.dropConnections({ path: '/events/in' })
      await emitter.flush({ timeoutMs: 60_000 })
    }
    await emitter.close()
    const received = new Set(server.recorder.receivedEvents.map((event) => event.id))
    const lost = ids.filter((id) => !received.has(id)).length
    figure('emitter zero-loss', {
      events: ids.length,
      restarts: 10,
      tcpDrops: 10,
      lost,
      storedTwice: server.recorder.receivedEvents.length - received.size,
      resent: emitter.stats.resent,
      arrivalsIncludingResends: server.recorder.eventArrivals.length,
      sockets: emitter.stats.connections,
      ms: Date.now() - started,
    })
    expect(lost).toBe(0)
    expect(server.recorder.receivedEvents).toHaveLength(ids.length)
    expect(emitter.stats.connections).toBeGreaterThanOrEqual(20)
  })
})
