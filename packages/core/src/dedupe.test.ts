import { describe, expect, test } from 'vitest'
import { createManualClock } from './clock.js'
import { createDedupeWindow, dedupeWindowDefaults } from './dedupe.js'
import { uuidv7 } from './uuid.js'

describe('createDedupeWindow', () => {
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
})
