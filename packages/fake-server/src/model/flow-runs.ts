import { flowRunResourceId, type Event, type FlowRun, type StateType } from '@flowcast/core'
import type { FakeCreatedBy, FakeDeployment, FakeWorkPool, FakeWorkQueue } from '../types.js'
import { formatMicros, isoformatMicros, secondsBetween } from './util.js'

/** A state as the fake stores it. */
export interface StateRecord {
  id: string
  type: StateType
  name: string
  timestampMicros: bigint
  message: string | null
  data: unknown
  stateDetails: Record<string, unknown>
}

/** A flow. */
export interface FlowRecord {
  id: string
  name: string
  tags: string[]
  createdMicros: bigint
}

/** A flow run as the fake stores it. */
export interface FlowRunRecord {
  id: string
  name: string
  flow: FlowRecord
  deployment: FakeDeployment | null
  createdMicros: bigint
  updatedMicros: bigint
  tags: string[]
  parameters: Record<string, unknown>
  labels: Record<string, string | number | boolean>
  workQueue: FakeWorkQueue | null
  workPool: FakeWorkPool | null
  state: StateRecord | null
  runCount: number
  startMicros: bigint | null
  endMicros: bigint | null
  totalRunSeconds: number
  runningSinceMicros: bigint | null
  expectedStartMicros: bigint | null
  idempotencyKey: string | null
  retries: number | null
  retryDelaySeconds: number | null
  createdBy: FakeCreatedBy | null
  parentTaskRunId: string | null
  resuming: boolean
  /** Every state the run has been in, oldest first (`GET /flow_run_states/`). */
  history: StateRecord[]
}

/** Capitalised default state name (`default_name_from_type`). */
export function defaultStateName(type: StateType): string {
  return type.charAt(0) + type.slice(1).toLowerCase()
}

/** `state_details` in the schema's key order. */
export function stateDetails(
  flowRunId: string,
  transitionId: string,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    flow_run_id: flowRunId,
    task_run_id: null,
    child_flow_run_id: null,
    scheduled_time: null,
    cache_key: null,
    cache_expiration: null,
    deferred: false,
    untrackable_result: false,
    pause_timeout: null,
    pause_reschedule: false,
    pause_key: null,
    run_input_keyset: null,
    refresh_cache: null,
    retriable: null,
    transition_id: transitionId,
    task_parameters_id: null,
    traceparent: null,
    deployment_concurrency_lease_id: null,
    ...extra,
  }
}

/** The `State` JSON. */
export function renderState(state: StateRecord): Record<string, unknown> {
  return {
    id: state.id,
    type: state.type,
    name: state.name,
    timestamp: formatMicros(state.timestampMicros),
    message: state.message,
    data: state.data ?? null,
    state_details: state.stateDetails,
  }
}

/** The `FlowRunResponse` JSON, keys in the server's order (docs/protocol.md §6.3). */
export function renderFlowRun(run: FlowRunRecord, nowMicros: bigint): FlowRun {
  const state = run.state
  const scheduled = state?.type === 'SCHEDULED' ? state.stateDetails.scheduled_time : null
  const liveRun =
    run.runningSinceMicros !== null ? secondsBetween(nowMicros, run.runningSinceMicros) : 0
  let startDelta = 0
  if (run.expectedStartMicros !== null) {
    if (run.startMicros !== null) {
      startDelta = Math.max(0, secondsBetween(run.startMicros, run.expectedStartMicros))
    } else {
      startDelta = Math.max(0, secondsBetween(nowMicros, run.expectedStartMicros))
    }
  }
  const json = {
    id: run.id,
    created: formatMicros(run.createdMicros),
    updated: formatMicros(run.updatedMicros),
    name: run.name,
    flow_id: run.flow.id,
    state_id: state?.id ?? null,
    deployment_id: run.deployment?.id ?? null,
    deployment_version: run.deployment?.version ?? null,
    work_queue_id: run.workQueue?.id ?? null,
    work_queue_name: run.workQueue?.name ?? null,
    flow_version: null,
    parameters: run.parameters,
    idempotency_key: run.idempotencyKey,
    context: {},
    empirical_policy: {
      max_retries: 0,
      retry_delay_seconds: 0.0,
      retries: run.retries,
      retry_delay: run.retryDelaySeconds,
      pause_keys: [],
      resuming: run.resuming,
      retry_type: null,
    },
    tags: run.tags,
    labels: run.labels,
    parent_task_run_id: run.parentTaskRunId,
    state_type: state?.type ?? null,
    state_name: state?.name ?? null,
    run_count: run.runCount,
    expected_start_time:
      run.expectedStartMicros !== null ? formatMicros(run.expectedStartMicros) : null,
    next_scheduled_start_time: typeof scheduled === 'string' ? scheduled : null,
    start_time: run.startMicros !== null ? formatMicros(run.startMicros) : null,
    end_time: run.endMicros !== null ? formatMicros(run.endMicros) : null,
    total_run_time: run.totalRunSeconds,
    estimated_run_time: run.totalRunSeconds + liveRun,
    estimated_start_time_delta: startDelta,
    auto_scheduled: false,
    infrastructure_document_id: null,
    infrastructure_pid: null,
    created_by: run.createdBy,
    work_pool_id: run.workPool?.id ?? null,
    work_pool_name: run.workPool?.name ?? null,
    state: state ? renderState(state) : null,
    job_variables: {},
  }
  return json as unknown as FlowRun
}

