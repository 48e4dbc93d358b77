// The wire models of `schemas.ts`, checked without zod (see validation.ts). Each check here
// mirrors the schema of the same name; `model-checks.test.ts` holds them to it.
import { isPrefectDateTime } from './datetime.js'
import { eventLimits, maxTextQueryLength } from './limits.js'
import type { ValidationIssue } from './models.js'
import { isUuid } from './uuid.js'
import {
  array,
  lazy,
  boolean,
  max,
  nonEmpty,
  nullable,
  nullish,
  number,
  object,
  oneOf,
  optional,
  record,
  refine,
  string,
  stringPair,
  union,
  unknown,
  withDefault,
  type Check,
  type CheckIssue,
} from './validation.js'

// Every top-level check is `lazy` (or a `@__PURE__` call), so that a bundle keeps only the
// checks it uses (see `lazy`).
const dateTime = /* @__PURE__ */ lazy(() =>
  string(refine(isPrefectDateTime, 'not an ISO 8601 datetime with a timezone')),
)
const uuid = /* @__PURE__ */ lazy(() => string(refine(isUuid, 'not a UUID')))
const labelCount = /* @__PURE__ */ refine(
  (labels: Record<string, string>) =>
    Object.keys(labels).length <= eventLimits.maxLabelsPerResource,
  `more than ${eventLimits.maxLabelsPerResource} labels`,
)
const id = /* @__PURE__ */ lazy(() => string(nonEmpty('must not be empty')))
const resource = /* @__PURE__ */ lazy(() =>
  object({ 'prefect.resource.id': id }, string(), labelCount),
)
const relatedResource = /* @__PURE__ */ lazy(() =>
  object({ 'prefect.resource.id': id, 'prefect.resource.role': id }, string(), labelCount),
)

const eventShape = () => ({
  occurred: dateTime,
  event: string(
    max(eventLimits.maxEventNameLength, `longer than ${eventLimits.maxEventNameLength} characters`),
  ),
  resource,
  related: withDefault(
    array(
      relatedResource,
      max(
        eventLimits.maxRelatedResources,
        `more than ${eventLimits.maxRelatedResources} related resources`,
      ),
    ),
    () => [],
  ),
  payload: withDefault(record(unknown), () => ({})),
  id: uuid,
  follows: withDefault(nullable(uuid), () => null),
})

/** `EventSchema`. */
export const eventCheck = /* @__PURE__ */ lazy(() => object(eventShape()))
/** `ReceivedEventSchema`. */
export const receivedEventCheck = /* @__PURE__ */ lazy(() =>
  object({ ...eventShape(), received: dateTime }),
)

// EventFilter: every model forbids unknown keys.
const stringList = /* @__PURE__ */ lazy(() => nullish(array(string())))
const labels = /* @__PURE__ */ lazy(() =>
  nullish(record(union<unknown>([string(), array(string())]))),
)
const relatedFilter = /* @__PURE__ */ lazy(() =>
  object(
    {
      id: stringList,
      role: stringList,
      resources_in_roles: nullish(array(stringPair)),
      labels,
    },
    'strict',
  ),
)
const anyResourceFilter = /* @__PURE__ */ lazy(() =>
  object({ id: stringList, id_prefix: stringList, labels }, 'strict'),
)

/** `EventFilterSchema`. */
export const eventFilterCheck = /* @__PURE__ */ lazy(() =>
  object(
    {
      occurred: optional(
        object({ since: optional(dateTime), until: optional(dateTime) }, 'strict'),
      ),
      event: nullish(
        object(
          {
            prefix: stringList,
            exclude_prefix: stringList,
            name: stringList,
            exclude_name: stringList,
          },
          'strict',
        ),
      ),
      resource: nullish(
        object(
          { id: stringList, id_prefix: stringList, labels, distinct: optional(boolean) },
          'strict',
        ),
      ),
      related: nullish(union<unknown>([relatedFilter, array(relatedFilter)])),
      any_resource: nullish(union<unknown>([anyResourceFilter, array(anyResourceFilter)])),
      id: optional(object({ id: nullish(array(uuid)) }, 'strict')),
      text: nullish(
        object(
          {
            query: string(max(maxTextQueryLength, `longer than ${maxTextQueryLength} characters`)),
          },
          'strict',
        ),
      ),
      order: optional(oneOf(['ASC', 'DESC'])),
    },
    'strict',
  ),
)

