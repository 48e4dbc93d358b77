import { readFlowRunFrames } from '@flowcast/prefect-spec'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  encodeAuthFrame,
  encodeFilterFrame,
  parseClientFrame,
  parseServerFrame,
  type ServerFrame,
} from './frames.js'
import { isFlowcastError } from './errors.js'
import { serializeReceivedEvent } from './models.js'

const frames = readFlowRunFrames()

describe('parseServerFrame over the recorded /events/out frames', () => {
  test.each(frames.map((raw, i) => [i, raw] as const))('frame %i is an event', (_i, raw) => {
    const frame = parseServerFrame(raw)
    expect(frame.kind).toBe('event')
    if (frame.kind !== 'event') return
    const original = JSON.parse(raw).event
    expect(frame.event).toEqual(original)
    // Re-serialising gives the server's exact bytes (key order, datetime strings kept).
    expect(`{"type":"event","event":${serializeReceivedEvent(frame.event)}}`).toBe(raw)
  })

  test('bytes are decoded as UTF-8 (ArrayBuffer, Uint8Array, Buffer-like views)', () => {
    const bytes = new TextEncoder().encode(frames[0]!)
    expect(parseServerFrame(bytes).kind).toBe('event')
    expect(parseServerFrame(bytes.buffer.slice(0)).kind).toBe('event')
    const padded = new Uint8Array(bytes.length + 4)
    padded.set(bytes, 2)
    expect(parseServerFrame(new DataView(padded.buffer, 2, bytes.length)).kind).toBe('event')
    const fragments = [bytes.subarray(0, 10), bytes.subarray(10, 11), bytes.subarray(11)]
    expect(parseServerFrame(fragments).kind).toBe('event')
  })
})

describe('parseServerFrame classification', () => {
  const event = JSON.parse(frames[0]!).event
  const cases: [string, string, Partial<ServerFrame>][] = [
    ['auth success', '{"type":"auth_success"}', { kind: 'auth_success' }],
    [
      'soft auth denial',
      '{"type":"auth_failure","reason":"Invalid token"}',
      { kind: 'auth_failure', reason: 'Invalid token' },
    ],
    [
      'auth denial without reason',
      '{"type":"auth_failure"}',
      { kind: 'auth_failure', reason: null },
    ],
    [
      'auth denial with odd reason',
      '{"type":"auth_failure","reason":3}',
      { kind: 'auth_failure', reason: null },
    ],
    [
      'checkpoint frame',
      '{"type":"checkpoint","id":"x"}',
      { kind: 'unknown', reason: 'unknown_type', type: 'checkpoint' },
    ],
    ['keep-alive', '{"type":"ping"}', { kind: 'unknown', reason: 'unknown_type', type: 'ping' }],
    [
      'no type (the KeyError case)',
      '{"message":"hello"}',
      { kind: 'unknown', reason: 'no_type', type: null },
    ],
    ['non-string type', '{"type":1}', { kind: 'unknown', reason: 'no_type', type: null }],
    [
      'event frame without event',
      '{"type":"event"}',
      { kind: 'unknown', reason: 'invalid_event', type: 'event' },
    ],
    [
      'event without received',
      JSON.stringify({ type: 'event', event: { ...event, received: undefined } }),
      { kind: 'unknown', reason: 'invalid_event', type: 'event' },
    ],
    [
      'event with bad id',
      JSON.stringify({ type: 'event', event: { ...event, id: 'nope' } }),
      { kind: 'unknown', reason: 'invalid_event', detail: 'id: not a UUID' },
    ],
    ['array', '[1,2]', { kind: 'unknown', reason: 'not_object' }],
    ['null', 'null', { kind: 'unknown', reason: 'not_object' }],
    ['string', '"event"', { kind: 'unknown', reason: 'not_object' }],
    ['garbage', 'hello', { kind: 'unknown', reason: 'not_json' }],
    ['empty', '', { kind: 'unknown', reason: 'not_json' }],
    ['truncated', frames[0]!.slice(0, 100), { kind: 'unknown', reason: 'not_json' }],
  ]
  test.each(cases)('%s', (_name, raw, expected) => {
    const frame = parseServerFrame(raw)
    expect(frame).toMatchObject(expected)
    if (frame.kind === 'unknown') expect(frame.raw).toBe(raw)
  })

  test('extra keys on an event are dropped, like the server does', () => {
    const raw = JSON.stringify({ type: 'event', event: { ...event, extra: 1 }, seq: 5 })
    const frame = parseServerFrame(raw)
    expect(frame.kind).toBe('event')
    if (frame.kind === 'event') expect(frame.event).not.toHaveProperty('extra')
  })

  test('binary frames are reported as binary, with the decoded text', () => {
    const frame = parseServerFrame(new TextEncoder().encode('{"type":"auth_success"}'), {
      binary: true,
    })
    expect(frame).toEqual({
      kind: 'unknown',
      reason: 'binary',
      type: null,
      raw: '{"type":"auth_success"}',
    })
  })

  test('values of a wrong runtime type do not throw', () => {
    for (const value of [undefined, null, 42, {}, Symbol('x'), () => 1, [1, 2], ['a']]) {
      expect(parseServerFrame(value as never)).toMatchObject({ kind: 'unknown', reason: 'binary' })
    }
  })
})

