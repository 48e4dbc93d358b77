import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createManualClock } from './clock.js'
import { createEvent, createSerializedEvent, type EventInput } from './create-event.js'
import { isFlowcastError } from './errors.js'
import { formatIssues, parseSerializedEvent, serializeEvent, type Event } from './models.js'

// `createSerializedEvent(input)` is defined as `parseSerializedEvent({ ...input, occurred, id })`
// with `occurred` and `id` filled in; it reads `input` in place instead of building that copy.
// These tests hold it to the definition: same event, same key order, same text, same error.

const clock = createManualClock(Date.UTC(2026, 7, 20, 14, 3, 9, 517))
const generatedOccurred = '2026-08-20T14:03:09.517000Z'

type Outcome =
  | { ok: true; event: Event; text: string }
  | { ok: false; code: string; message: string; details: unknown }

function outcome(make: () => { event: Event; text: string }): Outcome {
  try {
    return { ok: true, ...make() }
  } catch (error) {
    if (!isFlowcastError(error)) throw error
    return { ok: false, code: error.code, message: error.message, details: error.details }
  }
}

function expectAsDefined(input: unknown): Outcome {
  const actual = outcome(() => createSerializedEvent(input as EventInput, { clock }))
  const given = input as { occurred?: unknown; id?: unknown }
  const occurred = given.occurred ?? generatedOccurred
  // The generated id is random: take the one that was made (any valid id when it threw).
  const id = given.id ?? (actual.ok ? actual.event.id : '0190b6d2-0000-7000-8000-000000000000')
  const expected = outcome(() =>
    parseSerializedEvent({ ...(input as object), occurred, id } as unknown),
  )
  expect(actual).toStrictEqual(expected)
  if (actual.ok && expected.ok) {
    expect(Object.keys(actual.event)).toEqual(Object.keys(expected.event))
    expect(actual.text).toBe(serializeEvent(actual.event))
  }
  return actual
}

const valid = {
  event: 'acme.order.shipped',
  resource: { 'prefect.resource.id': 'acme.order.42', 'acme.amount': '12' },
  related: [{ 'prefect.resource.id': 'acme.shop.1', 'prefect.resource.role': 'shop' }],
  payload: { amount: 12, currency: 'EUR' },
}

describe('createSerializedEvent is parseSerializedEvent of { ...input, occurred, id }', () => {
  test('a valid input: the server key order, serializeEvent text', () => {
    const result = expectAsDefined(valid)
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(Object.keys(result.event)).toEqual([
      'occurred',
      'event',
      'resource',
      'related',
      'payload',
      'id',
      'follows',
    ])
    expect(result.event.occurred).toBe(generatedOccurred)
    expect(result.text.startsWith(`{"occurred":"${generatedOccurred}","event":`)).toBe(true)
  })

  test('an invalid input names the problem, as the full check does', () => {
    const result = expectAsDefined({ ...valid, resource: { 'acme.amount': 12 } })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.code).toBe('INVALID_EVENT')
    expect(result.message).toMatch(/^\[@flowcast\/core\] invalid event: resource\./)
    expect(result.message).toContain('resource.prefect.resource.id: required')
    expect(result.message).toBe(
      `[@flowcast/core] invalid event: ${formatIssues((result.details as { issues: never[] }).issues)}`,
    )
  })

  test('keys the spread would not copy are not read from the input', () => {
    // Own but not enumerable: the spread leaves it out, so the event has no name.
    const hidden = { ...valid }
    Object.defineProperty(hidden, 'event', { value: 'acme.hidden', enumerable: false })
    expect(expectAsDefined(hidden)).toMatchObject({ ok: false, code: 'INVALID_EVENT' })
    const hiddenPayload = { ...valid }
    Object.defineProperty(hiddenPayload, 'payload', { value: { x: 1 }, enumerable: false })
    expect(expectAsDefined(hiddenPayload)).toMatchObject({ ok: true, event: { payload: {} } })
    // Inherited: a class instance's getters are not own keys.
    class Input {
      get event() {
        return 'acme.inherited'
      }
      get resource() {
        return valid.resource
      }
    }
    expect(expectAsDefined(new Input())).toMatchObject({ ok: false, code: 'INVALID_EVENT' })
    // Own enumerable getters are read, as the spread reads them.
    const withGetter = { ...valid }
    Object.defineProperty(withGetter, 'event', { get: () => 'acme.getter', enumerable: true })
    expect(expectAsDefined(withGetter)).toMatchObject({ ok: true, event: { event: 'acme.getter' } })
  })

  test('a null-prototype input and an input with its own occurred and id', () => {
    const bare = Object.assign(Object.create(null) as object, valid)
    expect(expectAsDefined(bare)).toMatchObject({ ok: true })
    const given = {
      ...valid,
      occurred: '2026-08-20T16:03:09.517204+02:00',
      id: '0190b6d2-1c4e-7a3b-9f00-123456789abc',
      follows: '0190b6d2-1c4e-7a3b-9f00-123456789abd',
    }
    expect(expectAsDefined(given)).toMatchObject({ ok: true, event: given })
    expect(expectAsDefined({ ...valid, occurred: 'yesterday' })).toMatchObject({ ok: false })
    expect(expectAsDefined({ ...valid, id: 'not-a-uuid' })).toMatchObject({ ok: false })
  })

  test('random inputs, valid and not', () => {
    const label = fc.oneof(fc.string({ maxLength: 4 }), fc.constant(''), fc.integer())
    const resource = fc.oneof(
      fc.dictionary(fc.constantFrom('prefect.resource.id', 'acme.x', '__proto__'), label, {
        maxKeys: 3,
      }),
      fc.constant(valid.resource),
      fc.constantFrom(null, 'r', []),
    )
    const related = fc.oneof(
      fc.array(
        fc.dictionary(
          fc.constantFrom('prefect.resource.id', 'prefect.resource.role', 'acme.y'),
          label,
          { maxKeys: 3 },
        ),
        { maxLength: 2 },
      ),
      fc.constant(valid.related),
      fc.constantFrom(null, {}, 'x'),
    )
    const payload = fc.oneof(
      fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
      fc.constantFrom(null, [], 'p', JSON.parse('{"__proto__":{"a":1},"b":2}') as unknown),
    )
    const input = fc.record(
      {
        event: fc.oneof(fc.constant('acme.x'), fc.string({ maxLength: 3 }), fc.integer()),
        resource,
        related,
        payload,
        follows: fc.constantFrom(null, undefined, '0190b6d2-1c4e-7a3b-9f00-123456789abd', 'f'),
        occurred: fc.constantFrom(undefined, '2026-08-20T14:03:09Z', 'x', 1),
        id: fc.constantFrom(undefined, '0190b6d2-1c4e-7a3b-9f00-123456789abc', 'i'),
        extra: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    const seen = { ok: 0, failed: 0 }
    fc.assert(
      fc.property(input, (value) => {
        seen[expectAsDefined(value).ok ? 'ok' : 'failed']++
      }),
      { numRuns: 1500 },
    )
    expect(seen.ok).toBeGreaterThan(20)
    expect(seen.failed).toBeGreaterThan(20)
  })
})

describe('createEvent', () => {
  test('is createSerializedEvent without the text', () => {
    const event = createEvent(valid, { clock })
    expect(serializeEvent(event)).toMatch(/^\{"occurred":"2026-08-20T14:03:09\.517000Z"/)
    expect(event).toMatchObject({ ...valid, follows: null })
  })
})