/** The nine state types (docs/protocol.md §4.4), in Prefect's order. */
export const stateTypes = [
  'SCHEDULED',
  'PENDING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'CRASHED',
  'PAUSED',
  'CANCELLING',
] as const

const stateType = /* @__PURE__ */ oneOf(stateTypes)
const text = /* @__PURE__ */ string()
const int = /* @__PURE__ */ number(true)
const state = /* @__PURE__ */ lazy(() =>
  object(
    {
      id: uuid,
      type: stateType,
      name: nullish(text),
      timestamp: optional(dateTime),
      message: nullish(text),
      data: optional(unknown),
      state_details: optional(object({}, 'loose')),
    },
    'loose',
  ),
)

/** `FlowRunSchema`. */
export const flowRunCheck = /* @__PURE__ */ lazy(() =>
  object(
    {
      id: uuid,
      created: nullable(dateTime),
      updated: nullable(dateTime),
      name: optional(text),
      flow_id: uuid,
      state_id: nullish(uuid),
      deployment_id: nullish(uuid),
      work_queue_name: nullish(text),
      work_pool_name: nullish(text),
      flow_version: nullish(text),
      parameters: optional(record(unknown)),
      tags: optional(array(text)),
      labels: optional(record(union<unknown>([boolean, number(), text]))),
      parent_task_run_id: nullish(uuid),
      state_type: nullish(stateType),
      state_name: nullish(text),
      run_count: optional(int),
      expected_start_time: nullish(dateTime),
      next_scheduled_start_time: nullish(dateTime),
      start_time: nullish(dateTime),
      end_time: nullish(dateTime),
      total_run_time: optional(number()),
      estimated_run_time: optional(number()),
      state: nullish(state),
    },
    'loose',
  ),
)

/** `EventPageSchema`. */
export const eventPageCheck = /* @__PURE__ */ lazy(() =>
  object({
    events: array(receivedEventCheck),
    total: int,
    next_page: nullable(string(nonEmpty())),
  }),
)

/** `OrchestrationResultSchema`. */
export const orchestrationResultCheck = /* @__PURE__ */ lazy(() =>
  object(
    {
      state: nullable(state),
      status: oneOf(['ACCEPT', 'REJECT', 'ABORT', 'WAIT']),
      details: object(
        { type: optional(text), reason: nullish(text), delay_seconds: optional(int) },
        'loose',
      ),
    },
    'loose',
  ),
)

// Logs (docs/protocol.md §11)

const nullableUuidList = /* @__PURE__ */ lazy(() => nullish(array(uuid)))
const logShape = () => ({
  name: text,
  level: int,
  message: text,
  timestamp: dateTime,
  flow_run_id: nullish(uuid),
  task_run_id: nullish(uuid),
})

/** `LogSchema`. */
export const logCheck = /* @__PURE__ */ lazy(() =>
  object(
    { id: uuid, created: nullable(dateTime), updated: nullable(dateTime), ...logShape() },
    'loose',
  ),
)

/** `LogCreateSchema`. */
export const logCreateCheck = /* @__PURE__ */ lazy(() => object(logShape(), 'strict'))

/** `LogFilterSchema`. */
export const logFilterCheck = /* @__PURE__ */ lazy(() =>
  object(
    {
      operator: optional(oneOf(['and_', 'or_'])),
      level: nullish(object({ ge_: nullish(int), le_: nullish(int) }, 'strict')),
      timestamp: nullish(
        object({ before_: nullish(dateTime), after_: nullish(dateTime) }, 'strict'),
      ),
      flow_run_id: nullish(object({ any_: nullableUuidList }, 'strict')),
      task_run_id: nullish(
        object({ any_: nullableUuidList, is_null_: nullish(boolean) }, 'strict'),
      ),
      text: nullish(object({ query: string(max(maxTextQueryLength)) }, 'strict')),
    },
    'strict',
  ),
)

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`
    else out += out === '' ? String(key) : `.${String(key)}`
  }
  return out
}

/**
 * Runs `check` on `value`: the output, or every problem with its dotted path.
 * @internal
 */
export function runCheck<T>(
  check: Check,
  value: unknown,
): { success: true; data: T } | { success: false; issues: ValidationIssue[] } {
  const found: CheckIssue[] = []
  const data = check.run(value, found)
  if (found.length === 0) return { success: true, data: data as T }
  return {
    success: false,
    issues: found.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  }
}
