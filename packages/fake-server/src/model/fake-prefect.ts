import {
  flowRunIdFromResourceId,
  matchesFilter,
  EventSchema,
  formatIssues,
  matchesLabelPattern,
  validate,
  PrefectDateTime,
  serializeReceivedEvent,
  silentLogger,
  sleep,
  systemClock,
  uuidv7,
  type Clock,
  type Event,
  type EventFilter,
  type EventInput,
  type FlowRun,
  type Logger,
  type OrchestrationResult,
  type ReceivedEvent,
  type StateType,
} from '@flowcast/core'
import {
  fakePrefectDefaults,
  lifecycleStateNames,
  type AutomationInput,
  type ConnectionRecord,
  type ConnectionSelector,
  type DeploymentInput,
  type DropConnectionsOptions,
  type EffectiveFilter,
  type EventArrivalRecord,
  type EventMatcher,
  type FakeAutomation,
  type FakeDeployment,
  type FakePrefect,
  type FakePrefectFaults,
  type FakePrefectOptions,
  type FakePrefectRecorder,
  type FakeWorkPool,
  type FakeWorkQueue,
  type FlowRunInput,
  type FrameInput,
  type HttpErrorRule,
  type HttpRequestRecord,
  type LifecycleStep,
  type RejectedUpgradeRecord,
  type ReplayFrame,
  type ReplayOptions,
  type RestOverride,
  type RunLifecycleOptions,
  type SetStateOptions,
  type StateInput,
  type WebhookCallRecord,
} from '../types.js'
import {
  Connection,
  closeCodes,
  constantTimeEqual,
  type ConnectionHost,
  type SocketTransport,
  type StoredEvent,
} from './connection.js'
import { describeNoMatch, mismatches } from './expect.js'
import { FakeLogStore } from './logs.js'
import { clampForWebsocket, resolveEventFilter } from './filters.js'
import {
  defaultStateName,
  heartbeatEvent,
  renderFlowRun,
  renderState,
  stateChangeEvent,
  stateDetails,
  type FlowRecord,
  type FlowRunRecord,
  type StateRecord,
} from './flow-runs.js'
import { randomSlug } from './names.js'
import { parseFramesJsonl, replayDelays } from './replay.js'
import { renderTemplate, TemplateDateTime } from './template.js'
import { compilePathPattern, fakeError, formatMicros, msToMicros, secondsBetween } from './util.js'

const terminalTypes: readonly StateType[] = ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED']
const maximumEventSizeBytes = 1_500_000

/** Where a request or upgrade lands. */
export interface ResolvedRoute {
  scope: 'oss' | 'workspace' | 'account'
  /** Path after the API prefix, e.g. `/events/out`. */
  rest: string
}

/** Result of {@link FakePrefectModel.decideUpgrade}. */
export type UpgradeDecision =
  | {
      ok: true
      kind: 'out' | 'in'
      mode: ConnectionRecord['mode']
      protocol: 'prefect' | undefined
    }
  | { ok: false; status: number }

interface HttpFaultRule extends HttpErrorRule {
  pattern: RegExp
  remaining: number
}

interface OverrideEntry {
  override: RestOverride
  pattern: RegExp
}

/** Options the model takes beyond {@link FakePrefectOptions}. */
export interface FakePrefectModelOptions extends FakePrefectOptions {
  /** Root path of the API. @default '/api' */
  basePath?: string
}

/**
 * The fake Prefect server's state model and protocol logic, shared by the Node server, msw and
 * mock-socket adapters. Every state change goes through {@link FakePrefectModel.transition}.
 */
export class FakePrefectModel implements FakePrefect, ConnectionHost {
  readonly clock: Clock
  readonly logger: Logger
  readonly options: FakePrefectModelOptions
  readonly basePath: string
  readonly backlog: number
  readonly backfillPageSize: number
  readonly version: string
  readonly faults: FakePrefectFaults
  readonly recorder: FakePrefectRecorder

  /** Set by an adapter that can really stop listening during `faults.restart()`. */
  /** The logs store behind `/logs/`, `/logs/filter` and `/logs/out`. */
  readonly logStore: FakeLogStore
  restartHook: ((downMs: number, signal?: AbortSignal) => Promise<void>) | undefined

  #random: () => number
  #lastMicros = 0n
  #flows = new Map<string, FlowRecord>()
  #deployments = new Map<string, FakeDeployment>()
  #runs = new Map<string, FlowRunRecord>()
  #events: StoredEvent[] = []
  #eventIds = new Set<string>()
  #connections = new Set<Connection>()
  #connectionSeq = 0
  #automationSeq = 0
  #automations = new Map<string, FakeAutomation>()
  #webhooksInFlight = new Set<Promise<void>>()
  #overrides: OverrideEntry[] = []
  #subscriberWaiters = new Set<(c: Connection) => void>()
  #emittedWaiters = new Set<() => void>()

  // recorder state
  #connectionRecords: ConnectionRecord[] = []
  #rejectedUpgrades: RejectedUpgradeRecord[] = []
  #httpRequests: HttpRequestRecord[] = []
  #receivedEvents: ReceivedEvent[] = []
  #arrivals: EventArrivalRecord[] = []
  #webhookCalls: WebhookCallRecord[] = []

  // fault state
  #refuseAuth: { mode: 'soft' | 'hard'; reason: string } | null = null
  #rejectUpgrades: { status: number; pattern: string | undefined } | null = null
  #silenceAll = false
  #delayMs = 0
  #slowMs = 0
  #httpRules: HttpFaultRule[] = []

