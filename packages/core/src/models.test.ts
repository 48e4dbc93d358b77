import { readFlowRunFrames } from '@flowcast/prefect-spec'
import { describe, expect, test } from 'vitest'
import { createManualClock } from './clock.js'
import { createEvent, createSerializedEvent } from './create-event.js'
import type { FlowcastError } from './errors.js'
import { isFlowcastError } from './errors.js'
import {
  eventLimits,
  eventSizeBytes,
  parseEvent,
  parseEventFilter,
  parseEventPage,
  parseFlowRun,
  parseOrchestrationResult,
  parseReceivedEvent,
  serializeEvent,
  serializeReceivedEvent,
  withServerFilterDefaults,
  type Event,
  type ReceivedEvent,
} from './models.js'
import { EventFilterSchema, validate } from './schemas.js'

const received = JSON.parse(readFlowRunFrames()[0]!).event as ReceivedEvent
const { received: _r, ...sent } = received
const base: Event = sent

function failure(fn: () => unknown): FlowcastError {
  try {
    fn()
  } catch (error) {
    if (isFlowcastError(error)) return error
    throw error
  }
  throw new Error('expected a FlowcastError')
}

const issuesOf = (fn: () => unknown) =>
  (failure(fn).details?.['issues'] as { path: string; message: string }[]).map(
    (i) => `${i.path}: ${i.message}`,
  )

describe('parseEvent: server limits with messages that name the field and why', () => {
  test('the recorded event is valid and unchanged', () => {
    expect(parseEvent(base)).toEqual(base)
  })

  test.each([
    [
      { ...base, resource: { 'prefect.resource.name': 'x' } },
      'resource.prefect.resource.id: required',
    ],
    [
      { ...base, resource: { 'prefect.resource.id': '' } },
      'resource.prefect.resource.id: must not be empty',
    ],
    [
      { ...base, resource: { 'prefect.resource.id': 'a', n: null } },
      'resource.n: expected string, got null',
    ],
    [
      { ...base, resource: { 'prefect.resource.id': 'a', n: 1 } },
      'resource.n: expected string, got number',
    ],
    [{ ...base, event: 'x'.repeat(1025) }, 'event: longer than 1024 characters'],
    [{ ...base, event: undefined }, 'event: required'],
    [{ ...base, occurred: undefined }, 'occurred: required'],
    [
      { ...base, occurred: '2026-08-20T14:03:09' },
      'occurred: not an ISO 8601 datetime with a timezone',
    ],
    [{ ...base, id: undefined }, 'id: required'],
    [{ ...base, id: 'nope' }, 'id: not a UUID'],
    [{ ...base, follows: 'nope' }, 'follows: not a UUID'],
    [{ ...base, payload: [] }, 'payload: expected object, got array'],
    [
      { ...base, related: [{ 'prefect.resource.id': 'a' }] },
      'related[0].prefect.resource.role: required',
    ],
    [
      { ...base, related: [{ 'prefect.resource.id': 'a', 'prefect.resource.role': '' }] },
      'related[0].prefect.resource.role: must not be empty',
    ],
    [
      { ...base, related: Array.from({ length: 101 }, () => base.related[0]) },
      'related: more than 100 related resources',
    ],
    [
      {
        ...base,
        resource: Object.fromEntries(
          Array.from({ length: 501 }, (_, i) => [i === 0 ? 'prefect.resource.id' : `l${i}`, 'v']),
        ),
      },
      'resource: more than 500 labels',
    ],
    ['not an object', ': expected object, got string'],
  ])('%#: %s', (input, expected) => {
    const error = failure(() => parseEvent(input))
    expect(error.code).toBe('INVALID_EVENT')
    expect(issuesOf(() => parseEvent(input))).toContain(expected)
    expect(error.message).toContain(expected.startsWith(':') ? expected.slice(2) : expected)
    expect(error.message).toMatch(/^\[@flowcast\/core\] invalid event: /)
  })

  test('exactly at the limits is accepted', () => {
    const resource = Object.fromEntries(
      Array.from({ length: 500 }, (_, i) => [i === 0 ? 'prefect.resource.id' : `l${i}`, 'v']),
    )
    expect(() =>
      parseEvent({
        ...base,
        event: 'x'.repeat(1024),
        resource,
        related: Array.from({ length: 100 }, () => base.related[0]),
      }),
    ).not.toThrow()
  })

  test('prefect.resource.role is allowed on the primary resource', () => {
    const resource = { 'prefect.resource.id': 'prefect.work-queue.x', 'prefect.resource.role': 'q' }
    expect(parseEvent({ ...base, resource }).resource).toEqual(resource)
  })

  test('lists every problem, the first five in the message', () => {
    const error = failure(() => parseEvent({}))
    expect(error.details?.['issues']).toHaveLength(4)
    expect(error.message).toBe(
      '[@flowcast/core] invalid event: occurred: required; event: required; resource: required; id: required',
    )
    const many = failure(() =>
      parseEvent({
        ...base,
        resource: { 'prefect.resource.id': 'x', a: 1, b: 1, c: 1, d: 1, e: 1, f: 1 },
      }),
    )
    expect(many.message).toMatch(/and 1 more$/)
  })

  test('defaults related, payload and follows; drops unknown keys like the server', () => {
    const event = parseEvent({
      occurred: base.occurred,
      event: 'x',
      resource: { 'prefect.resource.id': 'r' },
      id: base.id,
      received: base.occurred,
      extra: 1,
    })
    expect(event).toEqual({
      occurred: base.occurred,
      event: 'x',
      resource: { 'prefect.resource.id': 'r' },
      related: [],
      payload: {},
      id: base.id,
      follows: null,
    })
    expect(Object.keys(event)).toEqual([
      'occurred',
      'event',
      'resource',
      'related',
      'payload',
      'id',
      'follows',
    ])
  })

  test('events over 1.5 MB are rejected', () => {
    const big = { ...base, payload: { blob: 'x'.repeat(eventLimits.maxEventSizeBytes) } }
    const error = failure(() => parseEvent(big))
    expect(error.code).toBe('INVALID_EVENT')
    expect(error.message).toMatch(/more than 1500000/)
  })

  test('keeps the server strings exactly (no datetime or id rewriting)', () => {
    const event = parseEvent({ ...base, occurred: '2026-08-20T16:03:09.5+02:00' })
    expect(event.occurred).toBe('2026-08-20T16:03:09.5+02:00')
  })
})

