import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import type { FlowRunFollow } from '@flowcast/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFlowcast, type Flowcast } from './flowcast.js'
import { followFlowRun } from './follow.js'
import { composeLogs } from './transport.js'
import type * as transportModule from './transport.js'

// Counts the logs compositions made, to see every follow of an instance share one.
vi.mock('./transport.js', async (importOriginal) => {
  const actual = await importOriginal<typeof transportModule>()
  return { ...actual, composeLogs: vi.fn(actual.composeLogs) }
})

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  vi.mocked(composeLogs).mockClear()
})

async function fake(): Promise<FakePrefectServer> {
  const server = await createFakePrefectServer({ pingIntervalMs: 0 })
  cleanups.push(() => server.close())
  return server
}

function track(flowcast: Flowcast): Flowcast {
  cleanups.push(() => flowcast.close())
  return flowcast
}

async function collect(follow: FlowRunFollow): Promise<string[]> {
  const seen: string[] = []
  for await (const item of follow) {
    seen.push(item.type === 'log' ? `log:${item.log.message}` : `state:${item.state.type}`)
  }
  return seen
}

describe('followFlowRun', () => {
  it('yields states and logs of one run, each log once, then ends with the outcome', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const follow = followFlowRun(flowcast, run.id, { stragglerMs: 500 })
    await server.waitForSubscriber()
    await server.logs.waitForSubscriber({ existing: true })
    await server.runLifecycle(run.id, ['Running', { log: 'one' }, { log: 'two' }, 'Completed'])
    const seen = await collect(follow)
    const result = await follow.result
    expect(result).toMatchObject({ outcome: 'terminal', stateType: 'COMPLETED' })
    expect(seen.filter((s) => s.startsWith('log:'))).toEqual(['log:one', 'log:two'])
    expect(seen).toContain('state:COMPLETED')
    expect(follow.endSeenLive).toBe(true)
  })

  it('shares the watcher of waitForFlowRun: one events socket for a wait and a follow', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const waited = flowcast.waitForFlowRun(run.id)
    const follow = followFlowRun(flowcast, run.id, { stragglerMs: 0 })
    await server.waitForSubscriber()
    await server.runLifecycle(run.id, ['Running', 'Completed'])
    await expect(waited).resolves.toMatchObject({ outcome: 'terminal', source: 'websocket' })
    await expect(follow.result).resolves.toMatchObject({ outcome: 'terminal' })
    expect(server.recorder.connections.filter((c) => c.kind === 'out')).toHaveLength(1)
  })

  it('logs: false follows states only: no logs socket, no REST logs read', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const follow = followFlowRun(flowcast, run.id, { logs: false, stragglerMs: 0 })
    await server.waitForSubscriber()
    await server.runLifecycle(run.id, ['Running', { log: 'unseen' }, 'Completed'])
    expect(await collect(follow)).toEqual(['state:SCHEDULED', 'state:RUNNING', 'state:COMPLETED'])
    expect(server.logs.subscribers).toBe(0)
    expect(server.recorder.connections.filter((c) => c.path.endsWith('/logs/out'))).toEqual([])
    expect(server.recorder.httpRequests.filter((r) => r.path.endsWith('/logs/filter'))).toEqual([])
    expect(composeLogs).not.toHaveBeenCalled()
  })

  it('refuses anything createFlowcast did not make with INVALID_OPTIONS', async () => {
    const server = await fake()
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    for (const notFlowcast of [{ ...flowcast }, Object.create(flowcast), {}, null, 'flowcast']) {
      expect(() => followFlowRun(notFlowcast as Flowcast, 'run-id')).toThrow(
        expect.objectContaining({
          code: 'INVALID_OPTIONS',
          message: expect.stringContaining('an instance made by createFlowcast'),
        }),
      )
    }
    expect(server.recorder.connections).toEqual([])
  })

  it('refuses a closed instance with CLOSED and opens nothing', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const flowcast = createFlowcast({ apiUrl: server.apiUrl, env: {} })
    await flowcast.close()
    expect(() => followFlowRun(flowcast, run.id)).toThrow(
      expect.objectContaining({ code: 'CLOSED' }),
    )
    expect(composeLogs).not.toHaveBeenCalled()
    expect(server.recorder.connections).toEqual([])
  })

  it('flowcast.close() closes the logs socket a follow still holds (straggler window)', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const flowcast = createFlowcast({ apiUrl: server.apiUrl, env: {} })
    const controller = new AbortController()
    cleanups.push(async () => {
      controller.abort()
      await flowcast.close()
    })
    // A long window: the follow keeps its logs socket for a minute after the end.
    const follow = followFlowRun(flowcast, run.id, {
      stragglerMs: 60_000,
      signal: controller.signal,
    })
    await server.waitForSubscriber()
    await server.logs.waitForSubscriber({ existing: true })
    await server.runLifecycle(run.id, ['Running', { log: 'one' }, 'Completed'])
    for await (const item of follow) {
      if (item.type === 'state' && item.state.type === 'COMPLETED') break
    }
    expect(server.logs.subscribers).toBe(1)
    await flowcast.close()
    await vi.waitFor(() => expect(server.logs.subscribers).toBe(0), { timeout: 5_000 })
    controller.abort()
    await expect(follow.result).resolves.toMatchObject({ outcome: 'terminal' })
  })

  it('every follow of an instance shares one set of logs sources', async () => {
    const server = await fake()
    const deployment = server.createDeployment()
    const [a, b] = [0, 1].map(() => server.createFlowRun({ deploymentId: deployment.id }))
    const flowcast = track(createFlowcast({ apiUrl: server.apiUrl, env: {} }))
    const follows = [a!, b!].map((run) => followFlowRun(flowcast, run.id, { stragglerMs: 200 }))
    await vi.waitFor(() => expect(server.logs.subscribers).toBe(2), { timeout: 5_000 })
    expect(composeLogs).toHaveBeenCalledTimes(1)
    const seen = follows.map((follow) => collect(follow))
    await server.runLifecycle(a!.id, ['Running', { log: 'from a' }, 'Completed'])
    await server.runLifecycle(b!.id, ['Running', { log: 'from b' }, 'Failed'])
    const [seenA, seenB] = await Promise.all(seen)
    expect(seenA!.filter((s) => s.startsWith('log:'))).toEqual(['log:from a'])
    expect(seenB!.filter((s) => s.startsWith('log:'))).toEqual(['log:from b'])
    // A follow after the others ended still uses the same sources.
    await followFlowRun(flowcast, a!.id, { stragglerMs: 0 }).result
    expect(composeLogs).toHaveBeenCalledTimes(1)
  })
})
