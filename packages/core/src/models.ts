import { z } from 'zod'
import { systemClock, type Clock } from './clock.js'
import { PrefectDateTime, isPrefectDateTime } from './datetime.js'
import { FlowcastError, type FlowcastErrorCode } from './errors.js'
import { fastParseEvent, fastParseReceivedEvent } from './fast-validate.js'
import { eventLimits } from './limits.js'
import { isUuid } from './uuid.js'

export { eventLimits }

/** Longest `text.query` the server accepts in an {@link EventFilter}. */
export const maxTextQueryLength = 200

// ---------------------------------------------------------------------------------------
// Building blocks

const dateTimeString = z
  .string()
  .refine(isPrefectDateTime, 'not an ISO 8601 datetime with a timezone')
const uuidString = z.string().refine(isUuid, 'not a UUID')
const labelCount = (labels: Record<string, string>) =>
  Object.keys(labels).length <= eventLimits.maxLabelsPerResource
const tooManyLabels = `more than ${eventLimits.maxLabelsPerResource} labels`

/**
 * A resource: a flat object of string labels with a required, non-empty
 * `prefect.resource.id`; at most 500 labels (docs/protocol.md §4.2).
 */
export const ResourceSchema = z
  .object({ 'prefect.resource.id': z.string().min(1, 'must not be empty') })
  .catchall(z.string())
  .refine(labelCount, tooManyLabels)

/** A related resource: a {@link ResourceSchema} that also requires a non-empty `prefect.resource.role`. */
export const RelatedResourceSchema = z
  .object({
    'prefect.resource.id': z.string().min(1, 'must not be empty'),
    'prefect.resource.role': z.string().min(1, 'must not be empty'),
  })
  .catchall(z.string())
  .refine(labelCount, tooManyLabels)

const eventShape = {
  occurred: dateTimeString,
  event: z
    .string()
    .max(
      eventLimits.maxEventNameLength,
      `longer than ${eventLimits.maxEventNameLength} characters`,
    ),
  resource: ResourceSchema,
  related: z
    .array(RelatedResourceSchema)
    .max(
      eventLimits.maxRelatedResources,
      `more than ${eventLimits.maxRelatedResources} related resources`,
    )
    .default(() => []),
  payload: z.record(z.string(), z.unknown()).default(() => ({})),
  id: uuidString,
  follows: uuidString.nullable().default(null),
}

/**
 * An event as the server validates it (`occurred` and `id` required; `related`, `payload`
 * and `follows` defaulted). Unknown keys are dropped, as the server ignores them.
 * The 1.5 MB size limit is checked by {@link parseEvent}, not by the schema.
 */
export const EventSchema = z.object(eventShape)

/** An event as the server sends it back, with `received`. Unknown keys are dropped. */
export const ReceivedEventSchema = z.object({ ...eventShape, received: dateTimeString })

// ---------------------------------------------------------------------------------------
// EventFilter (docs/protocol.md §5): every model forbids unknown keys, like the server's extra="forbid".

const stringList = z.array(z.string()).nullish()

/**
 * Label patterns by label name; a value is one pattern or a list of them (OR'd).
 * Patterns are globs (`*`, `?`, `[seq]`, `[!seq]`); a leading `!` negates.
 */
export const ResourceSpecificationSchema = z.record(
  z.string(),
  z.union([z.string(), z.array(z.string())]),
)

/** `occurred`: inclusive bounds on when events happened. */
export const EventOccurredFilterSchema = z.strictObject({
  since: dateTimeString.optional(),
  until: dateTimeString.optional(),
})

/** `event`: prefixes and exact names to include or exclude. */
export const EventNameFilterSchema = z.strictObject({
  prefix: stringList,
  exclude_prefix: stringList,
  name: stringList,
  exclude_name: stringList,
})

/** `resource`: the primary resource's id, id prefix and labels. */
export const EventResourceFilterSchema = z.strictObject({
  id: stringList,
  id_prefix: stringList,
  labels: ResourceSpecificationSchema.nullish(),
  distinct: z.boolean().optional(),
})

