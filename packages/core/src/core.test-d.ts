import type { z } from 'zod'
import { describe, expectTypeOf, test } from 'vitest'
import type {
  EventFilterSchema,
  EventSchema,
  FlowRunSchema,
  ReceivedEventSchema,
} from './schemas.js'
import {
  createEvent,
  flowRunStateFromEvent,
  isFlowcastError,
  isTerminalStateType,
  matchesFilter,
  parseServerFrame,
  type Clock,
  type Event,
  type EventFilter,
  type EventInput,
  type FlowRun,
  type FlowRunStateObservation,
  type FlowcastError,
  type FlowcastErrorCode,
  type ManualClock,
  type ReceivedEvent,
  type RelatedResource,
  type Resource,
  type ServerFrame,
  type StateType,
  type TerminalStateType,
} from './index.js'

describe('models', () => {
  test('schemas infer exactly the documented interfaces', () => {
    expectTypeOf<z.output<typeof EventSchema>>().toEqualTypeOf<Event>()
    expectTypeOf<z.output<typeof ReceivedEventSchema>>().toEqualTypeOf<ReceivedEvent>()
    expectTypeOf<z.infer<typeof FlowRunSchema>>().toEqualTypeOf<FlowRun>()
    expectTypeOf<EventFilter>().toEqualTypeOf<z.input<typeof EventFilterSchema>>()
  })

  test('resources require their id (and role when related)', () => {
    expectTypeOf<{ 'prefect.resource.id': string; x: string }>().toExtend<Resource>()
    expectTypeOf<{ x: string }>().not.toExtend<Resource>()
    expectTypeOf<Resource>().not.toExtend<RelatedResource>()
    expectTypeOf<RelatedResource>().toExtend<Resource>()
  })

  test('EventInput needs only event and resource', () => {
    expectTypeOf<{ event: string; resource: Resource }>().toExtend<EventInput>()
    expectTypeOf<{ event: string }>().not.toExtend<EventInput>()
    expectTypeOf(createEvent).returns.toEqualTypeOf<Event>()
  })

  test('EventFilter is snake_case with every part optional', () => {
    expectTypeOf<Record<never, never>>().toExtend<EventFilter>()
    expectTypeOf<{ any_resource: { id: string[] }[] }>().toExtend<EventFilter>()
    expectTypeOf<{ anyResource: { id: string[] } }>().not.toExtend<EventFilter>()
    expectTypeOf<{ order: 'asc' }>().not.toExtend<EventFilter>()
  })

  test('FlowRun tolerates unknown fields and nulls', () => {
    expectTypeOf<FlowRun['state']>().toEqualTypeOf<z.infer<typeof FlowRunSchema>['state']>()
    expectTypeOf<null>().toExtend<FlowRun['state']>()
    expectTypeOf<FlowRun['extra_field']>().toEqualTypeOf<unknown>()
  })
})

describe('states', () => {
  test('terminal types are a subset of state types', () => {
    expectTypeOf<TerminalStateType>().toExtend<StateType>()
    expectTypeOf<'PAUSED'>().not.toExtend<TerminalStateType>()
  })
  test('isTerminalStateType narrows', () => {
    const value: unknown = 'COMPLETED'
    if (isTerminalStateType(value)) expectTypeOf(value).toEqualTypeOf<TerminalStateType>()
  })
  test('flowRunStateFromEvent returns an observation or null', () => {
    expectTypeOf(flowRunStateFromEvent).returns.toEqualTypeOf<FlowRunStateObservation | null>()
    expectTypeOf<FlowRunStateObservation['type']>().toEqualTypeOf<StateType>()
  })
})

describe('frames and matching', () => {
  test('ServerFrame is a discriminated union', () => {
    const frame = parseServerFrame('{}')
    expectTypeOf(frame).toEqualTypeOf<ServerFrame>()
    if (frame.kind === 'event') expectTypeOf(frame.event).toEqualTypeOf<ReceivedEvent>()
    if (frame.kind === 'auth_failure') expectTypeOf(frame.reason).toEqualTypeOf<string | null>()
    if (frame.kind === 'unknown') expectTypeOf(frame.raw).toEqualTypeOf<string>()
  })
  test('parseServerFrame accepts text and bytes', () => {
    expectTypeOf(parseServerFrame).toBeCallableWith(new Uint8Array())
    expectTypeOf(parseServerFrame).toBeCallableWith(new ArrayBuffer(1), { binary: true })
  })
  test('matchesFilter takes an event and a filter', () => {
    expectTypeOf(matchesFilter).parameter(0).toEqualTypeOf<Event>()
    expectTypeOf(matchesFilter).returns.toEqualTypeOf<boolean>()
  })
})

describe('errors and clock', () => {
  test('isFlowcastError narrows', () => {
    const error: unknown = null
    if (isFlowcastError(error)) expectTypeOf(error.code).toEqualTypeOf<FlowcastErrorCode>()
    expectTypeOf<FlowcastError['status']>().toEqualTypeOf<number | undefined>()
  })
  test('a ManualClock is a Clock', () => {
    expectTypeOf<ManualClock>().toExtend<Clock>()
    expectTypeOf<ManualClock['advanceAsync']>().returns.toEqualTypeOf<Promise<void>>()
  })
})
