import type { FakeCorsOptions } from './rest/cors.js'
import type {
  Clock,
  Event,
  EventFilter,
  EventInput,
  FlowRun,
  Logger,
  OrchestrationResult,
  ReceivedEvent,
  StateType,
} from '@flowcast/core'
import type {
  ConnectionRecord,
  ConnectionSelector,
  FakePrefectFaults,
  FakePrefectRecorder,
  FrameInput,
} from './control-types.js'
import type { FakeLogInput, FakeLogs, FakeLogsOptions } from './model/logs.js'

/** Prefect Cloud mode: routes live under `/api/accounts/{accountId}/workspaces/{workspaceId}`. */
export interface FakeCloudOptions {
  /** Account id (a UUID in real Cloud; any path-safe string is accepted). */
  accountId: string
  /** Workspace id (a UUID in real Cloud; any path-safe string is accepted). */
  workspaceId: string
  /** The API key clients must send (`Authorization: Bearer <key>` on HTTP, the auth-frame token on `/events/out`). */
  apiKey: string
}

/** Options shared by every adapter of the fake (Node server, msw handlers, mock-socket). */
export interface FakePrefectOptions extends FakeLogsOptions {
  /**
   * OSS auth string (`user:pass`). When set, HTTP requests need `Authorization: Basic base64(authString)`
   * (except `GET /api/health`), websocket auth frames need this exact token, and upgrades without the
   * `prefect` subprotocol get HTTP 403 (docs/protocol.md §1.2, §6.1).
   * @default undefined (no auth; any token is accepted, legacy mode allowed)
   */
  authString?: string
  /**
   * Prefect Cloud mode. Mutually exclusive with `authString`.
   * @default undefined (OSS)
   */
  cloud?: FakeCloudOptions
  /**
   * Server time for state timestamps, `received`, filter defaults, the backfill window, lifecycle
   * step timing, frame delays and replay timing.
   * @default systemClock
   */
  clock?: Clock
  /**
   * Where the fake logs (never secrets).
   * @default silentLogger
   */
  logger?: Logger
  /**
   * The string `GET /api/admin/version` answers.
   * @default '3.8.4'
   */
  version?: string
  /**
   * `fetch` used to deliver automation webhooks.
   * @default globalThis.fetch (looked up at call time)
   */
  fetch?: typeof fetch
  /**
   * Random source for generated names (flow runs, deployments).
   * @default Math.random
   */
  random?: () => number
  /**
   * How far back `/events/out` backfills at most (`PREFECT_SERVER_EVENTS_MAXIMUM_WEBSOCKET_BACKFILL`).
   * @default 900_000 (15 minutes)
   */
  maximumBackfillMs?: number
  /**
   * Live events queued per subscriber before new ones are dropped silently (`SUBSCRIPTION_BACKLOG`).
   * The queue fills while the subscriber's backfill is being sent and while it is silenced or
   * delayed (docs/protocol.md §1.4).
   * @default 256
   */
  subscriberBacklog?: number
  /**
   * Stored events per `/events/out` backfill page (`PREFECT_SERVER_EVENTS_WEBSOCKET_BACKFILL_PAGE_SIZE`).
   * The fake yields to the event loop between pages, so events published during a long backfill
   * land in the subscriber's live queue (docs/protocol.md §1.4).
   * @default 250
   */
  backfillPageSize?: number
  /**
   * Largest HTTP request body read, in bytes; a longer body answers 413 and is not buffered.
   * @default 16_777_216 (16 MiB)
   */
  maxRequestBodyBytes?: number
  /**
   * Entries each recorder list keeps (HTTP requests, connections, received events, arrivals,
   * webhook calls, rejected upgrades); the oldest are dropped beyond it.
   * @default 10_000
   */
  recorderLimit?: number
  /**
   * Request body bytes the HTTP recorder keeps in total; the oldest requests' bodies are
   * replaced by `undefined` beyond it (their other fields stay).
   * @default 67_108_864 (64 MiB)
   */
  recorderBodyBytes?: number
  /**
   * Cross-origin access for browser pages on other origins, like Prefect's server
   * (`PREFECT_SERVER_CORS_ALLOWED_ORIGINS`, `..._METHODS`, `..._HEADERS`; docs/protocol.md
   * §6.4). WebSocket upgrades are accepted from any origin whatever this says.
   * @default every origin, method and header (`fakeCorsDefaults`)
   */
  cors?: FakeCorsOptions
}

