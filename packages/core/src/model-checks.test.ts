import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { datetimeLike } from '../test/arbitraries.js'
import {
  eventCheck,
  eventFilterCheck,
  eventPageCheck,
  flowRunCheck,
  logCheck,
  logCreateCheck,
  logFilterCheck,
  orchestrationResultCheck,
  receivedEventCheck,
  runCheck,
  stateTypes,
} from './model-checks.js'
import {
  EventFilterSchema,
  EventPageSchema,
  EventSchema,
  FlowRunSchema,
  LogCreateSchema,
  LogFilterSchema,
  LogSchema,
  OrchestrationResultSchema,
  ReceivedEventSchema,
  StateTypeSchema,
  validate,
} from './schemas.js'
import type { Check } from './validation.js'

// The zod-free checks must agree with the zod schemas exactly: same verdict, same output
// (key order included) and the same issues, for valid values and for values broken anywhere.

const uuid = '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6c'
const uuid2 = '3f0b6d3e-8a51-4c2a-9a7e-2d1c5b9e4f10'
const at = '2026-08-20T14:03:09.517204Z'

const receivedEvent = {
  occurred: at,
  event: 'prefect.flow-run.Completed',
  resource: { 'prefect.resource.id': `prefect.flow-run.${uuid}`, 'prefect.resource.name': 'x' },
  related: [{ 'prefect.resource.id': 'prefect.tag.etl', 'prefect.resource.role': 'tag' }],
  payload: { intended: { from: 'RUNNING', to: 'COMPLETED' } },
  id: uuid,
  follows: uuid2,
  received: at,
}

const state = {
  id: uuid,
  type: 'COMPLETED',
  name: 'Completed',
  timestamp: at,
  message: null,
  data: { result: 1 },
  state_details: { flow_run_id: uuid, scheduled_time: null },
  extra_field: 1,
}

const flowRun = {
  id: uuid,
  created: at,
  updated: null,
  name: 'hopeful-tortoise',
  flow_id: uuid2,
  state_id: uuid,
  deployment_id: null,
  work_queue_name: 'default',
  work_pool_name: null,
  flow_version: '1',
  parameters: { n: 1 },
  tags: ['etl'],
  labels: { a: true, b: 1, c: 'x' },
  parent_task_run_id: null,
  state_type: 'COMPLETED',
  state_name: 'Completed',
  run_count: 1,
  expected_start_time: at,
  next_scheduled_start_time: null,
  start_time: at,
  end_time: at,
  total_run_time: 1.5,
  estimated_run_time: 0,
  state,
  infrastructure_pid: null,
}

const eventFilter = {
  occurred: { since: at, until: at },
  event: { prefix: ['prefect.flow-run.'], exclude_prefix: null, name: ['x'], exclude_name: [] },
  resource: { id: ['r'], id_prefix: ['p'], labels: { a: 'b', c: ['d', 'e'] }, distinct: true },
  related: [{ id: ['i'], role: ['tag'], resources_in_roles: [['a', 'b']], labels: { x: 'y' } }],
  any_resource: { id: ['a'], id_prefix: null, labels: {} },
  id: { id: [uuid] },
  text: { query: 'error -debug' },
  order: 'ASC',
}

const log = {
  id: uuid,
  created: at,
  updated: null,
  name: 'prefect.flow_runs',
  level: 20,
  message: 'hello',
  timestamp: at,
  flow_run_id: uuid2,
  task_run_id: null,
  worker_id: null,
}

const pairs: {
  name: string
  check: Check
  schema: Parameters<typeof validate>[0]
  bases: unknown[]
}[] = [
  { name: 'Event', check: eventCheck, schema: EventSchema, bases: [receivedEvent] },
  {
    name: 'ReceivedEvent',
    check: receivedEventCheck,
    schema: ReceivedEventSchema,
    bases: [receivedEvent],
  },
  {
    name: 'EventFilter',
    check: eventFilterCheck,
    schema: EventFilterSchema,
    bases: [
      eventFilter,
      {
        ...eventFilter,
        related: eventFilter.related[0],
        any_resource: [eventFilter.any_resource],
      },
      {},
    ],
  },
  { name: 'FlowRun', check: flowRunCheck, schema: FlowRunSchema, bases: [flowRun] },
  {
    name: 'EventPage',
    check: eventPageCheck,
    schema: EventPageSchema,
    bases: [{ events: [receivedEvent], total: 1, next_page: 'http://127.0.0.1/next' }],
  },
  {
    name: 'OrchestrationResult',
    check: orchestrationResultCheck,
    schema: OrchestrationResultSchema,
    bases: [
      {
        state,
        status: 'ACCEPT',
        details: { type: 'accept_details', reason: null, delay_seconds: 1, more: 1 },
      },
    ],
  },
  { name: 'Log', check: logCheck, schema: LogSchema, bases: [log] },
  {
    name: 'LogCreate',
    check: logCreateCheck,
    schema: LogCreateSchema,
    bases: [{ name: 'x', level: 20, message: 'm', timestamp: at, flow_run_id: uuid }],
  },
  {
    name: 'LogFilter',
    check: logFilterCheck,
    schema: LogFilterSchema,
    bases: [
      {
        operator: 'and_',
        level: { ge_: 20, le_: null },
        timestamp: { before_: at, after_: null },
        flow_run_id: { any_: [uuid] },
        task_run_id: { any_: null, is_null_: true },
        text: { query: 'x' },
      },
    ],
  },
]