describe('parseReceivedEvent', () => {
  test('requires received', () => {
    expect(parseReceivedEvent(received)).toEqual(received)
    expect(issuesOf(() => parseReceivedEvent(base))).toEqual(['received: required'])
  })
})

describe('serialisation', () => {
  test('serializeEvent writes the server key order, compactly', () => {
    const reordered = {
      follows: base.follows,
      id: base.id,
      payload: base.payload,
      related: base.related,
      resource: base.resource,
      event: base.event,
      occurred: base.occurred,
    }
    const text = serializeEvent(reordered)
    expect(Object.keys(JSON.parse(text))).toEqual([
      'occurred',
      'event',
      'resource',
      'related',
      'payload',
      'id',
      'follows',
    ])
    expect(text).not.toMatch(/": /)
    expect(serializeEvent({ ...base, extra: 1 } as Event)).not.toContain('extra')
  })
  test('serializeReceivedEvent reproduces the recorded frame bytes', () => {
    const raw = readFlowRunFrames()[1]!
    const event = JSON.parse(raw).event as ReceivedEvent
    expect(`{"type":"event","event":${serializeReceivedEvent(event)}}`).toBe(raw)
  })
  test('eventSizeBytes counts UTF-8 bytes', () => {
    const ascii = { ...base, payload: {} }
    const utf8 = { ...base, payload: { s: 'é' } }
    expect(eventSizeBytes(ascii)).toBe(serializeEvent(ascii).length)
    expect(eventSizeBytes(utf8)).toBe(serializeEvent(utf8).length + 1)
  })
})

describe('createEvent', () => {
  const clock = createManualClock(Date.UTC(2026, 7, 20, 14, 3, 9, 517))
  test('fills id (uuid v7 at clock time), occurred, related, payload, follows', () => {
    const event = createEvent(
      { event: 'acme.order.shipped', resource: { 'prefect.resource.id': 'acme.order.42' } },
      { clock },
    )
    expect(event.occurred).toBe('2026-08-20T14:03:09.517000Z')
    expect(event.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(parseInt(event.id.replace(/-/g, '').slice(0, 12), 16)).toBe(clock.now())
    expect(event).toMatchObject({ related: [], payload: {}, follows: null })
  })
  test('keeps what is given', () => {
    const event = createEvent({ ...base }, { clock })
    expect(event).toEqual(base)
  })
  test('validates', () => {
    expect(() => createEvent({ event: 'x', resource: {} as never })).toThrow(
      /resource\.prefect\.resource\.id: required/,
    )
  })
})

describe('createSerializedEvent', () => {
  const clock = createManualClock(Date.UTC(2026, 7, 20, 14, 3, 9, 517))
  test('gives the event createEvent gives and exactly its serializeEvent text', () => {
    const input = { ...base, related: [], payload: { amount: 1, note: 'été ✓' } }
    const { event, text } = createSerializedEvent(input, { clock })
    expect(event).toEqual(createEvent(input, { clock }))
    expect(text).toBe(serializeEvent(event))
  })
  test('validates, and sizes the event in UTF-8 bytes', () => {
    expect(() => createSerializedEvent({ event: 'x', resource: {} as never })).toThrow(
      /resource\.prefect\.resource\.id: required/,
    )
    // Under the limit in UTF-16 code units, over it in UTF-8 bytes.
    const wide = '€'.repeat(Math.ceil(eventLimits.maxEventSizeBytes / 3) + 10)
    expect(wide.length).toBeLessThan(eventLimits.maxEventSizeBytes)
    expect(() => createSerializedEvent({ ...base, payload: { wide } })).toThrow(
      /bytes serialised, more than/,
    )
  })
})

describe('EventFilter', () => {
  const full = {
    occurred: { since: '2026-08-20T14:02:00.215733Z', until: '2027-08-20T14:03:00.215733Z' },
    event: { prefix: ['prefect.flow-run.'], exclude_prefix: null, name: null, exclude_name: null },
    resource: null,
    related: null,
    any_resource: {
      id: ['prefect.flow-run.01a01f7b-6e8d-7168-9c3e-9b7d20f41a6c'],
      id_prefix: null,
      labels: null,
    },
    id: { id: [] },
    text: null,
    order: 'DESC',
  }
  test('accepts the Python client filter verbatim', () => {
    expect(parseEventFilter(full)).toEqual(full)
  })
  test('accepts list forms, label specs and resources_in_roles', () => {
    const filter = {
      resource: { labels: { 'prefect.resource.name': ['a*', '!b'], x: 'y' }, distinct: true },
      related: [{ role: ['tag'] }, { resources_in_roles: [['prefect.flow.x', 'flow']] }],
      any_resource: [{ id_prefix: ['prefect.flow-run.'] }, { labels: { a: [] } }],
      text: { query: 'error -debug' },
    }
    expect(parseEventFilter(filter)).toEqual(filter)
  })
  test('adds nothing (no occurred, no order)', () => {
    expect(parseEventFilter({})).toEqual({})
  })
  test.each([
    [{ scope: { account: 'a' } }, ': unknown key "scope" (the server forbids extra keys)'],
    [
      { event: { prefixes: ['x'] } },
      'event: unknown key "prefixes" (the server forbids extra keys)',
    ],
    [
      { occurred: { since: 'yesterday' } },
      'occurred.since: not an ISO 8601 datetime with a timezone',
    ],
    [{ occurred: null }, 'occurred: expected object, got null'],
    [{ id: { id: ['nope'] } }, 'id.id[0]: not a UUID'],
    [{ text: { query: 'x'.repeat(201) } }, 'text.query: longer than 200 characters'],
    [{ text: {} }, 'text.query: required'],
    [{ order: 'asc' }, 'order: expected one of "ASC", "DESC"'],
    [
      { related: [{ role: ['a'], x: 1 }] },
      'related[0]: unknown key "x" (the server forbids extra keys)',
    ],
    [{ related: { id: 'a' } }, 'related.id: expected array, got string'],
    [
      { any_resource: [{ labels: { a: 1 } }] },
      'any_resource[0].labels.a: does not match any allowed shape',
    ],
    [
      { related: [{ resources_in_roles: [['a']] }] },
      'related[0].resources_in_roles[0]: fewer than 2 items',
    ],
    [{ resource: { distinct: 'yes' } }, 'resource.distinct: expected boolean, got string'],
  ])('rejects %j', (input, expected) => {
    const error = failure(() => parseEventFilter(input))
    expect(error.code).toBe('INVALID_FILTER')
    expect(issuesOf(() => parseEventFilter(input))).toContain(expected)
  })
  test('text query of exactly 200 characters is accepted', () => {
    expect(() => parseEventFilter({ text: { query: 'x'.repeat(200) } })).not.toThrow()
  })
  test('validate() returns issues instead of throwing', () => {
    expect(validate(EventFilterSchema, { bogus: 1 })).toEqual({
      success: false,
      issues: [{ path: '', message: 'unknown key "bogus" (the server forbids extra keys)' }],
    })
    expect(validate(EventFilterSchema, {})).toEqual({ success: true, data: {} })
  })
})

describe('withServerFilterDefaults', () => {
  const clock = createManualClock(Date.parse('2026-08-20T14:03:09.517Z'))
  test('fills occurred as the server does: start of today − 180 days … now; order DESC', () => {
    expect(withServerFilterDefaults({}, { clock })).toEqual({
      occurred: { since: '2026-02-21T00:00:00Z', until: '2026-08-20T14:03:09.517000Z' },
      order: 'DESC',
    })
  })
  test('keeps what is given', () => {
    const filter = {
      occurred: { until: '2030-01-01T00:00:00Z' },
      order: 'ASC' as const,
      event: { name: ['x'] },
    }
    expect(withServerFilterDefaults(filter, { clock })).toEqual({
      occurred: { since: '2026-02-21T00:00:00Z', until: '2030-01-01T00:00:00Z' },
      order: 'ASC',
      event: { name: ['x'] },
    })
  })
})

const flowRun = {
  id: '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6c',
  created: '2026-08-20T14:02:58.000001Z',
  updated: '2026-08-20T14:03:14.927005Z',
  name: 'hopeful-tortoise',
  flow_id: '3f0b6d3e-8a51-4c2a-9a7e-2d1c5b9e4f10',
  state_id: '01a01f7b-b06f-70f2-91a7-e5b2d04852d1',
  deployment_id: null,
  work_queue_name: null,
  tags: ['etl'],
  state_type: 'COMPLETED',
  state_name: 'Completed',
  run_count: 1,
  start_time: null,
  total_run_time: 3.4,
  empirical_policy: { retries: 0 },
  state: {
    id: '01a01f7b-b06f-70f2-91a7-e5b2d04852d1',
    type: 'COMPLETED',
    name: 'Completed',
    timestamp: '2026-08-20T14:03:14.927005Z',
    message: null,
    data: null,
    state_details: { flow_run_id: '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6c', pause_reschedule: false },
  },
  job_variables: null,
}

describe('parseFlowRun', () => {
  test('accepts a FlowRunResponse and keeps unknown fields', () => {
    const run = parseFlowRun(flowRun)
    expect(run).toEqual(flowRun)
    expect(run['empirical_policy']).toEqual({ retries: 0 })
  })
  test('accepts null state and nulls the schema allows', () => {
    expect(
      parseFlowRun({ ...flowRun, state: null, state_type: null, state_name: null, created: null })
        .state,
    ).toBeNull()
  })
  test('rejects bad shapes with PROTOCOL', () => {
    const error = failure(() =>
      parseFlowRun({ ...flowRun, state: { ...flowRun.state, type: 'DONE' } }),
    )
    expect(error.code).toBe('PROTOCOL')
    expect(error.message).toContain('state.type: expected one of')
    expect(issuesOf(() => parseFlowRun({ ...flowRun, flow_id: undefined }))).toContain(
      'flow_id: required',
    )
    expect(issuesOf(() => parseFlowRun({ ...flowRun, updated: 'today' }))).toContain(
      'updated: not an ISO 8601 datetime with a timezone',
    )
  })
})

describe('parseEventPage and parseOrchestrationResult', () => {
  test('event pages', () => {
    const page = { events: [received], total: 1, next_page: null }
    expect(parseEventPage(page)).toEqual(page)
    expect(
      failure(() => parseEventPage({ events: [base], total: 1, next_page: null })).message,
    ).toContain('events[0].received: required')
  })
  test('orchestration results', () => {
    const result = { state: flowRun.state, status: 'ACCEPT', details: { type: 'accept_details' } }
    expect(parseOrchestrationResult(result)).toEqual(result)
    expect(
      parseOrchestrationResult({
        state: null,
        status: 'WAIT',
        details: { type: 'wait_details', delay_seconds: 5, reason: null },
      }).status,
    ).toBe('WAIT')
    expect(
      failure(() => parseOrchestrationResult({ state: null, status: 'NOPE', details: {} })).code,
    ).toBe('PROTOCOL')
  })
})
