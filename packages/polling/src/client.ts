import {
  FlowcastError,
  formatIssues,
  httpAuthorizationHeader,
  parseApiUrl,
  parseEvent,
  parseEventFilter,
  parseEventPage,
  parseFlowRun,
  parseOrchestrationResult,
  resolveProfile,
  serializeEvent,
  silentLogger,
  systemClock,
  uuidv7,
  type BackoffPolicy,
  type Clock,
  type Event,
  type EventFilter,
  type EventPage,
  type FlowRun,
  type FlowcastProfile,
  type Instrumentation,
  type Logger,
  type OrchestrationResult,
  type PrefectApiLocation,
  type ReceivedEvent,
} from '@flowcast/core'
import { nonNegativeOr } from '@flowcast/core/internal'
import {
  apiCallUrl,
  createPrefectApi,
  protocolError as apiProtocolError,
  sendApiCall,
  type ApiContext,
  type PrefectApi,
} from './api.js'
import type { HttpSettings, RequestOptions } from './http.js'
import { httpInstrumentsFor } from './http-instruments.js'
import type { DeploymentFlowRunCreate, FlowRunFilterBody, StateCreate } from './types.js'

/** Options of {@link createPrefectClient}. */
export interface PrefectClientOptions {
  /**
   * `PREFECT_API_URL`: `http://host:4200/api` (OSS) or
   * `https://api.prefect.cloud/api/accounts/{a}/workspaces/{w}` (Cloud).
   */
  apiUrl: string
  /** Prefect Cloud API key, sent as `Authorization: Bearer <key>`. */
  apiKey?: string | undefined
  /** OSS `user:pass` auth string, sent as `Authorization: Basic base64(…)`. */
  authString?: string | undefined
  /**
   * The `fetch` to use (msw, undici with a proxy agent, a test double).
   * @default globalThis.fetch (looked up at call time)
   */
  fetch?: typeof globalThis.fetch
  /**
   * Time limit of each attempt, in ms (each call can override it).
   * @default 30_000
   */
  timeoutMs?: number
  /**
   * Extra attempts after a retryable failure (network error, timeout, 408, 429, 5xx).
   * @default 3
   */
  retries?: number
  /**
   * Delay between attempts when the server sends no `Retry-After`.
   * @default { initialDelayMs: 500, maxDelayMs: 10_000, multiplier: 2, jitter: 'full' }
   */
  retryBackoff?: Partial<BackoffPolicy>
  /**
   * Upper bound of any retry delay, `Retry-After` included, in ms.
   * @default 60_000
   */
  maxRetryDelayMs?: number
  /** Extra headers on every request (e.g. `x-prefect-api-version`). */
  headers?: Record<string, string>
  /**
   * Clock for timeouts and retry delays.
   * @default systemClock
   */
  clock?: Clock
  /**
   * Receives retries (never secrets).
   * @default silentLogger
   */
  logger?: Logger
  /**
   * Random source for the retry jitter.
   * @default Math.random
   */
  random?: () => number
  /**
   * `'test'` starts from {@link prefectClientTestProfile} instead of
   * {@link prefectClientDefaults} (retries after 10 ms, 5 s request timeout, for tests against
   * a fake server); options given here win.
   * @default 'default'
   */
  profile?: FlowcastProfile
  /**
   * Receives `http.client.request.duration`, `flowcast.http.retries` and a client span per
   * request attempt (e.g. `createOpenTelemetryInstrumentation()` from `@flowcast/otel`); each
   * request carries the span's trace context (`traceparent`) when a propagator is registered.
   * A bare `InstrumentationBackend` is refused (`INVALID_OPTIONS`): wrap it with
   * `createInstrumentation(backend)` from `@flowcast/core`.
   * @default undefined (nothing is recorded, no instrument is created)
   */
  instrumentation?: Instrumentation | undefined
}

