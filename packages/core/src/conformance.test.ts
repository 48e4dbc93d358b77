// Core's models must never accept what Prefect's own OpenAPI schema rejects, and what core
// produces must validate against it (docs/protocol.md §5, tooling/prefect-spec/data/prefect-openapi.json).
import { readFlowRunFrames, validateAgainstSchema } from '@flowcast/prefect-spec'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createManualClock } from './clock.js'
import { createEvent } from './create-event.js'
import { formatPrefectDateTime } from './datetime.js'
import { encodeFilterFrame } from './frames.js'
import {
  parseFlowRun,
  parseReceivedEvent,
  serializeEvent,
  serializeReceivedEvent,
  withServerFilterDefaults,
  type EventFilter,
  type ReceivedEvent,
} from './models.js'
import { EventFilterSchema, FlowRunSchema, ReceivedEventSchema, validate } from './schemas.js'

const recorded = readFlowRunFrames().map((raw) => JSON.parse(raw).event as ReceivedEvent)
const roundTrip = (text: string): unknown => JSON.parse(text)

// ---- arbitraries --------------------------------------------------------------------

const text = fc.string({ maxLength: 12 })
const dateTime = fc
  .integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2100, 0, 1) })
  .chain((ms) =>
    fc.integer({ min: 0, max: 999 }).map((us) => formatPrefectDateTime(ms + us / 1000)),
  )
const uuid = fc.uuid()
const nullableList = <T>(item: fc.Arbitrary<T>) =>
  fc.option(fc.array(item, { maxLength: 3 }), { nil: null })
const labelSpec = fc.dictionary(text, fc.oneof(text, fc.array(text, { maxLength: 3 })), {
  maxKeys: 3,
})

const resourceFilter = fc.record(
  {
    id: nullableList(text),
    id_prefix: nullableList(text),
    labels: fc.option(labelSpec, { nil: null }),
    distinct: fc.boolean(),
  },
  { requiredKeys: [] },
)
const relatedFilter = fc.record(
  {
    id: nullableList(text),
    role: nullableList(text),
    resources_in_roles: fc.option(fc.array(fc.tuple(text, text), { maxLength: 2 }), { nil: null }),
    labels: fc.option(labelSpec, { nil: null }),
  },
  { requiredKeys: [] },
)
const anyResourceFilter = fc.record(
  {
    id: nullableList(text),
    id_prefix: nullableList(text),
    labels: fc.option(labelSpec, { nil: null }),
  },
  { requiredKeys: [] },
)
const eventFilter: fc.Arbitrary<EventFilter> = fc.record(
  {
    occurred: fc.record({ since: dateTime, until: dateTime }, { requiredKeys: [] }),
    event: fc.option(
      fc.record(
        {
          prefix: nullableList(text),
          exclude_prefix: nullableList(text),
          name: nullableList(text),
          exclude_name: nullableList(text),
        },
        { requiredKeys: [] },
      ),
      { nil: null },
    ),
    resource: fc.option(resourceFilter, { nil: null }),
    related: fc.option(fc.oneof(relatedFilter, fc.array(relatedFilter, { maxLength: 3 })), {
      nil: null,
    }),
    any_resource: fc.option(
      fc.oneof(anyResourceFilter, fc.array(anyResourceFilter, { maxLength: 3 })),
      {
        nil: null,
      },
    ),
    id: fc.record({ id: nullableList(uuid) }, { requiredKeys: [] }),
    text: fc.option(fc.record({ query: fc.string({ maxLength: 200 }) }), { nil: null }),
    order: fc.constantFrom('ASC' as const, 'DESC' as const),
  },
  { requiredKeys: [] },
)

// Mostly-valid filters with random garbage spliced in, to probe the rejection side.
const junk = fc.oneof(fc.jsonValue(), text, fc.constant(null), fc.constant([]), fc.constant({}))
const mutatedFilter = fc
  .tuple(
    eventFilter,
    fc.array(
      fc.tuple(
        fc.constantFrom(
          '',
          'event',
          'resource',
          'occurred',
          'id',
          'text',
          'related',
          'any_resource',
        ),
        text,
        junk,
      ),
      { maxLength: 2 },
    ),
  )
  .map(([filter, edits]) => {
    const copy = JSON.parse(JSON.stringify(filter)) as Record<string, unknown>
    for (const [where, key, value] of edits) {
      const target = where === '' ? copy : copy[where]
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        ;(target as Record<string, unknown>)[key] = value
      } else if (where !== '') {
        copy[where] = value
      }
    }
    return copy
  })