  constructor(options: FakePrefectModelOptions = {}) {
    if (options.authString !== undefined && options.cloud !== undefined) {
      throw fakeError('INVALID_OPTIONS', 'invalid options', 'authString and cloud are exclusive')
    }
    this.options = options
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? silentLogger
    this.basePath = (options.basePath ?? '/api').replace(/\/+$/, '')
    this.backlog = options.subscriberBacklog ?? fakePrefectDefaults.subscriberBacklog
    this.backfillPageSize = options.backfillPageSize ?? fakePrefectDefaults.backfillPageSize
    if (!Number.isInteger(this.backfillPageSize) || this.backfillPageSize < 1) {
      throw fakeError(
        'INVALID_OPTIONS',
        'invalid options',
        `backfillPageSize must be a positive integer, got ${String(this.backfillPageSize)}`,
      )
    }
    this.version = options.version ?? fakePrefectDefaults.version
    this.#random = options.random ?? Math.random
    this.faults = this.#createFaults()
    this.recorder = this.#createRecorder()
    this.logStore = new FakeLogStore(
      { clock: this.clock, nowMicros: () => this.nowMicros(), random: this.#random },
      options,
    )
  }

  get logs(): FakeLogStore {
    return this.logStore
  }

  // ---------------------------------------------------------------- time

  /** Server time in microseconds, strictly increasing so states and events order exactly. */
  nowMicros(): bigint {
    const now = msToMicros(this.clock.now())
    this.#lastMicros = now > this.#lastMicros ? now : this.#lastMicros + 1n
    return this.#lastMicros
  }

  #newId(): string {
    return uuidv7({ clock: this.clock })
  }

  // ---------------------------------------------------------------- auth

  /** The token websocket auth frames must carry (auth string, or the Cloud API key). */
  get authString(): string | undefined {
    return this.options.cloud?.apiKey ?? this.options.authString
  }

  authRefusal(): { mode: 'soft' | 'hard'; reason: string } | null {
    return this.#refuseAuth
  }

  delayMs(): number {
    return this.#delayMs
  }

  /** Checks the `Authorization` header of an HTTP request (spec §6.1). */
  httpAuthorized(authorization: string | undefined): boolean {
    if (this.options.cloud) {
      const match = /^bearer\s+(.+)$/i.exec(authorization ?? '')
      return match !== null && constantTimeEqual(match[1]!.trim(), this.options.cloud.apiKey)
    }
    const authString = this.options.authString
    if (authString === undefined) return true
    const match = /^basic\s+(.+)$/i.exec(authorization ?? '')
    if (!match) return false
    let decoded: string
    try {
      decoded = new TextDecoder().decode(
        Uint8Array.from(atob(match[1]!.trim()), (c) => c.charCodeAt(0)),
      )
    } catch {
      return false
    }
    return constantTimeEqual(decoded, authString)
  }

  // ---------------------------------------------------------------- routing

  /** Splits a URL path into scope and the route under the API prefix; `undefined` = 404. */
  resolveRoute(pathname: string): ResolvedRoute | undefined {
    if (pathname !== this.basePath && !pathname.startsWith(`${this.basePath}/`)) return undefined
    const rest = pathname.slice(this.basePath.length) || '/'
    const cloud = this.options.cloud
    if (!cloud) return { scope: 'oss', rest }
    if (rest === '/health') return { scope: 'oss', rest }
    const ws = /^\/accounts\/([^/]+)\/workspaces\/([^/]+)(\/.*)?$/.exec(rest)
    if (ws) {
      if (ws[1] !== cloud.accountId || ws[2] !== cloud.workspaceId) return undefined
      return { scope: 'workspace', rest: ws[3] ?? '/' }
    }
    const account = /^\/accounts\/([^/]+)(\/.*)$/.exec(rest)
    if (account && account[1] === cloud.accountId) return { scope: 'account', rest: account[2]! }
    return undefined
  }

  /** The workspace (or OSS) API path prefix, e.g. `/api` or `/api/accounts/A/workspaces/W`. */
  get apiPath(): string {
    const cloud = this.options.cloud
    return cloud
      ? `${this.basePath}/accounts/${cloud.accountId}/workspaces/${cloud.workspaceId}`
      : this.basePath
  }

