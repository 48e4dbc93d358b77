// Prefect's flow-run, flow, deployment, work-pool, work-queue and task-run filters
// (`prefect.server.schemas.filters`): every key is validated (unknown ones are a 422, as
// `extra="forbid"` makes them) and evaluated with the server's semantics; none is ignored.
import { PrefectDateTime, STATE_TYPES } from '@flowcast/core'
import { z } from 'zod'
import type { FakeDeployment, FakeWorkPool, FakeWorkQueue } from '../types.js'
import type { FlowRecord, FlowRunRecord } from '../model/flow-runs.js'

const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i

/** A UUID string, lower-cased (pydantic's `uuid_parsing` when it is not one). */
export const uuidSchema = z
  .string()
  .regex(uuidPattern, { message: 'Input should be a valid UUID' })
  .transform((s) => s.toLowerCase())

const datetimeSchema = z
  .string()
  .refine(isDatetime, {
    params: { type: 'datetime_from_date_parsing' },
    message: 'Input should be a valid datetime',
  })
  .transform((s) => PrefectDateTime.parse(s).epochMicros)

function isDatetime(text: string): boolean {
  try {
    PrefectDateTime.parse(text)
    return true
  } catch {
    return false
  }
}

const list = <T extends z.ZodType>(item: T) => z.array(item).nullish()
const strings = list(z.string())
const uuids = list(uuidSchema)
const operator = z.enum(['and_', 'or_']).optional()
const bool = z.boolean().nullish()
const when = z.strictObject({ before_: datetimeSchema.nullish(), after_: datetimeSchema.nullish() })
const whenOrNull = when.extend({ is_null_: bool })
const opt = <T extends z.ZodType>(schema: T) => schema.nullish()

/** `FlowRunFilter`. */
export const flowRunFilterSchema = z.strictObject({
  operator,
  id: opt(z.strictObject({ any_: uuids, not_any_: uuids })),
  name: opt(z.strictObject({ any_: strings, like_: z.string().nullish() })),
  tags: opt(z.strictObject({ operator, all_: strings, any_: strings, is_null_: bool })),
  deployment_id: opt(z.strictObject({ operator, any_: uuids, is_null_: bool })),
  work_queue_name: opt(z.strictObject({ operator, any_: strings, is_null_: bool })),
  state: opt(
    z.strictObject({
      operator,
      type: opt(
        z.strictObject({ any_: list(z.enum(STATE_TYPES)), not_any_: list(z.enum(STATE_TYPES)) }),
      ),
      name: opt(z.strictObject({ any_: strings, not_any_: strings })),
    }),
  ),
  flow_version: opt(z.strictObject({ any_: strings })),
  start_time: opt(whenOrNull),
  end_time: opt(whenOrNull),
  expected_start_time: opt(when),
  next_scheduled_start_time: opt(when),
  parent_flow_run_id: opt(z.strictObject({ operator, any_: uuids })),
  parent_task_run_id: opt(z.strictObject({ operator, any_: uuids, is_null_: bool })),
  idempotency_key: opt(z.strictObject({ any_: strings, not_any_: strings })),
  created_by: opt(z.strictObject({ operator, id_: uuids, type_: strings, is_null_: bool })),
})

/** `FlowFilter`. */
export const flowFilterSchema = z.strictObject({
  operator,
  id: opt(z.strictObject({ any_: uuids, not_any_: uuids })),
  deployment: opt(z.strictObject({ operator, is_null_: bool })),
  name: opt(z.strictObject({ any_: strings, like_: z.string().nullish() })),
  tags: opt(z.strictObject({ operator, all_: strings, is_null_: bool })),
})

/** `DeploymentFilter`. */
export const deploymentFilterSchema = z.strictObject({
  operator,
  id: opt(z.strictObject({ any_: uuids, not_any_: uuids })),
  name: opt(z.strictObject({ any_: strings, like_: z.string().nullish() })),
  flow_or_deployment_name: opt(z.strictObject({ like_: z.string().nullish() })),
  paused: opt(z.strictObject({ eq_: bool })),
  tags: opt(z.strictObject({ operator, all_: strings, any_: strings, is_null_: bool })),
  work_queue_name: opt(z.strictObject({ any_: strings })),
  concurrency_limit: opt(
    z.strictObject({ ge_: z.int().nullish(), le_: z.int().nullish(), is_null_: bool }),
  ),
})