/** `related`: one related resource (role ≠ '') must match every criterion. */
export const EventRelatedFilterSchema = z.strictObject({
  id: stringList,
  role: stringList,
  resources_in_roles: z.array(z.tuple([z.string(), z.string()])).nullish(),
  labels: ResourceSpecificationSchema.nullish(),
})

/** `any_resource`: one resource (primary or related) must match every criterion. */
export const EventAnyResourceFilterSchema = z.strictObject({
  id: stringList,
  id_prefix: stringList,
  labels: ResourceSpecificationSchema.nullish(),
})

/** `id`: event ids; an empty list means no id filtering. */
export const EventIDFilterSchema = z.strictObject({
  id: z.array(uuidString).nullish(),
})

/** `text`: a search query (≤ 200 characters) over the name, label values and payload. */
export const EventTextFilterSchema = z.strictObject({
  query: z.string().max(maxTextQueryLength, `longer than ${maxTextQueryLength} characters`),
})

/** Result order; the websocket always forces `ASC`. */
export const EventOrderSchema = z.enum(['ASC', 'DESC'])

/** The server's `EventFilter`, snake_case as on the wire, every part optional. */
export const EventFilterSchema = z.strictObject({
  occurred: EventOccurredFilterSchema.optional(),
  event: EventNameFilterSchema.nullish(),
  resource: EventResourceFilterSchema.nullish(),
  related: z.union([EventRelatedFilterSchema, z.array(EventRelatedFilterSchema)]).nullish(),
  any_resource: z
    .union([EventAnyResourceFilterSchema, z.array(EventAnyResourceFilterSchema)])
    .nullish(),
  id: EventIDFilterSchema.optional(),
  text: EventTextFilterSchema.nullish(),
  order: EventOrderSchema.optional(),
})

// ---------------------------------------------------------------------------------------
// Flow runs and states (extra fields tolerated and kept)

/** The nine state types (docs/protocol.md §4.4). */
export const StateTypeSchema = z.enum([
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
])

/** A run state as in `FlowRunResponse.state` (unknown fields kept). */
export const StateSchema = z.looseObject({
  id: uuidString,
  type: StateTypeSchema,
  name: z.string().nullish(),
  timestamp: dateTimeString.optional(),
  message: z.string().nullish(),
  data: z.unknown().optional(),
  state_details: z.looseObject({}).optional(),
})

/** The `FlowRunResponse` fields that matter for waiting (unknown fields kept). */
export const FlowRunSchema = z.looseObject({
  id: uuidString,
  created: dateTimeString.nullable(),
  updated: dateTimeString.nullable(),
  name: z.string().optional(),
  flow_id: uuidString,
  state_id: uuidString.nullish(),
  deployment_id: uuidString.nullish(),
  work_queue_name: z.string().nullish(),
  work_pool_name: z.string().nullish(),
  flow_version: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
  labels: z.record(z.string(), z.union([z.boolean(), z.number(), z.string()])).optional(),
  parent_task_run_id: uuidString.nullish(),
  state_type: StateTypeSchema.nullish(),
  state_name: z.string().nullish(),
  run_count: z.number().int().optional(),
  expected_start_time: dateTimeString.nullish(),
  next_scheduled_start_time: dateTimeString.nullish(),
  start_time: dateTimeString.nullish(),
  end_time: dateTimeString.nullish(),
  total_run_time: z.number().optional(),
  estimated_run_time: z.number().optional(),
  state: StateSchema.nullish(),
})

/** A page of `POST /events/filter` results. */
export const EventPageSchema = z.object({
  events: z.array(ReceivedEventSchema),
  total: z.number().int(),
  next_page: z.string().min(1).nullable(),
})

/** The outcome of `POST /flow_runs/{id}/set_state`. */
export const SetStateStatusSchema = z.enum(['ACCEPT', 'REJECT', 'ABORT', 'WAIT'])

