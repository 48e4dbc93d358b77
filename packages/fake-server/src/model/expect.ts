import type { ReceivedEvent } from '@flowcast/core'
import type { EventMatcher } from '../types.js'

function valueMatches(actual: unknown, expected: unknown): boolean {
  if (expected instanceof RegExp) return typeof actual === 'string' && expected.test(actual)
  return deepEqual(actual, expected)
}

/** Structural equality for JSON values. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every((k) =>
    deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  )
}

function show(value: unknown): string {
  return value instanceof RegExp ? String(value) : JSON.stringify(value)
}

/** The reasons an event does not match (empty when it matches). */
export function mismatches(event: ReceivedEvent, matcher: EventMatcher): string[] {
  const out: string[] = []
  if (matcher.event !== undefined && !valueMatches(event.event, matcher.event)) {
    out.push(`event: expected ${show(matcher.event)}, got ${show(event.event)}`)
  }
  if (matcher.id !== undefined && event.id !== matcher.id) {
    out.push(`id: expected ${show(matcher.id)}, got ${show(event.id)}`)
  }
  for (const [label, expected] of Object.entries(matcher.resource ?? {})) {
    const actual = event.resource[label]
    if (!valueMatches(actual, expected)) {
      out.push(
        `resource[${show(label)}]: expected ${show(expected)}, got ${actual === undefined ? '(missing)' : show(actual)}`,
      )
    }
  }
  if (matcher.related) {
    const wanted = Object.entries(matcher.related)
    const found = event.related.some((r) =>
      wanted.every(([label, expected]) => valueMatches(r[label], expected)),
    )
    if (!found) out.push(`related: no related resource has ${show(matcher.related)}`)
  }
  for (const [key, expected] of Object.entries(matcher.payload ?? {})) {
    const actual = event.payload[key]
    if (!valueMatches(actual, expected)) {
      out.push(
        `payload[${show(key)}]: expected ${show(expected)}, got ${actual === undefined ? '(missing)' : show(actual)}`,
      )
    }
  }
  return out
}

function describeMatcher(matcher: EventMatcher): string {
  const parts: string[] = []
  if (matcher.event !== undefined) parts.push(`event ${show(matcher.event)}`)
  if (matcher.id !== undefined) parts.push(`id ${show(matcher.id)}`)
  if (matcher.resource) parts.push(`resource ${showObject(matcher.resource)}`)
  if (matcher.related) parts.push(`related ${showObject(matcher.related)}`)
  if (matcher.payload) parts.push(`payload ${showObject(matcher.payload)}`)
  return parts.length ? parts.join(', ') : 'any event'
}

function showObject(value: Record<string, unknown>): string {
  return `{ ${Object.entries(value)
    .map(([k, v]) => `${show(k)}: ${show(v)}`)
    .join(', ')} }`
}

/** A readable report of why no event matched: the closest events first, each with its differences. */
export function describeNoMatch(events: readonly ReceivedEvent[], matcher: EventMatcher): string {
  const lines = [`expected an emitted event matching ${describeMatcher(matcher)}`]
  if (events.length === 0) {
    lines.push('but no event was received (nothing on /events/in or POST /api/events)')
    return lines.join('\n')
  }
  const scored = events
    .map((event, index) => ({ event, index, diff: mismatches(event, matcher) }))
    .sort((a, b) => a.diff.length - b.diff.length || a.index - b.index)
  const shown = scored.slice(0, 5)
  lines.push(
    `but none of the ${events.length} received event${events.length === 1 ? '' : 's'} matched; closest:`,
  )
  for (const { event, index, diff } of shown) {
    lines.push(`  #${index + 1} ${event.event} (${event.resource['prefect.resource.id']})`)
    for (const d of diff) lines.push(`      - ${d}`)
  }
  if (scored.length > shown.length) lines.push(`  … and ${scored.length - shown.length} more`)
  return lines.join('\n')
}