/** `WorkPoolFilter`. */
export const workPoolFilterSchema = z.strictObject({
  operator,
  id: opt(z.strictObject({ any_: uuids })),
  name: opt(z.strictObject({ any_: strings })),
  type: opt(z.strictObject({ any_: strings })),
})

/** `WorkQueueFilter`. */
export const workQueueFilterSchema = z.strictObject({
  operator,
  id: opt(z.strictObject({ any_: uuids })),
  name: opt(z.strictObject({ any_: strings, startswith_: strings })),
})

/** `TaskRunFilter` (validated; the fake has no task runs, so any task-run filter matches none). */
export const taskRunFilterSchema = z.strictObject({
  operator,
  id: opt(z.strictObject({ any_: uuids })),
  name: opt(z.strictObject({ any_: strings, like_: z.string().nullish() })),
  tags: opt(z.strictObject({ operator, all_: strings, is_null_: bool })),
  state: opt(
    z.strictObject({
      operator,
      type: opt(z.strictObject({ any_: list(z.enum(STATE_TYPES)) })),
      name: opt(z.strictObject({ any_: strings })),
    }),
  ),
  start_time: opt(whenOrNull),
  end_time: opt(whenOrNull),
  expected_start_time: opt(when),
  subflow_runs: opt(z.strictObject({ exists_: bool })),
  flow_run_id: opt(z.strictObject({ operator, any_: uuids, is_null_: bool })),
})

/** The sub-filters of `POST /flow_runs/filter`, `/count` and `/paginate`. */
export const runQuerySchemaShape = {
  flows: opt(flowFilterSchema),
  flow_runs: opt(flowRunFilterSchema),
  task_runs: opt(taskRunFilterSchema),
  deployments: opt(deploymentFilterSchema),
  work_pools: opt(workPoolFilterSchema),
  work_pool_queues: opt(workQueueFilterSchema),
}

type Op = 'and_' | 'or_' | undefined
type FlowRunFilter = z.infer<typeof flowRunFilterSchema>
type FlowFilter = z.infer<typeof flowFilterSchema>
type DeploymentFilter = z.infer<typeof deploymentFilterSchema>
type WorkPoolFilter = z.infer<typeof workPoolFilterSchema>
type WorkQueueFilter = z.infer<typeof workQueueFilterSchema>
/** The parsed sub-filters of a flow-run query. */
export type RunQuery = {
  [K in keyof typeof runQuerySchemaShape]?: z.infer<(typeof runQuerySchemaShape)[K]>
}

/** Prefect's `as_sql_filter`: no conditions is true; otherwise `and_`/`or_` of them. */
function combine(op: Op, conditions: boolean[]): boolean {
  if (conditions.length === 0) return true
  return op === 'or_' ? conditions.some(Boolean) : conditions.every(Boolean)
}

/** Collects the conditions of one sub-filter; `null`/absent operands add none. */
class Conditions {
  readonly list: boolean[] = []
  add<T>(operand: T | null | undefined, test: (operand: T) => boolean): this {
    if (operand !== null && operand !== undefined) this.list.push(test(operand))
    return this
  }
  sub<T>(filter: T | null | undefined, test: (filter: T) => boolean): this {
    return this.add(filter, test)
  }
  result(op: Op = 'and_'): boolean {
    return combine(op, this.list)
  }
}

/** SQL `ILIKE '%value%'`. */
const like = (value: string | null | undefined, pattern: string) =>
  value !== null && value !== undefined && value.toLowerCase().includes(pattern.toLowerCase())
/** SQL `x IN (…)`: a NULL column is never in the list. */
const inList = <T>(items: readonly T[], value: T | null | undefined) =>
  value !== null && value !== undefined && items.includes(value)
/** `before_`/`after_`/`is_null_` on a nullable time (both bounds inclusive). */
function timeMatches(
  f: { before_?: bigint | null; after_?: bigint | null; is_null_?: boolean | null },
  value: bigint | null,
): boolean {
  return new Conditions()
    .add(f.before_, (b) => value !== null && value <= b)
    .add(f.after_, (a) => value !== null && value >= a)
    .add(f.is_null_, (n) => (value === null) === n)
    .result()
}
const tagsMatch = (
  f: { operator?: Op; all_?: string[] | null; any_?: string[] | null; is_null_?: boolean | null },
  tags: readonly string[],
) =>
  new Conditions()
    .add(f.all_, (all) => all.every((t) => tags.includes(t)))
    .add(f.any_, (any) => any.some((t) => tags.includes(t)))
    .add(f.is_null_, (n) => (tags.length === 0) === n)
    .result(f.operator)

