import {
  silentLogger,
  sleep,
  systemClock,
  uuidv7,
  type Clock,
  type Event,
  type EventInput,
  type FlowRun,
  type Logger,
  type ReceivedEvent,
} from '@flowcast/core'
import {
  fakePrefectDefaults,
  type ConnectionRecord,
  type ConnectionSelector,
  type EffectiveFilter,
  type EventMatcher,
  type FakePrefectOptions,
  type FrameInput,
  type FlowRunMatcher,
  type HttpRequestRecord,
  type ReplayFrame,
  type ReplayOptions,
} from '../types.js'
import { Automations } from './automations.js'
import { CreatedRunQueue, matchesFlowRun } from './created-runs.js'
import type { Connection, ConnectionHost, SocketTransport, StoredEvent } from './connection.js'
import { EventStore, validateEvent } from './event-store.js'
import { describeNoMatch, mismatches } from './expect.js'
import { Faults } from './faults.js'
import { FakeLogStore } from './logs.js'
import { clampForWebsocket, resolveEventFilter } from './filters.js'
import { heartbeatEvent, renderFlowRun, type FlowRunRecord } from './flow-runs.js'
import { Overrides, type OverrideRequest, type OverrideResponse } from './overrides.js'
import { Recorder } from './recorder.js'
import { parseFramesJsonl, replayDelays } from './replay.js'
import {
  ApiRoutes,
  decideUpgrade,
  httpAuthorized,
  type ResolvedRoute,
  type UpgradeDecision,
} from './routing.js'
import { RunStore } from './run-store.js'
import { SocketHub } from './sockets.js'
import { fakeError, formatMicros, msToMicros } from './util.js'
import { createCorsPolicy, type CorsPolicy } from '../rest/cors.js'

export type { ResolvedRoute, UpgradeDecision } from './routing.js'

/** Options the model takes beyond {@link FakePrefectOptions}. */
export interface FakePrefectModelOptions extends FakePrefectOptions {
  /** Root path of the API. @default '/api' */
  basePath?: string
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw fakeError(
      'INVALID_OPTIONS',
      'invalid options',
      `${name} must be a positive integer, got ${String(value)}`,
    )
  }
  return value
}

/**
 * The fake Prefect server's state and protocol logic behind one facade, shared by the Node
 * server, msw and mock-socket adapters. Each job lives in its own module: {@link EventStore}
 * (events), {@link RunStore} (flows, deployments, runs and the state machine),
 * {@link Automations} (webhooks), {@link Faults}, {@link Recorder}, {@link Overrides},
 * {@link ApiRoutes} (routing and auth) and {@link SocketHub} (WebSocket connections). Adapters
 * never hand this object to users: they build the public `FakePrefect` with `publicFakePrefect`.
 */
export class FakePrefectModel implements ConnectionHost {
  readonly clock: Clock
  readonly logger: Logger
  readonly options: FakePrefectModelOptions
  readonly routes: ApiRoutes
  readonly backlog: number
  readonly backfillPageSize: number
  readonly recorderLimit: number
  readonly version: string
  readonly store: EventStore
  readonly runs: RunStore
  readonly automations: Automations
  readonly faults: Faults
  readonly recorder: Recorder
  readonly overrides = new Overrides()
  readonly sockets: SocketHub
  readonly createdRuns: CreatedRunQueue

  /** The logs store behind `/logs/`, `/logs/filter` and `/logs/out`. */
  readonly logStore: FakeLogStore
  /** Set by an adapter that can really stop listening during `faults.restart()`. */
  restartHook: ((downMs: number, signal?: AbortSignal) => Promise<void>) | undefined
  /** Cross-origin handling of REST requests (`options.cors`). */
  readonly cors: CorsPolicy

  #random: () => number
  #lastMicros = 0n
  #emittedWaiters = new Set<() => void>()

