import { STATE_TYPES } from '@flowcast/core'
import { z } from 'zod'
import type { FakePrefectModel } from '../model/fake-prefect.js'
import { renderState, type FlowRunRecord } from '../model/flow-runs.js'
import { parameterSchemaError } from '../model/parameter-schema.js'
import type { FakeDeployment, FlowRunInput, StateInput } from '../types.js'
import { detail, invalid, json, parseBody, type RestResponse } from './http.js'
import type { RouteContext } from './routes.js'
import { runQueryMatches, runQuerySchemaShape, uuidSchema, type RunQuery } from './run-filters.js'

/** Prefect's default (and maximum) `limit` (`PREFECT_SERVER_API_DEFAULT_LIMIT`). */
export const defaultLimit = 200

const flowRunSorts = [
  'ID_DESC',
  'START_TIME_ASC',
  'START_TIME_DESC',
  'EXPECTED_START_TIME_ASC',
  'EXPECTED_START_TIME_DESC',
  'NAME_ASC',
  'NAME_DESC',
  'NEXT_SCHEDULED_START_TIME_ASC',
  'END_TIME_DESC',
] as const

/** A path id: the lower-cased UUID, or the 422 Prefect answers for a malformed one. */
export function pathUuid(
  value: string | undefined,
  name = 'id',
): { ok: true; id: string } | { ok: false; response: RestResponse } {
  const parsed = uuidSchema.safeParse(value)
  if (parsed.success) return { ok: true, id: parsed.data }
  return {
    ok: false,
    response: invalid(
      [
        {
          type: 'uuid_parsing',
          loc: ['path', name],
          msg: 'Input should be a valid UUID',
          input: value,
        },
      ],
      undefined,
    ),
  }
}

/**
 * Prefect's `LimitBody`: absent means the default, which is also the maximum; above it is a
 * 422 with a plain `detail`.
 */
export function checkLimit(limit: number | undefined): RestResponse | undefined {
  if (limit !== undefined && limit > defaultLimit) {
    return detail(422, `Invalid limit: must be less than or equal to ${defaultLimit}.`)
  }
  return undefined
}

const limitSchema = z.int().min(0).nullish()

const countBody = z.object(runQuerySchemaShape)
const filterBody = z.object({
  ...runQuerySchemaShape,
  sort: z.enum(flowRunSorts).optional(),
  offset: z.int().min(0).optional(),
  limit: limitSchema,
})
const paginateBody = z.object({
  ...runQuerySchemaShape,
  sort: z.enum(flowRunSorts).optional(),
  page: z.int().min(1).optional(),
  limit: limitSchema,
})

function compareRuns(sort: string): (a: FlowRunRecord, b: FlowRunRecord) => number {
  const cmp = (x: bigint | string | null, y: bigint | string | null, nullsLast = true) => {
    if (x === y) return 0
    if (x === null) return nullsLast ? 1 : -1
    if (y === null) return nullsLast ? -1 : 1
    return x < y ? -1 : 1
  }
  const scheduled = (r: FlowRunRecord) => {
    const s = r.state?.type === 'SCHEDULED' ? r.state.stateDetails.scheduled_time : null
    return typeof s === 'string' ? s : null
  }
  switch (sort) {
    case 'START_TIME_ASC':
      return (a, b) => cmp(a.startMicros, b.startMicros)
    case 'START_TIME_DESC':
      return (a, b) => -cmp(a.startMicros, b.startMicros, false)
    case 'EXPECTED_START_TIME_ASC':
      return (a, b) => cmp(a.expectedStartMicros, b.expectedStartMicros)
    case 'EXPECTED_START_TIME_DESC':
      return (a, b) => -cmp(a.expectedStartMicros, b.expectedStartMicros, false)
    case 'NAME_ASC':
      return (a, b) => cmp(a.name, b.name)
    case 'NAME_DESC':
      return (a, b) => -cmp(a.name, b.name)
    case 'NEXT_SCHEDULED_START_TIME_ASC':
      return (a, b) => cmp(scheduled(a), scheduled(b))
    case 'END_TIME_DESC':
      return (a, b) => -cmp(a.endMicros, b.endMicros, false)
    default:
      return (a, b) => -cmp(a.id, b.id)
  }
}

