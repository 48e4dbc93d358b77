import { PrefectDateTime } from './datetime.js'
import type {
  Event,
  EventAnyResourceFilter,
  EventFilter,
  EventRelatedFilter,
  Resource,
  ResourceSpecification,
} from './models.js'

// ---------------------------------------------------------------------------------------
// Globs with the semantics of Python's fnmatch.fnmatchcase: `*` any run of characters,
// `?` one character, `[seq]` / `[!seq]` sets with ranges; a `[` without a closing `]` is
// literal; backslash is not an escape. Matching works on code points, as Python does.

type GlobToken =
  | { t: 'char'; c: string }
  | { t: 'any' }
  | { t: 'star' }
  | { t: 'set'; negated: boolean; chars: string[]; ranges: [string, string][] }

const globCache = new Map<string, GlobToken[]>()
const GLOB_CACHE_LIMIT = 1000

function compileGlob(pattern: string): GlobToken[] {
  const cached = globCache.get(pattern)
  if (cached) return cached
  const p = Array.from(pattern)
  const tokens: GlobToken[] = []
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!
    if (c === '*') {
      if (tokens.at(-1)?.t !== 'star') tokens.push({ t: 'star' })
    } else if (c === '?') {
      tokens.push({ t: 'any' })
    } else if (c === '[') {
      let j = i + 1
      if (p[j] === '!') j++
      if (p[j] === ']') j++
      while (j < p.length && p[j] !== ']') j++
      if (j >= p.length) {
        tokens.push({ t: 'char', c })
        continue
      }
      let k = i + 1
      const negated = p[k] === '!'
      if (negated) k++
      const chars: string[] = []
      const ranges: [string, string][] = []
      while (k < j) {
        const a = p[k]!
        if (p[k + 1] === '-' && k + 2 < j) {
          // An inverted range (e.g. `z-a`) matches nothing, as in Python.
          ranges.push([a, p[k + 2]!])
          k += 3
        } else {
          chars.push(a)
          k++
        }
      }
      tokens.push({ t: 'set', negated, chars, ranges })
      i = j
    } else {
      tokens.push({ t: 'char', c })
    }
  }
  if (globCache.size >= GLOB_CACHE_LIMIT) globCache.clear()
  globCache.set(pattern, tokens)
  return tokens
}

function tokenMatches(token: GlobToken, c: string): boolean {
  switch (token.t) {
    case 'char':
      return token.c === c
    case 'any':
      return true
    case 'set': {
      const cp = c.codePointAt(0)!
      const inSet =
        token.chars.includes(c) ||
        token.ranges.some(([lo, hi]) => cp >= lo.codePointAt(0)! && cp <= hi.codePointAt(0)!)
      return inSet !== token.negated
    }
    default:
      return false
  }
}