/** The body of a `POST /flow_runs/{id}/set_state` response (unknown fields kept). */
export const OrchestrationResultSchema = z.looseObject({
  state: StateSchema.nullable(),
  status: SetStateStatusSchema,
  details: z.looseObject({
    type: z.string().optional(),
    reason: z.string().nullish(),
    delay_seconds: z.number().int().optional(),
  }),
})

// ---------------------------------------------------------------------------------------
// Types

/** A resource: string labels with a required `prefect.resource.id`. */
export type Resource = { 'prefect.resource.id': string; [label: string]: string }
/** A related resource: a {@link Resource} with a required `prefect.resource.role`. */
export type RelatedResource = {
  'prefect.resource.id': string
  'prefect.resource.role': string
  [label: string]: string
}

/** An event, with every server default filled in. */
export interface Event {
  /** When it happened (server datetime string, kept exactly). */
  occurred: string
  /** The event name, e.g. `prefect.flow-run.Completed`. */
  event: string
  /** The primary resource. */
  resource: Resource
  /** Other resources involved, each with a role. */
  related: RelatedResource[]
  /** Free-form data. */
  payload: Record<string, unknown>
  /** The client-chosen UUID; the server dedupes on it. */
  id: string
  /** The id of an event known to precede this one, or null. */
  follows: string | null
}

/** An event as the server sends it: with the time it was received. */
export interface ReceivedEvent extends Event {
  /** When the server received it (server datetime string). */
  received: string
}

/** The wire `EventFilter`: every part optional, snake_case. */
export type EventFilter = z.input<typeof EventFilterSchema>
/** The `occurred` part of an {@link EventFilter}. */
export type EventOccurredFilter = z.input<typeof EventOccurredFilterSchema>
/** The `event` part of an {@link EventFilter}. */
export type EventNameFilter = z.input<typeof EventNameFilterSchema>
/** The `resource` part of an {@link EventFilter}. */
export type EventResourceFilter = z.input<typeof EventResourceFilterSchema>
/** One `related` filter of an {@link EventFilter}. */
export type EventRelatedFilter = z.input<typeof EventRelatedFilterSchema>
/** One `any_resource` filter of an {@link EventFilter}. */
export type EventAnyResourceFilter = z.input<typeof EventAnyResourceFilterSchema>
/** The `id` part of an {@link EventFilter}. */
export type EventIDFilter = z.input<typeof EventIDFilterSchema>
/** The `text` part of an {@link EventFilter}. */
export type EventTextFilter = z.input<typeof EventTextFilterSchema>
/** Label name → pattern(s). */
export type ResourceSpecification = z.input<typeof ResourceSpecificationSchema>
/** `'ASC' | 'DESC'`. */
export type EventOrder = z.infer<typeof EventOrderSchema>
/** One of the nine state types. */
export type StateType = z.infer<typeof StateTypeSchema>
/** A run state. */
export type State = z.infer<typeof StateSchema>
/** A flow run as returned by `GET /flow_runs/{id}`. */
export type FlowRun = z.infer<typeof FlowRunSchema>
/** A page of events. */
export type EventPage = z.infer<typeof EventPageSchema>
/** `'ACCEPT' | 'REJECT' | 'ABORT' | 'WAIT'`. */
export type SetStateStatus = z.infer<typeof SetStateStatusSchema>
/** The result of `set_state`. */
export type OrchestrationResult = z.infer<typeof OrchestrationResultSchema>

// ---------------------------------------------------------------------------------------
// Validation with messages that name the field and say why

/** One validation problem: `path` like `related[0].prefect.resource.role`. */
export interface ValidationIssue {
  /** Where: dot-joined keys, `[n]` for list items; `''` for the value itself. */
  path: string
  /** Why, e.g. `required` or `longer than 1024 characters`. */
  message: string
}

