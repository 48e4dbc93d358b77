import { readFlowRunFrames } from '@flowcast/prefect-spec'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { datetimeLike } from '../test/arbitraries.js'
import { isFlowcastError } from './errors.js'
import { fastAdoptReceivedEvent, fastParseEvent, fastParseReceivedEvent } from './fast-validate.js'
import { parseServerFrame, type ServerFrame } from './frames.js'
import {
  eventSizeBytes,
  formatIssues,
  parseEvent,
  parseReceivedEvent,
  type Event,
} from './models.js'
import { EventSchema, ReceivedEventSchema, validate } from './schemas.js'

const frames = readFlowRunFrames()
const baseEvents = frames.map(
  (raw) => (JSON.parse(raw) as { event: Record<string, unknown> }).event,
)

// ---------------------------------------------------------------------------------------
// Mutations of the recorded events

type Path = readonly (string | number)[]
type Mutation = { path: Path; value?: unknown; remove?: true }

const labelKeys = [
  'prefect.resource.id',
  'prefect.resource.role',
  'prefect.resource.name',
  'prefect.state-type',
  'extra.label',
  '__proto__',
  '7',
] as const

const path: fc.Arbitrary<Path> = fc.oneof(
  fc
    .constantFrom(
      'occurred',
      'event',
      'resource',
      'related',
      'payload',
      'id',
      'follows',
      'received',
      'extra',
      '__proto__',
    )
    .map((key) => [key]),
  fc.constantFrom(...labelKeys).map((key) => ['resource', key]),
  fc.tuple(fc.nat(7), fc.constantFrom(...labelKeys)).map(([i, key]) => ['related', i, key]),
  fc.nat(7).map((i) => ['related', i]),
  fc.constantFrom('intended', 'validated_state', '__proto__', '0').map((key) => ['payload', key]),
)

const uuidLike = fc.oneof(
  fc.uuid(),
  fc.uuid().map((id) => id.toUpperCase()),
  fc
    .tuple(fc.uuid(), fc.nat(36), fc.string({ maxLength: 2 }), fc.nat(1))
    .map(([id, at, insert, drop]) => id.slice(0, at) + insert + id.slice(at + drop)),
  fc.constantFrom('nope', '', '01a01f7b9b4d70f291a7e5b2d04830af'),
)

const max = 1024
const nameLike = fc.oneof(
  fc.constantFrom(
    'a'.repeat(max),
    'a'.repeat(max + 1),
    '😀'.repeat(max), // 2048 UTF-16 units but 1024 code points: accepted
    `${'😀'.repeat(max)}a`,
    `${'😀'.repeat(max - 1)}\uD800`, // a lone high surrogate counts as one
    `\uDC00${'😀'.repeat(max - 1)}`,
    `${'😀'.repeat(max - 1)}\uD800\uD800`,
  ),
  fc
    .array(fc.constantFrom('a', '😀', '\uD800', '\uDC00'), { minLength: 600, maxLength: 1300 })
    .map((chars) => chars.join('')),
)

const manyLabels = fc
  .tuple(fc.integer({ min: 497, max: 502 }), fc.boolean(), fc.constantFrom(null, 1, 'v'))
  .map(([count, related, odd]) => {
    const labels: Record<string, unknown> = { 'prefect.resource.id': 'prefect.tag.x' }
    if (related) labels['prefect.resource.role'] = 'tag'
    for (let i = Object.keys(labels).length; i < count; i++) labels[`label.${i}`] = 'v'
    labels['label.5'] = odd
    return labels
  })

const manyRelated = fc.integer({ min: 98, max: 102 }).map((count) =>
  Array.from({ length: count }, (_, i) => ({
    'prefect.resource.id': `prefect.tag.${i}`,
    'prefect.resource.role': 'tag',
  })),
)

const smallResource = fc.dictionary(
  fc.constantFrom(...labelKeys),
  fc.oneof(fc.constantFrom('', 'v', 'prefect.flow.x'), fc.constantFrom(null, 1, true)),
  { maxKeys: 5 },
)