  constructor(options: FakePrefectModelOptions = {}) {
    if (options.authString !== undefined && options.cloud !== undefined) {
      throw fakeError('INVALID_OPTIONS', 'invalid options', 'authString and cloud are exclusive')
    }
    this.options = options
    this.cors = createCorsPolicy(options.cors)
    this.clock = options.clock ?? systemClock
    this.logger = options.logger ?? silentLogger
    this.routes = new ApiRoutes(options.basePath ?? '/api', options.cloud)
    this.backlog = options.subscriberBacklog ?? fakePrefectDefaults.subscriberBacklog
    this.backfillPageSize = positiveInteger(
      'backfillPageSize',
      options.backfillPageSize ?? fakePrefectDefaults.backfillPageSize,
    )
    this.version = options.version ?? fakePrefectDefaults.version
    this.#random = options.random ?? Math.random
    this.store = new EventStore({ logger: this.logger, nowMicros: () => this.nowMicros() })
    this.recorderLimit = positiveInteger(
      'recorderLimit',
      options.recorderLimit ?? fakePrefectDefaults.recorderLimit,
    )
    this.recorder = new Recorder({
      limit: this.recorderLimit,
      bodyBytes: options.recorderBodyBytes ?? fakePrefectDefaults.recorderBodyBytes,
    })
    this.sockets = new SocketHub(this, (record) => this.recorder.connection(record))
    this.faults = new Faults({
      clock: this.clock,
      select: (selector, kind) => this.sockets.select(selector, kind),
      connections: () => this.sockets.all(),
      restartHook: () => this.restartHook,
    })
    this.runs = new RunStore({
      newId: () => this.newId(),
      nowMicros: () => this.nowMicros(),
      random: () => this.#random(),
      emit: (event) => {
        const stored = this.store.store(event)
        if (stored) this.#distribute(stored)
      },
    })
    this.createdRuns = new CreatedRunQueue(this.clock)
    this.automations = new Automations({
      logger: this.logger,
      newId: () => this.newId(),
      readFlowRun: (id) => this.readFlowRun(id),
      recordWebhookCall: (call) => this.recorder.webhookCall(call),
      fetch: () => this.options.fetch ?? globalThis.fetch,
    })
    this.logStore = new FakeLogStore(
      { clock: this.clock, nowMicros: () => this.nowMicros(), random: this.#random },
      options,
    )
  }

  // ---------------------------------------------------------------- time and ids

  /** Server time in microseconds, strictly increasing so states and events order exactly. */
  nowMicros(): bigint {
    const now = msToMicros(this.clock.now())
    this.#lastMicros = now > this.#lastMicros ? now : this.#lastMicros + 1n
    return this.#lastMicros
  }

  newId(): string {
    return uuidv7({ clock: this.clock })
  }

  // ---------------------------------------------------------------- routing and auth

  get basePath(): string {
    return this.routes.basePath
  }

  /** The workspace (or OSS) API path prefix, e.g. `/api` or `/api/accounts/A/workspaces/W`. */
  get apiPath(): string {
    return this.routes.apiPath
  }

  resolveRoute(pathname: string): ResolvedRoute | undefined {
    return this.routes.resolve(pathname)
  }

  httpAuthorized(authorization: string | undefined): boolean {
    return httpAuthorized(this.options, authorization)
  }

  /** The token websocket auth frames must carry: the OSS auth string, or the Cloud API key. */
  get expectedToken(): string | undefined {
    return this.options.cloud?.apiKey ?? this.options.authString
  }

  authRefusal(): { mode: 'soft' | 'hard'; reason: string } | null {
    return this.faults.refuseAuth
  }

  delayMs(): number {
    return this.faults.delayMs
  }

  /** Decides a websocket upgrade and records a refusal. */
  decideUpgrade(input: {
    path: string
    headers: Record<string, string>
    protocols: string[]
  }): UpgradeDecision {
    const decision = decideUpgrade(this.routes, this.options, this.faults, input)
    if (!decision.ok) {
      this.recorder.rejectedUpgrade({
        path: input.path,
        protocols: input.protocols,
        headers: input.headers,
        status: decision.status,
        at: this.clock.now(),
      })
    }
    return decision
  }

  openConnection(
    decision: Extract<UpgradeDecision, { ok: true }>,
    input: { path: string; headers: Record<string, string>; protocols: string[] },
    transport: SocketTransport,
  ): Connection {
    return this.sockets.open(decision, input, transport, this.faults.silenceAll)
  }

  connectionClosed(connection: Connection): void {
    this.sockets.closed(connection)
  }

  get openConnections(): readonly ConnectionRecord[] {
    return this.sockets.all().map((c) => c.record)
  }

  /** Closes every connection (server shutdown). */
  closeAllConnections(code = 1001): void {
    this.sockets.closeAll(code)
  }

  // ---------------------------------------------------------------- HTTP

  runOverrides(request: OverrideRequest): Promise<OverrideResponse | undefined> {
    return this.overrides.run(request)
  }

  recordHttp(record: HttpRequestRecord, bodyBytes = 0): void {
    this.recorder.httpRequest(record, bodyBytes)
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
    return this.store.query(filter, 'ASC')
  }

  subscriberReady(connection: Connection): void {
    this.sockets.subscriberReady(connection)
  }

  // ---------------------------------------------------------------- events

  get events(): readonly ReceivedEvent[] {
    return this.store.events
  }

  /** Events matching a REST filter (`POST /events/filter`), already defaulted. */
  queryEvents(filter: EffectiveFilter): ReceivedEvent[] {
    return this.store.query(filter, filter.order === 'ASC' ? 'ASC' : 'DESC').map((s) => s.event)
  }

  /** Resolves a REST filter (defaults, no clamp). */
  resolveRestFilter(raw: unknown): ReturnType<typeof resolveEventFilter> {
    return resolveEventFilter(raw, this.nowMicros())
  }

  #distribute(stored: StoredEvent): void {
    this.sockets.deliver(stored)
    this.automations.run(stored.event)
  }

