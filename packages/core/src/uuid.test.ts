import { describe, expect, test, vi } from 'vitest'
import fc from 'fast-check'
import { createManualClock } from './clock.js'
import { isUuid, uuidv7 } from './uuid.js'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('uuidv7', () => {
  test('has version 7, the RFC variant and the clock time', () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:03:09.517Z'))
    const id = uuidv7({ clock })
    expect(id).toMatch(V7)
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(clock.now())
  })

  test('is unique and sorts in creation order within a millisecond', () => {
    const clock = createManualClock(1_000)
    const ids = Array.from({ length: 2000 }, () => uuidv7({ clock }))
    expect(new Set(ids).size).toBe(ids.length)
    const first = ids.slice(0, 500)
    expect([...first].sort()).toEqual(first)
    expect(ids.every((id) => V7.test(id))).toBe(true)
  })

  test('draws randomness in blocks, each byte once: one getRandomValues call per 256 ids', () => {
    const spy = vi.spyOn(globalThis.crypto, 'getRandomValues')
    try {
      const clock = createManualClock(5_000)
      const ids = Array.from({ length: 1024 }, () => {
        clock.advance(1) // a new millisecond each time: the counter is drawn at random too
        return uuidv7({ clock })
      })
      expect(spy.mock.calls.length).toBeLessThanOrEqual(5)
      expect(new Set(ids).size).toBe(ids.length)
      // The random tails (62 bits after the variant) never repeat: no byte was used twice.
      expect(new Set(ids.map((id) => id.slice(19))).size).toBe(ids.length)
      expect(ids.every((id) => V7.test(id))).toBe(true)
    } finally {
      spy.mockRestore()
    }
  })

  test('uses the system clock by default', () => {
    const before = Date.now()
    const ms = parseInt(uuidv7().replace(/-/g, '').slice(0, 12), 16)
    expect(ms).toBeGreaterThanOrEqual(before)
    expect(ms).toBeLessThanOrEqual(Date.now())
  })

  test('later milliseconds sort later', () => {
    const clock = createManualClock(5)
    const a = uuidv7({ clock })
    clock.advance(1)
    expect(uuidv7({ clock }) > a).toBe(true)
  })
})

test('isUuid accepts canonical UUIDs of any version and case', () => {
  expect(isUuid('01a01f7b-9b4d-70f2-91a7-e5b2d04830af')).toBe(true)
  expect(isUuid('3F0B6D3E-8A51-4C2A-9A7E-2D1C5B9E4F10')).toBe(true)
  expect(isUuid('3f0b6d3e8a514c2a9a7e2d1c5b9e4f10')).toBe(false)
  expect(isUuid('nope')).toBe(false)
  expect(isUuid(42)).toBe(false)
})

test('isUuid agrees with the canonical-form regex, character by character', () => {
  const canonical = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
  const base = '3f0b6d3e-8a51-4c2a-9a7e-2d1c5b9e4f10'
  // Every position with every boundary character around the accepted ranges.
  const probes = '/09:@AFG`afg-_ \u0660'
  for (let i = 0; i < base.length; i++) {
    for (const c of probes) {
      const text = base.slice(0, i) + c + base.slice(i + 1)
      expect(isUuid(text), text).toBe(canonical.test(text))
    }
  }
  fc.assert(
    fc.property(fc.stringMatching(/^[0-9a-fA-F-]{30,40}$/), (text) => {
      expect(isUuid(text)).toBe(canonical.test(text))
    }),
  )
  fc.assert(
    fc.property(fc.uuid(), (text) => {
      expect(isUuid(text)).toBe(true)
    }),
  )
})