/** Defaults of {@link FakePrefectOptions}. */
export const fakePrefectDefaults = {
  version: '3.8.4',
  maximumBackfillMs: 15 * 60 * 1000,
  subscriberBacklog: 256,
  backfillPageSize: 250,
  maxRequestBodyBytes: 16 * 1024 * 1024,
  recorderLimit: 10_000,
  recorderBodyBytes: 64 * 1024 * 1024,
} as const

/** A work pool referenced by a deployment. */
export interface FakeWorkPool {
  /** Work pool id (`prefect.work-pool.<id>`). */
  id: string
  /** Work pool name. */
  name: string
  /** `prefect.work-pool.type`. @default 'process' */
  type: string
}

/** A work queue referenced by a deployment. */
export interface FakeWorkQueue {
  /** Work queue id (`prefect.work-queue.<id>`). */
  id: string
  /** Work queue name (`work_queue_name` of runs). */
  name: string
}

/** Input of {@link FakePrefect.createDeployment}. */
export interface DeploymentInput {
  /** Deployment id. @default a fresh uuid v7 */
  id?: string
  /** Deployment name. @default a random slug */
  name?: string
  /** Flow name; a flow is created for it if none exists. @default 'fake-flow' */
  flowName?: string
  /** Deployment tags, merged into every run created from it. @default [] */
  tags?: string[]
  /** Work pool name (or full pool). @default 'default-pool' of type 'process'; `null` for none */
  workPool?: string | Partial<FakeWorkPool> | null
  /** Work queue name (or full queue). @default 'default'; `null` for none */
  workQueue?: string | Partial<FakeWorkQueue> | null
  /** Default parameters of runs. @default {} */
  parameters?: Record<string, unknown>
  /** Retries on Failed (the `RetryFailedFlows` rule turns Failed into AwaitingRetry). @default 0 */
  retries?: number
  /** Seconds between retries. @default 0 */
  retryDelaySeconds?: number
  /** Deployment version. @default null */
  version?: string | null
  /**
   * `parameter_openapi_schema`: the JSON Schema of the flow's parameters (`null` for none).
   * @default { type: 'object', properties: {} } (Prefect's default: any parameters pass)
   */
  parameterOpenApiSchema?: Record<string, unknown> | null
  /**
   * `enforce_parameter_schema`: whether `create_flow_run` checks the merged parameters against
   * the schema (409 when they fail). A run can override it.
   * @default true (as Prefect)
   */
  enforceParameterSchema?: boolean
}

/** A deployment known to the fake. */
export interface FakeDeployment {
  /** Deployment id (use it in `POST /deployments/{id}/create_flow_run`). */
  id: string
  /** Deployment name (`prefect.resource.name` of the `deployment` related resource). */
  name: string
  /** Id of its flow. */
  flowId: string
  /** Name of its flow. */
  flowName: string
  /** Tags merged into every run. */
  tags: string[]
  /** Work pool of its runs, or `null`. */
  workPool: FakeWorkPool | null
  /** Work queue of its runs, or `null`. */
  workQueue: FakeWorkQueue | null
  /** Default parameters of its runs. */
  parameters: Record<string, unknown>
  /** Retries of its runs (Failed becomes AwaitingRetry while retries are left). */
  retries: number
  /** Seconds between retries. */
  retryDelaySeconds: number
  /** `deployment_version` of its runs. */
  version: string | null
  /** `parameter_openapi_schema` (`null` when the deployment has none). */
  parameterOpenApiSchema: Record<string, unknown> | null
  /** `enforce_parameter_schema`. */
  enforceParameterSchema: boolean
}

/** `created_by` of a flow run; DEPLOYMENT and AUTOMATION add a `creator` related resource (docs/protocol.md §4.5). */
export interface FakeCreatedBy {
  /** Creator id (a deployment or automation id). */
  id: string | null
  /** `'DEPLOYMENT'`, `'AUTOMATION'`, … */
  type: string | null
  /** Shown as the creator's `prefect.resource.name`. */
  display_value: string | null
}