describe('parseServerFrame never throws', () => {
  const frameLike = fc.oneof(
    fc.string(),
    fc.json(),
    fc.jsonValue().map((v) => JSON.stringify({ type: 'event', event: v })),
    fc
      .record({
        type: fc.constantFrom('event', 'auth_success', 'auth_failure', 'x'),
        event: fc.anything(),
      })
      .map((v) => JSON.stringify(v) ?? ''),
    fc.constantFrom(...frames).chain((raw) => fc.nat(raw.length).map((cut) => raw.slice(0, cut))),
  )
  test('on arbitrary strings', () => {
    fc.assert(
      fc.property(frameLike, (text) => {
        const frame = parseServerFrame(text)
        expect(['event', 'auth_success', 'auth_failure', 'unknown']).toContain(frame.kind)
      }),
      { numRuns: 2000 },
    )
  })
  test('on arbitrary bytes, text or binary', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), fc.boolean(), (bytes, binary) => {
        const frame = parseServerFrame(bytes, { binary })
        if (binary) expect(frame).toMatchObject({ kind: 'unknown', reason: 'binary' })
        else expect(frame.kind).toBeTypeOf('string')
      }),
      { numRuns: 2000 },
    )
  })
  test('on invalid UTF-8 the replacement character appears in raw', () => {
    const frame = parseServerFrame(new Uint8Array([0x7b, 0xff, 0x7d]))
    expect(frame).toMatchObject({ kind: 'unknown', reason: 'not_json', raw: '{\uFFFD}' })
  })
})

describe('encoders', () => {
  test('auth frame is compact like the Python client', () => {
    expect(encodeAuthFrame(null)).toBe('{"type":"auth","token":null}')
    expect(encodeAuthFrame('admin:pass')).toBe('{"type":"auth","token":"admin:pass"}')
  })

  test('filter frame is compact, validated and never gains occurred', () => {
    expect(encodeFilterFrame({ event: { prefix: ['prefect.flow-run.'] } })).toBe(
      '{"type":"filter","filter":{"event":{"prefix":["prefect.flow-run."]}}}',
    )
    expect(encodeFilterFrame({}, { backfill: false })).toBe(
      '{"type":"filter","filter":{},"backfill":false}',
    )
  })

  test('filter keys are written in the server model order', () => {
    const frame = encodeFilterFrame({
      order: 'ASC',
      any_resource: { id: ['prefect.flow-run.x'] },
      occurred: { until: '2027-01-01T00:00:00Z', since: '2026-01-01T00:00:00Z' },
    })
    expect(frame).toBe(
      '{"type":"filter","filter":{"occurred":{"since":"2026-01-01T00:00:00Z","until":"2027-01-01T00:00:00Z"},"any_resource":{"id":["prefect.flow-run.x"]},"order":"ASC"}}',
    )
  })

  test('an invalid filter throws INVALID_FILTER naming the key', () => {
    let error: unknown
    try {
      encodeFilterFrame({ event: { prefixes: ['x'] } } as never)
    } catch (e) {
      error = e
    }
    expect(isFlowcastError(error, 'INVALID_FILTER')).toBe(true)
    expect((error as Error).message).toContain('event: unknown key "prefixes"')
  })
})

describe('parseClientFrame (server side of the handshake)', () => {
  test('reads auth and filter frames', () => {
    expect(parseClientFrame(encodeAuthFrame('t'), 'auth')).toEqual({ kind: 'auth', token: 't' })
    expect(parseClientFrame(encodeAuthFrame(null), 'auth')).toEqual({ kind: 'auth', token: null })
    expect(parseClientFrame(encodeFilterFrame({ order: 'ASC' }), 'filter')).toEqual({
      kind: 'filter',
      filter: { order: 'ASC' },
      backfill: true,
    })
    expect(parseClientFrame(encodeFilterFrame({}, { backfill: false }), 'filter')).toMatchObject({
      backfill: false,
    })
  })
  test('gives the server close reasons', () => {
    expect(parseClientFrame('{"type":"filter"}', 'auth')).toMatchObject({
      kind: 'invalid',
      reason: "Expected 'auth' message",
    })
    expect(parseClientFrame('{"type":"auth"}', 'filter')).toMatchObject({
      reason: "Expected 'filter' message",
    })
    const bad = parseClientFrame('{"type":"filter","filter":{"scope":{}}}', 'filter')
    expect(bad).toMatchObject({ kind: 'invalid' })
    if (bad.kind === 'invalid') expect(bad.reason).toMatch(/^Invalid filter: .*"scope"/)
    expect(parseClientFrame('nope', 'auth')).toMatchObject({ kind: 'invalid' })
  })
})