/**
 * With an and-ed `flow_runs.id.any_`, only the listed runs can match: a set lookup keeps a
 * watcher's batched reads fast over 100,000 runs. Same runs, same order; the filter still decides.
 */
function candidateRuns(model: FakePrefectModel, query: RunQuery): FlowRunRecord[] {
  const filter = query.flow_runs
  const ids = filter?.id?.any_
  if (!ids || (filter?.operator ?? 'and_') !== 'and_') return model.runs.runs()
  const wanted = new Set(ids)
  return model.runs.runs().filter((run) => wanted.has(run.id))
}

/** The runs a flow-run query selects, sorted. */
export function selectRuns(
  model: FakePrefectModel,
  query: RunQuery,
  sort = 'ID_DESC',
): FlowRunRecord[] {
  return candidateRuns(model, query)
    .filter((run) => runQueryMatches(query, run, (id) => model.runs.flowHasDeployment(id)))
    .sort(compareRuns(sort))
}

/** `GET /flow_runs/{id}`. */
export function readFlowRun({ model, params }: RouteContext): RestResponse {
  const id = pathUuid(params.id)
  if (!id.ok) return id.response
  const run = model.runs.run(id.id)
  if (!run) return detail(404, 'Flow run not found')
  return json(200, model.renderRun(run))
}