/** Input of {@link FakePrefect.createFlowRun}. */
export interface FlowRunInput {
  /** Create the run from this deployment (tags merged, work pool and queue inherited). */
  deploymentId?: string
  /** Flow name when there is no deployment. @default 'fake-flow' */
  flowName?: string
  /** Flow-run name. @default a random slug such as 'hopeful-tortoise' */
  name?: string
  /** Run tags (the union with the deployment tags is kept). @default [] */
  tags?: string[]
  /** Parameters, merged over the deployment defaults. @default {} */
  parameters?: Record<string, unknown>
  /** Initial state. @default Scheduled, scheduled now */
  state?: StateInput
  /** Retries; defaults to the deployment's. @default 0 */
  retries?: number
  /** Idempotency key; a second create with the same key returns the existing run. */
  idempotencyKey?: string
  /** `created_by`. @default null */
  createdBy?: FakeCreatedBy | null
  /** Work queue name override. */
  workQueueName?: string
  /** Extra flow-run labels. @default {} */
  labels?: Record<string, string | number | boolean>
}

/** The state to propose, as on `POST /flow_runs/{id}/set_state` (`StateCreate`). */
export interface StateInput {
  /** State type. */
  type: StateType
  /** @default the capitalised type, e.g. 'Pending' */
  name?: string | null
  /** @default null */
  message?: string | null
  /** Extra `state_details` (e.g. `scheduled_time`, `pause_reschedule`, `pause_timeout`). */
  state_details?: Record<string, unknown>
  /** State data. @default null */
  data?: unknown
}

/** Options of {@link FakePrefect.setFlowRunState}. */
export interface SetStateOptions {
  /** Skip orchestration rules (terminal-state guard, retries), like `force=true`. @default false */
  force?: boolean
}

/** Names understood as lifecycle steps, with the state type each one maps to (docs/protocol.md §4.4). */
export const lifecycleStateNames = {
  Scheduled: 'SCHEDULED',
  Late: 'SCHEDULED',
  AwaitingRetry: 'SCHEDULED',
  AwaitingConcurrencySlot: 'SCHEDULED',
  Resuming: 'SCHEDULED',
  Pending: 'PENDING',
  Running: 'RUNNING',
  Retrying: 'RUNNING',
  Completed: 'COMPLETED',
  Failed: 'FAILED',
  TimedOut: 'FAILED',
  Crashed: 'CRASHED',
  Cancelling: 'CANCELLING',
  Cancelled: 'CANCELLED',
  Paused: 'PAUSED',
  Suspended: 'PAUSED',
} as const satisfies Record<string, StateType>

/** A state name from {@link lifecycleStateNames}. */
export type LifecycleStateName = keyof typeof lifecycleStateNames

/**
 * One step of {@link FakePrefect.runLifecycle}: a state name, `'heartbeat'`, a full state, a pause in
 * server time, or any action (e.g. a fault) run in order.
 */
export type LifecycleStep =
  | LifecycleStateName
  | 'heartbeat'
  | (StateInput & { force?: boolean })
  | { wait: number }
  /** Stores a log of the run (its `flow_run_id` is filled in), as the flow's logger would. */
  | { log: string | FakeLogInput }
  | ((context: { flowRunId: string; signal?: AbortSignal }) => unknown)

/** Options of {@link FakePrefect.runLifecycle}. */
export interface RunLifecycleOptions {
  /** Server-time pause (via the clock) after each state or heartbeat step. @default 0 */
  stepMs?: number
  /** Stops the script between steps (rejects with `ABORTED`). */
  signal?: AbortSignal
}

export type {
  ConnectionRecord,
  ConnectionSelector,
  CreatedFlowRunRecord,
  DropConnectionsOptions,
  EventArrivalRecord,
  FakePrefectFaults,
  FakePrefectRecorder,
  FrameInput,
  HttpErrorRule,
  HttpRequestRecord,
  RejectedUpgradeRecord,
  WebhookCallRecord,
} from './control-types.js'

/** Which flow runs {@link FakePrefect.flowRuns} and {@link FakePrefect.nextFlowRun} pick: every given part must match. */
export interface FlowRunMatcher {
  /** Runs of this deployment. @default any deployment (or none) */
  deploymentId?: string
  /** Any other condition on the `FlowRunResponse` (its current state for `flowRuns`, the created one for `nextFlowRun`). */
  where?: (flowRun: FlowRun) => boolean
}

/** Options of {@link FakePrefect.nextFlowRun}. */
export interface NextFlowRunOptions extends FlowRunMatcher {
  /**
   * Rejects with `TIMEOUT` (naming the runs that were created) after this many ms of server
   * time (the server's clock).
   * @default undefined (wait until `signal` aborts)
   */
  timeoutMs?: number
  /** Rejects with `ABORTED`. */
  signal?: AbortSignal
}