/** The state part of a state-change payload (`name` only when truthy, `message` only when non-empty). */
function statePayload(state: StateRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { type: state.type }
  if (state.name) out.name = state.name
  if (state.message) out.message = state.message
  if (state.type === 'PAUSED') {
    // docs/protocol.md §4.5: pause_reschedule travels as the STRING "true"/"false".
    out.pause_reschedule = String(Boolean(state.stateDetails.pause_reschedule))
  }
  return out
}

/** Related resources of a flow-run event, in the order of docs/protocol.md §4.5. */
export function relatedResources(
  run: FlowRunRecord,
  options: { workQueue: boolean; workPool: boolean; creator: boolean },
): Event['related'] {
  const related: Event['related'] = [
    {
      'prefect.resource.id': `prefect.flow.${run.flow.id}`,
      'prefect.resource.role': 'flow',
      'prefect.resource.name': run.flow.name,
    },
  ]
  if (run.deployment) {
    related.push({
      'prefect.resource.id': `prefect.deployment.${run.deployment.id}`,
      'prefect.resource.role': 'deployment',
      'prefect.resource.name': run.deployment.name,
    })
  }
  if (options.workQueue && run.workQueue) {
    related.push({
      'prefect.resource.id': `prefect.work-queue.${run.workQueue.id}`,
      'prefect.resource.role': 'work-queue',
      'prefect.resource.name': run.workQueue.name,
    })
  }
  if (options.workPool && run.workPool) {
    related.push({
      'prefect.resource.id': `prefect.work-pool.${run.workPool.id}`,
      'prefect.resource.role': 'work-pool',
      'prefect.resource.name': run.workPool.name,
      'prefect.work-pool.type': run.workPool.type,
    })
  }
  if (run.parentTaskRunId) {
    related.push({
      'prefect.resource.id': `prefect.task-run.${run.parentTaskRunId}`,
      'prefect.resource.role': 'task-run',
    })
  }
  const tags = new Set([...run.tags, ...run.flow.tags, ...(run.deployment?.tags ?? [])])
  for (const tag of [...tags].sort()) {
    related.push({ 'prefect.resource.id': `prefect.tag.${tag}`, 'prefect.resource.role': 'tag' })
  }
  const createdBy = run.createdBy
  if (
    options.creator &&
    createdBy?.id &&
    (createdBy.type === 'DEPLOYMENT' || createdBy.type === 'AUTOMATION')
  ) {
    const kind = createdBy.type === 'DEPLOYMENT' ? 'deployment' : 'automation'
    related.push({
      'prefect.resource.id': `prefect.${kind}.${createdBy.id}`,
      'prefect.resource.role': 'creator',
      'prefect.resource.name': createdBy.display_value ?? '',
    })
  }
  return related
}

const maxMessageLength = 100_000
const followsWindowMicros = 5n * 60n * 1_000_000n

/** The `prefect.flow-run.<Name>` event of a transition (docs/protocol.md §4.5): event id = state id. */
export function stateChangeEvent(
  run: FlowRunRecord,
  initial: StateRecord | null,
  validated: StateRecord,
): Event {
  const gap =
    initial === null
      ? null
      : validated.timestampMicros - initial.timestampMicros < 0n
        ? initial.timestampMicros - validated.timestampMicros
        : validated.timestampMicros - initial.timestampMicros
  return {
    occurred: formatMicros(validated.timestampMicros),
    event: `prefect.flow-run.${validated.name}`,
    resource: {
      'prefect.resource.id': flowRunResourceId(run.id),
      'prefect.resource.name': run.name,
      'prefect.run-count': String(run.runCount),
      'prefect.state-message': (validated.message ?? '').slice(0, maxMessageLength),
      'prefect.state-name': validated.name,
      'prefect.state-timestamp': isoformatMicros(validated.timestampMicros),
      'prefect.state-type': validated.type,
    },
    related: relatedResources(run, { workQueue: true, workPool: true, creator: true }),
    payload: {
      intended: { from: initial?.type ?? null, to: validated.type },
      initial_state: initial ? statePayload(initial) : null,
      validated_state: statePayload(validated),
    },
    id: validated.id,
    follows: initial !== null && gap !== null && gap < followsWindowMicros ? initial.id : null,
  }
}

/** `prefect.flow-run.heartbeat` (docs/protocol.md §4.5): labels id, name, version; related flow, deployment, tags; no payload. */
export function heartbeatEvent(
  run: FlowRunRecord,
  id: string,
  occurredMicros: bigint,
  version: string,
  follows: string | null,
): Event {
  return {
    occurred: formatMicros(occurredMicros),
    event: 'prefect.flow-run.heartbeat',
    resource: {
      'prefect.resource.id': flowRunResourceId(run.id),
      'prefect.resource.name': run.name,
      'prefect.version': version,
    },
    related: relatedResources(run, { workQueue: false, workPool: false, creator: false }),
    payload: {},
    id,
    follows,
  }
}
