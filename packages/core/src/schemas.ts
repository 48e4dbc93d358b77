// The wire models as zod schemas, for Node code (fakes, servers, tests) that wants zod: the
// `@flowcast/core/schemas` entry. The main entry validates the same models without zod
// (`model-checks.ts`), so a browser bundle of it carries no schema library; the two agree,
// which `model-checks.test.ts` checks.
import { z } from 'zod'
import { isPrefectDateTime } from './datetime.js'
import { eventLimits, maxTextQueryLength } from './limits.js'
import type { ValidationIssue } from './models.js'
import { isUuid } from './uuid.js'

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
// Logs (docs/protocol.md §11)

const nullableUuidList = z.array(uuidString).nullish()

/** A stored log as `POST /logs/filter` and `/logs/out` return it (docs/protocol.md §11.1). */
export const LogSchema = z.looseObject({
  id: uuidString,
  created: dateTimeString.nullable(),
  updated: dateTimeString.nullable(),
  name: z.string(),
  level: z.number().int(),
  message: z.string(),
  timestamp: dateTimeString,
  flow_run_id: uuidString.nullish(),
  task_run_id: uuidString.nullish(),
})

/** A log to create with `POST /logs/` (extra keys forbidden, as on the server). */
export const LogCreateSchema = z.strictObject({
  name: z.string(),
  level: z.number().int(),
  message: z.string(),
  timestamp: dateTimeString,
  flow_run_id: uuidString.nullish(),
  task_run_id: uuidString.nullish(),
})

/** `LogFilter.level`: inclusive bounds on the numeric level. */
export const LogFilterLevelSchema = z.strictObject({
  ge_: z.number().int().nullish(),
  le_: z.number().int().nullish(),
})

/** `LogFilter.timestamp`: inclusive bounds. */
export const LogFilterTimestampSchema = z.strictObject({
  before_: dateTimeString.nullish(),
  after_: dateTimeString.nullish(),
})

/** `LogFilter.flow_run_id`. */
export const LogFilterFlowRunIdSchema = z.strictObject({ any_: nullableUuidList })

/** `LogFilter.task_run_id`. */
export const LogFilterTaskRunIdSchema = z.strictObject({
  any_: nullableUuidList,
  is_null_: z.boolean().nullish(),
})

/** `LogFilter.text` (REST only: the `/logs/out` socket ignores it). */
export const LogFilterTextSchema = z.strictObject({
  query: z.string().max(maxTextQueryLength),
})

/** Prefect's `LogFilter` (docs/protocol.md §11.2); extra keys are rejected as by the server. */
export const LogFilterSchema = z.strictObject({
  operator: z.enum(['and_', 'or_']).optional(),
  level: LogFilterLevelSchema.nullish(),
  timestamp: LogFilterTimestampSchema.nullish(),
  flow_run_id: LogFilterFlowRunIdSchema.nullish(),
  task_run_id: LogFilterTaskRunIdSchema.nullish(),
  text: LogFilterTextSchema.nullish(),
})

/** `POST /logs/filter`'s sort. */
export const LogSortSchema = z.enum(['TIMESTAMP_ASC', 'TIMESTAMP_DESC'])

// ---------------------------------------------------------------------------------------
// Validation with messages that name the field and say why

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
 * if (!result.success) return reply(400, { issues: result.issues })
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