const labels = fc.dictionary(
  text.filter(
    (k) => k !== 'prefect.resource.id' && k !== 'prefect.resource.role' && k !== '__proto__',
  ),
  text,
  { maxKeys: 4 },
)
const eventInput = fc.record({
  event: fc.string({ maxLength: 40 }),
  resource: fc
    .tuple(
      text.filter((s) => s !== ''),
      labels,
    )
    .map(([id, rest]) => ({ ...rest, 'prefect.resource.id': id })),
  related: fc.array(
    fc
      .tuple(
        text.filter((s) => s !== ''),
        text.filter((s) => s !== ''),
        labels,
      )
      .map(([id, role, rest]) => ({
        ...rest,
        'prefect.resource.id': id,
        'prefect.resource.role': role,
      })),
    { maxLength: 3 },
  ),
  payload: fc.dictionary(
    text.filter((k) => k !== '__proto__'),
    fc.jsonValue(),
    { maxKeys: 3 },
  ),
  follows: fc.option(uuid, { nil: null }),
})

// ---- events ---------------------------------------------------------------------------

describe('events', () => {
  test('the recorded frames validate as ReceivedEvent and Event, before and after core', () => {
    for (const event of recorded) {
      expect(validateAgainstSchema('ReceivedEvent', event)).toEqual([])
      const parsed = parseReceivedEvent(event)
      expect(
        validateAgainstSchema('ReceivedEvent', roundTrip(serializeReceivedEvent(parsed))),
      ).toEqual([])
      expect(validateAgainstSchema('Event', roundTrip(serializeEvent(parsed)))).toEqual([])
    }
  })

  test('property: every event createEvent makes validates as Event', () => {
    const clock = createManualClock(Date.UTC(2026, 7, 20))
    fc.assert(
      fc.property(eventInput, (input) => {
        const event = createEvent(input, { clock })
        expect(validateAgainstSchema('Event', roundTrip(serializeEvent(event)))).toEqual([])
      }),
      { numRuns: 300 },
    )
  })

  test('property: whatever core accepts as a ReceivedEvent, OpenAPI accepts', () => {
    const mutated = fc
      .tuple(
        fc.constantFrom(...recorded),
        fc.constantFrom(
          'occurred',
          'event',
          'id',
          'follows',
          'received',
          'payload',
          'related',
          'resource',
          'extra',
        ),
        junk,
      )
      .map(([event, key, value]) => ({ ...event, [key]: value }))
    fc.assert(
      fc.property(mutated, (candidate) => {
        const result = validate(ReceivedEventSchema, candidate)
        if (result.success) {
          expect(
            validateAgainstSchema('ReceivedEvent', roundTrip(serializeReceivedEvent(result.data))),
          ).toEqual([])
        }
      }),
      { numRuns: 500 },
    )
  })
})

// ---- filters --------------------------------------------------------------------------

