// The three ways to wait for a flow run, against the fake Prefect server (no network).
// Run after `pnpm build`: node packages/flowcast/examples/three-ways-to-wait.mjs
import { createFakePrefectServer } from '@flowcast/fake-server'
import { createFlowcast } from 'flowcast'

const server = await createFakePrefectServer()
const deployment = server.createDeployment({ flowName: 'etl', name: 'nightly' })

async function waitOnce(label, options, { blockWebSockets = false } = {}) {
  server.faults.rejectUpgrades(blockWebSockets ? 403 : null)
  const flowcast = createFlowcast({ apiUrl: server.apiUrl, ...options })
  try {
    const { flowRun } = await flowcast.runDeployment(deployment.id)
    const waiting = flowcast.waitForFlowRun(flowRun.id, { timeoutMs: 30_000 })
    await server.runLifecycle(flowRun.id, ['Pending', 'Running', 'Completed'], { stepMs: 200 })
    const result = await waiting
    const how = result.outcome === 'terminal' ? `${result.stateType} via ${result.source}` : ''
    console.log(`${label.padEnd(34)} ${result.outcome} ${how}`)
    return result
  } finally {
    await flowcast.close()
  }
}

try {
  await waitOnce('hybrid (default)', {})
  await waitOnce('websocket only', { transport: 'websocket' })
  await waitOnce('polling only', { transport: 'polling' })
  await waitOnce('hybrid, WebSockets blocked (403)', {}, { blockWebSockets: true })
} finally {
  await server.close()
}