/** A partial match on an event: every given part must match. */
export interface EventMatcher {
  /** Exact event name or a RegExp. */
  event?: string | RegExp
  /** Labels the primary resource must have (exact values or RegExps). */
  resource?: Record<string, string | RegExp>
  /** Labels some related resource must have. */
  related?: Record<string, string | RegExp>
  /** Event id. */
  id?: string
  /** Payload keys whose values must be deeply equal. */
  payload?: Record<string, unknown>
}

/** A "call webhook" automation (Prefect's `CallWebhook` action on an event trigger). */
export interface AutomationInput {
  /** Automation name. @default 'automation-N' */
  name?: string
  /** What fires it (Prefect's event trigger vocabulary). */
  trigger: {
    /** Event names (glob patterns such as `'prefect.flow-run.*'`); any may match. @default every event */
    expect?: string[]
    /** Labels of the primary resource (ResourceSpecification: glob values, leading `!` negates). */
    match?: Record<string, string | string[]>
    /** Labels one related resource must satisfy. */
    match_related?: Record<string, string | string[]>
  }
  /** The webhook call (Prefect's `CallWebhook` with a Webhook block). */
  action: {
    /** Webhook block `url`. */
    url: string
    /** @default 'POST' */
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
    /** Webhook block `headers`; no Content-Type is added unless given here. @default {} */
    headers?: Record<string, string>
    /**
     * Jinja-style template of the body (a safe subset: `{{ event.event }}`, `{{ event.resource['prefect.resource.id'] }}`,
     * `{{ event|tojson }}`, dotted access, filters `tojson`, `default`, `upper`, `lower`, `string`).
     * @default '' (an empty body)
     */
    payload?: string
  }
  /** Whether it fires. @default true */
  enabled?: boolean
}

/** A registered automation. */
export interface FakeAutomation {
  /** Automation id (`prefect.automation.<id>`). */
  id: string
  /** Automation name. */
  name: string
  /** What fires it. */
  trigger: AutomationInput['trigger']
  /** The webhook call, defaults applied. */
  action: Required<Pick<AutomationInput['action'], 'url' | 'method' | 'headers' | 'payload'>>
  /** Disabled automations never fire. */
  enabled: boolean
}

/** A frame read from a JSONL recording (see `flow-run-frames.jsonl`). */
export interface ReplayFrame {
  /** The frame text exactly as recorded. */
  raw: string
  /** `event.occurred` of an event frame in epoch ms (drives original timing). */
  occurredMs: number | undefined
}

/** Options of {@link FakePrefect.replay}. */
export interface ReplayOptions extends ConnectionSelector {
  /**
   * `'original'`: wait the recorded gaps between events' `occurred` (divided by `speed`);
   * `'compressed'`: wait `gapMs` between frames.
   * @default 'compressed'
   */
  timing?: 'original' | 'compressed'
  /** Speed-up for original timing. @default 1 */
  speed?: number
  /** Gap for compressed timing. @default 0 */
  gapMs?: number
  /** Also store replayed events (for REST queries and backfill). @default false */
  store?: boolean
  /** Stops the replay (rejects with `ABORTED`). */
  signal?: AbortSignal
}

/** A REST override registered with {@link FakePrefect.use}: return a response to answer, `undefined` to fall through. */
export interface RestOverride {
  /** @default any */
  method?: string
  /** Path under the API URL, same syntax as {@link HttpErrorRule.path}. */
  path: string | RegExp
  respond(request: {
    method: string
    path: string
    query: URLSearchParams
    headers: Record<string, string>
    body: unknown
  }):
    | { status: number; body?: unknown; headers?: Record<string, string> }
    | undefined
    | Promise<{ status: number; body?: unknown; headers?: Record<string, string> } | undefined>
}

/**
 * The fake Prefect server's state and controls, shared by every adapter (Node server, msw, mock-socket).
 */
