// 200,000 events offered to a subscriber with no consumer, and with a slow one: every queue
// stays bounded by count (CI), heap growth is printed (asserted under FLOWCAST_SOAK=1).
import { createEventsSubscriber, subscriberDefaults } from '@flowcast/websocket'
import { afterEach, describe, expect, it } from 'vitest'
import {
  figure,
  firehoseIndex,
  heapMiB,
  soak,
  startFirehose,
  waitUntil,
  type Firehose,
} from './helpers.js'

const total = 200_000
const maxQueued = subscriberDefaults.maxQueuedEvents
/** Soak thresholds: heap growth with nobody reading (10,000 events held). */
const idleHeapBoundMiB = 64
/**
 * … and while 200,000 events pass through a slow consumer: at most 10,000 queued events plus
 * the dedupe window, which by design remembers up to 200,000 ids (about 32 MiB).
 */
const slowHeapBoundMiB = 96
let hose: Firehose | undefined
afterEach(async () => {
  await hose?.close()
  hose = undefined
})

describe('memory under 200,000 events', () => {
  it('with no consumer: holds at most maxQueuedEvents and stops reading', async () => {
    const base = Date.now() - 10 * 60_000
    hose = await startFirehose(total, base)
    const before = await heapMiB()
    const subscriber = createEventsSubscriber({ apiUrl: hose.apiUrl, lookbackMs: 11 * 60_000 })
    await waitUntil(() => subscriber.stats.pauses === 1, 'the subscriber to pause')
    await new Promise((resolve) => setTimeout(resolve, 300))
    const after = await heapMiB()
    figure('no consumer', {
      offered: total,
      held: subscriber.stats.queued,
      highWater: subscriber.stats.queuedHighWater,
      sockets: hose.connections,
      heapGrowthMiB: Math.round((after - before) * 10) / 10,
    })
    expect(subscriber.stats.queued).toBe(maxQueued)
    expect(subscriber.stats.queuedHighWater).toBe(maxQueued)
    expect(subscriber.state).toBe('reconnecting')
    expect(hose.connections).toBe(1)
    if (soak) expect(after - before).toBeLessThan(idleHeapBoundMiB)
    await subscriber.close()
  })

  it('with a slow consumer: every event once, in order, the queue never past its bound', async () => {
    const base = Date.now() - 10 * 60_000
    hose = await startFirehose(total, base)
    const before = await heapMiB()
    const subscriber = createEventsSubscriber({
      apiUrl: hose.apiUrl,
      lookbackMs: 11 * 60_000,
      resumeMarginMs: 1_000,
    })
    const started = Date.now()
    let next = 0
    let outOfOrder = 0
    let peakHeap = 0
    for await (const event of subscriber) {
      if (firehoseIndex(event.id) !== next) outOfOrder++
      next++
      // Slower than the socket: yield to the event loop after each event.
      await new Promise((resolve) => setImmediate(resolve))
      if (next % 20_000 === 0) {
        ;(globalThis as { gc?: () => void }).gc?.()
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
      }
      if (next === total) break
    }
    const after = await heapMiB()
    const peakGrowth = Math.round((peakHeap / 1024 / 1024 - before) * 10) / 10
    figure('slow consumer', {
      delivered: next,
      outOfOrder,
      duplicatesDropped: subscriber.stats.duplicates,
      pauses: subscriber.stats.pauses,
      highWater: subscriber.stats.queuedHighWater,
      framesSent: hose.sent,
      sockets: hose.connections,
      peakHeapGrowthMiB: peakGrowth,
      heapGrowthMiB: Math.round((after - before) * 10) / 10,
      ms: Date.now() - started,
    })
    expect(next).toBe(total)
    expect(outOfOrder).toBe(0)
    expect(subscriber.stats.events).toBe(total)
    expect(subscriber.stats.queuedHighWater).toBeLessThanOrEqual(maxQueued)
    if (soak) expect(peakGrowth).toBeLessThan(slowHeapBoundMiB)
  })
})