function scheduledMicros(run: FlowRunRecord): bigint | null {
  const s = run.state?.type === 'SCHEDULED' ? run.state.stateDetails.scheduled_time : null
  return typeof s === 'string' ? PrefectDateTime.parse(s).epochMicros : null
}

/** `FlowRunFilter` on one run. */
export function flowRunMatches(f: FlowRunFilter, run: FlowRunRecord): boolean {
  return (
    new Conditions()
      .sub(f.id, (s) =>
        new Conditions()
          .add(s.any_, (l) => l.includes(run.id))
          .add(s.not_any_, (l) => !l.includes(run.id))
          .result(),
      )
      .sub(f.name, (s) =>
        new Conditions()
          .add(s.any_, (l) => l.includes(run.name))
          .add(s.like_, (p) => like(run.name, p))
          .result(),
      )
      .sub(f.tags, (s) => tagsMatch(s, run.tags))
      .sub(f.deployment_id, (s) =>
        new Conditions()
          .add(s.any_, (l) => inList(l, run.deployment?.id))
          .add(s.is_null_, (n) => (run.deployment === null) === n)
          .result(s.operator),
      )
      .sub(f.work_queue_name, (s) =>
        new Conditions()
          .add(s.any_, (l) => inList(l, run.workQueue?.name))
          .add(s.is_null_, (n) => (run.workQueue === null) === n)
          .result(s.operator),
      )
      .sub(f.state, (s) =>
        new Conditions()
          .sub(s.type, (t) =>
            new Conditions()
              .add(t.any_, (l) => inList(l, run.state?.type))
              .add(t.not_any_, (l) => run.state !== null && !l.includes(run.state.type))
              .result(),
          )
          .sub(s.name, (t) =>
            new Conditions()
              .add(t.any_, (l) => inList(l, run.state?.name))
              .add(t.not_any_, (l) => run.state !== null && !l.includes(run.state.name))
              .result(),
          )
          .result(s.operator),
      )
      // The fake's runs carry no flow version (`flow_version` is null), so `any_` matches none.
      .sub(f.flow_version, (s) => new Conditions().add(s.any_, (l) => inList(l, null)).result())
      .sub(f.start_time, (s) => timeMatches(s, run.startMicros))
      .sub(f.end_time, (s) => timeMatches(s, run.endMicros))
      .sub(f.expected_start_time, (s) => timeMatches(s, run.expectedStartMicros))
      .sub(f.next_scheduled_start_time, (s) => timeMatches(s, scheduledMicros(run)))
      // A parent flow run is found through a parent task run; the fake has no task runs.
      .sub(f.parent_flow_run_id, (s) =>
        new Conditions().add(s.any_, () => false).result(s.operator),
      )
      .sub(f.parent_task_run_id, (s) =>
        new Conditions()
          .add(s.any_, (l) => inList(l, run.parentTaskRunId))
          .add(s.is_null_, (n) => (run.parentTaskRunId === null) === n)
          .result(s.operator),
      )
      .sub(f.idempotency_key, (s) =>
        new Conditions()
          .add(s.any_, (l) => inList(l, run.idempotencyKey))
          .add(s.not_any_, (l) => run.idempotencyKey !== null && !l.includes(run.idempotencyKey))
          .result(),
      )
      .sub(f.created_by, (s) =>
        new Conditions()
          .add(s.id_, (l) => inList(l, run.createdBy?.id))
          .add(s.type_, (l) => inList(l, run.createdBy?.type))
          .add(s.is_null_, (n) => (run.createdBy === null) === n)
          .result(s.operator),
      )
      .result(f.operator)
  )
}

