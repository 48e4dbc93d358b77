import { createFakePrefectServer } from '@flowcast/fake-server'
import { createFlowcast, type Flowcast } from 'flowcast'
import { expect, it } from 'vitest'

// The service under test (in your project, imported from your code): it starts the monthly
// report's deployment and says whether the run completed.
async function buildReport(flowcast: Flowcast, deploymentId: string, month: string) {
  const { flowRun, result } = await flowcast.runDeployment(deploymentId, {
    parameters: { month },
    body: { idempotency_key: `report-${month}` },
    wait: { timeoutMs: 60_000 },
  })
  return {
    flowRunId: flowRun.id,
    completed: result?.outcome === 'terminal' && result.stateType === 'COMPLETED',
  }
}

it('triggers a report run, sees it complete, and sent what Prefect needs', async () => {
  await using server = await createFakePrefectServer()
  // profile 'test': fast polling, short backoff and watchdogs (production timings otherwise).
  await using flowcast = createFlowcast({ apiUrl: server.apiUrl, env: {}, profile: 'test' })
  const deployment = server.createDeployment({ name: 'monthly-report' })

  // My service triggers a run ...
  const report = buildReport(flowcast, deployment.id, '2026-08')
  const run = await server.nextFlowRun({ deploymentId: deployment.id, timeoutMs: 5_000 })
  // ... I complete it ...
  await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
  // ... and my service saw it.
  expect(await report).toEqual({ flowRunId: run.id, completed: true })

  const [created] = server.recorder.createdFlowRuns
  expect(created?.request.body).toEqual({
    parameters: { month: '2026-08' },
    idempotency_key: 'report-2026-08',
  })
  expect(server.flowRuns({ deploymentId: deployment.id })).toHaveLength(1)
})

it('reports a failed run, also when only polling works', async () => {
  await using server = await createFakePrefectServer()
  await using flowcast = createFlowcast({
    apiUrl: server.apiUrl,
    env: {},
    profile: 'test',
    transport: 'polling',
  })
  const deployment = server.createDeployment()

  const report = buildReport(flowcast, deployment.id, '2026-09')
  const run = await server.nextFlowRun({ deploymentId: deployment.id, timeoutMs: 5_000 })
  await server.runLifecycle(run.id, ['Running', 'Failed'])

  expect(await report).toEqual({ flowRunId: run.id, completed: false })
})
