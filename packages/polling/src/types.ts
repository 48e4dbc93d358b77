import type { StateType } from '@flowcast/core'

/** `and_` (default) or `or_` between the parts of a filter. */
export type FilterOperator = 'and_' | 'or_'

/** `FlowRunFilterId`: match by id. */
export interface FlowRunFilterId {
  /** Any of these flow-run ids. */
  any_?: string[] | null
  /** None of these flow-run ids. */
  not_any_?: string[] | null
}

/** `FlowRunFilterState`: match by state type and/or name. */
export interface FlowRunFilterState {
  operator?: FilterOperator
  /** State types. */
  type?: { any_?: StateType[] | null; not_any_?: StateType[] | null } | null
  /** State names, e.g. `AwaitingRetry`. */
  name?: { any_?: string[] | null; not_any_?: string[] | null } | null
}

/**
 * Prefect's `FlowRunFilter` (snake_case as on the wire; the server forbids unknown keys).
 * The commonly used parts are typed; the rest (`start_time`, `created_by`, ...) are passed
 * through as given.
 */
export interface FlowRunFilter {
  operator?: FilterOperator
  id?: FlowRunFilterId | null
  name?: { any_?: string[] | null; like_?: string | null } | null
  tags?: {
    operator?: FilterOperator
    all_?: string[] | null
    any_?: string[] | null
    is_null_?: boolean | null
  } | null
  deployment_id?: {
    operator?: FilterOperator
    any_?: string[] | null
    is_null_?: boolean | null
  } | null
  work_queue_name?: {
    operator?: FilterOperator
    any_?: string[] | null
    is_null_?: boolean | null
  } | null
  state?: FlowRunFilterState | null
  flow_version?: Record<string, unknown> | null
  start_time?: Record<string, unknown> | null
  end_time?: Record<string, unknown> | null
  expected_start_time?: Record<string, unknown> | null
  next_scheduled_start_time?: Record<string, unknown> | null
  parent_flow_run_id?: Record<string, unknown> | null
  parent_task_run_id?: Record<string, unknown> | null
  idempotency_key?: Record<string, unknown> | null
  created_by?: Record<string, unknown> | null
}

/** Sort orders of `POST /flow_runs/filter`. */
export type FlowRunSort =
  | 'ID_DESC'
  | 'START_TIME_ASC'
  | 'START_TIME_DESC'
  | 'EXPECTED_START_TIME_ASC'
  | 'EXPECTED_START_TIME_DESC'
  | 'NAME_ASC'
  | 'NAME_DESC'
  | 'NEXT_SCHEDULED_START_TIME_ASC'
  | 'END_TIME_DESC'

/** Body of `POST /flow_runs/filter` (spec §6.3). */
export interface FlowRunFilterBody {
  flow_runs?: FlowRunFilter | null
  flows?: Record<string, unknown> | null
  deployments?: Record<string, unknown> | null
  task_runs?: Record<string, unknown> | null
  work_pools?: Record<string, unknown> | null
  work_pool_queues?: Record<string, unknown> | null
  /** @default 'ID_DESC' (server) */
  sort?: FlowRunSort
  /** Rows per page; Prefect caps it at `PREFECT_SERVER_API_DEFAULT_LIMIT` (200). @default 200 (server) */
  limit?: number
  /** @default 0 */
  offset?: number
}

/** Prefect's `StateCreate`: the state to propose in `set_state` or `create_flow_run`. */
export interface StateCreate {
  type: StateType
  /** @default the capitalised type (server) */
  name?: string | null
  message?: string | null
  data?: unknown
  state_details?: Record<string, unknown>
}

/**
 * Body of `POST /deployments/{id}/create_flow_run` (`DeploymentFlowRunCreate`; every field
 * optional, unknown keys forbidden by the server).
 */
export interface DeploymentFlowRunCreate {
  /** @default Scheduled, now (server) */
  state?: StateCreate | null
  name?: string
  /** Merged over the deployment's default parameters. */
  parameters?: Record<string, unknown>
  enforce_parameter_schema?: boolean | null
  context?: Record<string, unknown>
  infrastructure_document_id?: string | null
  empirical_policy?: Record<string, unknown>
  /** Added to the deployment's tags. */
  tags?: string[]
  /**
   * A second create with the same key returns the existing run. When omitted the client
   * generates one per call, so that retrying a failed request never creates two runs.
   */
  idempotency_key?: string | null
  labels?: Record<string, string | number | boolean> | null
  parent_task_run_id?: string | null
  work_queue_name?: string | null
  job_variables?: Record<string, unknown> | null
}