describe('filters', () => {
  test('property: every filter encodeFilterFrame writes validates as EventFilter', () => {
    fc.assert(
      fc.property(eventFilter, fc.option(fc.boolean(), { nil: undefined }), (filter, backfill) => {
        const frame = roundTrip(encodeFilterFrame(filter, { backfill })) as { filter: unknown }
        expect(validateAgainstSchema('EventFilter', frame.filter)).toEqual([])
      }),
      { numRuns: 500 },
    )
  })

  test('the Python client filter and server defaults validate', () => {
    const python = {
      occurred: { since: '2026-08-20T14:02:00.215733Z', until: '2027-08-20T14:03:00.215733Z' },
      event: {
        prefix: ['prefect.flow-run.'],
        exclude_prefix: null,
        name: null,
        exclude_name: null,
      },
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
    expect(validateAgainstSchema('EventFilter', python)).toEqual([])
    const frame = roundTrip(encodeFilterFrame(python as EventFilter)) as { filter: unknown }
    expect(frame.filter).toEqual(python)
    expect(validateAgainstSchema('EventFilter', withServerFilterDefaults({}))).toEqual([])
  })

  test('the OpenAPI validator names the unknown key', () => {
    expect(validateAgainstSchema('EventFilter', { scope: {} })).toEqual([
      '/: must NOT have additional properties (scope)',
    ])
    expect(() => validateAgainstSchema('NoSuchSchema', {})).toThrow(/no schema named/)
  })

  test.each([
    [{ scope: { account: 'a' } }],
    [{ event: { prefixes: ['x'] } }],
    [{ occurred: { since: '2026-08-20T14:02:00Z', extra: 1 } }],
    [{ occurred: null }],
    [{ id: { id: ['nope'] } }],
    [{ id: null }],
    [{ text: {} }],
    [{ text: { query: 'x'.repeat(201) } }],
    [{ order: 'asc' }],
    [{ related: [{ resources_in_roles: [['a']] }] }],
    [{ related: { id: ['a'], bogus: true } }],
    [{ any_resource: { labels: { a: 1 } } }],
    [{ any_resource: [{ id: 'not-a-list' }] }],
    [{ resource: { distinct: 'yes' } }],
    [{ resource: { labels: { a: [1] } } }],
  ])('OpenAPI rejects %j, and so does core', (filter) => {
    expect(validateAgainstSchema('EventFilter', filter)).not.toEqual([])
    expect(validate(EventFilterSchema, filter).success).toBe(false)
  })

  test('property: whatever core accepts as an EventFilter, OpenAPI accepts', () => {
    let accepted = 0
    let rejected = 0
    fc.assert(
      fc.property(mutatedFilter, (candidate) => {
        const result = validate(EventFilterSchema, candidate)
        if (result.success) {
          accepted++
          expect(
            validateAgainstSchema('EventFilter', roundTrip(JSON.stringify(result.data))),
          ).toEqual([])
        } else {
          rejected++
        }
      }),
      { numRuns: 800 },
    )
    // The generator must exercise both sides for the property to mean anything.
    expect(accepted).toBeGreaterThan(50)
    expect(rejected).toBeGreaterThan(50)
  })
})

// ---- flow runs ------------------------------------------------------------------------

const state = fc.record(
  {
    id: uuid,
    type: fc.constantFrom(
      'SCHEDULED',
      'PENDING',
      'RUNNING',
      'COMPLETED',
      'FAILED',
      'CANCELLED',
      'CRASHED',
      'PAUSED',
      'CANCELLING',
    ),
    name: fc.option(text, { nil: null }),
    timestamp: dateTime,
    message: fc.option(text, { nil: null }),
    data: fc.option(fc.jsonValue(), { nil: null }),
    state_details: fc.record({ flow_run_id: fc.option(uuid, { nil: null }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['id', 'type'] },
)
const flowRun = fc.record(
  {
    id: uuid,
    created: fc.option(dateTime, { nil: null }),
    updated: fc.option(dateTime, { nil: null }),
    name: text,
    flow_id: uuid,
    state_id: fc.option(uuid, { nil: null }),
    deployment_id: fc.option(uuid, { nil: null }),
    work_queue_name: fc.option(text, { nil: null }),
    work_pool_name: fc.option(text, { nil: null }),
    tags: fc.array(text, { maxLength: 3 }),
    labels: fc.dictionary(
      text.filter((k) => k !== '__proto__'),
      fc.oneof(
        text,
        fc.integer(),
        fc.boolean(),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      ),
    ),
    parameters: fc.dictionary(
      text.filter((k) => k !== '__proto__'),
      fc.jsonValue(),
      { maxKeys: 3 },
    ),
    state_type: fc.option(fc.constantFrom('COMPLETED', 'FAILED', 'RUNNING'), { nil: null }),
    state_name: fc.option(text, { nil: null }),
    run_count: fc.nat(),
    start_time: fc.option(dateTime, { nil: null }),
    end_time: fc.option(dateTime, { nil: null }),
    total_run_time: fc.double({ min: 0, max: 1e6, noNaN: true }),
    state: fc.option(state, { nil: null }),
  },
  { requiredKeys: ['id', 'created', 'updated', 'flow_id'] },
)

describe('flow runs', () => {
  test('property: every flow run parseFlowRun accepts validates as FlowRunResponse', () => {
    fc.assert(
      fc.property(flowRun, (run) => {
        const parsed = parseFlowRun(run)
        expect(validateAgainstSchema('FlowRunResponse', roundTrip(JSON.stringify(parsed)))).toEqual(
          [],
        )
      }),
      { numRuns: 300 },
    )
  })

  test('property: with junk spliced in, core never accepts what OpenAPI rejects', () => {
    const mutated = fc
      .tuple(
        flowRun,
        fc.constantFrom(
          'id',
          'created',
          'name',
          'flow_id',
          'state',
          'state_type',
          'run_count',
          'tags',
          'labels',
          'start_time',
        ),
        junk,
      )
      .map(([run, key, value]) => ({ ...run, [key]: value }))
    fc.assert(
      fc.property(mutated, (candidate) => {
        const result = validate(FlowRunSchema, candidate)
        if (result.success) {
          expect(
            validateAgainstSchema('FlowRunResponse', roundTrip(JSON.stringify(result.data))),
          ).toEqual([])
        }
      }),
      { numRuns: 500 },
    )
  })
})
