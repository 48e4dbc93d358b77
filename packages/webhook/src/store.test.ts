import { describe, expect, it } from 'vitest'
import { createManualClock } from '@flowcast/core'
import { createMemoryIdempotencyStore } from './store.js'

describe('createMemoryIdempotencyStore', () => {
  it('claims once, reports in-progress and done, releases, and forgets after the TTL', async () => {
    const clock = createManualClock(0)
    const store = createMemoryIdempotencyStore({ ttlMs: 1_000, clock })
    expect(await store.claim('k')).toBe('claimed')
    expect(await store.claim('k')).toBe('in_progress')
    await store.release('k')
    expect(await store.claim('k')).toBe('claimed')
    await store.complete('k')
    expect(await store.claim('k')).toBe('done')
    await store.release('k')
    expect(await store.claim('k')).toBe('done')
    clock.advance(1_000)
    expect(await store.claim('k')).toBe('claimed')
  })

  it('keeps at most maxKeys keys, forgetting the oldest', async () => {
    const store = createMemoryIdempotencyStore({ maxKeys: 2 })
    for (const key of ['a', 'b', 'c']) expect(await store.claim(key)).toBe('claimed')
    expect(await store.claim('c')).toBe('in_progress')
    expect(await store.claim('a')).toBe('claimed')
  })
})
