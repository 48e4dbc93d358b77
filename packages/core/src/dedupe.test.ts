import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createManualClock } from './clock.js'
import { createDedupeWindow as createSetWindow, dedupeWindowDefaults } from './dedupe.js'
import { createUuidDedupeWindow } from './dedupe-uuid.js'
import { uuidv7 } from './uuid.js'

// Both windows keep the same contract; every test runs against each.
describe.each([
  ['createDedupeWindow', createSetWindow],
  ['createUuidDedupeWindow', createUuidDedupeWindow],
])('%s', (_name, createDedupeWindow) => {
  test('defaults cover the 15-minute replay window with a margin', () => {
    expect(dedupeWindowDefaults.windowMs).toBeGreaterThanOrEqual(15 * 60_000)
    expect(dedupeWindowDefaults).toEqual({ windowMs: 960_000, maxEntries: 200_000 })
  })

  test('firstSeen is true once, then false ([e1, e1, e2] → [e1, e2])', () => {
    const seen = createDedupeWindow({ clock: createManualClock() })
    const delivered = ['e1', 'e1', 'e2'].filter((id) => seen.firstSeen(id))
    expect(delivered).toEqual(['e1', 'e2'])
    expect(seen.has('e1')).toBe(true)
    expect(seen.has('e3')).toBe(false)
    expect(seen.size).toBe(2)
  })

  test('has() does not record', () => {
    const seen = createDedupeWindow({ clock: createManualClock() })
    expect(seen.has('x')).toBe(false)
    expect(seen.firstSeen('x')).toBe(true)
  })

  test('ids are remembered for the whole window and forgotten after it', () => {
    const clock = createManualClock()
    const seen = createDedupeWindow({ clock })
    seen.firstSeen('a')
    clock.advance(15 * 60_000)
    expect(seen.firstSeen('a')).toBe(false) // a replay 15 minutes later is still a duplicate
    clock.advance(60_000 - 1)
    expect(seen.has('a')).toBe(true)
    clock.advance(1)
    expect(seen.has('a')).toBe(false)
    expect(seen.size).toBe(0)
    expect(seen.firstSeen('a')).toBe(true)
  })

  test('a repeat does not extend the window (entries are dated by first sight)', () => {
    const clock = createManualClock()
    const seen = createDedupeWindow({ clock, windowMs: 1000 })
    seen.firstSeen('a')
    clock.advance(900)
    seen.firstSeen('a')
    clock.advance(100)
    expect(seen.has('a')).toBe(false)
  })

  test('count bound evicts the oldest first', () => {
    const seen = createDedupeWindow({ clock: createManualClock(), maxEntries: 3 })
    for (const id of ['a', 'b', 'c', 'd']) seen.firstSeen(id)
    expect(seen.size).toBe(3)
    expect(seen.has('a')).toBe(false)
    expect(seen.has('b') && seen.has('d')).toBe(true)
  })

  test('memory stays bounded under a long stream of unique ids', () => {
    const clock = createManualClock()
    const seen = createDedupeWindow({ clock, maxEntries: 10_000, windowMs: 60_000 })
    const ids: string[] = []
    let repeats = 0
    for (let i = 0; i < 200_000; i++) {
      const id = i % 1000 === 0 ? uuidv7({ clock }) : `event-${i}`
      if (i % 50_000 === 0) ids.push(id)
      if (!seen.firstSeen(id)) repeats++
      if (i % 10 === 0) clock.advance(1)
    }
    expect(repeats).toBe(0)
    expect(seen.size).toBe(10_000)
    expect(ids.some((id) => seen.has(id))).toBe(false)
    // Time alone also empties it.
    clock.advance(60_000)
    expect(seen.size).toBe(0)
  })

  test('each operation is O(1): 100k inserts with a full window stay fast', () => {
    const clock = createManualClock()
    const seen = createDedupeWindow({ clock, maxEntries: 50_000 })
    const started = performance.now()
    for (let i = 0; i < 100_000; i++) seen.firstSeen(`id-${i}`)
    for (let i = 0; i < 100_000; i++) seen.has(`id-${i}`)
    expect(performance.now() - started).toBeLessThan(2000)
    expect(seen.size).toBe(50_000)
  })

  test('firstSeen(id, now) dates the entry with the given time, not the clock', () => {
    const clock = createManualClock()
    const seen = createDedupeWindow({ clock, windowMs: 1_000 })
    // Recorded as seen 500 ms in the future: still remembered 1,400 ms from now.
    expect(seen.firstSeen('a', clock.now() + 500)).toBe(true)
    clock.advance(1_400)
    expect(seen.has('a')).toBe(true)
    clock.advance(100)
    expect(seen.has('a')).toBe(false)
  })

  test('clear forgets everything', () => {
    const seen = createDedupeWindow({ clock: createManualClock() })
    seen.firstSeen('a')
    seen.clear()
    expect(seen.size).toBe(0)
    expect(seen.firstSeen('a')).toBe(true)
  })

  test('rejects nonsense options', () => {
    expect(() => createDedupeWindow({ windowMs: 0 })).toThrow(/invalid dedupe window/)
    expect(() => createDedupeWindow({ maxEntries: 0 })).toThrow(/invalid dedupe window/)
    expect(() => createDedupeWindow({ maxEntries: Infinity })).toThrow(/invalid dedupe window/)
  })

  test('UUIDs: the oldest go first by count, across the ring growing and wrapping', () => {
    const clock = createManualClock()
    const seen = createDedupeWindow({ clock, maxEntries: 100 })
    const ids = Array.from({ length: 1000 }, (_, i) => uuidOf(i))
    for (const id of ids) expect(seen.firstSeen(id)).toBe(true)
    expect(seen.size).toBe(100)
    expect(ids.filter((id) => seen.has(id))).toEqual(ids.slice(900))
    // A repeat of a remembered id is a duplicate and evicts nothing.
    expect(seen.firstSeen(ids[950]!)).toBe(false)
    expect(seen.has(ids[900]!)).toBe(true)
    expect(seen.firstSeen(ids[0]!)).toBe(true)
    expect(seen.has(ids[900]!)).toBe(false)
  })

  test('UUIDs: remembered for the window, by the time each was first seen', () => {
    const clock = createManualClock()
    const seen = createDedupeWindow({ clock, windowMs: 1_000 })
    for (let i = 0; i < 300; i++) {
      seen.firstSeen(uuidOf(i))
      if (i % 100 === 99) clock.advance(400)
    }
    // Seen at 0, 400 and 800 ms; now is 1,200 ms.
    expect(seen.size).toBe(200)
    expect(seen.has(uuidOf(99))).toBe(false)
    expect(seen.has(uuidOf(100))).toBe(true)
    expect(seen.firstSeen(uuidOf(150))).toBe(false)
    clock.advance(400)
    expect(seen.size).toBe(100)
    expect(seen.firstSeen(uuidOf(150))).toBe(true)
  })

  test('keeps age order when it grows after wrapping around, with other ids among the UUIDs', () => {
    // Expire a first batch, refill past it, then add non-UUID ids: whatever the storage's
    // sizes, some of these runs fill it after it wrapped around, with the newest ids of
    // either kind at its start.
    for (const early of [1, 10, 50, 100, 200]) {
      for (const total of [63, 64, 65, 127, 128, 129, 255, 256, 257]) {
        const clock = createManualClock()
        const seen = createDedupeWindow({ clock, windowMs: 1_000 })
        for (let i = 0; i < early; i++) seen.firstSeen(uuidOf(i))
        clock.advance(1_000)
        const later = Array.from({ length: total }, (_, i) => uuidOf(early + i))
        for (const id of later) seen.firstSeen(id)
        clock.advance(500)
        const newest = Array.from({ length: 20 }, (_, i) =>
          i < 10 ? `other-${i}` : uuidOf(5_000 + i),
        )
        for (const id of newest) seen.firstSeen(id)
        clock.advance(500)
        expect(newest.filter((id) => seen.has(id))).toEqual(newest)
        expect(later.some((id) => seen.has(id))).toBe(false)
        expect(seen.size).toBe(20)
      }
    }
  })

  test('ids are compared as strings: case and near-UUIDs are distinct ids', () => {
    const seen = createDedupeWindow({ clock: createManualClock() })
    const id = '0190a000-0000-7000-8000-00000000abcd'
    expect(seen.firstSeen(id)).toBe(true)
    expect(seen.firstSeen(id.toUpperCase())).toBe(true)
    expect(seen.firstSeen(id.replace('abcd', 'abcg'))).toBe(true)
    expect(seen.firstSeen(`${id} `)).toBe(true)
    expect(seen.firstSeen(id.replaceAll('-', ''))).toBe(true)
    expect(seen.firstSeen(id)).toBe(false)
    expect(seen.firstSeen(id.toUpperCase())).toBe(false)
    expect(seen.size).toBe(5)
  })

  test('behaves as a list of (id, first seen) trimmed by age and count (model-based)', () => {
    const idArb = fc.oneof(
      fc.integer({ min: 0, max: 500 }).map(uuidOf),
      fc.integer({ min: 0, max: 20 }).map((i) => uuidOf(i).toUpperCase()),
      fc.integer({ min: 0, max: 500 }).map((i) => `event-${i}`),
    )
    const opArb = fc.oneof(
      { weight: 60, arbitrary: idArb.map((id) => ({ op: 'firstSeen' as const, id })) },
      { weight: 10, arbitrary: idArb.map((id) => ({ op: 'has' as const, id })) },
      {
        weight: 10,
        arbitrary: fc.integer({ min: -50, max: 400 }).map((ms) => ({ op: 'advance' as const, ms })),
      },
      { weight: 5, arbitrary: fc.constant({ op: 'size' as const }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
      // A run of never-seen ids, all UUIDs or all not: fills, wraps and grows the window.
      {
        weight: 6,
        arbitrary: fc.record({
          op: fc.constant('burst' as const),
          count: fc.integer({ min: 1, max: 80 }),
          uuids: fc.boolean(),
        }),
      },
    )
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 30_000 }),
        fc.array(opArb, { maxLength: 1_500, size: 'max' }),
        (maxEntries, windowMs, ops) => {
          let now = 1_000_000
          const seen = createDedupeWindow({
            clock: { ...createManualClock(), now: () => now },
            maxEntries,
            windowMs,
          })
          let model: { id: string; at: number }[] = []
          const expire = () => {
            while (model.length > 0 && now - model[0]!.at >= windowMs) model.shift()
          }
          let fresh = 10_000
          const firstSeen = (id: string) => {
            expire()
            const unseen = !model.some((entry) => entry.id === id)
            expect(seen.firstSeen(id)).toBe(unseen)
            if (unseen) {
              model.push({ id, at: now })
              if (model.length > maxEntries) model.shift()
            }
          }
          for (const step of ops) {
            if (step.op === 'burst') {
              for (let i = 0; i < step.count; i++) {
                firstSeen(step.uuids ? uuidOf(fresh++) : `fresh-${fresh++}`)
              }
            } else if (step.op === 'advance') now += step.ms
            else if (step.op === 'clear') {
              seen.clear()
              model = []
            } else if (step.op === 'size') {
              expire()
              expect(seen.size).toBe(model.length)
            } else if (step.op === 'has') {
              expire()
              expect(seen.has(step.id)).toBe(model.some((entry) => entry.id === step.id))
            } else firstSeen(step.id)
          }
        },
      ),
      { numRuns: 200 },
    )
  })
})

// A lower-case UUID per number (version 7 layout, as Prefect's ids).
function uuidOf(n: number): string {
  const hex = n.toString(16).padStart(12, '0')
  return `0190a000-0000-7000-8000-${hex}`
}
