import { createFakePrefectHandlers } from '@flowcast/fake-server/msw'
import { createFlowcast } from 'flowcast'
import { setupServer } from 'msw/node'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { WebSocket } from 'ws'

// Node 20 has no global WebSocket for msw to intercept: give it one (Node 22+ has its own).
globalThis.WebSocket ??= WebSocket as unknown as typeof globalThis.WebSocket

// 'error': a wait that could only end by polling fails instead of passing silently.
const fake = createFakePrefectHandlers({ onPollingOnly: 'error' })
const server = setupServer(...fake.handlers)
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }))
afterEach(() => fake.reset())
afterAll(() => server.close())

it('waits over the WebSocket with every request intercepted by msw', async () => {
  await using flowcast = createFlowcast({
    apiUrl: fake.apiUrl,
    env: {},
    profile: 'test',
    // The one line: the SDK's sockets go through msw. Its Node default, `ws`, bypasses msw,
    // and the wait would silently fall back to polling.
    WebSocket: globalThis.WebSocket,
  })
  const deployment = fake.createDeployment()

  const started = flowcast.runDeployment(deployment.id, { wait: true })
  const run = await fake.nextFlowRun({ deploymentId: deployment.id, timeoutMs: 5_000 })
  await fake.waitForSubscriber({ existing: true })
  await fake.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])

  const { result } = await started
  expect(result).toMatchObject({ outcome: 'terminal', stateType: 'COMPLETED', source: 'websocket' })
  expect(fake.webSocketsSeen).toBeGreaterThan(0)
})