const keyOrder = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(keyOrder)
    : typeof value === 'object' && value !== null
      ? Object.entries(value).map(([key, item]) => [key, keyOrder(item)])
      : value

function expectSame(pair: (typeof pairs)[number], value: unknown): boolean {
  const ours = runCheck(pair.check, value)
  const reference = validate(pair.schema, value)
  if (!isDeepStrictEqual(ours, reference)) expect(ours).toStrictEqual(reference)
  if (ours.success && reference.success) {
    expect(keyOrder(ours.data)).toEqual(keyOrder(reference.data))
  }
  return reference.success
}

// Every path into a value: object keys, array indices, and one new key or index per container.
function paths(value: unknown, prefix: PropertyKey[] = []): PropertyKey[][] {
  const out: PropertyKey[][] = [prefix]
  if (Array.isArray(value)) {
    value.forEach((item, i) => out.push(...paths(item, [...prefix, i])))
    out.push([...prefix, value.length])
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) out.push(...paths(item, [...prefix, key]))
    out.push([...prefix, 'extra'])
  }
  return out
}

const remove = Symbol('remove')

function setAt(value: unknown, path: PropertyKey[], replacement: unknown): unknown {
  if (path.length === 0) return replacement
  const [key, ...rest] = path
  const copy = (
    Array.isArray(value) ? [...(value as unknown[])] : { ...(value as object) }
  ) as Record<PropertyKey, unknown>
  if (rest.length === 0 && replacement === remove) {
    if (Array.isArray(copy)) copy.splice(key as number, 1)
    else delete copy[key!]
  } else {
    copy[key!] = setAt(copy[key!], rest, replacement)
  }
  return copy
}

const exotic: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    remove,
    undefined,
    null,
    '',
    'x',
    'ASC',
    'DESC',
    'and_',
    'COMPLETED',
    'ACCEPT',
    uuid,
    at,
    true,
    0,
    1.5,
    -1,
    2 ** 60,
    -(2 ** 60),
    Number.NaN,
    Number.POSITIVE_INFINITY,
    [],
    [''],
    ['a', 'b'],
    ['a', 'b', 'c'],
    [['a', 'b']],
    [uuid],
    {},
    { length: 500 },
    { 'prefect.resource.id': '' },
    { 'prefect.resource.id': 'r', 'prefect.resource.role': 'tag' },
    'x'.repeat(201),
    'x'.repeat(1025),
    '😀'.repeat(150),
    Array.from({ length: 101 }, () => 'a'),
    Array.from({ length: 101 }, () => ({
      'prefect.resource.id': 'r',
      'prefect.resource.role': 't',
    })),
    Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`l${i}`, 'v'])),
    JSON.parse('{"__proto__": 1, "a": "b"}') as unknown,
    { [Symbol('s')]: 1 },
  ),
  datetimeLike,
  fc.string({ maxLength: 3 }),
  fc.integer(),
  fc.anything({ maxDepth: 2 }),
)

describe('the zod-free checks agree with the zod schemas', () => {
  test('state types', () => {
    expect([...stateTypes]).toEqual(StateTypeSchema.options)
  })

  test.each(pairs)('$name: the valid bases', (pair) => {
    for (const base of pair.bases) expect(expectSame(pair, base)).toBe(true)
  })

  test.each(pairs)('$name: values broken in one to three places', (pair) => {
    const seen = { accepted: 0, rejected: 0 }
    const mutated = fc.constantFrom(...pair.bases).chain((base) =>
      fc
        .array(fc.tuple(fc.constantFrom(...paths(base)), exotic), { minLength: 1, maxLength: 3 })
        .map((edits) =>
          edits.reduce<unknown>((value, [path, replacement]) => {
            try {
              return setAt(value, path, replacement)
            } catch {
              return value
            }
          }, base),
        ),
    )
    fc.assert(
      fc.property(mutated, (value) => {
        seen[expectSame(pair, value) ? 'accepted' : 'rejected']++
      }),
      { numRuns: 600 },
    )
    expect(seen.rejected).toBeGreaterThan(100)
    expect(seen.accepted).toBeGreaterThan(5)
  })

  test.each(pairs)('$name: anything at all', (pair) => {
    fc.assert(
      fc.property(fc.oneof(exotic, fc.anything()), (value) => {
        expectSame(pair, value)
      }),
      { numRuns: 300 },
    )
  })
})