/** Defaults of {@link PrefectClientOptions}. */
export const prefectClientDefaults = {
  timeoutMs: 30_000,
  retries: 3,
  retryBackoff: {
    initialDelayMs: 500,
    maxDelayMs: 10_000,
    multiplier: 2,
    jitter: 'full',
  } satisfies BackoffPolicy as BackoffPolicy,
  maxRetryDelayMs: 60_000,
} as const

/**
 * The values {@link PrefectClientOptions.profile} `'test'` uses instead of
 * {@link prefectClientDefaults}: retries after 10–100 ms without jitter, any `Retry-After`
 * capped at 1 s, each attempt limited to 5 s.
 */
export const prefectClientTestProfile = {
  timeoutMs: 5_000,
  retries: 3,
  retryBackoff: {
    initialDelayMs: 10,
    maxDelayMs: 100,
    multiplier: 2,
    jitter: 'none',
  } satisfies BackoffPolicy as BackoffPolicy,
  maxRetryDelayMs: 1_000,
} as const

/** Options of {@link PrefectClient.readEvents}. */
export interface ReadEventsOptions extends RequestOptions {
  /**
   * Events per page (Prefect allows at most 50).
   * @default 50
   */
  limit?: number
  /**
   * Stop after this many events.
   * @default Infinity
   */
  maxEvents?: number
}

/**
 * A typed client for the Prefect REST endpoints that matter for events and flow runs.
 * Every method takes `{ signal, timeoutMs }`; failures are `FlowcastError`s:
 * 401/403 → `AUTH_REJECTED`, 404 → `NOT_FOUND`, 429 → `RATE_LIMITED` (after honouring
 * `Retry-After`), other statuses → `HTTP` with the server's detail, network errors →
 * `CONNECT_FAILED`, timeouts → `TIMEOUT`, an aborted signal → `ABORTED`.
 */
export interface PrefectClient {
  /** The normalised API URL (no trailing slash). */
  readonly apiUrl: string
  /** What kind of API it is (OSS, Cloud workspace, Cloud account). */
  readonly location: PrefectApiLocation
  /**
   * Typed calls for every endpoint of Prefect's REST API (generated from Prefect's OpenAPI
   * schema), over this client's transport: same auth, timeouts, retries and errors. Paths are
   * relative to {@link PrefectClient.apiUrl}.
   * @example
   * ```ts
   * const artifacts = await client.api.POST('/artifacts/filter', {
   *   body: { flow_runs: { id: { any_: [flowRunId] } } },
   * })
   * ```
   */
  readonly api: PrefectApi
  /**
   * `GET /flow_runs/{id}`.
   * @example
   * ```ts
   * const run = await client.readFlowRun(id)
   * console.log(run.state?.type)
   * ```
   */
  readFlowRun(flowRunId: string, options?: RequestOptions): Promise<FlowRun>
  /**
   * `POST /flow_runs/filter` (one page; Prefect caps `limit` at 200).
   * @example
   * ```ts
   * const runs = await client.filterFlowRuns({ flow_runs: { id: { any_: ids } }, limit: ids.length })
   * ```
   */
  filterFlowRuns(body?: FlowRunFilterBody, options?: RequestOptions): Promise<FlowRun[]>
  /**
   * `POST /deployments/{id}/create_flow_run`. Sends an idempotency key (yours or a fresh
   * one), so a retried request never creates a second run.
   * @example
   * ```ts
   * const run = await client.createFlowRunFromDeployment(deploymentId, { parameters: { n: 3 } })
   * ```
   */
  createFlowRunFromDeployment(
    deploymentId: string,
    body?: DeploymentFlowRunCreate,
    options?: RequestOptions,
  ): Promise<FlowRun>
  /**
   * `POST /flow_runs/{id}/set_state` (retried only on 429).
   * @example
   * ```ts
   * await client.setFlowRunState(id, { type: 'CANCELLING' })
   * ```
   */
  setFlowRunState(
    flowRunId: string,
    state: StateCreate,
    options?: RequestOptions & { force?: boolean },
  ): Promise<OrchestrationResult>
  /** `POST /events/filter`: the first page of events matching `filter`. */
  readEventPage(
    filter?: EventFilter | null,
    options?: RequestOptions & { limit?: number },
  ): Promise<EventPage>
  /**
   * `GET <next_page>`: the next page, following the server's `next_page` link exactly as
   * given (it must be on the API's origin; credentials are never sent elsewhere).
   */
  readNextEventPage(nextPage: string, options?: RequestOptions): Promise<EventPage>
  /**
   * Every event matching `filter`, page by page (following `next_page`).
   * @example
   * ```ts
   * for await (const event of client.readEvents({ event: { prefix: ['prefect.flow-run.'] } })) {
   *   console.log(event.event)
   * }
   * ```
   */
  readEvents(
    filter?: EventFilter | null,
    options?: ReadEventsOptions,
  ): AsyncGenerator<ReceivedEvent>
  /**
   * `POST /events`: records events (validated first; the server dedupes by id, so a retry is
   * safe).
   */
  emitEvents(events: readonly Event[], options?: RequestOptions): Promise<void>
  /** `GET /admin/version`: the server's Prefect version. */
  version(options?: RequestOptions): Promise<string>
}