function globMatch(value: string, pattern: string): boolean {
  if (!/[*?[]/.test(pattern)) return value === pattern
  const tokens = compileGlob(pattern)
  const v = Array.from(value)
  let ti = 0
  let vi = 0
  let starTi = -1
  let starVi = 0
  // Linear-time wildcard matching with backtracking to the last star only.
  while (vi < v.length) {
    const token = tokens[ti]
    if (token && token.t === 'star') {
      starTi = ti++
      starVi = vi
    } else if (token && tokenMatches(token, v[vi]!)) {
      ti++
      vi++
    } else if (starTi >= 0) {
      ti = starTi + 1
      vi = ++starVi
    } else {
      return false
    }
  }
  while (tokens[ti]?.t === 'star') ti++
  return ti === tokens.length
}

/**
 * Whether a label value matches one pattern, as the server matches `labels` filters
 * (docs/protocol.md §5): a glob (`*`, `?`, `[seq]`, `[!seq]`, like Python's `fnmatchcase`), negated by
 * a leading `!`. A missing label (`undefined`) never matches, not even a negated pattern.
 *
 * @example
 * ```ts
 * matchesLabelPattern('prefect.flow-run.abc', 'prefect.flow-run.*') // true
 * matchesLabelPattern('world', '!world') // false
 * matchesLabelPattern(undefined, '!world') // false
 * ```
 */
export function matchesLabelPattern(value: string | undefined, pattern: string): boolean {
  if (value === undefined) return false
  if (pattern.startsWith('!')) return !globMatch(value, pattern.slice(1))
  return globMatch(value, pattern)
}

function matchesLabels(resource: Resource, labels: ResourceSpecification): boolean {
  for (const [label, spec] of Object.entries(labels)) {
    const value = resource[label]
    const patterns = typeof spec === 'string' ? [spec] : spec
    // Several patterns are OR'd; an empty list matches nothing.
    if (!patterns.some((pattern) => matchesLabelPattern(value, pattern))) return false
  }
  return true
}

const isSet = <T>(list: readonly T[] | null | undefined): list is readonly T[] =>
  list != null && list.length > 0
const hasLabels = (
  labels: ResourceSpecification | null | undefined,
): labels is ResourceSpecification => labels != null && Object.keys(labels).length > 0

// ---------------------------------------------------------------------------------------
// Text search (docs/protocol.md §5): terms OR'd, `-term`/`!term` excluded, `+term` required,
// `"quoted phrases"` with `\"` escapes; case-insensitive substring search over the event
// name, every label value of every resource and Python's `str(payload)`.

/** @internal */
export interface TextQuery {
  include: string[]
  exclude: string[]
  required: string[]
}

/** @internal Splits a text query into include, exclude and required terms (lower-cased). */
export function parseTextQuery(query: string): TextQuery {
  const parsed: TextQuery = { include: [], exclude: [], required: [] }
  let i = 0
  const n = query.length
  while (i < n) {
    while (i < n && /\s/.test(query[i]!)) i++
    if (i >= n) break
    let bucket: keyof TextQuery = 'include'
    const c = query[i]!
    if (c === '-' || c === '!') {
      bucket = 'exclude'
      i++
    } else if (c === '+') {
      bucket = 'required'
      i++
    }
    let term = ''
    if (query[i] === '"') {
      i++
      while (i < n && query[i] !== '"') {
        if (query[i] === '\\' && query[i + 1] === '"') {
          term += '"'
          i += 2
        } else {
          term += query[i]
          i++
        }
      }
      i++
    } else {
      while (i < n && !/\s/.test(query[i]!)) {
        if (query[i] === '\\' && query[i + 1] === '"') {
          term += '"'
          i += 2
        } else {
          term += query[i]
          i++
        }
      }
    }
    if (term !== '') parsed[bucket].push(term.toLowerCase())
  }
  return parsed
}

// Python's repr() of JSON values, which the server searches as `str(payload)`.
function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan'
    if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf'
    return String(value)
  }
  if (typeof value === 'string') return pythonStringRepr(value)
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${pythonStringRepr(k)}: ${pythonRepr(v)}`,
    )
    return `{${parts.join(', ')}}`
  }
  return String(value)
}

function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'"
  let out = quote
  for (const ch of text) {
    if (ch === '\\') out += '\\\\'
    else if (ch === quote) out += `\\${quote}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch.codePointAt(0)! < 0x20 || ch.codePointAt(0) === 0x7f) {
      out += `\\x${ch.codePointAt(0)!.toString(16).padStart(2, '0')}`
    } else out += ch
  }
  return out + quote
}

function searchableText(event: Event): string {
  const parts = [event.event, ...Object.values(event.resource)]
  for (const related of event.related) parts.push(...Object.values(related))
  if (event.payload && Object.keys(event.payload).length > 0) parts.push(pythonRepr(event.payload))
  return parts.join(' ').toLowerCase()
}

/**
 * Whether `event` matches a `text` filter query the way the server searches in memory.
 * An empty query matches everything.
 *
 * @example
 * ```ts
 * matchesTextQuery(event, 'error -debug') // contains "error" and not "debug"
 * matchesTextQuery(event, '+etl +"nightly run"') // contains both
 * ```
 */
export function matchesTextQuery(event: Event, query: string): boolean {
  const parsed = parseTextQuery(query)
  if (!parsed.include.length && !parsed.exclude.length && !parsed.required.length) return true
  const text = searchableText(event)
  if (parsed.include.length && !parsed.include.some((term) => text.includes(term))) return false
  if (parsed.exclude.some((term) => text.includes(term))) return false
  return parsed.required.every((term) => text.includes(term))
}

// ---------------------------------------------------------------------------------------
// Whole filters

/** Options of {@link matchesFilter}. */
export interface MatchesFilterOptions {
  /**
   * Apply `occurred.since` / `occurred.until` (inclusive, to the microsecond).
   * @default true
   */
  occurred?: boolean
  /**
   * Apply `related`. The real server ignores it for live websocket events (docs/protocol.md §1.4),
   * so a faithful fake passes `false` there; clients keep the default.
   * @default true
   */
  related?: boolean
}

