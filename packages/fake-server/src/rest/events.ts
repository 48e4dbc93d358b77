import { PrefectDateTime, type ReceivedEvent } from '@flowcast/core'
import { z } from 'zod'
import type { FakePrefectModel } from '../model/fake-prefect.js'
import { base64Decode, base64Encode, formatMicros, isoformatMicros } from '../model/util.js'
import {
  detail,
  invalid,
  json,
  parseBody,
  type RestResponse,
  type ValidationIssue,
} from './http.js'
import type { RouteContext } from './routes.js'

/** `POST /events`: validates every event first (one invalid event rejects all with 422), then stores them. */
export function postEvents({ model, body }: RouteContext): RestResponse {
  if (!Array.isArray(body)) {
    return invalid(
      [{ type: 'list_type', loc: ['body'], msg: 'Input should be a valid list', input: body }],
      body,
    )
  }
  const issues: ValidationIssue[] = []
  body.forEach((raw, index) => {
    try {
      model.validateClientEvent(raw)
    } catch (error) {
      issues.push({
        type: 'value_error',
        loc: ['body', index],
        msg: error instanceof Error ? error.message : String(error),
        input: raw,
      })
    }
  })
  if (issues.length) return invalid(issues, body)
  for (const raw of body) model.receiveClientEvent(raw, 'http', undefined)
  return { status: 204, headers: {}, body: null }
}

/** docs/protocol.md §6.2: OSS builds `{base_url}api/…` with `api/` hard-coded; Cloud links into the workspace. */
function nextPageBase(model: FakePrefectModel, url: URL): string {
  if (model.options.cloud) return `${url.origin}${model.apiPath}/`
  return `${url.origin}/api/`
}

function eventPage(
  model: FakePrefectModel,
  url: URL,
  filterJson: unknown,
  limit: number,
  offset: number,
): RestResponse {
  const resolved = model.resolveRestFilter(filterJson)
  if (!resolved.ok) return detail(403, 'Invalid page token')
  const events = model.queryEvents(resolved.filter)
  const page = events.slice(offset, offset + limit)
  let nextPage: string | null = null
  if (offset + limit < events.length) {
    const token = base64Encode(
      JSON.stringify({
        filter: resolved.filter,
        count: events.length,
        page_size: limit,
        offset: offset + limit,
      }),
    )
    nextPage = `${nextPageBase(model, url)}events/filter/next?page-token=${base64Encode(token)}`
  }
  return json(200, { events: page, total: events.length, next_page: nextPage })
}

const eventsFilterBody = z.object({
  filter: z.unknown().optional(),
  limit: z.int().min(0).max(50).optional(),
})