const value: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, '', 'x', 0, 1.5, true, false, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
  datetimeLike,
  uuidLike,
  nameLike,
  manyLabels,
  manyRelated,
  smallResource,
  fc.array(smallResource, { maxLength: 3 }),
)

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ path, value }),
  path.map((p): Mutation => ({ path: p, remove: true })),
)

function setOwn(target: Record<PropertyKey, unknown>, key: PropertyKey, v: unknown): void {
  // defineProperty, so that a `__proto__` key becomes an own property as JSON.parse makes it.
  Object.defineProperty(target, key, {
    value: v,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}

/**
 * A copy of `base` with `mutations` applied. Values are copied too unless `cloneValues` is
 * false (exotic values would become plain data); a mutation of a frozen or exotic parent,
 * such as a String object's index, is skipped.
 */
function mutate(base: Record<string, unknown>, mutations: readonly Mutation[], cloneValues = true) {
  const event = structuredClone(base)
  for (const { path: p, value: v, remove } of mutations) {
    let parent: unknown = event
    for (const key of p.slice(0, -1)) {
      parent = typeof parent === 'object' && parent !== null ? (parent as never)[key] : undefined
    }
    if (typeof parent !== 'object' || parent === null) continue
    const key = p[p.length - 1]!
    try {
      if (remove) delete (parent as Record<PropertyKey, unknown>)[key]
      else setOwn(parent as Record<PropertyKey, unknown>, key, cloneValues ? structuredClone(v) : v)
    } catch {
      // Left as it is.
    }
  }
  return event
}

const mutatedEvent = fc
  .tuple(fc.constantFrom(...baseEvents), fc.array(mutation, { minLength: 0, maxLength: 3 }))
  .map(([base, mutations]) => mutate(base, mutations))

/** Values no JSON text produces, each made fresh. */
const exoticValues: readonly (() => unknown)[] = [
  () => undefined,
  () => Object.create(null),
  () => Object.assign(Object.create(null) as object, { 'prefect.resource.id': 'x' }),
  () => Object.assign(Object.create({ inherited: 'v' }) as object, { 'prefect.resource.id': 'x' }),
  () => Object.assign(Object.create({ inherited: 1 }) as object, { 'prefect.resource.id': 'x' }),
  () => ({ [Symbol('s')]: 1, a: 1 }),
  () => Object.defineProperty({ a: 1 }, Symbol('hidden'), { value: 1, enumerable: false }),
  () => Object.defineProperty({ a: 1 }, 'hidden', { value: 1, enumerable: false }),
  () => ({ constructor: 'not a function' }),
  () => ({ constructor: function Custom() {} }),
  () => ({ constructor: () => 1 }),
  () =>
    new (class Payload {
      a = 1
    })(),
  // eslint-disable-next-line no-sparse-arrays
  () => [, { 'prefect.resource.id': 'x', 'prefect.resource.role': 'r' }],
  () => new Date(0),
  () => new String('2026-08-20T14:03:09.517204Z'),
  () => JSON.parse('{"__proto__":1,"b":2}') as unknown,
  () =>
    JSON.parse('{"prefect.resource.id":"x","prefect.resource.role":"r","__proto__":1}') as unknown,
  () => ({ 'prefect.resource.id': 'x', 'prefect.resource.role': 'r', [Symbol('s')]: 1 }),
]

// ---------------------------------------------------------------------------------------
// The schema as the reference

const keyOrder = (event: Event) => [
  Object.keys(event),
  Object.keys(event.resource),
  event.related.map((resource) => Object.keys(resource)),
  Object.keys(event.payload),
]

/** Checks the fast path against the schema on `input`; returns whether the schema accepted it. */
function expectSameAsSchema(input: unknown, received: boolean): boolean {
  const reference = validate(received ? ReceivedEventSchema : EventSchema, input)
  const fast = received ? fastParseReceivedEvent(input) : fastParseEvent(input)
  expect(fast !== undefined).toBe(reference.success)
  if (fast === undefined || !reference.success) return reference.success
  expect(fast).toStrictEqual(reference.data)
  expect(keyOrder(fast)).toEqual(keyOrder(reference.data))
  for (const key of Object.keys(reference.data.payload)) {
    expect(fast.payload[key]).toBe(reference.data.payload[key])
  }
  return true
}

function referenceFrame(raw: string): ServerFrame {
  const result = validate(ReceivedEventSchema, (JSON.parse(raw) as { event: unknown }).event)
  if (result.success) return { kind: 'event', event: result.data }
  return {
    kind: 'unknown',
    reason: 'invalid_event',
    type: 'event',
    raw,
    detail: formatIssues(result.issues),
  }
}

/** Checks `parse` (parseEvent or parseReceivedEvent) against the schema on `input`. */
function expectSameThrow(
  parse: (input: unknown) => unknown,
  input: unknown,
  received: boolean,
): void {
  const reference = validate(received ? ReceivedEventSchema : EventSchema, input)
  let result: unknown
  let error: unknown
  try {
    result = parse(input)
  } catch (e) {
    error = e
  }
  if (reference.success) {
    let sizeError: unknown
    // parseEvent then serialises the event to check its size, which throws on e.g. a BigInt.
    if (!received) {
      try {
        eventSizeBytes(reference.data)
      } catch (e) {
        sizeError = e
      }
    }
    if (sizeError !== undefined) {
      expect(error).toBeInstanceOf((sizeError as object).constructor)
      expect(String(error)).toBe(String(sizeError))
      return
    }
    expect(error).toBeUndefined()
    expect(result).toStrictEqual(reference.data)
    return
  }
  expect(isFlowcastError(error, 'INVALID_EVENT')).toBe(true)
  const what = received ? 'received event' : 'event'
  expect((error as Error).message).toBe(
    `[@flowcast/core] invalid ${what}: ${formatIssues(reference.issues)}`,
  )
  expect((error as { details?: unknown }).details).toEqual({ issues: reference.issues })
}

// ---------------------------------------------------------------------------------------

describe('the fast path accepts exactly what the schema accepts, with the same output', () => {
  test('the recorded events', () => {
    for (const event of baseEvents) {
      expect(expectSameAsSchema(event, true)).toBe(true)
      expect(expectSameAsSchema(event, false)).toBe(true)
    }
  })

  test('mutated events, as JSON (what parseServerFrame sees)', () => {
    const seen = { accepted: 0, rejected: 0, adopted: 0 }
    fc.assert(
      fc.property(mutatedEvent, (event) => {
        const raw = JSON.stringify({ type: 'event', event })
        const parsed = (JSON.parse(raw) as { event: unknown }).event
        const adopted = fastAdoptReceivedEvent(parsed)
        const accepted = expectSameAsSchema(parsed, true)
        if (adopted !== undefined) {
          // Adopting is only right when the schema accepts the event and outputs it unchanged.
          expect(accepted).toBe(true)
          expect(adopted).toBe(parsed)
          // The fast path's copy was just checked against the schema's output.
          const copy = fastParseReceivedEvent(parsed)!
          // isDeepStrictEqual: the same check as toStrictEqual, cheaper inside 3,000 runs.
          expect(isDeepStrictEqual(adopted, copy)).toBe(true)
          expect(keyOrder(adopted)).toEqual(keyOrder(copy))
          seen.adopted++
        }
        expectSameAsSchema(parsed, false)
        seen[accepted ? 'accepted' : 'rejected']++
        // The whole frame: same kind, same event or the same reason and detail.
        const frame = parseServerFrame(raw)
        const expected = referenceFrame(raw)
        expect(frame).toStrictEqual(expected)
        if (frame.kind === 'event' && expected.kind === 'event') {
          expect(keyOrder(frame.event)).toEqual(keyOrder(expected.event))
        }
      }),
      { numRuns: 3000 },
    )
    // Both outcomes were exercised, so a disagreement either way would have shown.
    expect(seen.accepted).toBeGreaterThan(300)
    expect(seen.rejected).toBeGreaterThan(300)
    expect(seen.adopted).toBeGreaterThan(100)
  })

  test("a recorded frame's event is adopted as parsed, not copied", () => {
    for (const raw of frames) {
      const parsed = (JSON.parse(raw) as { event: unknown }).event
      expect(fastAdoptReceivedEvent(parsed)).toBe(parsed)
    }
  })

  test('events that need a copy or a default are not adopted', () => {
    const base = JSON.parse(frames[0]!) as { event: Record<string, unknown> }
    const variants: ((event: Record<string, unknown>) => unknown)[] = [
      (event) => ({ ...event, extra: 1 }), // an unknown key is dropped by the schema
      ({ follows: _follows, ...event }) => event, // follows defaults to null
      ({ related: _related, ...event }) => event, // related defaults to []
      (event) => ({ received: event['received'], ...event }), // key order differs
      (event) => ({
        ...event,
        resource: { x: 'y', ...(event['resource'] as object) }, // label order differs
      }),
      (event) => ({ ...event, payload: JSON.parse('{"__proto__":1}') as unknown }),
      (event) => Object.assign(Object.create({ inherited: 1 }) as object, event),
    ]
    for (const variant of variants) {
      const event = variant(structuredClone(base.event))
      expect(fastAdoptReceivedEvent(event)).toBeUndefined()
      const reference = validate(ReceivedEventSchema, event)
      expect(fastParseReceivedEvent(event)).toStrictEqual(
        reference.success ? reference.data : undefined,
      )
    }
  })

  test('mutated events as JavaScript values (what parseEvent and parseReceivedEvent see)', () => {
    const exotic = fc.oneof(
      value,
      fc.anything({
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withDate: true,
        withNullPrototype: true,
        withSparseArray: true,
        withObjectString: true,
        withBigInt: true,
        maxDepth: 2,
      }),
      // Factories, so that no run sees an object an earlier run mutated.
      fc.constantFrom(...exoticValues).map((make) => make()),
    )
    const exoticMutation = fc.record<Mutation>({ path, value: exotic })
    fc.assert(
      fc.property(
        fc.constantFrom(...baseEvents),
        fc.array(fc.oneof(mutation, exoticMutation), { maxLength: 3 }),
        (base, mutations) => {
          const event = mutate(base, mutations, false)
          expectSameAsSchema(event, true)
          expectSameAsSchema(event, false)
          expectSameThrow(parseReceivedEvent, event, true)
          expectSameThrow(parseEvent, event, false)
        },
      ),
      { numRuns: 2000 },
    )
  })

  test.each(exoticValues.map((make, i) => [i, make] as const))(
    'exotic value %i as the event, the resource, a related resource, a label and the payload',
    (_i, make) => {
      const targets: Path[] = [[], ['resource'], ['related', 0], ['resource', 'x'], ['payload']]
      for (const target of targets) {
        const event = mutate(baseEvents[0]!, [])
        let input: unknown = event
        if (target.length === 0) input = make()
        else if (target.length === 1) event[target[0] as string] = make()
        else (event[target[0] as string] as Record<PropertyKey, unknown>)[target[1]!] = make()
        expectSameAsSchema(input, true)
        expectSameAsSchema(input, false)
        expectSameThrow(parseReceivedEvent, input, true)
        expectSameThrow(parseEvent, input, false)
      }
    },
  )

  test('top-level values that are not events', () => {
    for (const input of [undefined, null, 1, 'event', [], [baseEvents[0]], new Map(), () => 1]) {
      expect(expectSameAsSchema(input, true)).toBe(false)
      expectSameThrow(parseReceivedEvent, input, true)
      expectSameThrow(parseEvent, input, false)
    }
  })

  test('an enumerable key added to Object.prototype is read as a label by both', () => {
    const proto = Object.prototype as Record<string, unknown>
    for (const polluted of ['v', 1]) {
      proto['x-polluted'] = polluted
      try {
        for (const event of baseEvents) expectSameAsSchema(event, true)
        expect(expectSameAsSchema(baseEvents[0], true)).toBe(polluted === 'v')
      } finally {
        delete proto['x-polluted']
      }
    }
  })
})
