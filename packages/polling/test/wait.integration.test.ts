// The hybrid waiter (core) over the real transports against the fake Prefect server on a
// real loopback port: WebSocket push + batched REST reads.
import {
  createManualClock,
  createRunWatcher,
  type RunWatcher,
  type RunWatcherOptions,
  type StateType,
} from '@flowcast/core'
import {
  createFakePrefectServer,
  type FakePrefectServer,
  type FakePrefectServerOptions,
} from '@flowcast/fake-server'
import { createWebSocketRunStateSource, type WebSocketRunStateSource } from '@flowcast/websocket'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import {
  createPollingRunStateSource,
  createPrefectClient,
  type PollingRunStateSource,
} from '../src/index.js'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function startServer(options: FakePrefectServerOptions = {}): Promise<FakePrefectServer> {
  const server = await createFakePrefectServer({ pingIntervalMs: 0, ...options })
  cleanups.push(() => server.close())
  return server
}

interface Hybrid {
  watcher: RunWatcher
  websocket: WebSocketRunStateSource
  polling: PollingRunStateSource
}

function hybrid(server: FakePrefectServer, tuning: Partial<RunWatcherOptions> = {}): Hybrid {
  const client = createPrefectClient({ apiUrl: server.apiUrl, retries: 0, timeoutMs: 5_000 })
  const polling = createPollingRunStateSource({ client })
  const websocket = createWebSocketRunStateSource({
    apiUrl: server.apiUrl,
    WebSocket: WebSocket as never,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
  })
  const watcher = createRunWatcher({
    sources: { push: websocket, pull: polling },
    fallbackPolling: { initialDelayMs: 50, maxDelayMs: 200, multiplier: 2 },
    ...tuning,
  })
  cleanups.push(async () => {
    watcher.close()
    polling.close()
    await websocket.close()
  })
  return { watcher, websocket, polling }
}