function invalidOptions(why: string): FlowcastError {
  return new FlowcastError('INVALID_OPTIONS', `[@flowcast/polling] invalid client options: ${why}`)
}

const optionsPrefix = '[@flowcast/polling] invalid client options'

/**
 * Creates a {@link PrefectClient}.
 *
 * @example
 * ```ts
 * const client = createPrefectClient({ apiUrl: 'http://127.0.0.1:4200/api' })
 * const run = await client.createFlowRunFromDeployment(deploymentId)
 * ```
 */
export function createPrefectClient(options: PrefectClientOptions): PrefectClient {
  const location = parseApiUrl(options.apiUrl)
  const base = new URL(location.apiUrl)
  if (base.username || base.password) {
    throw invalidOptions('the API URL must not contain credentials; pass authString instead')
  }
  const apiUrl = location.apiUrl
  const credentials = {
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.authString ? { authString: options.authString } : {}),
  }
  const d =
    resolveProfile(options.profile, '@flowcast/polling') === 'test'
      ? prefectClientTestProfile
      : prefectClientDefaults
  const settings: HttpSettings = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    random: options.random ?? Math.random,
    credentials,
    authorization: httpAuthorizationHeader(credentials),
    headers: { ...options.headers },
    timeoutMs: nonNegativeOr(optionsPrefix, 'timeoutMs', options.timeoutMs, d.timeoutMs),
    retries: nonNegativeOr(optionsPrefix, 'retries', options.retries, d.retries),
    retryBackoff: { ...d.retryBackoff, ...options.retryBackoff },
    maxRetryDelayMs: nonNegativeOr(
      optionsPrefix,
      'maxRetryDelayMs',
      options.maxRetryDelayMs,
      d.maxRetryDelayMs,
    ),
    instruments: httpInstrumentsFor(options, apiUrl),
  }

  const context: ApiContext = { settings, apiUrl, credentials }
  const api = createPrefectApi(context)

  function protocolError(method: string, url: string, why: string, cause?: unknown) {
    return apiProtocolError(credentials, method, url, why, cause)
  }

  function validated<T>(method: string, url: string, parse: () => T): T {
    try {
      return parse()
    } catch (error) {
      const issues = (error as FlowcastError).details?.['issues']
      const why = Array.isArray(issues) ? formatIssues(issues) : (error as Error).message
      throw protocolError(method, url, why, error)
    }
  }

  function nonEmpty(value: string, name: string): string {
    if (typeof value !== 'string' || value === '') {
      throw new FlowcastError(
        'INVALID_OPTIONS',
        `[@flowcast/polling] invalid ${name}: expected a non-empty string`,
      )
    }
    return value
  }

  async function readEventPage(
    filter?: EventFilter | null,
    requestOptions: RequestOptions & { limit?: number } = {},
  ): Promise<EventPage> {
    const { limit = 50, ...rest } = requestOptions
    const value = await api.POST('/events/filter', {
      ...rest,
      retry: 'idempotent',
      body: { filter: filter == null ? null : parseEventFilter(filter), limit },
    })
    return validated('POST', apiCallUrl(apiUrl, '/events/filter'), () => parseEventPage(value))
  }

  async function readNextEventPage(nextPage: string, requestOptions?: RequestOptions) {
    let target: URL
    try {
      target = new URL(nextPage)
    } catch (cause) {
      throw protocolError('GET', nextPage, 'next_page is not an absolute URL', cause)
    }
    if (target.origin !== base.origin) {
      throw protocolError(
        'GET',
        nextPage,
        `next_page points to ${target.origin}, not the API's origin ${base.origin}`,
      )
    }
    const value = await sendApiCall(context, 'GET', nextPage, undefined, 'idempotent', {
      ...requestOptions,
      route: '/events/filter/next',
    })
    return validated('GET', nextPage, () => parseEventPage(value))
  }

  return {
    apiUrl,
    location,

    api,

    async readFlowRun(flowRunId, requestOptions) {
      const params = { path: { id: nonEmpty(flowRunId, 'flow run id') } }
      const value = await api.GET('/flow_runs/{id}', { ...requestOptions, params })
      const url = apiCallUrl(apiUrl, '/flow_runs/{id}', params)
      return validated('GET', url, () => parseFlowRun(value))
    },

    async filterFlowRuns(body = {}, requestOptions) {
      const value: unknown = await api.POST('/flow_runs/filter', {
        ...requestOptions,
        body,
        retry: 'idempotent',
      })
      const url = apiCallUrl(apiUrl, '/flow_runs/filter')
      if (!Array.isArray(value)) throw protocolError('POST', url, 'expected a list of flow runs')
      return validated('POST', url, () => value.map((run) => parseFlowRun(run)))
    },

    async createFlowRunFromDeployment(deploymentId, body = {}, requestOptions) {
      const params = { path: { id: nonEmpty(deploymentId, 'deployment id') } }
      const withKey = { ...body, idempotency_key: body.idempotency_key ?? uuidv7() }
      // Safe to retry: the idempotency key makes a repeated create return the same run.
      const value = await api.POST('/deployments/{id}/create_flow_run', {
        ...requestOptions,
        params,
        body: withKey,
        retry: 'idempotent',
      })
      const url = apiCallUrl(apiUrl, '/deployments/{id}/create_flow_run', params)
      return validated('POST', url, () => parseFlowRun(value))
    },

    async setFlowRunState(flowRunId, state, requestOptions = {}) {
      const { force = false, ...rest } = requestOptions
      const params = { path: { id: nonEmpty(flowRunId, 'flow run id') } }
      const value = await api.POST('/flow_runs/{id}/set_state', {
        ...rest,
        params,
        body: { state, force },
        retry: 'rate-limit-only',
      })
      const url = apiCallUrl(apiUrl, '/flow_runs/{id}/set_state', params)
      return validated('POST', url, () => parseOrchestrationResult(value))
    },

    readEventPage,
    readNextEventPage,

    async *readEvents(filter, requestOptions = {}) {
      const maxEvents = requestOptions.maxEvents ?? Infinity
      let count = 0
      let page = await readEventPage(filter, requestOptions)
      for (;;) {
        for (const event of page.events) {
          if (count >= maxEvents) return
          count++
          yield event
        }
        if (!page.next_page || count >= maxEvents) return
        page = await readNextEventPage(page.next_page, requestOptions)
      }
    },

    async emitEvents(events, requestOptions) {
      const body = `[${events.map((event) => serializeEvent(parseEvent(event))).join(',')}]`
      await sendApiCall(context, 'POST', apiCallUrl(apiUrl, '/events'), body, 'idempotent', {
        ...requestOptions,
        route: '/events',
      })
    },

    async version(requestOptions) {
      const value: unknown = await api.GET('/admin/version', requestOptions)
      if (typeof value !== 'string') {
        throw protocolError(
          'GET',
          apiCallUrl(apiUrl, '/admin/version'),
          'expected a version string',
        )
      }
      return value
    },
  }
}
