import { readFlowRunFrames } from '@flowcast/prefect-spec'
import { describe, expect, test } from 'vitest'
import type { Event, FlowRun } from './models.js'
import {
  STATE_TYPES,
  TERMINAL_STATE_TYPES,
  defaultStateName,
  flowRunIdFromResourceId,
  flowRunResourceId,
  flowRunStateFromEvent,
  flowRunStateFromFlowRun,
  isStateType,
  isTerminalStateType,
} from './states.js'

const recorded = readFlowRunFrames().map((raw) => JSON.parse(raw).event as Event)
const runId = '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6c'
const pending = recorded[0]!

function stateEvent(name: string, type: string | undefined, extra: Partial<Event> = {}): Event {
  const resource: Event['resource'] = {
    'prefect.resource.id': flowRunResourceId(runId),
    'prefect.resource.name': 'hopeful-tortoise',
    'prefect.run-count': '1',
    'prefect.state-message': '',
    'prefect.state-name': name,
    'prefect.state-timestamp': '2026-08-20T14:03:14.927005+00:00',
  }
  if (type !== undefined) resource['prefect.state-type'] = type
  return {
    ...pending,
    event: `prefect.flow-run.${name}`,
    occurred: '2026-08-20T14:03:14.927005Z',
    resource,
    payload: { validated_state: { type, name } },
    ...extra,
  }
}

describe('state types', () => {
  test('the nine types, four terminal', () => {
    expect(STATE_TYPES).toHaveLength(9)
    expect([...TERMINAL_STATE_TYPES].sort()).toEqual([
      'CANCELLED',
      'COMPLETED',
      'CRASHED',
      'FAILED',
    ])
    expect(Object.isFrozen(TERMINAL_STATE_TYPES)).toBe(true)
  })
  test.each([
    ['COMPLETED', true],
    ['FAILED', true],
    ['CRASHED', true],
    ['CANCELLED', true],
    ['CANCELLING', false],
    ['PAUSED', false],
    ['RUNNING', false],
    ['SCHEDULED', false],
    ['PENDING', false],
    ['Completed', false],
    ['TimedOut', false],
    [null, false],
    [3, false],
  ])('isTerminalStateType(%j) = %s', (value, expected) => {
    expect(isTerminalStateType(value)).toBe(expected)
  })
  test('isStateType', () => {
    expect(STATE_TYPES.every(isStateType)).toBe(true)
    expect(isStateType('completed')).toBe(false)
  })
  test('defaultStateName capitalises', () => {
    expect(defaultStateName('PENDING')).toBe('Pending')
    expect(defaultStateName('CANCELLING')).toBe('Cancelling')
  })
})

describe('flow-run resource ids', () => {
  test('round trip', () => {
    expect(flowRunResourceId(runId)).toBe(`prefect.flow-run.${runId}`)
    expect(flowRunIdFromResourceId(flowRunResourceId(runId))).toBe(runId)
  })
  test.each([
    'prefect.flow.x',
    'prefect.flow-run.',
    'prefect.flow-run.a.b',
    'prefect.task-run.x',
    '',
  ])('%j is not a flow run', (id) => {
    expect(flowRunIdFromResourceId(id)).toBeNull()
  })
})