function typeName(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

const errorMap = (issue: z.core.$ZodRawIssue): string | undefined => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required'
      return `expected ${issue.expected === 'record' ? 'object' : issue.expected}, got ${typeName(issue.input)}`
    case 'too_big':
      if (issue.origin === 'string') return `longer than ${issue.maximum} characters`
      if (issue.origin === 'array') return `more than ${issue.maximum} items`
      return `greater than ${issue.maximum}`
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty'
      if (issue.origin === 'array') return `fewer than ${issue.minimum} items`
      return `less than ${issue.minimum}`
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (the server forbids extra keys)`
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    default:
      return undefined
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out
}

function collectIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  out: ValidationIssue[],
): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch whose outer type matched (e.g. the list form of `related`).
      const matching = issue.errors.filter(
        (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
      )
      if (matching.length === 1) {
        collectIssues(matching[0]!, path, out)
        continue
      }
      out.push({ path: formatPath(path), message: 'does not match any allowed shape' })
      continue
    }
    out.push({ path: formatPath(path), message: issue.message })
  }
}

/**
 * Validates `value` with `schema`, returning the parsed value or the list of problems.
 * Messages name the field and say why (e.g. `resource.prefect.resource.id: required`).
 *
 * @example
 * ```ts
 * const result = validate(EventFilterSchema, input)
 * if (!result.success) console.log(result.issues)
 * ```
 */
export function validate<T extends z.ZodType>(
  schema: T,
  value: unknown,
): { success: true; data: z.output<T> } | { success: false; issues: ValidationIssue[] } {
  const result = schema.safeParse(value, { error: errorMap })
  if (result.success) return { success: true, data: result.data }
  const issues: ValidationIssue[] = []
  collectIssues(result.error.issues, [], issues)
  return { success: false, issues }
}

/** `path: message; …` for up to five issues. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  const shown = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ')
  return issues.length > 5 ? `${shown}; and ${issues.length - 5} more` : shown
}

function parseOrThrow<T extends z.ZodType>(
  schema: T,
  value: unknown,
  code: FlowcastErrorCode,
  what: string,
): z.output<T> {
  const result = validate(schema, value)
  if (result.success) return result.data
  throw new FlowcastError(
    code,
    `[@flowcast/core] invalid ${what}: ${formatIssues(result.issues)}`,
    {
      details: { issues: result.issues },
    },
  )
}

/** Compact JSON in the server's key order (`occurred, event, resource, related, payload, id, follows`). */
export function serializeEvent(event: Event): string {
  return JSON.stringify({
    occurred: event.occurred,
    event: event.event,
    resource: event.resource,
    related: event.related,
    payload: event.payload,
    id: event.id,
    follows: event.follows,
  })
}

/** Like {@link serializeEvent}, with `received` last, as the server writes it. */
export function serializeReceivedEvent(event: ReceivedEvent): string {
  return JSON.stringify({
    occurred: event.occurred,
    event: event.event,
    resource: event.resource,
    related: event.related,
    payload: event.payload,
    id: event.id,
    follows: event.follows,
    received: event.received,
  })
}

/** The UTF-8 size of {@link serializeEvent}'s output, which the server limits to 1.5 MB. */
export function eventSizeBytes(event: Event): number {
  return new TextEncoder().encode(serializeEvent(event)).length
}

// Returns the serialized event, so that a caller about to send it need not serialize it again.
function checkSize(event: Event): string {
  const text = serializeEvent(event)
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most events need no encoding to be sized.
  if (text.length * 3 <= eventLimits.maxEventSizeBytes) return text
  const size = new TextEncoder().encode(text).length
  if (size > eventLimits.maxEventSizeBytes) {
    throw new FlowcastError(
      'INVALID_EVENT',
      `[@flowcast/core] invalid event: ${size} bytes serialised, more than ${eventLimits.maxEventSizeBytes}`,
      {
        details: {
          issues: [{ path: '', message: `larger than ${eventLimits.maxEventSizeBytes} bytes` }],
        },
      },
    )
  }
  return text
}

/**
 * Validates an event as the server does (limits of docs/protocol.md §4.1–4.2, size included), filling
 * defaults and dropping unknown keys.
 * @throws FlowcastError `INVALID_EVENT`; `details.issues` lists every problem
 * @example
 * ```ts
 * parseEvent({ occurred, event: 'x', resource: {}, id }) // throws: resource.prefect.resource.id: required
 * ```
 */
export function parseEvent(value: unknown): Event {
  return parseSerializedEvent(value).event
}

/**
 * {@link parseEvent} that also returns the serialized event (sizing it needs the text), for
 * callers about to send it.
 * @internal
 */
export function parseSerializedEvent(value: unknown): { event: Event; text: string } {
  // The hand-written check accepts exactly what the schema does; the schema names the problems.
  const event = fastParseEvent(value) ?? parseOrThrow(EventSchema, value, 'INVALID_EVENT', 'event')
  return { event, text: checkSize(event) }
}

/**
 * Validates an event as received from the server (with `received`).
 * @throws FlowcastError `INVALID_EVENT`
 */
export function parseReceivedEvent(value: unknown): ReceivedEvent {
  return (
    fastParseReceivedEvent(value) ??
    parseOrThrow(ReceivedEventSchema, value, 'INVALID_EVENT', 'received event')
  )
}

/**
 * Validates an {@link EventFilter} as the server does (unknown keys rejected). Nothing is
 * filled in; see {@link withServerFilterDefaults} for the server's defaults.
 * @throws FlowcastError `INVALID_FILTER`
 */
export function parseEventFilter(value: unknown): EventFilter {
  return parseOrThrow(EventFilterSchema, value, 'INVALID_FILTER', 'event filter')
}

/**
 * Validates a `FlowRunResponse` (unknown fields kept).
 * @throws FlowcastError `PROTOCOL`
 */
export function parseFlowRun(value: unknown): FlowRun {
  return parseOrThrow(FlowRunSchema, value, 'PROTOCOL', 'flow run')
}

/**
 * Validates an {@link EventPage}.
 * @throws FlowcastError `PROTOCOL`
 */
export function parseEventPage(value: unknown): EventPage {
  return parseOrThrow(EventPageSchema, value, 'PROTOCOL', 'event page')
}

/**
 * Validates an {@link OrchestrationResult}.
 * @throws FlowcastError `PROTOCOL`
 */
export function parseOrchestrationResult(value: unknown): OrchestrationResult {
  return parseOrThrow(OrchestrationResultSchema, value, 'PROTOCOL', 'orchestration result')
}

/** Options of {@link withServerFilterDefaults}. */
export interface ServerFilterDefaultsOptions {
  /**
   * The clock giving "now".
   * @default systemClock
   */
  clock?: Clock
}

/**
 * The filter the server actually evaluates when it validates `filter` at `clock.now()`:
 * `occurred.since` defaults to the start of today (UTC) minus 180 days, `occurred.until` to
 * now, and `order` to `DESC` (docs/protocol.md §5). Useful for fakes; clients should send their own
 * `occurred.until`, since the default drops every live event (docs/protocol.md §1.4).
 *
 * @example
 * ```ts
 * withServerFilterDefaults({}, { clock }).occurred // { since: '…T00:00:00Z', until: now }
 * ```
 */
export function withServerFilterDefaults(
  filter: EventFilter,
  options: ServerFilterDefaultsOptions = {},
): EventFilter & { occurred: { since: string; until: string }; order: EventOrder } {
  const now = (options.clock ?? systemClock).now()
  const startOfToday = Math.floor(now / 86_400_000) * 86_400_000
  const since =
    filter.occurred?.since ??
    PrefectDateTime.fromEpochMillis(startOfToday)
      .minusSeconds(180 * 86_400)
      .toString()
  const until = filter.occurred?.until ?? PrefectDateTime.fromEpochMillis(now).toString()
  return { ...filter, occurred: { since, until }, order: filter.order ?? 'DESC' }
}
