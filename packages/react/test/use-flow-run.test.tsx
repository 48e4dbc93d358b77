import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import WebSocket from 'ws'
import { FlowcastProvider, useFlowRun } from '../src/index.js'
import { eventSockets, setup, tick } from './helpers.js'

afterEach(cleanup)

const renders = { count: 0 }

function RunView({ id, label }: { id: string; label: string }) {
  const run = useFlowRun(id)
  renders.count += 1
  return (
    <p data-testid={label}>
      {run.status}:{run.state?.name ?? '-'}:{run.source ?? '-'}
    </p>
  )
}

describe('useFlowRun (StrictMode, fake server on a loopback port)', () => {
  it('N components on one run share one wait and one socket, and follow it to Completed', async () => {
    await using env = await setup()
    const { server, flowcast, wrapper } = env
    const waits = vi.spyOn(flowcast, 'waitForFlowRun')
    const run = server.createFlowRun()
    const labels = ['a', 'b', 'c', 'd', 'e']
    render(
      <>
        {labels.map((label) => (
          <RunView key={label} id={run.id} label={label} />
        ))}
      </>,
      { wrapper },
    )
    for (const label of labels) {
      await waitFor(() =>
        expect(screen.getByTestId(label).textContent).toMatch(/^watching:Scheduled:/),
      )
    }
    await server.waitForSubscriber({ existing: true })
    server.setFlowRunState(run.id, { type: 'RUNNING', name: 'Running' })
    server.setFlowRunState(run.id, { type: 'COMPLETED', name: 'Completed' })
    for (const label of labels) {
      await waitFor(() =>
        expect(screen.getByTestId(label).textContent).toBe('success:Completed:websocket'),
      )
    }
    expect(waits).toHaveBeenCalledTimes(1)
    expect(eventSockets(server)).toHaveLength(1)
  })

  it('one component in StrictMode (mount, unmount, mount) opens one wait', async () => {
    await using env = await setup()
    const { server, flowcast, wrapper } = env
    const waits = vi.spyOn(flowcast, 'waitForFlowRun')
    const run = server.createFlowRun()
    render(<RunView id={run.id} label="s" />, { wrapper })
    await waitFor(() => expect(screen.getByTestId('s').textContent).toMatch(/^watching:Scheduled/))
    await tick(100)
    expect(waits).toHaveBeenCalledTimes(1)
    const wait = waits.mock.results[0]!.value as ReturnType<typeof flowcast.waitForFlowRun>
    server.setFlowRunState(run.id, { type: 'COMPLETED', name: 'Completed' })
    expect((await wait).outcome).toBe('terminal')
    await waitFor(() => expect(screen.getByTestId('s').textContent).toMatch(/^success:Completed/))
  })

  it('unmounting closes the one wait and never updates the unmounted components', async () => {
    await using env = await setup()
    const { server, flowcast, wrapper } = env
    const waits = vi.spyOn(flowcast, 'waitForFlowRun')
    const run = server.createFlowRun()
    const view = render(
      <>
        <RunView id={run.id} label="x" />
        <RunView id={run.id} label="y" />
      </>,
      { wrapper },
    )
    await waitFor(() => expect(screen.getByTestId('x').textContent).toMatch(/^watching:Scheduled/))
    expect(waits).toHaveBeenCalledTimes(1)
    const wait = waits.mock.results[0]!.value as ReturnType<typeof flowcast.waitForFlowRun>
    view.unmount()
    renders.count = 0
    // Released a tick after the last unsubscribe: the wait ends as aborted.
    expect((await wait).outcome).toBe('aborted')
    server.setFlowRunState(run.id, { type: 'COMPLETED', name: 'Completed' })
    await tick(100)
    expect(renders.count).toBe(0)
  })

  it('a remount within the release delay keeps the one wait', async () => {
    await using env = await setup()
    const { server, flowcast, wrapper } = env
    const waits = vi.spyOn(flowcast, 'waitForFlowRun')
    const run = server.createFlowRun()
    const first = render(<RunView id={run.id} label="m" />, { wrapper })
    await waitFor(() => expect(screen.getByTestId('m').textContent).toMatch(/^watching/))
    // Unmount and mount again in one task (as a list re-ordering or a route swap does).
    act(() => {
      first.unmount()
      render(<RunView id={run.id} label="m" />, { wrapper })
    })
    server.setFlowRunState(run.id, { type: 'COMPLETED', name: 'Completed' })
    await waitFor(() => expect(screen.getByTestId('m').textContent).toMatch(/^success:Completed/))
    expect(waits).toHaveBeenCalledTimes(1)
  })

  it('a finished run is answered from its kept outcome, without another wait', async () => {
    await using env = await setup()
    const { server, flowcast, wrapper } = env
    const waits = vi.spyOn(flowcast, 'waitForFlowRun')
    const run = server.createFlowRun({ state: { type: 'COMPLETED', name: 'Completed' } })
    const first = render(<RunView id={run.id} label="f" />, { wrapper })
    await waitFor(() =>
      expect(screen.getByTestId('f').textContent).toBe('success:Completed:polling'),
    )
    first.unmount()
    await tick()
    render(<RunView id={run.id} label="f" />, { wrapper })
    expect(screen.getByTestId('f').textContent).toBe('success:Completed:polling')
    expect(waits).toHaveBeenCalledTimes(1)
  })

  it('an unknown run ends in error with NOT_FOUND', async () => {
    await using env = await setup()
    const { wrapper } = env
    function Unknown() {
      const run = useFlowRun('00000000-0000-4000-8000-000000000000')
      return <p data-testid="u">{run.isError ? run.error?.code : run.status}</p>
    }
    render(<Unknown />, { wrapper })
    await waitFor(() => expect(screen.getByTestId('u').textContent).toBe('NOT_FOUND'), {
      timeout: 5_000,
    })
  })

  it('a provider given options keeps its instance through StrictMode and closes it on unmount', async () => {
    await using env = await setup()
    const { server } = env
    const run = server.createFlowRun()
    const view = render(
      <FlowcastProvider
        options={{ apiUrl: server.apiUrl, env: {}, profile: 'test', WebSocket: WebSocket as never }}
      >
        <RunView id={run.id} label="p" />
      </FlowcastProvider>,
    )
    await waitFor(() => expect(screen.getByTestId('p').textContent).toMatch(/^watching:Scheduled/))
    const record = await server.waitForSubscriber({ existing: true })
    server.setFlowRunState(run.id, { type: 'RUNNING', name: 'Running' })
    await waitFor(() =>
      expect(screen.getByTestId('p').textContent).toMatch(/^watching:Running:websocket/),
    )
    expect(record.closedAt).toBeUndefined()
    view.unmount()
    await waitFor(() => expect(record.closedAt).toBeDefined())
  })

  it('no id watches nothing', async () => {
    await using env = await setup()
    const { flowcast, wrapper } = env
    const waits = vi.spyOn(flowcast, 'waitForFlowRun')
    function Nothing() {
      return <p data-testid="n">{useFlowRun(null).status}</p>
    }
    render(<Nothing />, { wrapper })
    await tick()
    expect(screen.getByTestId('n').textContent).toBe('idle')
    expect(waits).not.toHaveBeenCalled()
  })

  it('outside a provider it throws a clear error', () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => render(<RunView id="x" label="o" />)).toThrow(/inside <FlowcastProvider>/)
  })
})
