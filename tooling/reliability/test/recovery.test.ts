// Bounded waits and recovery: an emitter closing against an unreachable server settles by its
// deadline, and a hybrid waiter blocked by a 403 proxy returns to the WebSocket.
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import { createDedupeWindow, dedupeWindowDefaults, isFlowcastError } from '@flowcast/core'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { createEventsEmitter, emitterDefaults } from '@flowcast/websocket'
import { createFlowcast } from 'flowcast'
import { describe, expect, it } from 'vitest'
import { figure, heapMiB, soak, waitUntil } from './helpers.js'

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('an unreachable server', () => {
  it('emitter close (and `await using`) settles by its deadline, handing back the events', async () => {
    const apiUrl = `http://127.0.0.1:${await closedPort()}/api`
    const closeTimeoutMs = soak ? emitterDefaults.closeTimeoutMs : 2_000
    const started = Date.now()
    let caught: unknown
    let emitted: string[] = []
    try {
      await using emitter = createEventsEmitter({ apiUrl, closeTimeoutMs })
      emitted = [1, 2, 3].map(
        (n) =>
          emitter.emit({
            event: 'reliability.unsent',
            resource: { 'prefect.resource.id': `r.${n}` },
          }).id,
      )
    } catch (error) {
      caught = error
    }
    const elapsed = Date.now() - started
    figure('unreachable emitter close', { deadlineMs: closeTimeoutMs, settledAfterMs: elapsed })
    expect(isFlowcastError(caught, 'TIMEOUT')).toBe(true)
    const events = (caught as { details: { events: { id: string }[] } }).details.events
    expect(events.map((event) => event.id)).toEqual(emitted)
    expect(emitterDefaults.closeTimeoutMs).toBe(10_000)
    if (soak) expect(elapsed).toBeLessThan(closeTimeoutMs + 2_000)
  })
})

describe('the hybrid waiter after a 403 on the upgrade', () => {
  it('learns by polling while blocked, then returns to the WebSocket once it recovers', async () => {
    await using server = await createFakePrefectServer()
    server.faults.rejectUpgrades(403)
    await using flowcast = createFlowcast({
      apiUrl: server.apiUrl,
      env: {},
      websocket: { reprobeIntervalMs: 300 },
      waiting: { fallbackPolling: { initialDelayMs: 100, maxDelayMs: 300 } },
    })
    const deployment = server.createDeployment()
    const blocked = server.createFlowRun({ deploymentId: deployment.id })
    const first = flowcast.waitForFlowRun(blocked.id, { timeoutMs: 30_000 })
    await waitUntil(() => server.recorder.rejectedUpgrades.length > 0, 'the refused upgrade')
    await server.runLifecycle(blocked.id, ['Pending', 'Running', 'Completed'])
    const during = await first
    expect(during).toMatchObject({ outcome: 'terminal', source: 'polling' })

    server.faults.rejectUpgrades(null)
    const unblockedAt = Date.now()
    await new Promise((resolve) => setTimeout(resolve, 600))
    const later = server.createFlowRun({ deploymentId: deployment.id })
    const second = flowcast.waitForFlowRun(later.id, { timeoutMs: 30_000 })
    await server.waitForSubscriber({ existing: true })
    const recoveredAfterMs = Date.now() - unblockedAt
    await server.runLifecycle(later.id, ['Pending', 'Running', 'Completed'])
    const after = await second
    figure('hybrid recovery after 403', {
      firstSource: during.outcome === 'terminal' ? during.source : during.outcome,
      secondSource: after.outcome === 'terminal' ? after.source : after.outcome,
      refusedUpgrades: server.recorder.rejectedUpgrades.length,
      recoveredAfterMs,
    })
    expect(after).toMatchObject({ outcome: 'terminal', source: 'websocket' })
  })
})

describe('dedupe under 200,000 distinct ids', () => {
  it('remembers at most maxEntries ids and still recognises recent repeats', async () => {
    const before = await heapMiB()
    const window = createDedupeWindow({ maxEntries: dedupeWindowDefaults.maxEntries })
    let firstSeen = 0
    const total = 400_000
    for (let i = 0; i < total; i++) {
      if (window.firstSeen(`0190e000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`))
        firstSeen++
    }
    let repeats = 0
    for (let i = total - 1_000; i < total; i++) {
      if (!window.firstSeen(`0190e000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`))
        repeats++
    }
    const after = await heapMiB()
    figure('dedupe window', {
      distinctIds: total,
      remembered: window.size,
      cap: dedupeWindowDefaults.maxEntries,
      recentRepeatsRecognised: repeats,
      heapMiB: Math.round((after - before) * 10) / 10,
    })
    expect(firstSeen).toBe(total)
    expect(window.size).toBeLessThanOrEqual(dedupeWindowDefaults.maxEntries)
    expect(repeats).toBe(1_000)
  })
})