function matchesOccurred(event: Event, occurred: NonNullable<EventFilter['occurred']>): boolean {
  if (occurred.since === undefined && occurred.until === undefined) return true
  const at = PrefectDateTime.tryParse(event.occurred)
  if (!at) return false
  if (occurred.since !== undefined) {
    const since = PrefectDateTime.tryParse(occurred.since)
    if (!since || at.isBefore(since)) return false
  }
  if (occurred.until !== undefined) {
    const until = PrefectDateTime.tryParse(occurred.until)
    if (!until || at.isAfter(until)) return false
  }
  return true
}

function matchesEventName(name: string, filter: NonNullable<EventFilter['event']>): boolean {
  if (isSet(filter.prefix) && !filter.prefix.some((p) => name.startsWith(p))) return false
  if (isSet(filter.exclude_prefix) && filter.exclude_prefix.some((p) => name.startsWith(p))) {
    return false
  }
  if (isSet(filter.name) && !filter.name.includes(name)) return false
  if (isSet(filter.exclude_name) && filter.exclude_name.includes(name)) return false
  return true
}

function matchesResourceCriteria(
  resource: Resource,
  filter: Pick<EventAnyResourceFilter, 'id' | 'id_prefix' | 'labels'>,
): boolean {
  const id = resource['prefect.resource.id']
  if (isSet(filter.id) && !filter.id.includes(id)) return false
  if (isSet(filter.id_prefix) && !filter.id_prefix.some((p) => id.startsWith(p))) return false
  if (hasLabels(filter.labels) && !matchesLabels(resource, filter.labels)) return false
  return true
}

function relatedCriteriaSet(filter: EventRelatedFilter): boolean {
  return (
    isSet(filter.id) ||
    isSet(filter.role) ||
    isSet(filter.resources_in_roles) ||
    hasLabels(filter.labels)
  )
}

function matchesRelatedResource(resource: Resource, filter: EventRelatedFilter): boolean {
  const id = resource['prefect.resource.id']
  const role = resource['prefect.resource.role'] ?? ''
  if (role === '') return false
  if (isSet(filter.id) && !filter.id.includes(id)) return false
  if (isSet(filter.role) && !filter.role.includes(role)) return false
  if (
    isSet(filter.resources_in_roles) &&
    !filter.resources_in_roles.some(([rid, rrole]) => rid === id && rrole === role)
  ) {
    return false
  }
  if (hasLabels(filter.labels)) {
    for (const [label, spec] of Object.entries(filter.labels)) {
      const patterns = typeof spec === 'string' ? [spec] : spec
      // The database matches the role column exactly (IN), not as a pattern.
      const ok =
        label === 'prefect.resource.role'
          ? patterns.includes(role)
          : patterns.some((pattern) => matchesLabelPattern(resource[label], pattern))
      if (!ok) return false
    }
  }
  return true
}

const asList = <T>(value: T | readonly T[]): readonly T[] =>
  Array.isArray(value) ? (value as readonly T[]) : [value as T]

/**
 * Whether `event` matches `filter` with the server's in-memory semantics (docs/protocol.md §5): every
 * present part must match; list forms of `related` and `any_resource` are ANDed, each item
 * finding its own resource; empty id/name/prefix lists mean "not set"; an empty list of
 * label values matches nothing; label values are globs with `!` negation and a missing
 * label never matches. `occurred` bounds that are absent impose no limit (the server would
 * fill defaults; see `withServerFilterDefaults`). `resource.distinct` and `order` do not
 * affect matching.
 *
 * @example
 * ```ts
 * matchesFilter(event, {
 *   event: { prefix: ['prefect.flow-run.'] },
 *   any_resource: { id: [flowRunResourceId(id)] },
 * })
 * ```
 */
export function matchesFilter(
  event: Event,
  filter: EventFilter,
  options: MatchesFilterOptions = {},
): boolean {
  const { occurred = true, related = true } = options
  if (occurred && filter.occurred && !matchesOccurred(event, filter.occurred)) return false
  if (filter.event && !matchesEventName(event.event, filter.event)) return false
  if (filter.resource && !matchesResourceCriteria(event.resource, filter.resource)) return false
  if (related && filter.related) {
    for (const one of asList(filter.related)) {
      if (!relatedCriteriaSet(one)) continue
      if (!event.related.some((resource) => matchesRelatedResource(resource, one))) return false
    }
  }
  if (filter.any_resource) {
    const resources = [event.resource, ...event.related]
    for (const one of asList(filter.any_resource)) {
      if (!resources.some((resource) => matchesResourceCriteria(resource, one))) return false
    }
  }
  if (filter.id && isSet(filter.id.id)) {
    const id = event.id.toLowerCase()
    if (!filter.id.id.some((candidate) => candidate.toLowerCase() === id)) return false
  }
  if (filter.text && !matchesTextQuery(event, filter.text.query)) return false
  return true
}