describe('flowRunStateFromEvent', () => {
  test.each([
    [0, 'PENDING', 'Pending', '2026-08-20T14:03:09.517204+00:00'],
    [1, 'RUNNING', 'Running', '2026-08-20T14:03:11.482913+00:00'],
    [2, 'COMPLETED', 'Completed', '2026-08-20T14:03:14.927005+00:00'],
  ])('recorded frame %i → %s', (index, type, name, timestamp) => {
    const event = recorded[index]!
    expect(flowRunStateFromEvent(event)).toEqual({
      flowRunId: runId,
      type,
      name,
      timestamp,
      message: null,
      eventId: event.id,
    })
  })

  test('never from the name: TimedOut is FAILED, AwaitingRetry is SCHEDULED', () => {
    expect(flowRunStateFromEvent(stateEvent('TimedOut', 'FAILED'))).toMatchObject({
      type: 'FAILED',
      name: 'TimedOut',
    })
    expect(flowRunStateFromEvent(stateEvent('AwaitingRetry', 'SCHEDULED'))).toMatchObject({
      type: 'SCHEDULED',
      name: 'AwaitingRetry',
    })
    expect(flowRunStateFromEvent(stateEvent('Completed', 'CRASHED'))).toMatchObject({
      type: 'CRASHED',
    })
  })

  test('heartbeats and other non-state events → null', () => {
    const heartbeat: Event = {
      ...pending,
      event: 'prefect.flow-run.heartbeat',
      resource: {
        'prefect.resource.id': flowRunResourceId(runId),
        'prefect.resource.name': 'hopeful-tortoise',
        'prefect.version': '3.8.3',
      },
      payload: {},
    }
    expect(flowRunStateFromEvent(heartbeat)).toBeNull()
    expect(flowRunStateFromEvent({ ...pending, event: 'prefect.task-run.Completed' })).toBeNull()
    expect(
      flowRunStateFromEvent({
        ...pending,
        resource: { ...pending.resource, 'prefect.resource.id': 'prefect.flow.x' },
      }),
    ).toBeNull()
    expect(flowRunStateFromEvent({ ...pending, event: 'acme.flow-run.Completed' })).toBeNull()
  })

  test('falls back to payload.validated_state when the label is missing or unknown', () => {
    const noLabel = stateEvent('Failed', undefined, {})
    noLabel.payload = { validated_state: { type: 'FAILED', name: 'Failed', message: 'boom' } }
    expect(flowRunStateFromEvent(noLabel)).toMatchObject({ type: 'FAILED', message: 'boom' })
    const unknownLabel = stateEvent('Failed', 'WEIRD')
    unknownLabel.payload = { validated_state: { type: 'FAILED' } }
    expect(flowRunStateFromEvent(unknownLabel)).toMatchObject({ type: 'FAILED' })
    const neither = stateEvent('Failed', 'WEIRD')
    neither.payload = { validated_state: 'FAILED' }
    expect(flowRunStateFromEvent(neither)).toBeNull()
  })

  test('the label wins over the payload', () => {
    const event = stateEvent('Completed', 'COMPLETED')
    event.payload = { validated_state: { type: 'FAILED', name: 'Failed' } }
    expect(flowRunStateFromEvent(event)).toMatchObject({ type: 'COMPLETED', name: 'Completed' })
  })

  test('name: label, then payload, then the default name of the type', () => {
    const fromPayload = stateEvent('x', 'SCHEDULED')
    delete fromPayload.resource['prefect.state-name']
    fromPayload.payload = { validated_state: { type: 'SCHEDULED', name: 'Late' } }
    expect(flowRunStateFromEvent(fromPayload)?.name).toBe('Late')
    fromPayload.payload = { validated_state: { type: 'SCHEDULED' } }
    expect(flowRunStateFromEvent(fromPayload)?.name).toBe('Scheduled')
  })

  test('timestamp: the label as written, else occurred', () => {
    const event = stateEvent('Running', 'RUNNING')
    expect(flowRunStateFromEvent(event)?.timestamp).toBe('2026-08-20T14:03:14.927005+00:00')
    delete event.resource['prefect.state-timestamp']
    expect(flowRunStateFromEvent(event)?.timestamp).toBe(event.occurred)
    event.resource['prefect.state-timestamp'] = 'garbage'
    expect(flowRunStateFromEvent(event)?.timestamp).toBe(event.occurred)
  })

  test("message: label, then payload; '' is null", () => {
    const event = stateEvent('Failed', 'FAILED')
    expect(flowRunStateFromEvent(event)?.message).toBeNull()
    event.resource['prefect.state-message'] = 'Flow run encountered an exception'
    expect(flowRunStateFromEvent(event)?.message).toBe('Flow run encountered an exception')
    event.resource['prefect.state-message'] = ''
    event.payload = { validated_state: { type: 'FAILED', message: 'from payload' } }
    expect(flowRunStateFromEvent(event)?.message).toBe('from payload')
  })
})

describe('flowRunStateFromFlowRun', () => {
  const run = {
    id: runId,
    created: '2026-08-20T14:02:58Z',
    updated: '2026-08-20T14:03:15Z',
    flow_id: '3f0b6d3e-8a51-4c2a-9a7e-2d1c5b9e4f10',
    state_id: '01a01f7b-b06f-70f2-91a7-e5b2d04852d1',
    state_type: 'FAILED',
    state_name: 'TimedOut',
    state: {
      id: '01a01f7b-b06f-70f2-91a7-e5b2d04852d1',
      type: 'FAILED',
      name: 'TimedOut',
      timestamp: '2026-08-20T14:03:14.927005Z',
      message: 'Flow run exceeded timeout of 1.0 second(s)',
    },
  } satisfies FlowRun

  test('reads the state; eventId is the state id (= event id)', () => {
    expect(flowRunStateFromFlowRun(run)).toEqual({
      flowRunId: runId,
      type: 'FAILED',
      name: 'TimedOut',
      timestamp: '2026-08-20T14:03:14.927005Z',
      message: 'Flow run exceeded timeout of 1.0 second(s)',
      eventId: run.state.id,
    })
  })
  test('falls back to state_type / state_name / updated when state is null', () => {
    expect(flowRunStateFromFlowRun({ ...run, state: null })).toEqual({
      flowRunId: runId,
      type: 'FAILED',
      name: 'TimedOut',
      timestamp: '2026-08-20T14:03:15Z',
      message: null,
      eventId: run.state_id,
    })
  })
  test('no state at all → null', () => {
    expect(flowRunStateFromFlowRun({ ...run, state: null, state_type: null })).toBeNull()
    expect(
      flowRunStateFromFlowRun({ ...run, state: null, created: null, updated: null }),
    ).toBeNull()
  })
  test('empty message and name are normalised', () => {
    expect(
      flowRunStateFromFlowRun({ ...run, state: { ...run.state, message: '', name: null } }),
    ).toMatchObject({
      message: null,
      name: 'TimedOut',
    })
    expect(
      flowRunStateFromFlowRun({ ...run, state_name: null, state: { ...run.state, name: null } })
        ?.name,
    ).toBe('Failed')
  })
})