/** `POST /events/filter`: the first page (`limit` ≤ 50, default 50). */
export function eventsFilter({ model, url, body }: RouteContext): RestResponse {
  const parsed = parseBody(eventsFilterBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  const resolved = model.resolveRestFilter(parsed.value.filter ?? null)
  if (!resolved.ok) {
    return invalid(
      resolved.issues.map((i) => ({ type: i.type, loc: ['body', 'filter', ...i.loc], msg: i.msg })),
      body,
    )
  }
  return eventPage(model, url, resolved.filter, parsed.value.limit ?? 50, 0)
}

const pageToken = z.object({
  filter: z.record(z.string(), z.unknown()),
  page_size: z.number(),
  offset: z.number(),
})

/** `GET /events/filter/next?page-token=…`: a later page; a token it cannot read is a 403. */
export function eventsNext({ model, url }: RouteContext): RestResponse {
  // Read the raw query: the token is not URL-encoded and may contain '+', '/' and '='.
  const raw = /(?:^|&)page-token=([^&]*)/.exec(url.search.slice(1))?.[1]
  if (raw === undefined) {
    return invalid(
      [{ type: 'missing', loc: ['query', 'page-token'], msg: 'Field required' }],
      undefined,
    )
  }
  let token: unknown
  try {
    token = JSON.parse(base64Decode(base64Decode(decodeURIComponent(raw))))
  } catch {
    return detail(403, 'Invalid page token')
  }
  const parsed = pageToken.safeParse(token)
  if (!parsed.success) return detail(403, 'Invalid page token')
  const { filter, page_size: pageSize, offset } = parsed.data
  return eventPage(model, url, filter, pageSize, offset)
}

// ---------------------------------------------------------------- count-by

/** Time buckets start at this Monday (Prefect's `PIVOT_DATETIME`, 2024-04-08T00:00:00Z). */
const pivotMicros = BigInt(Date.UTC(2024, 3, 8)) * 1000n
const maximumBuckets = 1000
const unitMicros = {
  week: 7n * 86_400_000_000n,
  day: 86_400_000_000n,
  hour: 3_600_000_000n,
  minute: 60_000_000n,
  second: 1_000_000n,
} as const

const countBody = z.object({
  filter: z.unknown(),
  time_unit: z.enum(['week', 'day', 'hour', 'minute', 'second']).optional(),
  time_interval: z.number().min(0.01).optional(),
})
const countables = ['day', 'time', 'event', 'resource'] as const

/** One `EventCount`, keys in the response model's order. */
interface EventCount {
  value: string
  label: string
  count: number
  start_time: string
  end_time: string
}

/**
 * `POST /events/count-by/{countable}` (Prefect's `Countable`): `event` and `resource` group by
 * name / resource id (label: `prefect.resource.name`, else the id), most frequent first;
 * `day` and `time` count per time bucket from the pivot, empty buckets included.
 */
export function eventsCountBy({ model, params, body }: RouteContext): RestResponse {
  const countable = params.countable as (typeof countables)[number]
  const issues: ValidationIssue[] = []
  if (!countables.includes(countable)) {
    const msg = `Input should be 'day', 'time', 'event' or 'resource'`
    issues.push({ type: 'enum', loc: ['path', 'countable'], msg, input: params.countable })
  }
  const parsed = parseBody(countBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  if (issues.length) return invalid(issues, body)
  const resolved = model.resolveRestFilter(parsed.value.filter ?? null)
  if (!resolved.ok) {
    return invalid(
      resolved.issues.map((i) => ({ type: i.type, loc: ['body', 'filter', ...i.loc], msg: i.msg })),
      body,
    )
  }
  const events = model.queryEvents({ ...resolved.filter, order: 'ASC' })
  if (countable === 'event' || countable === 'resource') {
    return json(200, countByValue(events, countable))
  }
  const unit = countable === 'day' ? 'day' : (parsed.value.time_unit ?? 'day')
  const interval = countable === 'day' ? 1 : (parsed.value.time_interval ?? 1)
  const since = PrefectDateTime.parse(resolved.filter.occurred.since).epochMicros
  const until = PrefectDateTime.parse(resolved.filter.occurred.until).epochMicros
  const deltaMicros = Math.round(Number(unitMicros[unit]) * interval)
  // An interval past any representable duration (Python's timedelta overflows) buckets nothing.
  if (!Number.isSafeInteger(deltaMicros)) {
    return invalid(
      [
        {
          type: 'value_error',
          loc: ['body', 'time_interval'],
          msg: 'Value error, time_interval is too large',
          input: interval,
        },
      ],
      body,
    )
  }
  const delta = BigInt(deltaMicros)
  const buckets = Math.ceil(Number(until - since) / deltaMicros)
  if (buckets > maximumBuckets) {
    return detail(
      422,
      `The given interval would create ${buckets} buckets, which is too many. Please increase the interval or reduce the time range to produce ${maximumBuckets} buckets or fewer.`,
    )
  }
  return json(200, countByTime(events, since, until, delta, model.nowMicros(), unitMicros[unit]))
}

function countByValue(events: readonly ReceivedEvent[], by: 'event' | 'resource'): EventCount[] {
  const groups = new Map<string, { label: string; count: number; first: string; last: string }>()
  for (const e of events) {
    const value = by === 'event' ? e.event : e.resource['prefect.resource.id']!
    const label = by === 'event' ? e.event : (e.resource['prefect.resource.name'] ?? value)
    const group = groups.get(value)
    if (!group) groups.set(value, { label, count: 1, first: e.occurred, last: e.occurred })
    else {
      group.count++
      group.last = e.occurred
      group.label = label
    }
  }
  return [...groups.entries()]
    .map(([value, g]) => ({
      value,
      label: g.label,
      count: g.count,
      start_time: g.first,
      end_time: g.last,
    }))
    .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q
}

function countByTime(
  events: readonly ReceivedEvent[],
  since: bigint,
  until: bigint,
  delta: bigint,
  now: bigint,
  unit: bigint,
): EventCount[] {
  // Prefect ends the spans at the end of the current unit when `until` is in the future.
  const end = until > now ? (floorDiv(now, unit) + 1n) * unit - 1n : until
  const first = floorDiv(since - pivotMicros, delta)
  const counts = new Map<bigint, number>()
  for (const e of events) {
    const index = floorDiv(PrefectDateTime.parse(e.occurred).epochMicros - pivotMicros, delta)
    counts.set(index, (counts.get(index) ?? 0) + 1)
  }
  const out: EventCount[] = []
  for (let index = first; pivotMicros + delta * index < end; index++) {
    const start = pivotMicros + delta * index
    out.push({
      value: String(index),
      label: isoformatMicros(start).replace(/\.\d+/, ''),
      count: counts.get(index) ?? 0,
      start_time: formatMicros(start),
      end_time: formatMicros(start + delta - 1n),
    })
  }
  return out
}
