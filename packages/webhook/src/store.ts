import { systemClock, type Clock } from '@flowcast/core'

/**
 * What a claim found:
 * - `claimed`: this caller now owns the key and must `complete` or `release` it;
 * - `in_progress`: another caller owns it and has not finished;
 * - `done`: it was handled already.
 */
export type ClaimResult = 'claimed' | 'in_progress' | 'done'

/**
 * Where the receiver records which deliveries it has handled. The in-memory store serves one
 * process; `createRedisIdempotencyStore` from `@flowcast/webhook/redis` serves many.
 */
export interface IdempotencyStore {
  /** Atomically claims `key` unless it is claimed or done. */
  claim(key: string): Promise<ClaimResult>
  /** Marks a claimed key as done (kept for the store's TTL). */
  complete(key: string): Promise<void>
  /** Gives a claimed key up (its handler failed), so the next delivery is dispatched. */
  release(key: string): Promise<void>
}

/** Options of {@link createMemoryIdempotencyStore}. */
export interface MemoryIdempotencyStoreOptions {
  /**
   * How long a claim or done mark is kept, in ms.
   * @default 86_400_000 (24 h)
   */
  ttlMs?: number
  /**
   * At most this many keys are kept; the oldest are forgotten first.
   * @default 100_000
   */
  maxKeys?: number
  /** @default systemClock */
  clock?: Clock
}

/** Defaults of {@link MemoryIdempotencyStoreOptions}. */
export const memoryIdempotencyStoreDefaults = { ttlMs: 86_400_000, maxKeys: 100_000 } as const

/**
 * An {@link IdempotencyStore} in this process's memory, with a TTL and a size cap.
 *
 * @example
 * ```ts
 * const receiver = createWebhookReceiver({ store: createMemoryIdempotencyStore({ ttlMs: 3_600_000 }) })
 * ```
 */
export function createMemoryIdempotencyStore(
  options: MemoryIdempotencyStoreOptions = {},
): IdempotencyStore {
  const ttlMs = options.ttlMs ?? memoryIdempotencyStoreDefaults.ttlMs
  const maxKeys = options.maxKeys ?? memoryIdempotencyStoreDefaults.maxKeys
  const clock = options.clock ?? systemClock
  // Insertion order is expiry order (one TTL for all, re-inserted on update), so expired and
  // surplus entries are always at the front.
  const entries = new Map<string, { state: 'in_progress' | 'done'; expiresAt: number }>()

  function sweep(now: number): void {
    for (const [key, entry] of entries) {
      if (entry.expiresAt > now && entries.size < maxKeys) break
      entries.delete(key)
    }
  }

  function set(key: string, state: 'in_progress' | 'done'): void {
    entries.delete(key)
    entries.set(key, { state, expiresAt: clock.now() + ttlMs })
  }

  return {
    async claim(key) {
      const now = clock.now()
      sweep(now)
      const entry = entries.get(key)
      if (entry && entry.expiresAt > now) return entry.state
      set(key, 'in_progress')
      return 'claimed'
    },
    async complete(key) {
      set(key, 'done')
    },
    async release(key) {
      if (entries.get(key)?.state === 'in_progress') entries.delete(key)
    },
  }
}
