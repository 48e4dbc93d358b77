import { FlowcastError, PrefectDateTime } from '@flowcast/core'

/** `[@flowcast/fake-server] what: cause` */
export function fakeError(
  code: ConstructorParameters<typeof FlowcastError>[0],
  what: string,
  cause?: string,
  details?: Record<string, unknown>,
): FlowcastError {
  return new FlowcastError(
    code,
    `[@flowcast/fake-server] ${what}${cause ? `: ${cause}` : ''}`,
    details ? { details } : undefined,
  )
}

/** UTF-8 aware base64 (browser-safe: btoa/atob exist in Node 20 and browsers). */
export function base64Encode(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** Strict base64 decode to UTF-8 text; throws on anything that is not base64. */
export function base64Decode(text: string): string {
  const cleaned = text.replace(/ /g, '+')
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(cleaned) || cleaned.length % 4 !== 0) {
    throw new Error('not base64')
  }
  const binary = atob(cleaned)
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}

/** Lower-cases header names; joins repeated values with ', '. */
export function normalizeHeaders(
  headers: Record<string, string | string[] | undefined> | Iterable<[string, string]>,
): Record<string, string> {
  const out: Record<string, string> = {}
  const add = (name: string, value: string) => {
    const key = name.toLowerCase()
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`
  }
  if (Symbol.iterator in headers) {
    for (const [name, value] of headers) add(name, value)
    return out
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) value.forEach((v) => add(name, v))
    else add(name, value)
  }
  return out
}

/** Subprotocols from every `Sec-WebSocket-Protocol` value, split on ',' and trimmed (docs/protocol.md §1.2). */
export function parseProtocols(header: string | undefined): string[] {
  if (!header) return []
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '')
}

/** Compiles a route pattern: `*` = within one segment, `**` = anything; RegExps pass through. */
export function compilePathPattern(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern
  const normalized = pattern.startsWith('/') ? pattern : `/${pattern}`
  let source = ''
  for (let i = 0; i < normalized.length; i++) {
    const ch = normalized[i]!
    if (ch === '*' && normalized[i + 1] === '*') {
      source += '.*'
      i++
    } else if (ch === '*') {
      source += '[^/]*'
    } else {
      source += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    }
  }
  return new RegExp(`^${source}$`)
}

/** Server time as microseconds since the epoch. */
export function formatMicros(micros: bigint): string {
  return PrefectDateTime.fromEpochMicros(micros).toString()
}

/** Python `isoformat()` of a UTC datetime: like the server form, but `+00:00` instead of `Z`. */
export function isoformatMicros(micros: bigint): string {
  return formatMicros(micros).replace(/Z$/, '+00:00')
}

/** Epoch ms -> microseconds. */
export function msToMicros(ms: number): bigint {
  return BigInt(Math.round(ms * 1000))
}

/** Seconds between two microsecond instants, as a float. */
export function secondsBetween(later: bigint, earlier: bigint): number {
  return Number(later - earlier) / 1_000_000
}

/** Truncates a websocket close reason to the 123 bytes the protocol allows. */
export function closeReason(reason: string): string {
  const encoder = new TextEncoder()
  if (encoder.encode(reason).length <= 123) return reason
  let out = reason
  while (encoder.encode(out).length > 123) out = out.slice(0, -1)
  return out
}

/** Parses a JSON text; `undefined` when it is not JSON. */
export function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

/** Plain object check. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