/** `FlowFilter` on one flow (`hasDeployment`: some deployment belongs to it). */
export function flowMatches(f: FlowFilter, flow: FlowRecord, hasDeployment: boolean): boolean {
  return new Conditions()
    .sub(f.id, (s) =>
      new Conditions()
        .add(s.any_, (l) => l.includes(flow.id))
        .add(s.not_any_, (l) => !l.includes(flow.id))
        .result(),
    )
    .sub(f.deployment, (s) =>
      new Conditions().add(s.is_null_, (n) => !hasDeployment === n).result(s.operator),
    )
    .sub(f.name, (s) =>
      new Conditions()
        .add(s.any_, (l) => l.includes(flow.name))
        .add(s.like_, (p) => like(flow.name, p))
        .result(),
    )
    .sub(f.tags, (s) => tagsMatch(s, flow.tags))
    .result(f.operator)
}

/** `DeploymentFilter` on one deployment (fake deployments are never paused and have no concurrency limit). */
export function deploymentMatches(f: DeploymentFilter, d: FakeDeployment): boolean {
  return new Conditions()
    .sub(f.id, (s) =>
      new Conditions()
        .add(s.any_, (l) => l.includes(d.id))
        .add(s.not_any_, (l) => !l.includes(d.id))
        .result(),
    )
    .sub(f.name, (s) =>
      new Conditions()
        .add(s.any_, (l) => l.includes(d.name))
        .add(s.like_, (p) => like(d.name, p))
        .result(),
    )
    .sub(f.flow_or_deployment_name, (s) =>
      new Conditions().add(s.like_, (p) => like(d.name, p) || like(d.flowName, p)).result(),
    )
    .sub(f.paused, (s) => new Conditions().add(s.eq_, (eq) => eq === false).result())
    .sub(f.tags, (s) => tagsMatch(s, d.tags))
    .sub(f.work_queue_name, (s) =>
      new Conditions().add(s.any_, (l) => inList(l, d.workQueue?.name)).result(),
    )
    .sub(f.concurrency_limit, (s) =>
      new Conditions()
        .add(s.ge_, () => false)
        .add(s.le_, () => false)
        .add(s.is_null_, (n) => n)
        .result(),
    )
    .result(f.operator)
}

/** `WorkPoolFilter` on one pool. */
export function workPoolMatches(f: WorkPoolFilter, pool: FakeWorkPool): boolean {
  return new Conditions()
    .sub(f.id, (s) => new Conditions().add(s.any_, (l) => l.includes(pool.id)).result())
    .sub(f.name, (s) => new Conditions().add(s.any_, (l) => l.includes(pool.name)).result())
    .sub(f.type, (s) => new Conditions().add(s.any_, (l) => l.includes(pool.type)).result())
    .result(f.operator)
}

/** `WorkQueueFilter` on one queue (`startswith_` is a case-insensitive prefix, any of them). */
export function workQueueMatches(f: WorkQueueFilter, queue: FakeWorkQueue): boolean {
  return new Conditions()
    .sub(f.id, (s) => new Conditions().add(s.any_, (l) => l.includes(queue.id)).result())
    .sub(f.name, (s) =>
      new Conditions()
        .add(s.any_, (l) => l.includes(queue.name))
        .add(s.startswith_, (l) =>
          l.some((p) => queue.name.toLowerCase().startsWith(p.toLowerCase())),
        )
        .result(),
    )
    .result(f.operator)
}

/**
 * Prefect's `_apply_flow_run_filters`: each given sub-filter must hold through its join; a run
 * without a deployment (or work queue) fails a deployment (or work pool/queue) filter, and a
 * task-run filter needs a matching task run, which the fake never has.
 */
export function runQueryMatches(
  query: RunQuery,
  run: FlowRunRecord,
  flowHasDeployment: (flowId: string) => boolean,
): boolean {
  if (query.flow_runs && !flowRunMatches(query.flow_runs, run)) return false
  if (
    query.deployments &&
    (!run.deployment || !deploymentMatches(query.deployments, run.deployment))
  )
    return false
  if (query.work_pools || query.work_pool_queues) {
    if (!run.workQueue || !run.workPool) return false
    if (query.work_pool_queues && !workQueueMatches(query.work_pool_queues, run.workQueue))
      return false
    if (query.work_pools && !workPoolMatches(query.work_pools, run.workPool)) return false
  }
  if (query.flows && !flowMatches(query.flows, run.flow, flowHasDeployment(run.flow.id)))
    return false
  if (query.task_runs) return false
  return true
}
