import { PrefectDateTime, type EventFilter } from '@flowcast/core'
import { EventFilterSchema, validate } from '@flowcast/core/schemas'
import type { EffectiveFilter } from '../types.js'
import { formatMicros, isRecord } from './util.js'

const dayMicros = 86_400_000_000n

/** Pydantic-style text for a failed filter validation: `1 validation error for EventFilter\n<loc>\n  <msg>`. */
function pydanticErrorText(issues: readonly { path: string; message: string }[]): string {
  const n = issues.length
  const lines = [`${n} validation error${n === 1 ? '' : 's'} for EventFilter`]
  for (const issue of issues) {
    lines.push(issue.path || '(root)')
    lines.push(`  ${issue.message}`)
  }
  return lines.join('\n')
}

/** Result of {@link resolveEventFilter}. */
export type ResolvedFilter =
  | { ok: true; filter: EffectiveFilter }
  | { ok: false; message: string; issues: { loc: string[]; msg: string; type: string }[] }

/**
 * Validates a raw filter like the server does (`EventFilter.model_validate`, extra keys forbidden) and
 * fills the `occurred` defaults the server fills (docs/protocol.md §1.4 gotcha): since = start of today UTC − 180
 * days, until = now (the moment the filter is parsed), each independently.
 */
export function resolveEventFilter(raw: unknown, nowMicros: bigint): ResolvedFilter {
  const value = raw === null || raw === undefined ? {} : raw
  const parsed = validate(EventFilterSchema, value)
  if (!parsed.success) {
    const issues = parsed.issues.map((issue) => ({
      loc: issue.path === '' ? [] : issue.path.split('.'),
      msg: issue.message,
      type: 'value_error',
    }))
    return { ok: false, message: pydanticErrorText(parsed.issues), issues }
  }
  const occurred = isRecord(value) && isRecord(value.occurred) ? value.occurred : {}
  const startOfToday = (nowMicros / dayMicros) * dayMicros
  const since =
    typeof occurred.since === 'string'
      ? PrefectDateTime.parse(occurred.since).toString()
      : formatMicros(startOfToday - 180n * dayMicros)
  const until =
    typeof occurred.until === 'string'
      ? PrefectDateTime.parse(occurred.until).toString()
      : formatMicros(nowMicros)
  const filter = { ...(parsed.data as EventFilter), occurred: { since, until } } as EffectiveFilter
  return { ok: true, filter }
}

/** Clamps `occurred.since` to at most `maximumBackfillMs` back and forces ASC (docs/protocol.md §1.4). */
export function clampForWebsocket(
  filter: EffectiveFilter,
  nowMicros: bigint,
  maximumBackfillMs: number,
): EffectiveFilter {
  const earliest = nowMicros - BigInt(Math.round(maximumBackfillMs * 1000))
  const since = PrefectDateTime.parse(filter.occurred.since)
  const clamped = since.epochMicros < earliest ? formatMicros(earliest) : filter.occurred.since
  return { ...filter, occurred: { ...filter.occurred, since: clamped }, order: 'ASC' }
}
