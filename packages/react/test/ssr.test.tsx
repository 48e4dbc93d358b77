// @vitest-environment node
import { renderToString } from 'react-dom/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { followFlowRun } from 'flowcast'
import type * as flowcastModule from 'flowcast'
import {
  FlowcastProvider,
  useEvents,
  useFlowRun,
  useFlowRunLogs,
  useRunDeployment,
} from '../src/index.js'
import { setup } from './helpers.js'

afterEach(() => {
  vi.useRealTimers()
})

// `followFlowRun` is a function of the SDK, not a method: spied on through the module.
vi.mock('flowcast', async (importOriginal) => {
  const actual = await importOriginal<typeof flowcastModule>()
  return { ...actual, followFlowRun: vi.fn(actual.followFlowRun) }
})

function Page({ id }: { id: string }) {
  const run = useFlowRun(id)
  const logs = useFlowRunLogs(id)
  const events = useEvents({ event: { prefix: ['prefect.flow-run.'] } })
  const start = useRunDeployment()
  return (
    <p>
      {run.status}/{logs.status}/{events.connection}/{start.status}
    </p>
  )
}

describe('server rendering', () => {
  it('renders the pending snapshot without a socket, a request or a timer', async () => {
    await using env = await setup()
    const { server, flowcast } = env
    const run = server.createFlowRun()
    vi.mocked(followFlowRun).mockClear()
    const spies = [
      vi.spyOn(flowcast, 'waitForFlowRun'),
      vi.mocked(followFlowRun),
      vi.spyOn(flowcast, 'subscribe'),
    ]
    server.recorder.clear()
    vi.useFakeTimers()
    const html = renderToString(
      <FlowcastProvider flowcast={flowcast}>
        <Page id={run.id} />
      </FlowcastProvider>,
    )
    expect(vi.getTimerCount()).toBe(0)
    vi.useRealTimers()
    expect(html).toBe(
      '<p>pending<!-- -->/<!-- -->pending<!-- -->/<!-- -->connecting<!-- -->/<!-- -->idle</p>',
    )
    for (const spy of spies) expect(spy).not.toHaveBeenCalled()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.recorder.connections).toEqual([])
    expect(server.recorder.httpRequests).toEqual([])
  })

  it('a provider given options creates its instance without connecting', async () => {
    await using env = await setup()
    const { server } = env
    server.recorder.clear()
    vi.useFakeTimers()
    const html = renderToString(
      <FlowcastProvider options={{ apiUrl: server.apiUrl, env: {} }}>
        <Page id="8f0e5d64-5c55-4c6c-9a59-0d6a4b7e1d11" />
      </FlowcastProvider>,
    )
    expect(vi.getTimerCount()).toBe(0)
    vi.useRealTimers()
    expect(html).toContain('pending')
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(server.recorder.connections).toEqual([])
    expect(server.recorder.httpRequests).toEqual([])
  })
})
