import { z } from 'zod'
import type { FakePrefectModel } from '../model/fake-prefect.js'
import type { FlowRecord } from '../model/flow-runs.js'
import { formatMicros } from '../model/util.js'
import type { FakeDeployment } from '../types.js'
import { detail, json, parseBody, type RestResponse } from './http.js'
import { checkLimit, defaultLimit, pathUuid, selectRuns } from './flow-runs.js'
import type { RouteContext } from './routes.js'
import {
  deploymentMatches,
  flowMatches,
  flowRunMatches,
  runQuerySchemaShape,
  workPoolMatches,
  workQueueMatches,
  type RunQuery,
} from './run-filters.js'

const sorts = ['CREATED_DESC', 'UPDATED_DESC', 'NAME_ASC', 'NAME_DESC'] as const
const listBody = z.object({
  ...runQuerySchemaShape,
  sort: z.enum(sorts).optional(),
  offset: z.int().min(0).optional(),
  limit: z.int().min(0).nullish(),
})
const countBody = z.object(runQuerySchemaShape)

/** The `Flow` response model, keys in its order. */
function renderFlow(flow: FlowRecord): Record<string, unknown> {
  const at = formatMicros(flow.createdMicros)
  return { id: flow.id, created: at, updated: at, name: flow.name, tags: flow.tags, labels: {} }
}

/** The `DeploymentResponse` model, keys in its order (fields the fake does not model are their defaults). */
function renderDeployment(model: FakePrefectModel, d: FakeDeployment): Record<string, unknown> {
  const at = formatMicros(model.runs.deploymentCreated(d.id))
  return {
    id: d.id,
    created: at,
    updated: at,
    name: d.name,
    version: d.version,
    description: null,
    flow_id: d.flowId,
    paused: false,
    schedules: [],
    concurrency_limit: null,
    global_concurrency_limit: null,
    concurrency_options: null,
    job_variables: {},
    parameters: d.parameters,
    tags: d.tags,
    labels: { 'prefect.flow.id': d.flowId },
    work_queue_name: d.workQueue?.name ?? null,
    work_queue_id: d.workQueue?.id ?? null,
    last_polled: null,
    parameter_openapi_schema: d.parameterOpenApiSchema,
    path: null,
    pull_steps: null,
    entrypoint: null,
    storage_document_id: null,
    infrastructure_document_id: null,
    created_by: null,
    updated_by: null,
    work_pool_name: d.workPool?.name ?? null,
    status: 'NOT_READY',
    enforce_parameter_schema: d.enforceParameterSchema,
  }
}

function byName<T extends { name: string }>(sort: string, created: (item: T) => bigint) {
  return (a: T, b: T): number => {
    switch (sort) {
      case 'NAME_DESC':
        return a.name < b.name ? 1 : a.name > b.name ? -1 : 0
      case 'CREATED_DESC':
      case 'UPDATED_DESC': {
        const x = created(a)
        const y = created(b)
        return x === y ? 0 : x < y ? 1 : -1
      }
      default:
        return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
    }
  }
}

/** Whether a deployment passes the `deployments`, `work_pools` and `work_pool_queues` filters. */
function deploymentPasses(query: RunQuery, d: FakeDeployment): boolean {
  if (query.deployments && !deploymentMatches(query.deployments, d)) return false
  if (query.work_pools && (!d.workPool || !workPoolMatches(query.work_pools, d.workPool))) {
    return false
  }
  if (
    query.work_pool_queues &&
    (!d.workQueue || !workQueueMatches(query.work_pool_queues, d.workQueue))
  ) {
    return false
  }
  return true
}

/**
 * Prefect's `_apply_flow_filters`: the flow filter on the flow; a deployment or work-pool filter
 * needs one of its deployments to pass; a flow-run or task-run filter needs one of its runs to.
 */
