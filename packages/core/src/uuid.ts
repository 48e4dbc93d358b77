import { systemClock, type Clock } from './clock.js'

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Whether `value` is a UUID in the canonical hyphenated form (any version, any case), the
 * form the server writes and the OpenAPI `format: uuid` accepts.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value)
}

/** Options of {@link uuidv7}. */
export interface UuidV7Options {
  /**
   * Source of the embedded millisecond timestamp.
   * @default systemClock
   */
  clock?: Clock
}

let lastMs = -1
let lastCounter = 0

const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

/**
 * A new RFC 9562 UUID version 7 (time-ordered), as Prefect uses for event ids.
 * IDs made in the same millisecond by one clock increase monotonically (a 12-bit counter
 * seeded at random), so they sort in creation order.
 *
 * @example
 * ```ts
 * uuidv7() // '01a01f7b-9b4d-70f2-91a7-e5b2d04830af'
 * ```
 */
export function uuidv7(options: UuidV7Options = {}): string {
  const ms = Math.max(0, Math.floor((options.clock ?? systemClock).now()))
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  let counter: number
  if (ms === lastMs && lastCounter < 0xfff) {
    counter = lastCounter + 1
  } else {
    // Seed in the lower half so a burst within one millisecond rarely overflows.
    counter = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff
  }
  lastMs = ms
  lastCounter = counter
  let t = ms
  for (let i = 5; i >= 0; i--) {
    bytes[i] = t % 256
    t = Math.floor(t / 256)
  }
  bytes[6] = 0x70 | (counter >> 8)
  bytes[7] = counter & 0xff
  bytes[8] = 0x80 | (bytes[8]! & 0x3f)
  const h = hex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}
