import { cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { followFlowRun } from 'flowcast'
import type * as flowcastModule from 'flowcast'
import { useEvents, useFlowRunLogs, useRunDeployment } from '../src/index.js'
import { eventSockets, setup, tick } from './helpers.js'

afterEach(cleanup)

// `followFlowRun` is a function of the SDK, not a method: spied on through the module.
vi.mock('flowcast', async (importOriginal) => {
  const actual = await importOriginal<typeof flowcastModule>()
  return { ...actual, followFlowRun: vi.fn(actual.followFlowRun) }
})

describe('useFlowRunLogs', () => {
  it('shows logs as they land, each once, and succeeds after the run ends', async () => {
    await using env = await setup()
    const { server, flowcast, wrapper } = env
    const follows = vi.mocked(followFlowRun)
    follows.mockClear()
    const run = server.createFlowRun()
    function Logs({ label }: { label: string }) {
      const { logs, status } = useFlowRunLogs(run.id)
      return (
        <pre data-testid={label}>
          {status}|{logs.map((log) => log.message).join(',')}
        </pre>
      )
    }
    render(
      <>
        <Logs label="l1" />
        <Logs label="l2" />
      </>,
      { wrapper },
    )
    server.logs.create([{ flow_run_id: run.id, message: 'first' }])
    await waitFor(() => expect(screen.getByTestId('l1').textContent).toBe('watching|first'), {
      timeout: 5_000,
    })
    server.logs.create([{ flow_run_id: run.id, message: 'second' }])
    server.setFlowRunState(run.id, { type: 'COMPLETED', name: 'Completed' })
    await waitFor(() => expect(screen.getByTestId('l2').textContent).toBe('success|first,second'), {
      timeout: 8_000,
    })
    expect(follows).toHaveBeenCalledTimes(1)
    expect(follows.mock.calls[0]![0]).toBe(flowcast)
  })
})

describe('useEvents', () => {
  it('components passing equal filters share one subscription and see each event once', async () => {
    await using env = await setup()
    const { server, wrapper } = env
    function Feed({ label }: { label: string }) {
      // A new filter object on every render: compared by value.
      const { events, connection } = useEvents({ event: { prefix: ['shop.'] } })
      return (
        <p data-testid={label}>
          {connection}|{events.map((e) => e.event).join(',')}
        </p>
      )
    }
    render(
      <>
        <Feed label="e1" />
        <Feed label="e2" />
      </>,
      { wrapper },
    )
    await server.waitForSubscriber({ existing: true })
    await waitFor(() => expect(screen.getByTestId('e1').textContent).toBe('open|'))
    server.publishEvent({ event: 'shop.paid', resource: { 'prefect.resource.id': 'o.1' } })
    server.publishEvent({ event: 'other.thing', resource: { 'prefect.resource.id': 'o.2' } })
    server.publishEvent({ event: 'shop.shipped', resource: { 'prefect.resource.id': 'o.1' } })
    for (const label of ['e1', 'e2']) {
      await waitFor(() =>
        expect(screen.getByTestId(label).textContent).toBe('open|shop.paid,shop.shipped'),
      )
    }
    expect(eventSockets(server)).toHaveLength(1)
  })

  it('unmounting closes the subscription', async () => {
    await using env = await setup()
    const { server, wrapper } = env
    function Feed() {
      return <p>{useEvents({ event: { prefix: ['x.'] } }).connection}</p>
    }
    const view = render(<Feed />, { wrapper })
    const record = await server.waitForSubscriber({ existing: true })
    view.unmount()
    await waitFor(() => expect(record.closedAt).toBeDefined())
    expect(eventSockets(server)).toHaveLength(1)
  })
})

describe('useRunDeployment', () => {
  it('creates the run, shows it live and succeeds when it completes', async () => {
    await using env = await setup()
    const { server, wrapper } = env
    const deployment = server.createDeployment({ flowName: 'etl', name: 'nightly' })
    function Trigger() {
      const start = useRunDeployment()
      return (
        <>
          <button onClick={() => start.mutate({ deployment: 'etl/nightly', parameters: { n: 3 } })}>
            go
          </button>
          <p data-testid="t">
            {start.status}|{start.run.state?.name ?? '-'}|{start.data?.result.stateName ?? '-'}
          </p>
        </>
      )
    }
    render(<Trigger />, { wrapper })
    expect(screen.getByTestId('t').textContent).toBe('idle|-|-')
    screen.getByText('go').click()
    const run = await server.nextFlowRun({ deploymentId: deployment.id, timeoutMs: 5_000 })
    expect(run.parameters).toEqual({ n: 3 })
    await waitFor(() => expect(screen.getByTestId('t').textContent).toBe('pending|Scheduled|-'))
    await server.runLifecycle(run.id, ['Running', 'Completed'])
    await waitFor(() =>
      expect(screen.getByTestId('t').textContent).toBe('success|Completed|Completed'),
    )
  })

  it('an unknown deployment is an error with NOT_FOUND, and reset goes back to idle', async () => {
    await using env = await setup()
    const { wrapper } = env
    const seen: string[] = []
    function Trigger() {
      const start = useRunDeployment()
      return (
        <>
          <button
            onClick={() =>
              start.mutate({ deployment: 'nope/missing' }, { onError: (e) => seen.push(e.code) })
            }
          >
            go
          </button>
          <button onClick={() => start.reset()}>reset</button>
          <p data-testid="t">
            {start.status}|{start.error?.code ?? '-'}
          </p>
        </>
      )
    }
    render(<Trigger />, { wrapper })
    screen.getByText('go').click()
    await waitFor(() => expect(screen.getByTestId('t').textContent).toBe('error|NOT_FOUND'))
    expect(seen).toEqual(['NOT_FOUND'])
    screen.getByText('reset').click()
    await waitFor(() => expect(screen.getByTestId('t').textContent).toBe('idle|-'))
  })

  it('unmounting while the run is created never updates the unmounted component', async () => {
    await using env = await setup()
    const { server, wrapper } = env
    const deployment = server.createDeployment({ flowName: 'etl', name: 'slow' })
    let renders = 0
    const callbacks = { success: 0, error: 0 }
    function Trigger() {
      const start = useRunDeployment()
      renders += 1
      return (
        <button
          onClick={() =>
            start.mutate(
              { deployment: deployment.id },
              { onSuccess: () => (callbacks.success += 1), onError: () => (callbacks.error += 1) },
            )
          }
        >
          {start.status}
        </button>
      )
    }
    const view = render(<Trigger />, { wrapper })
    screen.getByText('idle').click()
    const run = await server.nextFlowRun({ deploymentId: deployment.id, timeoutMs: 5_000 })
    view.unmount()
    const after = renders
    await server.runLifecycle(run.id, ['Running', 'Completed'])
    await tick(200)
    expect(renders).toBe(after)
    expect(callbacks).toEqual({ success: 0, error: 0 })
  })
})