  /** Validates a client event without storing it (throws `INVALID_EVENT`). */
  validateClientEvent(raw: unknown): void {
    validateEvent(raw)
  }

  /** An event from a client (`/events/in` frame or `POST /api/events`); throws on invalid input. */
  receiveClientEvent(
    raw: unknown,
    source: 'websocket' | 'http',
    connectionId: string | undefined,
  ): void {
    const event = validateEvent(raw)
    const stored = this.store.store(event)
    const duplicate = stored === undefined && this.store.has(event.id)
    const received = stored?.event ?? { ...event, received: formatMicros(this.nowMicros()) }
    this.recorder.arrival({ event: received, source, connectionId, duplicate })
    if (stored) {
      this.recorder.receivedEvent(stored.event)
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
    const event = validateEvent({
      occurred: formatMicros(this.nowMicros()),
      id: this.newId(),
      related: [],
      payload: {},
      follows: null,
      ...input,
    })
    const stored = this.store.store(event)
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
    return this.faults.view.injectFrames([frame], options)
  }

  emitHeartbeat(flowRunId: string): ReceivedEvent {
    const run = this.runs.requireRun(flowRunId)
    const event = heartbeatEvent(run, this.newId(), this.nowMicros(), this.version, null)
    const stored = this.store.store(event)!
    this.#distribute(stored)
    return stored.event
  }

  // ---------------------------------------------------------------- runs

  /** Renders a run as `FlowRunResponse`. */
  renderRun(run: FlowRunRecord): FlowRun {
    return renderFlowRun(run, this.nowMicros())
  }

  readFlowRun(flowRunId: string): FlowRun | undefined {
    const run = this.runs.run(flowRunId)
    return run ? this.renderRun(run) : undefined
  }

  /** Every run, oldest first, as current `FlowRunResponse`s, filtered by `matcher`. */
  flowRuns(matcher: FlowRunMatcher = {}): FlowRun[] {
    return this.runs
      .runs()
      .map((run) => this.renderRun(run))
      .filter((run) => matchesFlowRun(run, matcher))
  }

  /** `create_flow_run` answered: records it with its response body and queues a new run. */
  apiFlowRunCreated(
    note: { deploymentId: string; created: boolean },
    request: HttpRequestRecord,
    responseBody: string,
  ): void {
    const flowRun = JSON.parse(responseBody) as FlowRun
    this.recorder.createdFlowRun({
      flowRun,
      deploymentId: note.deploymentId,
      status: note.created ? 201 : 200,
      created: note.created,
      request,
      at: request.at,
    })
    if (note.created) this.createdRuns.push(flowRun)
  }

  // ---------------------------------------------------------------- assertions

  expectEmitted(matcher: EventMatcher): ReceivedEvent {
    const received = this.recorder.receivedEvents
    const found = received.find((e) => mismatches(e, matcher).length === 0)
    if (found) return found
    throw fakeError('NOT_FOUND', 'expectEmitted', `\n${describeNoMatch(received, matcher)}`)
  }

  waitForEmitted(
    matcher: EventMatcher,
    options: { signal?: AbortSignal } = {},
  ): Promise<ReceivedEvent> {
    const find = () => this.recorder.receivedEvents.find((e) => mismatches(e, matcher).length === 0)
    const existing = find()
    if (existing) return Promise.resolve(existing)
    return new Promise((resolve, reject) => {
      const signal = options.signal
      const onAbort = () => {
        this.#emittedWaiters.delete(check)
        const why = describeNoMatch(this.recorder.receivedEvents, matcher)
        reject(fakeError('ABORTED', 'waitForEmitted aborted', `\n${why}`))
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
      this.faults.view.injectFrames([frame.raw], selector)
    }
  }

  #storeReplayed(raw: string): void {
    try {
      const value = JSON.parse(raw) as { type?: unknown; event?: Record<string, unknown> }
      if (value.type !== 'event' || !value.event) return
      const event = validateEvent(value.event)
      const received = typeof value.event.received === 'string' ? value.event.received : undefined
      this.store.store(event, received)
    } catch {
      // Not an event frame: nothing to store.
    }
  }

  // ---------------------------------------------------------------- reset

  resetHandlers(): void {
    this.overrides.clear()
    this.faults.view.reset()
  }

  reset(): void {
    this.closeAllConnections()
    this.runs.clear()
    this.createdRuns.clear()
    this.store.clear()
    this.automations.clear()
    this.overrides.clear()
    this.faults.view.reset()
    this.recorder.reset()
    this.logStore.clear()
  }
}
