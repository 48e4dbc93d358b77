import {
  FlowcastError,
  createEvent,
  isUuid,
  createRunWatcher,
  prefectCredentials,
  resolveProfile,
  silentLogger,
  systemClock,
  type Clock,
  type Event,
  type EventFilter,
  type EventInput,
  type FlowcastProfile,
  type FlowRun,
  type Instrumentation,
  type Logger,
  type RunWatcher,
  type RunWatcherOptions,
  type WaitForFlowRunResult,
  type WaitOptions,
} from '@flowcast/core'
import {
  createPrefectClient,
  type DeploymentFlowRunCreate,
  type PollingRunStateSourceOptions,
  type PrefectClient,
  type PrefectClientOptions,
} from '@flowcast/polling'
import {
  createEventsSubscriber,
  type EventsSubscriber,
  type EventsSubscriberOptions,
  type WebSocketConstructorLike,
  type WebSocketRunStateSourceOptions,
} from '@flowcast/websocket'
import type { WebhookReceiver } from '@flowcast/webhook'
import { attachInternals } from './internals.js'
import {
  checkTransport,
  composeTransport,
  type FlowcastTransport,
  type TransportComposition,
  type TransportOptions,
} from './transport.js'

export type { FlowcastTransport } from './transport.js'

/** Options of {@link createFlowcast}. Explicit options win over the environment. */
export interface FlowcastOptions {
  /**
   * `PREFECT_API_URL`: `http://host:4200/api` or the Cloud workspace URL.
   * @default env.PREFECT_API_URL
   */
  apiUrl?: string | undefined
  /**
   * Prefect Cloud API key.
   * @default env.PREFECT_API_KEY
   */
  apiKey?: string | undefined
  /**
   * Self-hosted `user:pass` auth string.
   * @default env.PREFECT_API_AUTH_STRING
   */
  authString?: string | undefined
  /**
   * Where `PREFECT_*` variables come from; `{}` ignores the environment.
   * @default process.env (in Node)
   */
  env?: Record<string, string | undefined>
  /**
   * How states are learned.
   * @default 'auto'
   */
  transport?: FlowcastTransport | undefined
  /**
   * `fetch` for REST calls.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch | undefined
  /**
   * WebSocket constructor.
   * @default `ws` under Node (through `@flowcast/websocket`'s `node` export condition), the
   *   global `WebSocket` in browsers and other runtimes
   */
  WebSocket?: WebSocketConstructorLike | undefined
  /** @default systemClock */
  clock?: Clock | undefined
  /** @default silentLogger */
  logger?: Logger | undefined
  /**
   * `'test'`: fast polling, short backoff and short watchdogs in every part (the waiter, the
   * REST client, the polling and WebSocket sources, `subscribe`), so a wait against a fake
   * server on loopback ends tens of milliseconds after the run; for tests only. The values
   * are `runWatcherTestProfile` (`@flowcast/core`), `prefectClientTestProfile` and
   * `pollingRunStateSourceTestProfile` (`@flowcast/polling`), `subscriberTestProfile`,
   * `reconnectTestProfile` and `runStateSourceTestProfile` (`@flowcast/websocket`); the
   * options below win over them.
   * @default 'default'
   */
  profile?: FlowcastProfile | undefined
  /** Tuning of the waiter (reconcile interval, fallback backoff, failure limits). */
  waiting?: Omit<RunWatcherOptions, 'sources' | 'clock' | 'logger'> | undefined
  /** Extra REST client options (timeouts, retries, headers). */
  rest?:
    | Omit<PrefectClientOptions, 'apiUrl' | 'apiKey' | 'authString' | 'fetch' | 'clock' | 'logger'>
    | undefined
  /** Extra polling-source options (interval, page size). */
  polling?: Omit<PollingRunStateSourceOptions, 'client' | 'clock' | 'logger'> | undefined
  /**
   * The webhook transport: the receiver (from `@flowcast/webhook`) whose deliveries resolve
   * waits. Required with `transport: 'webhook'`; not closed by {@link Flowcast.close}.
   */
  webhook?:
    | {
        /** The receiver the automation posts to (its fan-out, if any, is used too). */
        receiver: Pick<WebhookReceiver, 'observe'>
        /**
         * Latest states of this many recently delivered runs are remembered.
         * @default 10_000
         */
        maxRememberedRuns?: number | undefined
      }
    | undefined
  /** Extra WebSocket run-state source options (reconnect, stall watchdog). */
  websocket?:
    | Omit<
        WebSocketRunStateSourceOptions,
        'apiUrl' | 'apiKey' | 'authString' | 'WebSocket' | 'clock' | 'logger'
      >
    | undefined
  /**
   * Checks `runDeployment`'s parameters before the run is created, when the deployment
   * enforces its schema (`INVALID_PARAMETERS` naming every bad one, nothing created).
   * @default undefined (the server's 409 decides)
   */
  validateParameters?: ParameterValidator | undefined
  /**
   * Receives metrics and spans from every part (the waiter, the REST client, the polling and
   * WebSocket sources, `subscribe`), e.g. `createOpenTelemetryInstrumentation()` from
   * `@flowcast/otel`; the metrics and spans are listed in that package's README.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
}

/** One parameter that fails a deployment's parameter schema. */
export interface ParameterIssue {
  /** The parameter's name (`null` for the parameters object as a whole). */
  parameter: string | null
  /** What is wrong with it. */
  message: string
}

/**
 * Checks parameters (merged over the deployment's defaults) against the deployment's
 * `parameter_openapi_schema`; returns every problem, `[]` when they pass. A JSON Schema
 * validator is Node-side code: browsers rely on the server's 409 instead.
 */
export type ParameterValidator = (
  parameters: Record<string, unknown>,
  schema: Record<string, unknown>,
) => ParameterIssue[]

/** Options of {@link Flowcast.runDeployment}. */
export interface RunDeploymentOptions {
  /** Parameters, merged over the deployment's defaults. */
  parameters?: Record<string, unknown> | undefined
  /** Extra `create_flow_run` fields (name, tags, idempotency_key, job_variables, ...). */
  body?: Omit<DeploymentFlowRunCreate, 'parameters'> | undefined
  /**
   * Wait for the run to end: `true`, or the wait's options (`timeoutMs`, `onState`).
   * @default false
   */
  wait?: boolean | Omit<WaitOptions, 'signal'> | undefined
  /** Aborts the create call and the wait. */
  signal?: AbortSignal | undefined
}

/** What {@link Flowcast.runDeployment} resolves to. */
export interface RunDeploymentResult {
  /** The created flow run (as returned by `create_flow_run`). */
  flowRun: FlowRun
  /** The wait's outcome, when `wait` was set. */
  result?: WaitForFlowRunResult
}

/**
 * The high-level entry: start flow runs, wait for them, stream and emit events — over one
 * shared WebSocket and one REST client.
 */
export interface Flowcast {
  /** The API URL in use. */
  readonly apiUrl: string
  /** The transport in use. */
  readonly transport: FlowcastTransport
  /** The REST client, for anything else. */
  readonly client: PrefectClient
  /**
   * Waits for a flow run to reach a terminal state type (race-free: subscribe, then read).
   * All waits share one WebSocket subscription and batch their REST reads.
   * @example
   * ```ts
   * const result = await flowcast.waitForFlowRun(id, { timeoutMs: 600_000 })
   * if (result.outcome === 'terminal') console.log(result.stateName, 'via', result.source)
   * ```
   */
  waitForFlowRun(flowRunId: string, options?: WaitOptions): Promise<WaitForFlowRunResult>
  /**
   * Creates a flow run from a deployment, given by id or as `'FLOW_NAME/DEPLOYMENT_NAME'`
   * (looked up with `GET /deployments/name/{flow}/{deployment}`), and optionally waits for it.
   * @throws FlowcastError `NOT_FOUND` for an unknown deployment; `HTTP` (status 409) when the
   *   server refuses the parameters; `INVALID_PARAMETERS` when `validateParameters` does
   * @example
   * ```ts
   * const { flowRun, result } = await flowcast.runDeployment('etl/nightly', { parameters: { n: 3 }, wait: true })
   * ```
   */
  runDeployment(deployment: string, options?: RunDeploymentOptions): Promise<RunDeploymentResult>
  /**
   * Subscribes to events (`/events/out`): an async iterable of each matching event once.
   * Closed by {@link Flowcast.close} if still open.
   * @example
   * ```ts
   * for await (const event of flowcast.subscribe({ event: { prefix: ['prefect.flow-run.'] } })) console.log(event.event)
   * ```
   */
  subscribe(
    filter?: EventFilter,
    options?: Omit<EventsSubscriberOptions, 'apiUrl' | 'apiKey' | 'authString' | 'filter'>,
  ): EventsSubscriber
  /**
   * Emits events over REST (`POST /api/events`); resolves with the events as sent (ids and
   * `occurred` filled in) once the server stored them. For high-volume streams use
   * `createEventsEmitter` from `@flowcast/websocket`.
   * @example
   * ```ts
   * await flowcast.emit({ event: 'shop.order.paid', resource: { 'prefect.resource.id': 'shop.order.42' } })
   * ```
   */
  emit(
    events: EventInput | readonly EventInput[],
    options?: { signal?: AbortSignal },
  ): Promise<Event[]>
  /**
   * Ends pending waits (`aborted`), closes the WebSocket(s) — the logs sockets of
   * `followFlowRun` too — and stops polling. Idempotent.
   */
  close(): Promise<void>
  /** Same as {@link Flowcast.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>
}

function processEnv(): Record<string, string | undefined> {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env
  return env ?? {}
}

/**
 * Creates a {@link Flowcast}. Reads `PREFECT_API_URL`, `PREFECT_API_KEY` and
 * `PREFECT_API_AUTH_STRING` when the matching option is missing.
 *
 * @throws FlowcastError `INVALID_OPTIONS` without an API URL
 * @example
 * ```ts
 * const flowcast = createFlowcast({ apiUrl: 'http://127.0.0.1:4200/api' })
 * const { result } = await flowcast.runDeployment(deploymentId, { wait: true })
 * await flowcast.close()
 * ```
 */
export function createFlowcast(options: FlowcastOptions = {}): Flowcast {
  const env = options.env ?? processEnv()
  const apiUrl = options.apiUrl ?? env['PREFECT_API_URL']
  if (!apiUrl) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      '[flowcast] no Prefect API URL: pass apiUrl or set PREFECT_API_URL',
    )
  }
  const apiKey = options.apiKey ?? env['PREFECT_API_KEY']
  const authString = options.authString ?? env['PREFECT_API_AUTH_STRING']
  const credentials = prefectCredentials(apiKey, authString)
  const transport = checkTransport(options.transport ?? 'auto')
  if (transport === 'webhook' && !options.webhook?.receiver) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      "[flowcast] transport 'webhook' needs webhook.receiver (from @flowcast/webhook)",
    )
  }
  const clock = options.clock ?? systemClock
  const logger = options.logger ?? silentLogger
  // Left out when not given: `@flowcast/websocket` then picks `ws` under Node (its `node`
  // export condition) and the global WebSocket elsewhere, so this entry stays browser-safe.
  const webSocketOption: { WebSocket?: WebSocketConstructorLike } = options.WebSocket
    ? { WebSocket: options.WebSocket }
    : {}
  // Checked here so a bad value fails at creation, not at the first wait.
  const profile = resolveProfile(options.profile, 'flowcast')
  // Spread into every part's options, so each one reports through the same instrumentation.
  const instrumented = options.instrumentation ? { instrumentation: options.instrumentation } : {}

  const client = createPrefectClient({
    profile,
    ...options.rest,
    apiUrl,
    ...credentials,
    clock,
    logger,
    ...instrumented,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
  const subscribers = new Set<EventsSubscriber>()
  // Closed with the instance: what standalone functions (`followFlowRun`) opened for it.
  const closers = new Set<() => Promise<void>>()
  let composed: TransportComposition | undefined
  let watcher: RunWatcher | undefined
  let closed = false
  const transportOptions: TransportOptions = {
    transport,
    client,
    ...credentials,
    ...webSocketOption,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    clock,
    logger,
    ...instrumented,
    profile,
    rest: options.rest,
    polling: options.polling,
    websocket: options.websocket,
    webhook: options.webhook,
  }

  function getWatcher(): RunWatcher {
    if (closed) throw new FlowcastError('CLOSED', '[flowcast] this flowcast instance is closed')
    if (watcher) return watcher
    // The transport's sources, built on first use (sockets connect on the first watch).
    composed ??= composeTransport(transportOptions)
    const { sources, tuning } = composed
    watcher = createRunWatcher({
      profile,
      ...tuning,
      ...options.waiting,
      sources,
      clock,
      logger,
      ...instrumented,
    })
    return watcher
  }

  /** The deployment's id, by name when given as `FLOW/NAME`, after the optional parameter check. */
  async function checkedDeploymentId(
    ref: string,
    body: DeploymentFlowRunCreate,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    const byName = !isUuid(ref) && /^[^/]+\/[^/]+$/.test(ref)
    if (!byName && !options.validateParameters) return ref
    const [flowName = '', deploymentName = ''] = ref.split('/')
    const deployment = byName
      ? await client.api.GET('/deployments/name/{flow_name}/{deployment_name}', {
          params: { path: { flow_name: flowName, deployment_name: deploymentName } },
          ...(signal ? { signal } : {}),
        })
      : await client.api.GET('/deployments/{id}', {
          params: { path: { id: ref } },
          ...(signal ? { signal } : {}),
        })
    const schema = deployment.parameter_openapi_schema
    const enforce = body.enforce_parameter_schema ?? deployment.enforce_parameter_schema
    if (options.validateParameters && enforce && schema && typeof schema === 'object') {
      const merged = { ...deployment.parameters, ...body.parameters }
      const issues = options.validateParameters(merged, schema as Record<string, unknown>)
      if (issues.length > 0) {
        const named = issues.map((i) => `${i.parameter ?? '(parameters)'}: ${i.message}`)
        throw new FlowcastError(
          'INVALID_PARAMETERS',
          `[flowcast] invalid parameters for deployment ${ref}: ${named.join('; ')}`,
          { details: { issues } },
        )
      }
    }
    return deployment.id
  }

  async function waitForFlowRun(flowRunId: string, waitOptions?: WaitOptions) {
    return getWatcher().wait(flowRunId, waitOptions)
  }

  const flowcast: Flowcast = {
    apiUrl: client.apiUrl,
    transport,
    client,
    waitForFlowRun,

    async runDeployment(deploymentRef, runOptions = {}) {
      const { signal } = runOptions
      const body: DeploymentFlowRunCreate = {
        ...runOptions.body,
        ...(runOptions.parameters ? { parameters: runOptions.parameters } : {}),
      }
      const deploymentId = await checkedDeploymentId(deploymentRef, body, signal)
      const flowRun = await client.createFlowRunFromDeployment(deploymentId, body, {
        ...(signal ? { signal } : {}),
      })
      if (!runOptions.wait) return { flowRun }
      const waitOptions = runOptions.wait === true ? {} : runOptions.wait
      const result = await waitForFlowRun(flowRun.id, {
        ...waitOptions,
        ...(signal ? { signal } : {}),
      })
      return { flowRun, result }
    },

    subscribe(filter = {}, subscribeOptions = {}) {
      if (closed) throw new FlowcastError('CLOSED', '[flowcast] this flowcast instance is closed')
      const subscriber = createEventsSubscriber({
        profile,
        ...webSocketOption,
        clock,
        logger,
        ...instrumented,
        ...subscribeOptions,
        apiUrl: client.apiUrl,
        ...credentials,
        filter,
      })
      subscribers.add(subscriber)
      subscriber.onStateChange((state) => {
        if (state === 'closed') subscribers.delete(subscriber)
      })
      return subscriber
    },

    async emit(input, emitOptions = {}) {
      const list: readonly EventInput[] = Array.isArray(input) ? input : [input as EventInput]
      const events = list.map((event) => createEvent(event, { clock }))
      await client.emitEvents(events, emitOptions)
      return events
    },

    async close() {
      if (closed) return
      closed = true
      watcher?.close()
      await Promise.all([
        composed?.close(),
        ...[...closers].map((close) => close()),
        ...[...subscribers].map((s) => s.close()),
      ])
      subscribers.clear()
      closers.clear()
    },

    [Symbol.asyncDispose]() {
      return flowcast.close()
    },
  }
  attachInternals(flowcast, { getWatcher, transportOptions, clock, logger, closers })
  return flowcast
}