/** `POST /flow_runs/filter`. */
export function filterFlowRuns({ model, body }: RouteContext): RestResponse {
  const parsed = parseBody(filterBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  const { sort, offset = 0, limit } = parsed.value
  const tooMany = checkLimit(limit ?? undefined)
  if (tooMany) return tooMany
  const runs = selectRuns(model, parsed.value, sort).slice(offset, offset + (limit ?? defaultLimit))
  return json(
    200,
    runs.map((run) => model.renderRun(run)),
  )
}

/** `POST /flow_runs/count`. */
export function countFlowRuns({ model, body }: RouteContext): RestResponse {
  const parsed = parseBody(countBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  return json(200, selectRuns(model, parsed.value).length)
}

/** `POST /flow_runs/paginate`: `FlowRunPaginationResponse` (`results`, `count`, `limit`, `pages`, `page`). */
export function paginateFlowRuns({ model, body }: RouteContext): RestResponse {
  const parsed = parseBody(paginateBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  const { sort, page = 1 } = parsed.value
  const tooMany = checkLimit(parsed.value.limit ?? undefined)
  if (tooMany) return tooMany
  const limit = parsed.value.limit ?? defaultLimit
  const runs = selectRuns(model, parsed.value, sort)
  const offset = (page - 1) * limit
  return json(200, {
    results: runs.slice(offset, offset + limit).map((run) => model.renderRun(run)),
    count: runs.length,
    limit,
    pages: limit > 0 ? Math.ceil(runs.length / limit) : 0,
    page,
  })
}

const stateCreate = z.strictObject({
  type: z.enum(STATE_TYPES),
  name: z.string().nullish(),
  message: z.string().nullish(),
  data: z.unknown().optional(),
  state_details: z.record(z.string(), z.unknown()).nullish(),
})

function toStateInput(value: z.infer<typeof stateCreate>): StateInput {
  const state: StateInput = { type: value.type }
  if (typeof value.name === 'string') state.name = value.name
  if (typeof value.message === 'string') state.message = value.message
  if (value.state_details) state.state_details = value.state_details
  if (value.data !== undefined) state.data = value.data
  return state
}

const setStateBody = z.object({ state: stateCreate, force: z.boolean().optional() })

/** `POST /flow_runs/{id}/set_state`: an `OrchestrationResult`, 201 when accepted. */
export function setFlowRunState({ model, params, body }: RouteContext): RestResponse {
  const id = pathUuid(params.id)
  if (!id.ok) return id.response
  const parsed = parseBody(setStateBody, body, body)
  if (!parsed.ok) return parsed.response
  const run = model.runs.run(id.id)
  if (!run) return detail(404, 'Flow run not found')
  const result = model.runs.transition(run, toStateInput(parsed.value.state), {
    force: parsed.value.force === true,
  })
  return json((result as { status: string }).status === 'ACCEPT' ? 201 : 200, result)
}

const createFlowRunBody = z.strictObject({
  state: stateCreate.nullish(),
  name: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  enforce_parameter_schema: z.boolean().nullish(),
  context: z.record(z.string(), z.unknown()).nullish(),
  infrastructure_document_id: z.string().nullish(),
  empirical_policy: z.record(z.string(), z.unknown()).nullish(),
  tags: z.array(z.string()).nullish(),
  idempotency_key: z.string().nullish(),
  labels: z.record(z.string(), z.unknown()).nullish(),
  parent_task_run_id: z.string().nullish(),
  work_queue_name: z.string().nullish(),
  job_variables: z.record(z.string(), z.unknown()).nullish(),
})

/**
 * The 409 Prefect answers when the deployment (or the run's override) enforces the parameter
 * schema and the merged parameters fail it, or there is no schema to enforce.
 */
function enforceParameterSchema(
  deployment: FakeDeployment,
  parameters: Record<string, unknown>,
  override: boolean | null | undefined,
): RestResponse | undefined {
  const enforce = override ?? deployment.enforceParameterSchema
  if (!enforce) return undefined
  const schema = deployment.parameterOpenApiSchema
  if (!schema) {
    return detail(
      409,
      'Error updating deployment: Cannot update parameters because parameter schema enforcement is enabled and the deployment does not have a valid parameter schema.',
    )
  }
  const why = parameterSchemaError(parameters, schema)
  return why === undefined ? undefined : detail(409, `Error creating flow run: ${why}`)
}

/** `POST /deployments/{id}/create_flow_run`: 201 with the new run, 200 when the idempotency key matched. */
export function createFlowRun({ model, params, body, notes }: RouteContext): RestResponse {
  const id = pathUuid(params.id)
  if (!id.ok) return id.response
  const parsed = parseBody(createFlowRunBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  const value = parsed.value
  const deployment = model.runs.deployment(id.id)
  if (!deployment) return detail(404, 'Deployment not found')
  // Checked before the idempotency key is looked at, as Prefect does (docs/protocol.md §6.3).
  const refused = enforceParameterSchema(
    deployment,
    { ...deployment.parameters, ...value.parameters },
    value.enforce_parameter_schema,
  )
  if (refused) return refused
  const input: FlowRunInput = { deploymentId: deployment.id }
  if (typeof value.name === 'string') input.name = value.name
  if (value.tags) input.tags = value.tags
  if (value.parameters) input.parameters = value.parameters
  if (typeof value.idempotency_key === 'string') input.idempotencyKey = value.idempotency_key
  if (typeof value.work_queue_name === 'string') input.workQueueName = value.work_queue_name
  if (value.labels) input.labels = value.labels as Record<string, string>
  if (value.state) input.state = toStateInput(value.state)
  const { run, created } = model.runs.createRun(input)
  if (notes) notes.createdRun = { deploymentId: deployment.id, flowRunId: run.id, created }
  return json(created ? 201 : 200, model.renderRun(run))
}

/** `GET /flow_run_states/?flow_run_id=…`: the run's states, oldest first (`[]` for an unknown run). */
export function readFlowRunStates({ model, url }: RouteContext): RestResponse {
  const raw = url.searchParams.get('flow_run_id')
  if (raw === null) {
    return invalid(
      [{ type: 'missing', loc: ['query', 'flow_run_id'], msg: 'Field required', input: null }],
      null,
    )
  }
  const id = uuidSchema.safeParse(raw)
  if (!id.success) {
    return invalid(
      [
        {
          type: 'uuid_parsing',
          loc: ['query', 'flow_run_id'],
          msg: 'Input should be a valid UUID',
          input: raw,
        },
      ],
      null,
    )
  }
  const run = model.runs.run(id.data)
  return json(200, (run?.history ?? []).map(renderState))
}

/** `GET /flow_run_states/{id}`. */
export function readFlowRunState({ model, params }: RouteContext): RestResponse {
  const id = pathUuid(params.id)
  if (!id.ok) return id.response
  const state = model.runs.state(id.id)
  if (!state) return detail(404, 'Flow run state not found')
  return json(200, renderState(state))
}