const until = async (check: () => boolean, timeoutMs = 5_000) => {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('waiting over WebSocket + REST against the fake server', () => {
  it('resolves via the read for a run that finished before the backfill window', async () => {
    const hoursAgo = Date.now() - 3 * 60 * 60_000
    const clock = createManualClock(hoursAgo)
    const server = await startServer({ clock })
    const deployment = server.createDeployment({ name: 'nightly' })
    const run = server.createFlowRun({ deploymentId: deployment.id })
    server.setFlowRunState(run.id, { type: 'RUNNING' }, { force: true })
    server.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    clock.advance(Date.now() - hoursAgo)
    const { watcher } = hybrid(server)
    const result = await watcher.wait(run.id, { timeoutMs: 10_000 })
    expect(result).toMatchObject({
      outcome: 'terminal',
      stateType: 'COMPLETED',
      stateName: 'Completed',
      source: 'polling',
    })
    await until(() => server.recorder.connections.some((c) => c.filters.length > 0))
    // The subscription was open, and the server replayed nothing that old.
    expect(server.recorder.connections[0]!.eventsSent).toBe(0)
  })

  it('learns a live terminal state from the WebSocket', async () => {
    const server = await startServer()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const { watcher } = hybrid(server)
    const names: string[] = []
    const result = watcher.wait(run.id, { timeoutMs: 10_000, onState: (o) => names.push(o.name) })
    await server.waitForSubscriber({ existing: true })
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', source: 'websocket' })
    expect(names).toEqual(['Scheduled', 'Pending', 'Running', 'Completed'])
  })

  it('falls back to polling when the WebSocket upgrade is refused with 403', async () => {
    const server = await startServer()
    server.faults.rejectUpgrades(403)
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const { watcher, websocket } = hybrid(server)
    const result = watcher.wait(run.id, { timeoutMs: 10_000 })
    await until(() => server.recorder.rejectedUpgrades.length > 0)
    expect(websocket.health).not.toBe('healthy')
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    await expect(result).resolves.toMatchObject({
      outcome: 'terminal',
      stateType: 'COMPLETED',
      source: 'polling',
    })
    expect(server.recorder.rejectedUpgrades[0]!.status).toBe(403)
  })

  it('reconciles via REST when the stream goes silent', async () => {
    const server = await startServer()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const { watcher, websocket } = hybrid(server, { reconcileIntervalMs: 300 })
    const result = watcher.wait(run.id, { timeoutMs: 10_000 })
    await server.waitForSubscriber({ existing: true })
    await until(() => websocket.health === 'healthy')
    server.faults.silence(true)
    server.setFlowRunState(run.id, { type: 'RUNNING' }, { force: true })
    server.setFlowRunState(run.id, { type: 'FAILED', name: 'TimedOut' }, { force: true })
    const settled = await result
    expect(settled).toMatchObject({
      outcome: 'terminal',
      stateType: 'FAILED',
      stateName: 'TimedOut',
      source: 'polling',
    })
    expect(websocket.health).toBe('healthy')
  })

  it('times out with the last known state', async () => {
    const server = await startServer()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    server.setFlowRunState(run.id, { type: 'RUNNING' }, { force: true })
    const { watcher } = hybrid(server)
    const result = await watcher.wait(run.id, { timeoutMs: 400 })
    expect(result).toMatchObject({ outcome: 'timeout', lastState: { type: 'RUNNING' } })
    expect(result.timings.elapsedMs).toBeGreaterThanOrEqual(400)
  })

  it('aborts on the signal', async () => {
    const server = await startServer()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const { watcher, websocket } = hybrid(server)
    const controller = new AbortController()
    const result = watcher.wait(run.id, { signal: controller.signal })
    await server.waitForSubscriber({ existing: true })
    controller.abort(new Error('shutting down'))
    await expect(result).resolves.toMatchObject({
      outcome: 'aborted',
      lastState: { type: 'SCHEDULED' },
    })
    expect(websocket.watchedRuns).toBe(0)
  })

  it('is not done at AwaitingRetry; resolves at the real end', async () => {
    const server = await startServer()
    const deployment = server.createDeployment({ retries: 1 })
    const run = server.createFlowRun({ deploymentId: deployment.id })
    const { watcher } = hybrid(server)
    const names: string[] = []
    let settled = false
    const result = watcher
      .wait(run.id, { timeoutMs: 10_000, onState: (o) => names.push(`${o.name}/${o.type}`) })
      .finally(() => (settled = true))
    await server.waitForSubscriber({ existing: true })
    for (const type of ['PENDING', 'RUNNING', 'FAILED'] as const) {
      server.setFlowRunState(run.id, { type, ...(type === 'FAILED' ? { message: 'boom' } : {}) })
    }
    await until(() => names.includes('AwaitingRetry/SCHEDULED'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(settled).toBe(false)
    for (const type of ['PENDING', 'RUNNING', 'COMPLETED'] as const)
      server.setFlowRunState(run.id, { type })
    await expect(result).resolves.toMatchObject({ outcome: 'terminal', stateType: 'COMPLETED' })
    expect(names).toContain('AwaitingRetry/SCHEDULED')
    expect(names.at(-1)).toBe('Completed/COMPLETED')
  })

  it(
    'resolves 10,000 concurrent waits over one WebSocket connection',
    { timeout: 60_000 },
    async () => {
      const server = await startServer({ subscriberBacklog: 1_000_000 })
      const deployment = server.createDeployment()
      const ids = Array.from(
        { length: 10_000 },
        () => server.createFlowRun({ deploymentId: deployment.id }).id,
      )
      const { watcher, websocket } = hybrid(server, { fallbackPolling: { initialDelayMs: 5_000 } })
      const ends: StateType[] = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED']
      const results = ids.map((id) => watcher.wait(id, { timeoutMs: 50_000 }))
      expect(watcher.activeWaits).toBe(10_000)
      await server.waitForSubscriber({ existing: true })
      await until(() => websocket.health === 'healthy', 30_000)
      // Let the initial reads (50 batched requests) answer first, so the states below are news.
      await until(
        () =>
          server.recorder.httpRequests.filter((r) => r.path.endsWith('/flow_runs/filter')).length >=
          50,
        30_000,
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      ids.forEach((id, i) => server.setFlowRunState(id, { type: ends[i % 4]! }, { force: true }))
      const settled = await Promise.all(results)
      settled.forEach((result, i) => {
        expect(result.outcome).toBe('terminal')
        if (result.outcome === 'terminal') expect(result.stateType).toBe(ends[i % 4])
      })
      // The states were published after the initial reads: the WebSocket reports most of them.
      expect(
        settled.filter((r) => r.outcome === 'terminal' && r.source === 'websocket').length,
      ).toBeGreaterThan(5_000)
      const outConnections = server.recorder.connections.filter((c) => c.kind === 'out')
      expect(outConnections).toHaveLength(1)
      expect(websocket.watchedRuns).toBe(0)
    },
  )
})

describe('polling cost', () => {
  it('1,000 polled runs cost one request per tick', { timeout: 60_000 }, async () => {
    const server = await startServer()
    const deployment = server.createDeployment()
    const ids = Array.from(
      { length: 1_000 },
      () => server.createFlowRun({ deploymentId: deployment.id }).id,
    )
    const client = createPrefectClient({ apiUrl: server.apiUrl, retries: 0 })
    // Ticks are driven by hand (pollNow), so the interval never fires on its own.
    const polling = createPollingRunStateSource({
      client,
      intervalMs: 3_600_000,
      maxIntervalMs: 3_600_000,
    })
    const watcher = createRunWatcher({
      sources: { push: polling, pull: polling },
      reconcileIntervalMs: Infinity,
    })
    cleanups.push(() => {
      watcher.close()
      polling.close()
    })
    const results = ids.map((id) => watcher.wait(id))
    // The initial reads: batched by 200.
    await until(() => polling.health === 'healthy')
    const filterRequests = () =>
      server.recorder.httpRequests.filter(
        (r) => r.method === 'POST' && r.path.endsWith('/flow_runs/filter'),
      )
    await until(() => filterRequests().length === 5)
    server.recorder.clear()
    for (let tick = 1; tick <= 3; tick++) {
      await polling.pollNow()
      expect(server.recorder.httpRequests).toHaveLength(tick)
    }
    for (const id of ids.slice(0, 100))
      server.setFlowRunState(id, { type: 'COMPLETED' }, { force: true })
    await polling.pollNow()
    expect(server.recorder.httpRequests).toHaveLength(4)
    expect(filterRequests()).toHaveLength(4)
    const done = await Promise.all(results.slice(0, 100))
    expect(done.every((r) => r.outcome === 'terminal' && r.source === 'polling')).toBe(true)
    expect(watcher.activeWaits).toBe(900)
    await polling.pollNow()
    const last = server.recorder.httpRequests.at(-1)!.body as {
      flow_runs: { id: { any_: string[] } }
    }
    expect(last.flow_runs.id.any_).toHaveLength(900)
  })
})