  /** Decides a websocket upgrade (spec §1.2, §2): accept with a mode, or answer an HTTP status. */
  decideUpgrade(input: {
    path: string
    headers: Record<string, string>
    protocols: string[]
  }): UpgradeDecision {
    const decision = this.#decideUpgrade(input)
    if (!decision.ok) {
      this.#rejectedUpgrades.push({
        path: input.path,
        protocols: input.protocols,
        headers: input.headers,
        status: decision.status,
        at: this.clock.now(),
      })
    }
    return decision
  }

  #decideUpgrade(input: {
    path: string
    headers: Record<string, string>
    protocols: string[]
  }): UpgradeDecision {
    const route = this.resolveRoute(input.path)
    const kind =
      route?.rest === '/events/out' ? 'out' : route?.rest === '/events/in' ? 'in' : undefined
    if (!route || !kind || (route.scope === 'account' && kind !== 'out')) {
      return { ok: false, status: 404 }
    }
    const reject = this.#rejectUpgrades
    if (reject && (reject.pattern === undefined || input.path.endsWith(reject.pattern))) {
      return { ok: false, status: reject.status }
    }
    const prefect = input.protocols.includes('prefect')
    if (prefect) return { ok: true, kind, mode: 'prefect', protocol: 'prefect' }
    const cloud = this.options.cloud
    if (cloud) {
      if (kind === 'out') return { ok: false, status: 403 }
      // Spec §2: Cloud emitters authenticate with `Authorization: bearer <key>` on the upgrade.
      const match = /^bearer\s+(.+)$/i.exec(input.headers.authorization ?? '')
      if (!match || !constantTimeEqual(match[1]!.trim(), cloud.apiKey) || this.#refuseAuth) {
        return { ok: false, status: 403 }
      }
      return { ok: true, kind, mode: 'cloud-bearer', protocol: undefined }
    }
    // Spec §1.2: without `prefect`, 403 when an auth string is set, else legacy mode.
    if (this.options.authString !== undefined) return { ok: false, status: 403 }
    return { ok: true, kind, mode: 'legacy', protocol: undefined }
  }

  /** Opens a connection after an accepted upgrade; the adapter feeds it frames and close events. */
  openConnection(
    decision: Extract<UpgradeDecision, { ok: true }>,
    input: { path: string; headers: Record<string, string>; protocols: string[] },
    transport: SocketTransport,
  ): Connection {
    const record: ConnectionRecord = {
      id: `c${++this.#connectionSeq}`,
      path: input.path,
      kind: decision.kind,
      protocols: input.protocols,
      protocol: decision.protocol ?? null,
      mode: decision.mode,
      headers: input.headers,
      authToken: undefined,
      filters: [],
      backfill: undefined,
      clientFrames: [],
      eventsSent: 0,
      openedAt: this.clock.now(),
      closedAt: undefined,
      closeCode: undefined,
      closeReason: undefined,
    }
    this.#connectionRecords.push(record)
    const connection = new Connection(this, transport, record, { silenced: this.#silenceAll })
    this.#connections.add(connection)
    this.logger.debug('fake-server: connection opened', {
      id: record.id,
      path: record.path,
      mode: record.mode,
    })
    return connection
  }

  connectionClosed(connection: Connection): void {
    this.#connections.delete(connection)
    this.logger.debug('fake-server: connection closed', {
      id: connection.record.id,
      code: connection.record.closeCode,
    })
  }

  get openConnections(): readonly ConnectionRecord[] {
    return [...this.#connections].map((c) => c.record)
  }

  #select(selector: ConnectionSelector | undefined, defaultKind?: 'out'): Connection[] {
    return [...this.#connections].filter((c) => {
      if (selector?.connection !== undefined) return c.record.id === selector.connection
      if (selector?.path !== undefined) return c.record.path.endsWith(selector.path)
      return defaultKind === undefined || c.kind === defaultKind
    })
  }

  // ---------------------------------------------------------------- subscribers

  resolveSubscriberFilter(
    raw: unknown,
  ): { ok: true; filter: EffectiveFilter } | { ok: false; message: string } {
    const now = this.nowMicros()
    const resolved = resolveEventFilter(raw, now)
    if (!resolved.ok) return resolved
    const maximum = this.options.maximumBackfillMs ?? fakePrefectDefaults.maximumBackfillMs
    return { ok: true, filter: clampForWebsocket(resolved.filter, now, maximum) }
  }

  /** Every stored event matching a subscriber's filter, oldest first (the backfill's query). */
  backfill(filter: EffectiveFilter): StoredEvent[] {
    return this.#query(filter, 'ASC')
  }

  subscriberReady(connection: Connection): void {
    for (const waiter of [...this.#subscriberWaiters]) waiter(connection)
  }

  waitForSubscriber(
    options: { path?: string; existing?: boolean; signal?: AbortSignal } = {},
  ): Promise<ConnectionRecord> {
    const matches = (c: Connection) =>
      c.kind === 'out' && (options.path === undefined || c.record.path.endsWith(options.path))
    if (options.existing) {
      const found = [...this.#connections].find((c) => c.isSubscribed && matches(c))
      if (found) return Promise.resolve(found.record)
    }
    return new Promise((resolve, reject) => {
      const signal = options.signal
      const onAbort = () => {
        this.#subscriberWaiters.delete(waiter)
        reject(fakeError('ABORTED', 'waitForSubscriber aborted'))
      }
      const waiter = (c: Connection) => {
        if (!matches(c)) return
        this.#subscriberWaiters.delete(waiter)
        signal?.removeEventListener('abort', onAbort)
        resolve(c.record)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#subscriberWaiters.add(waiter)
    })
  }

  // ---------------------------------------------------------------- events

  get events(): readonly ReceivedEvent[] {
    return this.#events.map((s) => s.event)
  }

  /** Stored events matching a filter (full semantics, related included), in the given order. */
  #query(filter: EventFilter, order: 'ASC' | 'DESC'): StoredEvent[] {
    const matched = this.#events.filter((s) => matchesFilter(s.event, filter))
    const sorted = matched
      .map((s, i) => ({ s, i }))
      .sort((a, b) =>
        a.s.occurredMicros === b.s.occurredMicros
          ? a.i - b.i
          : a.s.occurredMicros < b.s.occurredMicros
            ? -1
            : 1,
      )
      .map(({ s }) => s)
    return order === 'ASC' ? sorted : sorted.reverse()
  }

  /** Events matching a REST filter (`POST /events/filter`), already defaulted. */
  queryEvents(filter: EffectiveFilter): ReceivedEvent[] {
    return this.#query(filter, filter.order === 'ASC' ? 'ASC' : 'DESC').map((s) => s.event)
  }

  /** Resolves a REST filter (defaults, no clamp). */
  resolveRestFilter(raw: unknown): ReturnType<typeof resolveEventFilter> {
    return resolveEventFilter(raw, this.nowMicros())
  }

  /** Stores an event (dedupe by id, `received` = now) and delivers it; `undefined` for a duplicate or oversize event. */
  #store(event: Event, receivedOverride?: string): StoredEvent | undefined {
    if (this.#eventIds.has(event.id)) return undefined
    const received: ReceivedEvent = {
      occurred: event.occurred,
      event: event.event,
      resource: event.resource,
      related: event.related,
      payload: event.payload,
      id: event.id,
      follows: event.follows,
      received: receivedOverride ?? formatMicros(this.nowMicros()),
    }
    const json = serializeReceivedEvent(received)
    if (new TextEncoder().encode(json).length > maximumEventSizeBytes) {
      this.logger.warn('fake-server: dropped an event over 1,500,000 bytes', { id: event.id })
      return undefined
    }
    const stored: StoredEvent = {
      event: received,
      frame: `{"type":"event","event":${json}}`,
      occurredMicros: PrefectDateTime.parse(received.occurred).epochMicros,
    }
    this.#eventIds.add(event.id)
    this.#events.push(stored)
    return stored
  }

  #distribute(stored: StoredEvent): void {
    for (const connection of [...this.#connections]) {
      if (connection.kind === 'out') connection.deliverLive(stored)
    }
    this.#runAutomations(stored.event)
  }

  /** Validates an event like the server's `Event` model (occurred and id required, extras dropped). */
  #validateEvent(raw: unknown): Event {
    if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const record = raw as Record<string, unknown>
      if (record.occurred === undefined || record.id === undefined) {
        throw fakeError(
          'INVALID_EVENT',
          'invalid event',
          `${record.occurred === undefined ? 'occurred' : 'id'}: Field required`,
        )
      }
    }
    const result = validate(EventSchema, raw)
    if (!result.success) {
      throw fakeError('INVALID_EVENT', 'invalid event', formatIssues(result.issues))
    }
    const event = result.data as Event
    return {
      ...event,
      occurred: PrefectDateTime.parse(event.occurred).toString(),
      id: event.id.toLowerCase(),
    }
  }

  /** Validates a client event without storing it (throws `INVALID_EVENT`). */
  validateClientEvent(raw: unknown): void {
    this.#validateEvent(raw)
  }

  /** An event from a client (`/events/in` frame or `POST /api/events`); throws on invalid input. */
  receiveClientEvent(
    raw: unknown,
    source: 'websocket' | 'http',
    connectionId: string | undefined,
  ): void {
    const event = this.#validateEvent(raw)
    const stored = this.#store(event)
    const duplicate = stored === undefined && this.#eventIds.has(event.id)
    const received = stored?.event ?? { ...event, received: formatMicros(this.nowMicros()) }
    this.#arrivals.push({ event: received, source, connectionId, duplicate })
    if (stored) {
      this.#receivedEvents.push(stored.event)
      this.#distribute(stored)
      for (const waiter of [...this.#emittedWaiters]) waiter()
    }
  }

  receiveSocketEvent(raw: unknown, connection: Connection): boolean {
    try {
      this.receiveClientEvent(raw, 'websocket', connection.record.id)
      return true
    } catch {
      return false
    }
  }

  publishEvent(input: EventInput | Event): ReceivedEvent {
    const event = this.#validateEvent({
      occurred: formatMicros(this.nowMicros()),
      id: this.#newId(),
      related: [],
      payload: {},
      follows: null,
      ...input,
    })
    const stored = this.#store(event)
    if (!stored) {
      throw fakeError(
        'INVALID_EVENT',
        'publishEvent',
        `event ${event.id} is a duplicate or too large`,
      )
    }
    this.#distribute(stored)
    return stored.event
  }

  broadcast(frame: FrameInput, options?: ConnectionSelector): number {
    return this.faults.injectFrames([frame], options)
  }

  // ---------------------------------------------------------------- deployments and runs

  #flow(name: string): FlowRecord {
    for (const flow of this.#flows.values()) if (flow.name === name) return flow
    const flow: FlowRecord = { id: this.#newId(), name, tags: [] }
    this.#flows.set(flow.id, flow)
    return flow
  }

  createDeployment(input: DeploymentInput = {}): FakeDeployment {
    const flow = this.#flow(input.flowName ?? 'fake-flow')
    const pool = input.workPool === undefined ? 'default-pool' : input.workPool
    const queue = input.workQueue === undefined ? 'default' : input.workQueue
    const workPool: FakeWorkPool | null =
      pool === null
        ? null
        : typeof pool === 'string'
          ? { id: this.#newId(), name: pool, type: 'process' }
          : {
              id: pool.id ?? this.#newId(),
              name: pool.name ?? 'default-pool',
              type: pool.type ?? 'process',
            }
    const workQueue: FakeWorkQueue | null =
      queue === null
        ? null
        : typeof queue === 'string'
          ? { id: this.#newId(), name: queue }
          : { id: queue.id ?? this.#newId(), name: queue.name ?? 'default' }
    const deployment: FakeDeployment = {
      id: input.id ?? this.#newId(),
      name: input.name ?? randomSlug(this.#random),
      flowId: flow.id,
      flowName: flow.name,
      tags: [...(input.tags ?? [])],
      workPool,
      workQueue,
      parameters: { ...(input.parameters ?? {}) },
      retries: input.retries ?? 0,
      retryDelaySeconds: input.retryDelaySeconds ?? 0,
      version: input.version ?? null,
    }
    this.#deployments.set(deployment.id, deployment)
    return deployment
  }

  /** A deployment by id. */
  deployment(id: string): FakeDeployment | undefined {
    return this.#deployments.get(id)
  }

  /** A run record by id (for adapters). */
  runRecord(id: string): FlowRunRecord | undefined {
    return this.#runs.get(id)
  }

  /** Every run record (for `POST /flow_runs/filter`). */
  runRecords(): FlowRunRecord[] {
    return [...this.#runs.values()]
  }

  /** Renders a run as `FlowRunResponse`. */
  renderRun(run: FlowRunRecord): FlowRun {
    return renderFlowRun(run, this.nowMicros())
  }

  /** Creates a run (the body of `POST /deployments/{id}/create_flow_run`); `created` false when matched by idempotency key. */
  createRun(input: FlowRunInput): { run: FlowRunRecord; created: boolean } {
    const deployment =
      input.deploymentId !== undefined ? this.#deployments.get(input.deploymentId) : undefined
    if (input.deploymentId !== undefined && !deployment) {
      throw fakeError('NOT_FOUND', 'createFlowRun', `deployment ${input.deploymentId} not found`)
    }
    if (input.idempotencyKey !== undefined) {
      for (const existing of this.#runs.values()) {
        if (
          existing.idempotencyKey === input.idempotencyKey &&
          existing.deployment?.id === deployment?.id
        ) {
          return { run: existing, created: false }
        }
      }
    }
    const flow = deployment
      ? (this.#flows.get(deployment.flowId) ?? this.#flow(deployment.flowName))
      : this.#flow(input.flowName ?? 'fake-flow')
    const now = this.nowMicros()
    const id = this.#newId()
    const tags: string[] = []
    for (const tag of [...(deployment?.tags ?? []), ...(input.tags ?? [])]) {
      if (!tags.includes(tag)) tags.push(tag)
    }
    const workQueue: FakeWorkQueue | null =
      input.workQueueName !== undefined
        ? deployment?.workQueue?.name === input.workQueueName
          ? deployment.workQueue
          : { id: this.#newId(), name: input.workQueueName }
        : (deployment?.workQueue ?? null)
    const run: FlowRunRecord = {
      id,
      name: input.name ?? randomSlug(this.#random),
      flow,
      deployment: deployment ?? null,
      createdMicros: now,
      updatedMicros: now,
      tags,
      parameters: { ...(deployment?.parameters ?? {}), ...(input.parameters ?? {}) },
      labels: {
        'prefect.flow.id': flow.id,
        ...(deployment ? { 'prefect.deployment.id': deployment.id } : {}),
        ...(input.labels ?? {}),
      },
      workQueue,
      workPool: deployment?.workPool ?? null,
      state: null,
      runCount: 0,
      startMicros: null,
      endMicros: null,
      totalRunSeconds: 0,
      runningSinceMicros: null,
      expectedStartMicros: null,
      idempotencyKey: input.idempotencyKey ?? null,
      retries: input.retries ?? deployment?.retries ?? null,
      retryDelaySeconds: deployment?.retryDelaySeconds ?? null,
      createdBy: input.createdBy ?? null,
      parentTaskRunId: null,
      resuming: false,
    }
    this.#runs.set(id, run)
    this.transition(run, input.state ?? { type: 'SCHEDULED' }, { force: true })
    return { run, created: true }
  }

  createFlowRun(input: FlowRunInput = {}): FlowRun {
    return this.renderRun(this.createRun(input).run)
  }

  readFlowRun(flowRunId: string): FlowRun | undefined {
    const run = this.#runs.get(flowRunId)
    return run ? this.renderRun(run) : undefined
  }

  #requireRun(flowRunId: string): FlowRunRecord {
    const run = this.#runs.get(flowRunId)
    if (!run) throw fakeError('NOT_FOUND', 'flow run not found', flowRunId)
    return run
  }

  setFlowRunState(
    flowRunId: string,
    state: StateInput,
    options: SetStateOptions = {},
  ): OrchestrationResult {
    return this.transition(this.#requireRun(flowRunId), state, options)
  }

  #buildState(run: FlowRunRecord, proposed: StateInput, now: bigint): StateRecord {
    const id = this.#newId()
    const extra: Record<string, unknown> = { ...(proposed.state_details ?? {}) }
    delete extra.flow_run_id
    delete extra.transition_id
    if (proposed.type === 'SCHEDULED' && extra.scheduled_time === undefined) {
      extra.scheduled_time = formatMicros(now)
    }
    if (proposed.type === 'PAUSED') {
      if (extra.pause_reschedule === undefined) {
        extra.pause_reschedule = proposed.name === 'Suspended'
      }
      if (extra.pause_timeout === undefined) {
        extra.pause_timeout = formatMicros(now + 3600n * 1_000_000n)
      }
    }
    return {
      id,
      type: proposed.type,
      name: proposed.name || defaultStateName(proposed.type),
      timestampMicros: now,
      message: proposed.message ?? null,
      data: proposed.data ?? null,
      stateDetails: stateDetails(run.id, this.#newId(), extra),
    }
  }

  /**
   * The one place a run changes state: applies the orchestration rules the fake models (terminal
   * guard, `RetryFailedFlows`), updates run fields and emits the state event (spec §4.5).
   */
  transition(
    run: FlowRunRecord,
    proposed: StateInput,
    options: SetStateOptions = {},
  ): OrchestrationResult {
    const initial = run.state
    const now = this.nowMicros()
    if (!options.force && initial) {
      if (terminalTypes.includes(initial.type) && proposed.type !== 'SCHEDULED') {
        return {
          state: null,
          status: 'ABORT',
          details: { type: 'abort_details', reason: 'This run has already terminated.' },
        } as unknown as OrchestrationResult
      }
      if (
        proposed.type === 'FAILED' &&
        initial.type === 'RUNNING' &&
        run.retries !== null &&
        run.runCount <= run.retries
      ) {
        const delay = BigInt(Math.round((run.retryDelaySeconds ?? 0) * 1_000_000))
        const retry = this.#buildState(
          run,
          {
            type: 'SCHEDULED',
            name: 'AwaitingRetry',
            message: proposed.message ?? null,
            state_details: { scheduled_time: formatMicros(now + delay) },
          },
          now,
        )
        this.#apply(run, initial, retry)
        return {
          state: renderState(retry),
          status: 'REJECT',
          details: { type: 'reject_details', reason: 'Retrying' },
        } as unknown as OrchestrationResult
      }
    }
    const validated = this.#buildState(run, proposed, now)
    this.#apply(run, initial, validated)
    return {
      state: renderState(validated),
      status: 'ACCEPT',
      details: { type: 'accept_details' },
    } as unknown as OrchestrationResult
  }

  #apply(run: FlowRunRecord, initial: StateRecord | null, validated: StateRecord): void {
    const now = validated.timestampMicros
    if (initial?.type === 'RUNNING' && run.runningSinceMicros !== null) {
      run.totalRunSeconds += secondsBetween(now, run.runningSinceMicros)
      run.runningSinceMicros = null
    }
    if (validated.type === 'RUNNING') {
      // IncrementFlowRunCount runs before the event; a run resuming from a pause is not recounted.
      if (initial?.type !== 'PAUSED' && !run.resuming) run.runCount++
      run.resuming = false
      run.runningSinceMicros = now
      if (run.startMicros === null) run.startMicros = now
    }
    if (validated.type === 'PAUSED') run.resuming = false
    if (validated.type === 'SCHEDULED' && initial?.type === 'PAUSED') run.resuming = true
    if (validated.type === 'SCHEDULED') {
      const scheduled = validated.stateDetails.scheduled_time
      if (run.expectedStartMicros === null && typeof scheduled === 'string') {
        run.expectedStartMicros = PrefectDateTime.parse(scheduled).epochMicros
      }
    }
    if (terminalTypes.includes(validated.type)) run.endMicros = now
    else if (validated.type !== 'CANCELLING') run.endMicros = null
    run.state = validated
    run.updatedMicros = now
    const stored = this.#store(stateChangeEvent(run, initial, validated))
    if (stored) this.#distribute(stored)
  }

  emitHeartbeat(flowRunId: string): ReceivedEvent {
    const run = this.#requireRun(flowRunId)
    const event = heartbeatEvent(run, this.#newId(), this.nowMicros(), this.version, null)
    const stored = this.#store(event)!
    this.#distribute(stored)
    return stored.event
  }

  async runLifecycle(
    flowRunId: string,
    steps: readonly LifecycleStep[],
    options: RunLifecycleOptions = {},
  ): Promise<void> {
    const run = this.#requireRun(flowRunId)
    const stepMs = options.stepMs ?? 0
    const signal = options.signal
    const pause = async (ms: number) => {
      if (ms > 0) await sleep(ms, { clock: this.clock, ...(signal ? { signal } : {}) })
      else if (signal?.aborted) throw fakeError('ABORTED', 'runLifecycle aborted')
    }
    for (const step of steps) {
      if (signal?.aborted) throw fakeError('ABORTED', 'runLifecycle aborted')
      if (typeof step === 'function') {
        await step({ flowRunId, ...(signal ? { signal } : {}) })
        continue
      }
      if (typeof step === 'object' && 'wait' in step) {
        await pause(step.wait)
        continue
      }
      if (typeof step === 'object' && 'log' in step) {
        const input = typeof step.log === 'string' ? { message: step.log } : step.log
        this.logStore.create([{ flow_run_id: flowRunId, ...input }])
        continue
      }
      if (step === 'heartbeat') {
        this.emitHeartbeat(flowRunId)
      } else if (typeof step === 'string') {
        const type = lifecycleStateNames[step]
        if (!type)
          throw fakeError('INVALID_OPTIONS', 'runLifecycle', `unknown step '${String(step)}'`)
        this.transition(run, { type, name: step }, { force: true })
      } else {
        const { force = true, ...state } = step
        this.transition(run, state, { force })
      }
      await pause(stepMs)
    }
  }

  // ---------------------------------------------------------------- assertions

  expectEmitted(matcher: EventMatcher): ReceivedEvent {
    const found = this.#receivedEvents.find((e) => mismatches(e, matcher).length === 0)
    if (found) return found
    throw fakeError(
      'NOT_FOUND',
      'expectEmitted',
      `\n${describeNoMatch(this.#receivedEvents, matcher)}`,
    )
  }

  waitForEmitted(
    matcher: EventMatcher,
    options: { signal?: AbortSignal } = {},
  ): Promise<ReceivedEvent> {
    const find = () => this.#receivedEvents.find((e) => mismatches(e, matcher).length === 0)
    const existing = find()
    if (existing) return Promise.resolve(existing)
    return new Promise((resolve, reject) => {
      const signal = options.signal
      const onAbort = () => {
        this.#emittedWaiters.delete(check)
        reject(
          fakeError(
            'ABORTED',
            'waitForEmitted aborted',
            `\n${describeNoMatch(this.#receivedEvents, matcher)}`,
          ),
        )
      }
      const check = () => {
        const found = find()
        if (!found) return
        this.#emittedWaiters.delete(check)
        signal?.removeEventListener('abort', onAbort)
        resolve(found)
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#emittedWaiters.add(check)
    })
  }

  // ---------------------------------------------------------------- automations

  addAutomation(input: AutomationInput): FakeAutomation {
    const id = this.#newId()
    const automation: FakeAutomation = {
      id,
      name: input.name ?? `automation-${++this.#automationSeq}`,
      trigger: input.trigger,
      action: {
        url: input.action.url,
        method: input.action.method ?? 'POST',
        headers: { ...(input.action.headers ?? {}) },
        payload: input.action.payload ?? '',
      },
      enabled: input.enabled ?? true,
    }
    this.#automations.set(id, automation)
    return automation
  }

  removeAutomation(id: string): boolean {
    return this.#automations.delete(id)
  }

  #triggers(automation: FakeAutomation, event: ReceivedEvent): boolean {
    const { expect, match, match_related: matchRelated } = automation.trigger
    if (expect && expect.length > 0 && !expect.some((p) => matchesLabelPattern(event.event, p))) {
      return false
    }
    const labelsMatch = (
      resource: Record<string, string>,
      spec: Record<string, string | string[]>,
    ) =>
      Object.entries(spec).every(([label, patterns]) =>
        (Array.isArray(patterns) ? patterns : [patterns]).some((p) =>
          matchesLabelPattern(resource[label], p),
        ),
      )
    if (match && !labelsMatch(event.resource, match)) return false
    if (matchRelated && !event.related.some((r) => labelsMatch(r, matchRelated))) return false
    return true
  }

  #runAutomations(event: ReceivedEvent): void {
    for (const automation of this.#automations.values()) {
      if (!automation.enabled || !this.#triggers(automation, event)) continue
      const delivery = this.#deliverWebhook(automation, event).finally(() => {
        this.#webhooksInFlight.delete(delivery)
      })
      this.#webhooksInFlight.add(delivery)
    }
  }

  #templateContext(automation: FakeAutomation, event: ReceivedEvent): Record<string, unknown> {
    const flowRunId = flowRunIdFromResourceId(event.resource['prefect.resource.id'])
    const run = flowRunId ? this.#runs.get(flowRunId) : undefined
    return {
      automation: { id: automation.id, name: automation.name },
      event: {
        ...event,
        occurred: new TemplateDateTime(event.occurred),
        received: new TemplateDateTime(event.received),
      },
      ...(run ? { flow_run: this.renderRun(run) } : {}),
    }
  }

  async #deliverWebhook(automation: FakeAutomation, event: ReceivedEvent): Promise<void> {
    const { url, method, headers } = automation.action
    const call: WebhookCallRecord = {
      automationId: automation.id,
      eventId: event.id,
      method,
      url,
      headers: { ...headers },
      body: '',
      status: undefined,
      responseBody: undefined,
      error: undefined,
    }
    this.#webhookCalls.push(call)
    try {
      call.body = renderTemplate(
        automation.action.payload,
        this.#templateContext(automation, event),
      )
    } catch (error) {
      call.error = error instanceof Error ? error.message : String(error)
      this.logger.warn('fake-server: webhook template failed', { automationId: automation.id })
      return
    }
    const doFetch = this.options.fetch ?? globalThis.fetch
    const init: RequestInit = { method, headers: { ...headers } }
    // A string body would make fetch add `Content-Type: text/plain`; Prefect sends none (spec §7).
    if (method !== 'GET') init.body = new TextEncoder().encode(call.body)
    try {
      const response = await doFetch(url, init)
      call.status = response.status
      call.responseBody = (await response.text()).slice(0, 1000)
      this.logger.debug('fake-server: webhook delivered', {
        automationId: automation.id,
        status: response.status,
      })
    } catch (error) {
      call.error = error instanceof Error ? error.message : String(error)
      this.logger.warn('fake-server: webhook delivery failed', { automationId: automation.id })
    }
  }

  async settleWebhooks(options: { signal?: AbortSignal } = {}): Promise<void> {
    while (this.#webhooksInFlight.size > 0) {
      if (options.signal?.aborted) throw fakeError('ABORTED', 'settleWebhooks aborted')
      await Promise.allSettled([...this.#webhooksInFlight])
    }
  }

  // ---------------------------------------------------------------- replay

  async replay(
    frames: string | readonly ReplayFrame[],
    options: ReplayOptions = {},
  ): Promise<void> {
    const list = typeof frames === 'string' ? parseFramesJsonl(frames) : frames
    const delays = replayDelays(
      list,
      options.timing ?? 'compressed',
      options.speed ?? 1,
      options.gapMs ?? 0,
    )
    const selector: ConnectionSelector = {}
    if (options.path !== undefined) selector.path = options.path
    if (options.connection !== undefined) selector.connection = options.connection
    for (const [index, frame] of list.entries()) {
      const delay = delays[index] ?? 0
      if (delay > 0) {
        await sleep(delay, {
          clock: this.clock,
          ...(options.signal ? { signal: options.signal } : {}),
        })
      } else if (options.signal?.aborted) {
        throw fakeError('ABORTED', 'replay aborted')
      }
      if (options.store) this.#storeReplayed(frame.raw)
      this.faults.injectFrames([frame.raw], selector)
    }
  }

  #storeReplayed(raw: string): void {
    try {
      const value = JSON.parse(raw) as { type?: unknown; event?: Record<string, unknown> }
      if (value.type !== 'event' || !value.event) return
      const event = this.#validateEvent(value.event)
      const received = typeof value.event.received === 'string' ? value.event.received : undefined
      this.#store(event, received)
    } catch {
      // Not an event frame: nothing to store.
    }
  }

  // ---------------------------------------------------------------- REST overrides and HTTP faults

  use(...overrides: RestOverride[]): void {
    this.#overrides.unshift(
      ...overrides.map((override) => ({ override, pattern: compilePathPattern(override.path) })),
    )
  }

  resetHandlers(): void {
    this.#overrides = []
    this.faults.reset()
  }

  /** The first override answering a request. */
  async runOverrides(request: {
    method: string
    path: string
    query: URLSearchParams
    headers: Record<string, string>
    body: unknown
  }): Promise<{ status: number; body?: unknown; headers?: Record<string, string> } | undefined> {
    for (const { override, pattern } of this.#overrides) {
      if (override.method && override.method.toUpperCase() !== request.method) continue
      if (!pattern.test(request.path)) continue
      const response = await override.respond(request)
      if (response) return response
    }
    return undefined
  }

  /** Applies `slowResponses` and returns a matching HTTP fault, consuming one use of it. */
  async httpFault(method: string, path: string): Promise<HttpErrorRule | undefined> {
    if (this.#slowMs > 0) await sleep(this.#slowMs, { clock: this.clock })
    for (const rule of this.#httpRules) {
      if (rule.remaining <= 0) continue
      if (rule.method && rule.method.toUpperCase() !== method) continue
      if (!rule.pattern.test(path)) continue
      rule.remaining--
      return rule
    }
    return undefined
  }

  /** Records an answered HTTP request. */
  recordHttp(record: HttpRequestRecord): void {
    this.#httpRequests.push(record)
  }

  // ---------------------------------------------------------------- faults and recorder

  #createFaults(): FakePrefectFaults {
    return {
      injectFrames: (frames, options) => {
        const targets = this.#select(options, 'out').filter((c) => c.isOpen)
        for (const connection of targets) connection.inject(frames)
        return targets.length
      },
      dropConnections: (options: DropConnectionsOptions = {}) => {
        const targets = this.#select(options)
        for (const connection of targets) {
          if (options.afterEvents !== undefined) {
            connection.dropAfterEvents(options.afterEvents, options.code, options.reason ?? '')
          } else if (options.afterMs !== undefined) {
            connection.dropAfter(options.afterMs, options.code, options.reason ?? '')
          } else {
            connection.drop(options.code, options.reason ?? '')
          }
        }
        return targets.length
      },
      refuseAuth: (mode, options = {}) => {
        this.#refuseAuth = mode ? { mode, reason: options.reason ?? 'Invalid token' } : null
      },
      rejectUpgrades: (status, options = {}) => {
        this.#rejectUpgrades = status === null ? null : { status, pattern: options.path }
      },
      silence: (on, options) => {
        if (!options || (options.path === undefined && options.connection === undefined)) {
          this.#silenceAll = on
        }
        for (const connection of this.#select(options)) connection.setSilenced(on)
      },
      delayFrames: (ms) => {
        this.#delayMs = Math.max(0, ms)
      },
      httpError: (rule) => {
        this.#httpRules.push({
          ...rule,
          pattern: compilePathPattern(rule.path),
          remaining: rule.times ?? Number.POSITIVE_INFINITY,
        })
      },
      slowResponses: (ms) => {
        this.#slowMs = Math.max(0, ms)
      },
      restart: async (options = {}) => {
        for (const connection of [...this.#connections]) {
          connection.drop(closeCodes.serviceRestart, '')
        }
        const downMs = options.downMs ?? 0
        if (this.restartHook) await this.restartHook(downMs, options.signal)
        else if (downMs > 0) {
          await sleep(downMs, {
            clock: this.clock,
            ...(options.signal ? { signal: options.signal } : {}),
          })
        }
      },
      reset: () => {
        this.#refuseAuth = null
        this.#rejectUpgrades = null
        this.#silenceAll = false
        this.#delayMs = 0
        this.#slowMs = 0
        this.#httpRules = []
        for (const connection of this.#connections) connection.resetFaults()
      },
    }
  }

  #createRecorder(): FakePrefectRecorder {
    const recorder = {
      clear: () => {
        this.#connectionRecords = this.#connectionRecords.filter((r) => r.closedAt === undefined)
        this.#rejectedUpgrades = []
        this.#httpRequests = []
        this.#receivedEvents = []
        this.#arrivals = []
        this.#webhookCalls = []
      },
    }
    const views: Record<Exclude<keyof FakePrefectRecorder, 'clear'>, () => readonly unknown[]> = {
      connections: () => this.#connectionRecords,
      rejectedUpgrades: () => this.#rejectedUpgrades,
      httpRequests: () => this.#httpRequests,
      receivedEvents: () => this.#receivedEvents,
      eventArrivals: () => this.#arrivals,
      webhookCalls: () => this.#webhookCalls,
    }
    for (const [name, get] of Object.entries(views)) {
      Object.defineProperty(recorder, name, { get, enumerable: true })
    }
    return recorder as FakePrefectRecorder
  }

  /** Closes every connection with a normal close (server shutdown). */
  closeAllConnections(code = 1001): void {
    for (const connection of [...this.#connections]) connection.drop(code, '')
  }

  reset(): void {
    this.closeAllConnections()
    this.#flows.clear()
    this.#deployments.clear()
    this.#runs.clear()
    this.#events = []
    this.#eventIds.clear()
    this.#automations.clear()
    this.#overrides = []
    this.faults.reset()
    this.#connectionRecords = []
    this.recorder.clear()
    this.logStore.clear()
  }
}