export interface FakePrefect {
  /** The clock all server time comes from. */
  readonly clock: Clock
  /** Creates a deployment (and its flow). */
  createDeployment(input?: DeploymentInput): FakeDeployment
  /** Creates a flow run, Scheduled by default, emitting its first state event; returns the `FlowRunResponse`. */
  createFlowRun(input?: FlowRunInput): FlowRun
  /** The `FlowRunResponse` of a run, or `undefined`. */
  readFlowRun(flowRunId: string): FlowRun | undefined
  /**
   * Every flow run the fake knows (created by the API or by {@link FakePrefect.createFlowRun}),
   * oldest first, as current `FlowRunResponse`s; `{ deploymentId }` keeps one deployment's.
   * @example
   * ```ts
   * expect(server.flowRuns({ deploymentId: deployment.id })).toHaveLength(1)
   * ```
   */
  flowRuns(matcher?: FlowRunMatcher): FlowRun[]
  /**
   * The next flow run the code under test creates through the REST API
   * (`POST /deployments/{id}/create_flow_run`) that matches, as the response it was sent.
   *
   * Runs form one queue in creation order and each is handed out once: the call takes the
   * oldest matching run that no earlier `nextFlowRun` call took, created before or after the
   * call, and otherwise waits for one. So the order of "service creates the run" and "test
   * asks for it" does not matter, and two calls get two runs. Runs made with
   * {@link FakePrefect.createFlowRun} (you already hold them) and idempotent repeats of a
   * create (200, same run) are not queued; `reset()` empties the queue.
   * @example
   * ```ts
   * const run = await server.nextFlowRun({ deploymentId: deployment.id, timeoutMs: 5_000 })
   * await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
   * ```
   */
  nextFlowRun(options?: NextFlowRunOptions): Promise<FlowRun>
  /** Proposes a state like `POST /flow_runs/{id}/set_state`; accepted states emit `prefect.flow-run.<Name>` (docs/protocol.md §4.5). */
  setFlowRunState(
    flowRunId: string,
    state: StateInput,
    options?: SetStateOptions,
  ): OrchestrationResult
  /** Drives a run through steps in order (forced transitions), pausing `stepMs` of server time between them. */
  runLifecycle(
    flowRunId: string,
    steps: readonly LifecycleStep[],
    options?: RunLifecycleOptions,
  ): Promise<void>
  /** Emits `prefect.flow-run.heartbeat` for a run (as the flow engine does). */
  emitHeartbeat(flowRunId: string): ReceivedEvent
  /** Stores and delivers an event as if a client emitted it (ids deduped; `received` set now). */
  publishEvent(event: EventInput | Event): ReceivedEvent
  /** Every stored event, in arrival order. */
  readonly events: readonly ReceivedEvent[]
  /** Logs: store (`POST /logs/`), the `/logs/out` stream switch and its faults. */
  readonly logs: FakeLogs
  /** Sends frames to every `/events/out` subscriber (msw's `broadcast`); same as `faults.injectFrames`. */
  broadcast(frame: FrameInput, options?: ConnectionSelector): number
  /** Resolves with the next (or an existing, when `existing` is true) `/events/out` connection that has sent its filter. */
  waitForSubscriber(options?: {
    path?: string
    existing?: boolean
    signal?: AbortSignal
  }): Promise<ConnectionRecord>
  /** Connections currently open. */
  readonly openConnections: readonly ConnectionRecord[]
  readonly faults: FakePrefectFaults
  readonly recorder: FakePrefectRecorder
  /**
   * Returns the first event received from a client that matches; throws a `FlowcastError` ('NOT_FOUND')
   * with a readable diff of the closest events otherwise.
   */
  expectEmitted(matcher: EventMatcher): ReceivedEvent
  /** Like {@link expectEmitted}, but waits for a matching event. */
  waitForEmitted(matcher: EventMatcher, options?: { signal?: AbortSignal }): Promise<ReceivedEvent>
  /** Registers a "call webhook" automation. */
  addAutomation(input: AutomationInput): FakeAutomation
  /** Removes an automation. */
  removeAutomation(id: string): boolean
  /** Resolves when every webhook delivery started so far has finished. */
  settleWebhooks(options?: { signal?: AbortSignal }): Promise<void>
  /** Replays recorded frames (JSONL text or parsed frames) to subscribers. */
  replay(frames: string | readonly ReplayFrame[], options?: ReplayOptions): Promise<void>
  /** Adds REST overrides in front of the built-in routes (msw's `use`). */
  use(...overrides: RestOverride[]): void
  /** Removes REST overrides and turns every fault off (msw's `resetHandlers`). */
  resetHandlers(): void
  /** Forgets all state: runs, deployments, events, automations, recorder, faults, overrides. Closes connections. */
  reset(): void
}

/** The filter a subscriber ends up with after the server's defaults and clamp (for inspection). */
export type EffectiveFilter = EventFilter & { occurred: { since: string; until: string } }
