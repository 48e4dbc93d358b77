import { systemClock, type Clock } from './clock.js'

/**
 * Whether `value` is a UUID in the canonical hyphenated form (any version, any case), the
 * form the server writes and the OpenAPI `format: uuid` accepts.
 */
export function isUuid(value: unknown): value is string {
  // Character codes rather than a regex: every received event's id (and `follows`) is
  // checked on the subscriber's hot path, and this is several times faster.
  if (typeof value !== 'string' || value.length !== 36) return false
  for (let i = 0; i < 36; i++) {
    const code = value.charCodeAt(i)
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (code !== 45) return false // -
    } else if (!(
      (code >= 48 && code <= 57) ||
      (code >= 97 && code <= 102) ||
      (code >= 65 && code <= 70)
    )) {
      return false // not 0-9, a-f or A-F
    }
  }
  return true
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

const hexPairs = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))
const hex = (bytes: Uint8Array, from: number, to: number) => {
  let text = ''
  for (let i = from; i < to; i++) text += hexPairs[bytes[i]!]!
  return text
}

// Random bytes are drawn from the system's CSPRNG in blocks: one `getRandomValues` call per
// 256 ids instead of one per id, which is most of an id's cost. Each byte is used once.
const poolBytes = 4096
let pool: Uint8Array | undefined
let poolOffset = poolBytes

function randomBlock16(): Uint8Array {
  if (!pool || poolOffset === poolBytes) {
    pool ??= new Uint8Array(poolBytes)
    globalThis.crypto.getRandomValues(pool)
    poolOffset = 0
  }
  const block = pool.subarray(poolOffset, poolOffset + 16)
  poolOffset += 16
  return block
}

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
  const bytes = randomBlock16()
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
  return `${hex(bytes, 0, 4)}-${hex(bytes, 4, 6)}-${hex(bytes, 6, 8)}-${hex(bytes, 8, 10)}-${hex(bytes, 10, 16)}`
}
