// Fuzzed frames (fast-check, fixed seeds) into the frame parser and into a live subscriber:
// nothing throws, the socket stays up, and real events around the garbage arrive once.
import { parseServerFrame } from '@flowcast/core'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { createEventsSubscriber } from '@flowcast/websocket'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { figure, waitUntil } from './helpers.js'

const datetime = fc.oneof(
  fc.constantFrom(
    '0001-01-01T00:00:30Z',
    '0001-01-01T00:00:00.000001Z',
    '9999-12-31T23:59:59.999999Z',
    '2026-02-30T00:00:00Z',
    '2026-08-20T14:03:09.517204+23:59',
    '',
  ),
  fc
    .integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 })
    .map((ms) => new Date(ms).toISOString()),
  fc.string(),
)

/** Event-shaped frames with hostile fields: where parsers and cursor arithmetic break. */
const eventLike = fc
  .record({
    id: fc.oneof(fc.uuid(), fc.string()),
    event: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('prefect.flow-run.Completed')),
    occurred: datetime,
    received: datetime,
    resource: fc.oneof(
      fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
      fc.record({ 'prefect.resource.id': fc.string({ maxLength: 30 }) }),
    ),
    related: fc.oneof(fc.constant([]), fc.array(fc.jsonValue(), { maxLength: 3 })),
    payload: fc.jsonValue({ maxDepth: 3 }),
  })
  .map((event) => JSON.stringify({ type: 'event', event }))

const deep = fc
  .integer({ min: 100, max: 20_000 })
  .map((depth) => '['.repeat(depth) + ']'.repeat(depth))

/** Any frame a hostile or broken server could send: text or binary. */
const anyFrame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: eventLike },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{"type":"event"}',
      '{"type":"event","event":null}',
      '{"type":"auth_success"}',
      '{"type":"auth_failure"}',
      '{"type":"checkpoint"}',
      'null',
      '"',
      '{"type":"event","event":{"__proto__":{"polluted":1}}}',
    ),
  },
  { weight: 1, arbitrary: deep },
)

describe('fuzzed frames', () => {
  it('the frame parser never throws (10,000 frames, seed 42)', () => {
    let runs = 0
    fc.assert(
      fc.property(anyFrame, (frame) => {
        runs++
        const parsed = parseServerFrame(frame, { binary: typeof frame !== 'string' })
        expect(typeof parsed.kind).toBe('string')
      }),
      { numRuns: 10_000, seed: 42 },
    )
    figure('frame parser fuzz', { frames: runs, seed: 42 })
  })

  it('a live subscriber survives 10,000 fuzzed frames and 2 MiB frames, delivering every real event once', async () => {
    await using server = await createFakePrefectServer()
    const got = new Map<string, number>()
    const subscriber = createEventsSubscriber({
      apiUrl: server.apiUrl,
      onEvent: (event) => got.set(event.id, (got.get(event.id) ?? 0) + 1),
    })
    await waitUntil(() => subscriber.state === 'open', 'the subscriber to open')
    await server.waitForSubscriber({ existing: true })
    const frames = fc.sample(anyFrame, { numRuns: 10_000, seed: 7 })
    const big = [
      'x'.repeat(2 * 1024 * 1024),
      JSON.stringify({ type: 'event', event: { pad: 'y'.repeat(2 * 1024 * 1024) } }),
    ]
    const sentinels: string[] = []
    const chunk = 500
    for (let offset = 0; offset < frames.length; offset += chunk) {
      server.faults.injectFrames(frames.slice(offset, offset + chunk))
      if (offset % 5_000 === 0) server.faults.injectFrames(big)
      const sentinel = server.publishEvent({
        event: 'reliability.sentinel',
        resource: { 'prefect.resource.id': `reliability.sentinel.${offset}` },
      })
      sentinels.push(sentinel.id)
      await waitUntil(() => got.has(sentinel.id), `sentinel after frame ${offset}`)
    }
    figure('live subscriber fuzz', {
      frames: frames.length + 2 * big.length,
      skipped: subscriber.stats.skippedFrames,
      deliveredFromFuzz: subscriber.stats.events - sentinels.length,
      sockets: subscriber.stats.connections,
      seed: 7,
    })
    expect(subscriber.state).toBe('open')
    expect(subscriber.stats.connections).toBe(1)
    expect(sentinels.every((id) => got.get(id) === 1)).toBe(true)
    expect([...got.values()].every((count) => count === 1)).toBe(true)
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
    await subscriber.close()
  })
})
