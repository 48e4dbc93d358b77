import { createManualClock } from '@flowcast/core'
import { readFlowRunFrames } from '@flowcast/prefect-spec'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { api, eventOf, expectSchema, farFilter, subscribe } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

const start = Date.parse('2026-08-20T14:03:09.517Z')

/** Replaces ids and datetimes so two frames compare by shape, key order and content. */
function normalize(frame: string): string {
  return frame
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/g, 'DATETIME_Z')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00/g, 'DATETIME_OFFSET')
}

async function setup(options: { retries?: number } = {}) {
  const clock = createManualClock(start)
  server = await createFakePrefectServer({ clock })
  const deployment = server.createDeployment({
    name: 'nightly',
    flowName: 'etl-pipeline',
    tags: ['nightly', 'etl'],
    workPool: { name: 'local-pool', type: 'process' },
    workQueue: 'default',
    retries: options.retries ?? 0,
  })
  const run = server.createFlowRun({ deploymentId: deployment.id, name: 'hopeful-tortoise' })
  const socket = await subscribe(server.apiUrl, farFilter({}, start - 60_000))
  const scheduled = eventOf(await socket.next())
  return { clock, deployment, run, socket, scheduled }
}

describe('flow-run state events (docs/protocol.md §4.5)', () => {
  it('match the recorded Pending -> Running -> Completed frames byte for byte, ids and times aside', async () => {
    const { clock, run, socket, scheduled } = await setup()
    await server.runLifecycle(run.id, [
      'Pending',
      () => clock.advance(1965),
      'Running',
      () => clock.advance(3444),
      'Completed',
    ])
    const frames = await socket.take(3)
    expect(frames.map(normalize)).toEqual(readFlowRunFrames().map(normalize))
    const [pending, running, completed] = frames.map(eventOf)
    expect(pending!.follows).toBe(scheduled.id)
    expect(running!.follows).toBe(pending!.id)
    expect(completed!.follows).toBe(running!.id)
    for (const event of [pending!, running!, completed!]) {
      expect(event.resource['prefect.state-timestamp']).toBe(event.occurred.replace('Z', '+00:00'))
    }
    const read = await api(server.apiUrl, `/flow_runs/${run.id}`)
    expectSchema('FlowRunResponse', read.body)
    expect(read.body.state_id).toBe(completed!.id)
    expect(read.body.state.id).toBe(completed!.id)
    expect(read.body.run_count).toBe(1)
    expect(read.body.start_time).toBe(running!.occurred)
    expect(read.body.end_time).toBe(completed!.occurred)
    expect(read.body.total_run_time).toBeCloseTo(3.444, 3)
  })

  it('emits Scheduled with no initial state, run-count 0 and follows null', async () => {
    const { scheduled, run } = await setup()
    expect(scheduled).toMatchObject({
      event: 'prefect.flow-run.Scheduled',
      follows: null,
      payload: {
        intended: { from: null, to: 'SCHEDULED' },
        initial_state: null,
        validated_state: { type: 'SCHEDULED', name: 'Scheduled' },
      },
    })
    expect(scheduled.resource['prefect.run-count']).toBe('0')
    expect(scheduled.id).toBe(run.state_id)
  })

  it('sets follows only when the previous state is less than 5 minutes old', async () => {
    const { clock, run, socket } = await setup()
    clock.advance(5 * 60_000 + 1)
    await server.runLifecycle(run.id, ['Pending', () => clock.advance(299_999), 'Running'])
    const [pending, running] = (await socket.take(2)).map(eventOf)
    expect(pending!.follows).toBeNull()
    expect(running!.follows).toBe(pending!.id)
  })

  it('turns a Failed with retries left into AwaitingRetry (REJECT) and counts runs', async () => {
    const { run, socket } = await setup({ retries: 1 })
    await server.runLifecycle(run.id, ['Pending', 'Running'])
    const rejected = await api(server.apiUrl, `/flow_runs/${run.id}/set_state`, {
      body: { state: { type: 'FAILED', message: 'boom' } },
    })
    expect(rejected.status).toBe(200)
    expectSchema('OrchestrationResult', rejected.body)
    expect(rejected.body).toMatchObject({
      status: 'REJECT',
      state: { type: 'SCHEDULED', name: 'AwaitingRetry' },
    })
    await server.runLifecycle(run.id, ['Pending', 'Running'])
    const failed = await api(server.apiUrl, `/flow_runs/${run.id}/set_state`, {
      body: { state: { type: 'FAILED', message: 'boom again' } },
    })
    expect(failed.status).toBe(201)
    expect(failed.body).toMatchObject({
      status: 'ACCEPT',
      state: { type: 'FAILED', name: 'Failed' },
      details: { type: 'accept_details' },
    })
    const events = (await socket.take(6)).map(eventOf)
    expect(
      events.map((e) => [
        e.event,
        e.resource['prefect.state-type'],
        e.resource['prefect.run-count'],
      ]),
    ).toEqual([
      ['prefect.flow-run.Pending', 'PENDING', '0'],
      ['prefect.flow-run.Running', 'RUNNING', '1'],
      ['prefect.flow-run.AwaitingRetry', 'SCHEDULED', '1'],
      ['prefect.flow-run.Pending', 'PENDING', '1'],
      ['prefect.flow-run.Running', 'RUNNING', '2'],
      ['prefect.flow-run.Failed', 'FAILED', '2'],
    ])
    expect(events[2]!.resource['prefect.state-message']).toBe('boom')
    expect(events[2]!.payload.validated_state).toEqual({
      type: 'SCHEDULED',
      name: 'AwaitingRetry',
      message: 'boom',
    })
    expect(events[5]!.payload.validated_state).toEqual({
      type: 'FAILED',
      name: 'Failed',
      message: 'boom again',
    })
  })

  it('names every lifecycle state after its name with the right type; pause_reschedule is a string', async () => {
    const { run, socket } = await setup()
    await server.runLifecycle(run.id, [
      'Late',
      'Pending',
      'Running',
      'Paused',
      'Running',
      'Suspended',
      'Resuming',
      'Running',
      { type: 'FAILED', name: 'TimedOut', message: 'Flow run exceeded timeout of 1 second(s)' },
      'Crashed',
      'Cancelling',
      'Cancelled',
    ])
    const events = (await socket.take(12)).map(eventOf)
    expect(
      events.map(
        (e) => `${e.event.replace('prefect.flow-run.', '')}:${e.resource['prefect.state-type']}`,
      ),
    ).toEqual([
      'Late:SCHEDULED',
      'Pending:PENDING',
      'Running:RUNNING',
      'Paused:PAUSED',
      'Running:RUNNING',
      'Suspended:PAUSED',
      'Resuming:SCHEDULED',
      'Running:RUNNING',
      'TimedOut:FAILED',
      'Crashed:CRASHED',
      'Cancelling:CANCELLING',
      'Cancelled:CANCELLED',
    ])
    expect(events[3]!.payload.validated_state).toEqual({
      type: 'PAUSED',
      name: 'Paused',
      pause_reschedule: 'false',
    })
    expect(events[4]!.payload.initial_state).toEqual({
      type: 'PAUSED',
      name: 'Paused',
      pause_reschedule: 'false',
    })
    expect(events[5]!.payload.validated_state).toEqual({
      type: 'PAUSED',
      name: 'Suspended',
      pause_reschedule: 'true',
    })
    // Resuming a paused run does not count as a new run.
    expect(events.map((e) => e.resource['prefect.run-count']).slice(2, 8)).toEqual([
      '1',
      '1',
      '1',
      '1',
      '1',
      '1',
    ])
    expect(events[8]!.resource['prefect.state-message']).toBe(
      'Flow run exceeded timeout of 1 second(s)',
    )
  })

  it('emits heartbeats with id, name and version labels, related flow/deployment/tags and no payload', async () => {
    const { run, socket } = await setup()
    await server.runLifecycle(run.id, ['Pending', 'Running', 'heartbeat'])
    const heartbeat = eventOf((await socket.take(3))[2]!)
    expect(heartbeat.event).toBe('prefect.flow-run.heartbeat')
    expect(Object.keys(heartbeat.resource)).toEqual([
      'prefect.resource.id',
      'prefect.resource.name',
      'prefect.version',
    ])
    expect(
      heartbeat.related.map((r: Record<string, string>) => r['prefect.resource.role']),
    ).toEqual(['flow', 'deployment', 'tag', 'tag'])
    expect(heartbeat.payload).toEqual({})
  })

  it('relates only the flow (and tags) without a deployment, and adds a creator for DEPLOYMENT/AUTOMATION', async () => {
    server = await createFakePrefectServer()
    const plain = server.createFlowRun({ flowName: 'f', tags: ['b', 'a'] })
    const automated = server.createFlowRun({
      flowName: 'f',
      createdBy: {
        id: '0199d1a4-0000-7000-8000-000000000001',
        type: 'AUTOMATION',
        display_value: 'my automation',
      },
    })
    const [first, second] = server.events
    expect(first!.resource['prefect.resource.id']).toBe(`prefect.flow-run.${plain.id}`)
    expect(first!.related.map((r) => r['prefect.resource.id'])).toEqual([
      `prefect.flow.${plain.flow_id}`,
      'prefect.tag.a',
      'prefect.tag.b',
    ])
    expect(second!.resource['prefect.resource.id']).toBe(`prefect.flow-run.${automated.id}`)
    expect(second!.related.at(-1)).toEqual({
      'prefect.resource.id': 'prefect.automation.0199d1a4-0000-7000-8000-000000000001',
      'prefect.resource.role': 'creator',
      'prefect.resource.name': 'my automation',
    })
  })

  it('aborts transitions out of a terminal state unless forced', async () => {
    const { run } = await setup()
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    const aborted = await api(server.apiUrl, `/flow_runs/${run.id}/set_state`, {
      body: { state: { type: 'RUNNING' } },
    })
    expect(aborted.status).toBe(200)
    expectSchema('OrchestrationResult', aborted.body)
    expect(aborted.body).toMatchObject({ status: 'ABORT', state: null })
    const forced = await api(server.apiUrl, `/flow_runs/${run.id}/set_state`, {
      body: { state: { type: 'RUNNING' }, force: true },
    })
    expect(forced.status).toBe(201)
    expect(server.readFlowRun(run.id)!.run_count).toBe(2)
  })
})
