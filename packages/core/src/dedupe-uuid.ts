import { dedupeOptions, type DedupeWindow, type DedupeWindowOptions } from './dedupe.js'

/**
 * @internal `createDedupeWindow`'s contract (same options, same answers for every id),
 * faster for the lower-case canonical UUIDs Prefect gives events, and larger in code: the
 * Node entry of `@flowcast/websocket` uses it for its subscribers, browser bundles keep the
 * small one.
 */
export function createUuidDedupeWindow(options: DedupeWindowOptions = {}): DedupeWindow {
  const { windowMs, maxEntries, clock } = dedupeOptions(options)
  // Ids live in a ring in the order they were first seen (the oldest goes first, by age or
  // count), each with its time. A lower-case canonical UUID, which is what Prefect sends, is
  // kept as its 128 bits in typed arrays and found through an open-addressing table (linear
  // probing, at most half full): no string is retained or hashed, and the garbage collector
  // never scans or copies the entries. Any other id is kept in a Set.
  let capacity = 64
  let keys = new Int32Array(capacity * 4)
  let times = new Float64Array(capacity)
  let strings: (string | undefined)[] = []
  // Ring slot + 1 of each key; 0 is free.
  let table = new Int32Array(capacity * 2)
  let others = new Set<string>()
  let head = 0
  let tail = 0
  // The words of the id last read by `readUuid`.
  const word = new Int32Array(4)

  const readUuid = (id: string): boolean => {
    if (id.length !== 36) return false
    let value = 0
    let digits = 0
    for (let i = 0; i < 36; i++) {
      const code = id.charCodeAt(i)
      if (i === 8 || i === 13 || i === 18 || i === 23) {
        if (code !== 45) return false // -
        continue
      }
      const digit = code <= 57 ? code - 48 : code - 87
      if (digit < 0 || digit > 15 || (code > 57 && code < 97)) return false // 0-9, a-f only
      value = (value << 4) | digit
      if ((++digits & 7) === 0) word[(digits >> 3) - 1] = value
    }
    return true
  }

  // Every bit of the key reaches the low bits that pick the home index.
  const hashAt = (words: Int32Array, at: number) => {
    let hash = words[at]!
    for (let i = 1; i < 4; i++) hash = Math.imul(hash ^ (hash >>> 15) ^ words[at + i]!, 0x9e3779b1)
    hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
    return (hash ^ (hash >>> 13)) & (table.length - 1)
  }

  // The table index holding the key at `words[from]`, or ~(the free index where it would go).
  const find = (words: Int32Array, from: number): number => {
    const mask = table.length - 1
    for (let at = hashAt(words, from); ; at = (at + 1) & mask) {
      const entry = table[at]!
      if (entry === 0) return ~at
      const k = (entry - 1) * 4
      if (
        keys[k] === words[from] &&
        keys[k + 1] === words[from + 1] &&
        keys[k + 2] === words[from + 2] &&
        keys[k + 3] === words[from + 3]
      ) {
        return at
      }
    }
  }

  // Frees a table index, moving later keys of its probe run back so that every key stays
  // reachable from its home index.
  const unlink = (at: number) => {
    const mask = table.length - 1
    for (let next = (at + 1) & mask; table[next] !== 0; next = (next + 1) & mask) {
      const home = hashAt(keys, (table[next]! - 1) * 4)
      if (at <= next ? home <= at || home > next : home <= at && home > next) {
        table[at] = table[next]!
        at = next
      }
    }
    table[at] = 0
  }

  const dropOldest = () => {
    const slot = head++ & (capacity - 1)
    const text = strings[slot]
    if (text !== undefined) {
      others.delete(text)
      strings[slot] = undefined
      return
    }
    unlink(find(keys, slot * 4))
  }

  // Called when the ring is full: doubles it (rotated so the oldest is slot 0, in whole-array
  // copies) and rebuilds the table, whose keys are all distinct (no comparisons).
  const grow = () => {
    const from = head & (capacity - 1)
    const rotate = <A extends Int32Array | Float64Array>(old: A, fresh: A, width: number) => {
      fresh.set(old.subarray(from * width))
      fresh.set(old.subarray(0, from * width), (capacity - from) * width)
      return fresh
    }
    keys = rotate(keys, new Int32Array(capacity * 8), 4)
    times = rotate(times, new Float64Array(capacity * 2), 1)
    const oldStrings = strings
    strings = []
    // Empty unless the window held other ids since it last grew.
    for (let slot = 0; slot < oldStrings.length; slot++) {
      const text = oldStrings[slot]
      if (text !== undefined) strings[(slot - from + capacity) & (capacity - 1)] = text
    }
    head = 0
    tail = capacity
    capacity *= 2
    table = new Int32Array(capacity * 2)
    const mask = table.length - 1
    for (let slot = 0; slot < tail; slot++) {
      if (strings[slot] !== undefined) continue
      let at = hashAt(keys, slot * 4)
      while (table[at] !== 0) at = (at + 1) & mask
      table[at] = slot + 1
    }
  }

  const evictExpired = (now: number) => {
    while (head < tail && now - times[head & (capacity - 1)]! >= windowMs) dropOldest()
  }

  return {
    firstSeen(id, now = clock.now()) {
      evictExpired(now)
      const uuid = readUuid(id)
      if (uuid ? find(word, 0) >= 0 : others.has(id)) return false
      if (tail - head >= maxEntries) dropOldest()
      if (tail - head === capacity) grow()
      const slot = tail++ & (capacity - 1)
      times[slot] = now
      if (uuid) {
        keys.set(word, slot * 4)
        table[~find(word, 0)] = slot + 1
      } else {
        others.add(id)
        strings[slot] = id
      }
      return true
    },
    has(id) {
      evictExpired(clock.now())
      return readUuid(id) ? find(word, 0) >= 0 : others.has(id)
    },
    get size() {
      evictExpired(clock.now())
      return tail - head
    },
    clear() {
      capacity = 64
      keys = new Int32Array(capacity * 4)
      times = new Float64Array(capacity)
      strings = []
      table = new Int32Array(capacity * 2)
      others = new Set()
      head = tail = 0
    },
  }
}