function selectFlows(model: FakePrefectModel, query: RunQuery): FlowRecord[] {
  const runs = model.runs.runs()
  return model.runs.flows().filter((flow) => {
    const hasDeployment = model.runs.flowHasDeployment(flow.id)
    if (query.flows && !flowMatches(query.flows, flow, hasDeployment)) return false
    if (query.deployments || query.work_pools || query.work_pool_queues) {
      const own = model.runs.deployments().filter((d) => d.flowId === flow.id)
      if (!own.some((d) => deploymentPasses(query, d))) return false
    }
    if (query.flow_runs || query.task_runs) {
      if (query.task_runs) return false
      const filter = query.flow_runs!
      if (!runs.some((r) => r.flow.id === flow.id && flowRunMatches(filter, r))) return false
    }
    return true
  })
}

/**
 * Prefect's `_apply_deployment_filters`: the deployment and work-pool filters on the deployment,
 * the flow filter on its flow, and a flow-run or task-run filter needs one of its runs to pass.
 */
function selectDeployments(model: FakePrefectModel, query: RunQuery): FakeDeployment[] {
  return model.runs.deployments().filter((d) => {
    if (!deploymentPasses(query, d)) return false
    if (query.flows) {
      const flow = model.runs.flow(d.flowId)
      if (!flow || !flowMatches(query.flows, flow, true)) return false
    }
    if (query.flow_runs || query.task_runs) {
      const own = selectRuns(model, { flow_runs: query.flow_runs, task_runs: query.task_runs })
      if (!own.some((r) => r.deployment?.id === d.id)) return false
    }
    return true
  })
}

/** `GET /flows/{id}`. */
export function readFlow({ model, params }: RouteContext): RestResponse {
  const id = pathUuid(params.id)
  if (!id.ok) return id.response
  const flow = model.runs.flow(id.id)
  return flow ? json(200, renderFlow(flow)) : detail(404, 'Flow not found')
}

/** `POST /flows/filter` (sort `NAME_ASC` by default). */
export function filterFlows({ model, body }: RouteContext): RestResponse {
  const parsed = parseBody(listBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  const { sort = 'NAME_ASC', offset = 0, limit } = parsed.value
  const tooMany = checkLimit(limit ?? undefined)
  if (tooMany) return tooMany
  const flows = selectFlows(model, parsed.value)
    .sort(byName(sort, (f) => f.createdMicros))
    .slice(offset, offset + (limit ?? defaultLimit))
  return json(200, flows.map(renderFlow))
}

/** `GET /deployments/{id}`. */
export function readDeployment({ model, params }: RouteContext): RestResponse {
  const id = pathUuid(params.id)
  if (!id.ok) return id.response
  const deployment = model.runs.deployment(id.id)
  if (!deployment) return detail(404, 'Deployment not found')
  return json(200, renderDeployment(model, deployment))
}

/** `GET /deployments/name/{flow_name}/{deployment_name}` (docs/protocol.md §6.3). */
export function readDeploymentByName({ model, params }: RouteContext): RestResponse {
  const deployment = model.runs.deploymentNamed(params.flow_name!, params.deployment_name!)
  if (!deployment) return detail(404, 'Deployment not found')
  return json(200, renderDeployment(model, deployment))
}

/** `POST /deployments/filter` (sort `NAME_ASC` by default). */
export function filterDeployments({ model, body }: RouteContext): RestResponse {
  const parsed = parseBody(listBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  const { sort = 'NAME_ASC', offset = 0, limit } = parsed.value
  const tooMany = checkLimit(limit ?? undefined)
  if (tooMany) return tooMany
  const deployments = selectDeployments(model, parsed.value)
    .sort(byName(sort, (d) => model.runs.deploymentCreated(d.id)))
    .slice(offset, offset + (limit ?? defaultLimit))
  return json(
    200,
    deployments.map((d) => renderDeployment(model, d)),
  )
}

/** `POST /deployments/count`. */
export function countDeployments({ model, body }: RouteContext): RestResponse {
  const parsed = parseBody(countBody, body ?? {}, body)
  if (!parsed.ok) return parsed.response
  return json(200, selectDeployments(model, parsed.value).length)
}
