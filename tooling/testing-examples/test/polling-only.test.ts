// Not a README example: proves that the msw adapter's onPollingOnly check catches the SDK
// waiting by polling because its default WebSocket (`ws`) bypasses msw.
import { createFakePrefectHandlers } from '@flowcast/fake-server/msw'
import { createFlowcast } from 'flowcast'
import { setupServer } from 'msw/node'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'

const fake = createFakePrefectHandlers({ onPollingOnly: 'error' })
const server = setupServer(...fake.handlers)
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }))
afterAll(() => server.close())

it('fails a wait that only polling could end, naming the one-line fix', async () => {
  // No WebSocket option: the SDK's `ws` socket never reaches msw.
  await using flowcast = createFlowcast({ apiUrl: fake.apiUrl, env: {}, profile: 'test' })
  const run = fake.createFlowRun()
  const waiting = flowcast.waitForFlowRun(run.id)
  await vi.waitFor(() => expect(fake.recorder.httpRequests.length).toBeGreaterThan(0))
  fake.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })

  const result = await waiting
  expect(result.outcome).toBe('transport_failed')
  expect(result.outcome === 'transport_failed' && result.error.message).toContain(
    'createFlowcast({ WebSocket: globalThis.WebSocket })',
  )
  expect(fake.pollingOnlyRuns).toEqual([run.id])
  expect(fake.webSocketsSeen).toBe(0)
})
