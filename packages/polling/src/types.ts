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
  /** How `type` and `name` combine. @default 'and_' */
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
  /** How the parts combine. @default 'and_' */
  operator?: FilterOperator
  /** By flow-run id. */
  id?: FlowRunFilterId | null
  /** By flow-run name: exact names or a case-insensitive substring. */
  name?: { any_?: string[] | null; like_?: string | null } | null
  /** By tags. */
  tags?: {
    operator?: FilterOperator
    all_?: string[] | null
    any_?: string[] | null
    is_null_?: boolean | null
  } | null
  /** By deployment id. */
  deployment_id?: {
    operator?: FilterOperator
    any_?: string[] | null
    is_null_?: boolean | null
  } | null
  /** By work queue name. */
  work_queue_name?: {
    operator?: FilterOperator
    any_?: string[] | null
    is_null_?: boolean | null
  } | null
  /** By state type and name. */
  state?: FlowRunFilterState | null
  /** Other sub-filters, passed through as given. */
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

/** Body of `POST /flow_runs/filter` (docs/protocol.md §6.3). */
export interface FlowRunFilterBody {
  /** Which flow runs. */
  flow_runs?: FlowRunFilter | null
  /** Filters on related objects (flows, deployments, task runs, work pools and queues). */
  flows?: Record<string, unknown> | null
  deployments?: Record<string, unknown> | null
  task_runs?: Record<string, unknown> | null
  work_pools?: Record<string, unknown> | null
  work_pool_queues?: Record<string, unknown> | null
  /** @default 'ID_DESC' (server) */
  sort?: FlowRunSort
  /** Rows per page; Prefect caps it at `PREFECT_SERVER_API_DEFAULT_LIMIT` (200). @default 200 (server) */
  limit?: number
  /** Rows to skip. @default 0 */
  offset?: number
}

/** Prefect's `StateCreate`: the state to propose in `set_state` or `create_flow_run`. */
export interface StateCreate {
  /** The state type. */
  type: StateType
  /** The state name. @default the capitalised type (server) */
  name?: string | null
  /** A message, e.g. why it failed. */
  message?: string | null
  /** Result data. */
  data?: unknown
  /** `state_details`, e.g. `scheduled_time`. */
  state_details?: Record<string, unknown>
}

/**
 * Body of `POST /deployments/{id}/create_flow_run` (`DeploymentFlowRunCreate`; every field
 * optional, unknown keys forbidden by the server).
 */
export interface DeploymentFlowRunCreate {
  /** The initial state. @default Scheduled, now (server) */
  state?: StateCreate | null
  /** The flow-run name. @default a generated name (server) */
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
