import { waitForFlowRun, type FlowRunStateObservation } from '@flowcast/core'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { describe, expect, it } from 'vitest'
import { createWebSocketRunStateSource } from '../src/index.node.js'
import { waitFor } from './helpers/util.js'

describe('WebSocket run-state source against the fake server', () => {
  it('serves 100 concurrent runs over one socket, each in order', async () => {
    await using server = await createFakePrefectServer()
    await using source = createWebSocketRunStateSource({ apiUrl: server.apiUrl })
    const deployment = server.createDeployment({ name: 'nightly' })
    const runs = Array.from({ length: 100 }, () =>
      server.createFlowRun({ deploymentId: deployment.id }),
    )
    const seen = new Map<string, FlowRunStateObservation[]>()
    for (const run of runs) {
      seen.set(run.id, [])
      source.watch(run.id, (observation) => seen.get(run.id)!.push(observation))
    }
    await waitFor(() => source.health === 'healthy', 'healthy')
    await Promise.all(
      runs.map((run) => server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])),
    )
    await waitFor(
      () => [...seen.values()].every((list) => list.at(-1)?.type === 'COMPLETED'),
      'every run to complete',
    )
    for (const run of runs) {
      const types = seen.get(run.id)!.map((o) => o.type)
      // The Scheduled state from createFlowRun comes through the 60 s backfill.
      expect(types).toEqual(['SCHEDULED', 'PENDING', 'RUNNING', 'COMPLETED'])
    }
    expect(server.recorder.connections.filter((c) => c.kind === 'out')).toHaveLength(1)
    const filter = server.recorder.connections[0]?.filters[0] as { event: unknown }
    expect(filter.event).toEqual({ prefix: ['prefect.flow-run.'] })
  })

  it('flowRunIds narrows the subscription to those runs; onEvent sees each raw event once', async () => {
    await using server = await createFakePrefectServer()
    const watched = server.createFlowRun()
    const other = server.createFlowRun()
    const raw: string[] = []
    await using source = createWebSocketRunStateSource({
      apiUrl: server.apiUrl,
      flowRunIds: [watched.id],
      onEvent: (event) => raw.push(`${event.resource['prefect.resource.id']} ${event.event}`),
    })
    const seen: string[] = []
    source.watch(watched.id, (observation) => seen.push(observation.type))
    source.watch(other.id, (observation) => seen.push(`other ${observation.type}`))
    await waitFor(() => source.health === 'healthy', 'healthy')
    await server.runLifecycle(other.id, ['Pending', 'Running', 'Completed'])
    await server.runLifecycle(watched.id, ['Pending', 'Completed'])
    await waitFor(() => seen.at(-1) === 'COMPLETED', 'the watched run to complete')
    expect(seen).toEqual(['SCHEDULED', 'PENDING', 'COMPLETED'])
    expect(raw).toEqual([
      `prefect.flow-run.${watched.id} prefect.flow-run.Scheduled`,
      `prefect.flow-run.${watched.id} prefect.flow-run.Pending`,
      `prefect.flow-run.${watched.id} prefect.flow-run.Completed`,
    ])
    const filter = server.recorder.connections[0]?.filters[0] as { resource: unknown }
    expect(filter.resource).toMatchObject({ id: [`prefect.flow-run.${watched.id}`] })
    expect(() => createWebSocketRunStateSource({ apiUrl: server.apiUrl, flowRunIds: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it("drives core's waitForFlowRun to a terminal outcome via 'websocket'", async () => {
    await using server = await createFakePrefectServer()
    await using source = createWebSocketRunStateSource({ apiUrl: server.apiUrl })
    const run = server.createFlowRun()
    const waiting = waitForFlowRun(run.id, { sources: { push: source }, timeoutMs: 5_000 })
    await waitFor(() => source.health === 'healthy')
    await server.runLifecycle(run.id, ['Pending', 'Running', 'TimedOut'])
    const result = await waiting
    expect(result).toMatchObject({
      outcome: 'terminal',
      stateType: 'FAILED',
      stateName: 'TimedOut',
      source: 'websocket',
    })
  })

  it('reports failed with AUTH_REJECTED, and degraded while the server restarts', async () => {
    await using server = await createFakePrefectServer({ authString: 'user:pass' })
    await using bad = createWebSocketRunStateSource({ apiUrl: server.apiUrl, authString: 'nope' })
    bad.watch('0190a000-0000-7000-8000-000000000001', () => {})
    await waitFor(() => bad.health === 'failed')
    expect(bad.lastError?.code).toBe('AUTH_REJECTED')

    await using good = createWebSocketRunStateSource({
      apiUrl: server.apiUrl,
      authString: 'user:pass',
      reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    })
    const healths: string[] = []
    good.onHealthChange((health) => healths.push(health))
    good.watch('0190a000-0000-7000-8000-000000000002', () => {})
    await waitFor(() => good.health === 'healthy')
    await server.faults.restart({ downMs: 50 })
    await waitFor(() => healths.includes('degraded') && good.health === 'healthy', 'recovery')
    expect(healths).toEqual(['healthy', 'degraded', 'healthy'])
  })
})
