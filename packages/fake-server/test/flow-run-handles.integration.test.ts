import { createManualClock, isFlowcastError } from '@flowcast/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { api } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const create = (deploymentId: string, body: Record<string, unknown> = {}) =>
  api(server.apiUrl, `/deployments/${deploymentId}/create_flow_run`, { body })

describe('flow-run handles', () => {
  it('hands out a run created before the call, then waits for the next one', async () => {
    server = await createFakePrefectServer()
    const deployment = server.createDeployment()
    const first = await create(deployment.id, { parameters: { n: 1 } })
    expect(first.status).toBe(201)
    const taken = await server.nextFlowRun({ deploymentId: deployment.id })
    expect(taken.id).toBe((first.body as { id: string }).id)

    const next = server.nextFlowRun({ deploymentId: deployment.id })
    const second = await create(deployment.id, { parameters: { n: 2 } })
    expect((await next).id).toBe((second.body as { id: string }).id)
    expect((await next).parameters).toEqual({ n: 2 })
  })

  it('gives each run to one call, by deployment, and skips runs the test created itself', async () => {
    server = await createFakePrefectServer()
    const a = server.createDeployment({ name: 'a' })
    const b = server.createDeployment({ name: 'b' })
    server.createFlowRun({ deploymentId: a.id }) // the test holds this one already
    const forA1 = server.nextFlowRun({ deploymentId: a.id })
    const forA2 = server.nextFlowRun({ deploymentId: a.id })
    const forB = server.nextFlowRun({ deploymentId: b.id })
    const runB = (await create(b.id)).body as { id: string }
    const runA1 = (await create(a.id)).body as { id: string }
    const runA2 = (await create(a.id)).body as { id: string }
    expect((await forB).id).toBe(runB.id)
    expect((await forA1).id).toBe(runA1.id)
    expect((await forA2).id).toBe(runA2.id)
    expect(server.flowRuns({ deploymentId: a.id })).toHaveLength(3)
    expect(server.flowRuns({ deploymentId: b.id }).map((r) => r.id)).toEqual([runB.id])
    expect(server.flowRuns()).toHaveLength(4)
    expect(server.flowRuns({ where: (r) => r.id === runA2.id })).toHaveLength(1)
  })

  it('does not queue an idempotent repeat, and records every create with its response body', async () => {
    server = await createFakePrefectServer()
    const deployment = server.createDeployment()
    const first = await create(deployment.id, { idempotency_key: 'order-42' })
    const repeat = await create(deployment.id, { idempotency_key: 'order-42' })
    expect([first.status, repeat.status]).toEqual([201, 200])
    const records = server.recorder.createdFlowRuns
    expect(records.map((r) => [r.status, r.created])).toEqual([
      [201, true],
      [200, false],
    ])
    expect(records[0]!.flowRun).toEqual(first.body)
    expect(records[1]!.flowRun.id).toBe(records[0]!.flowRun.id)
    expect(records[0]!.deploymentId).toBe(deployment.id)
    expect(records[0]!.request.body).toEqual({ idempotency_key: 'order-42' })
    expect(server.recorder.httpRequests).toContain(records[0]!.request)
    await server.nextFlowRun()
    const controller = new AbortController()
    const none = server.nextFlowRun({ signal: controller.signal })
    controller.abort()
    await expect(none).rejects.toSatisfy((e) => isFlowcastError(e, 'ABORTED'))
  })

  it('times out on server time with a message naming what was created', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
    server = await createFakePrefectServer({ clock, pingIntervalMs: 0 })
    const a = server.createDeployment()
    const b = server.createDeployment()
    await create(b.id)
    const waiting = server.nextFlowRun({ deploymentId: a.id, timeoutMs: 5_000 })
    const outcome = waiting.then(
      () => 'resolved',
      (error: unknown) => error,
    )
    clock.advance(4_999)
    await Promise.resolve()
    clock.advance(1)
    const error = await outcome
    expect(isFlowcastError(error, 'TIMEOUT')).toBe(true)
    expect((error as Error).message).toContain(`wanted a run of deployment ${a.id}`)
    expect((error as Error).message).toContain(`1 not taken: `)
    expect((error as Error).message).toContain(`(deployment ${b.id})`)
    await expect(server.nextFlowRun({ timeoutMs: -1 })).rejects.toSatisfy((e) =>
      isFlowcastError(e, 'INVALID_OPTIONS'),
    )
  })

  it('rejects waiting calls with CLOSED when the server closes', async () => {
    server = await createFakePrefectServer()
    const waiting = server.nextFlowRun()
    await server.close()
    await expect(waiting).rejects.toSatisfy((e) => isFlowcastError(e, 'CLOSED'))
    await expect(server.nextFlowRun()).rejects.toSatisfy((e) => isFlowcastError(e, 'CLOSED'))
  })

  it('forgets queued runs on reset and clears the created-runs record', async () => {
    server = await createFakePrefectServer()
    const deployment = server.createDeployment()
    await create(deployment.id)
    server.recorder.clear()
    expect(server.recorder.createdFlowRuns).toHaveLength(0)
    server.reset()
    const again = server.createDeployment()
    const next = server.nextFlowRun()
    const created = (await create(again.id)).body as { id: string }
    expect((await next).id).toBe(created.id)
  })
})
