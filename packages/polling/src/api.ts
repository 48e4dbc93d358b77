import { FlowcastError, type PrefectCredentials } from '@flowcast/core'
import type { components, operations, paths } from '../generated/prefect-api.js'
import {
  displayUrl,
  sendRequest,
  type HttpSettings,
  type RequestOptions,
  type RetryMode,
} from './http.js'

/**
 * Every path of Prefect's REST API with its operations, generated from Prefect's OpenAPI
 * schema by `openapi-typescript`. Paths are relative to the API URL, so the same path works
 * for OSS (`…/api`) and Cloud (`…/api/accounts/{a}/workspaces/{w}`).
 */
export type PrefectApiPaths = paths
/** Prefect's REST schemas (`components['schemas']['FlowRun']`, `…['DeploymentResponse']`, …). */
export type PrefectApiComponents = components
/** Prefect's REST operations by `operationId`. */
export type PrefectApiOperations = operations
/** A schema of Prefect's REST API by name, e.g. `PrefectApiSchema<'StateCreate'>`. */
export type PrefectApiSchema<Name extends keyof components['schemas']> = components['schemas'][Name]

/** The HTTP methods Prefect's REST API uses. */
export type PrefectApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** The paths that accept `Method`. */
export type PrefectApiPathsWith<Method extends PrefectApiMethod> = {
  [P in keyof paths]: [NonNullable<paths[P][Lowercase<Method>]>] extends [never] ? never : P
}[keyof paths]

/** The operation behind `Method Path`. */
export type PrefectApiOperation<
  Path extends keyof paths,
  Method extends PrefectApiMethod,
> = NonNullable<paths[Path][Lowercase<Method>]>

type RequiredKeys<T> = {
  [K in keyof T]-?: undefined extends T[K] ? never : K
}[keyof T]

type DefinedKeys<T> = {
  [K in keyof T]-?: [NonNullable<T[K]>] extends [never] ? never : K
}[keyof T]

type ParametersOf<Op> = Op extends { parameters: infer P } ? Pick<P, DefinedKeys<P>> : never

type ParamsInit<Op> = [keyof ParametersOf<Op>] extends [never]
  ? { params?: never }
  : [RequiredKeys<ParametersOf<Op>>] extends [never]
    ? { params?: ParametersOf<Op> }
    : { params: ParametersOf<Op> }

type JsonBody<Op> = Op extends { requestBody?: infer R }
  ? [NonNullable<R>] extends [never]
    ? never
    : NonNullable<R> extends { content: { 'application/json': infer B } }
      ? B
      : never
  : never

type BodyInit<Op> = [JsonBody<Op>] extends [never]
  ? { body?: never }
  : Op extends { requestBody: unknown }
    ? { body: JsonBody<Op> }
    : { body?: JsonBody<Op> }

type SuccessStatus = 200 | 201 | 202 | 204

/** The 2xx response body of an operation (`undefined` for 204 No Content). */
export type PrefectApiResponse<Op> = Op extends { responses: infer R }
  ? {
      [S in SuccessStatus & keyof R]: R[S] extends { content: { 'application/json': infer D } }
        ? D
        : undefined
    }[SuccessStatus & keyof R]
  : never

/** What one typed call takes: path/query/header params, the JSON body and request options. */
export type PrefectApiInit<Op> = RequestOptions &
  ParamsInit<Op> &
  BodyInit<Op> & {
    /**
     * When a failure may be retried.
     * @default 'idempotent' for GET, PUT, DELETE and read-only POSTs (paths ending in `/filter`,
     * `/count`, `/paginate` or `/history`); 'rate-limit-only' for other POSTs and PATCH
     */
    retry?: RetryMode
  }

type InitArgs<Op> = [RequiredKeys<PrefectApiInit<Op>>] extends [never]
  ? [init?: PrefectApiInit<Op>]
  : [init: PrefectApiInit<Op>]

type Call<Method extends PrefectApiMethod> = <Path extends PrefectApiPathsWith<Method>>(
  path: Path,
  ...init: InitArgs<PrefectApiOperation<Path, Method>>
) => Promise<PrefectApiResponse<PrefectApiOperation<Path, Method>>>

/**
 * A typed call for every endpoint of Prefect's REST API, generated from Prefect's OpenAPI
 * schema: the path, its params, the body and the response are checked by TypeScript. It
 * shares the client's transport: auth, per-attempt timeouts, retries with `Retry-After`,
 * `AbortSignal` and secret-free `FlowcastError`s. A call resolves to the parsed 2xx body
 * (`undefined` when empty) and throws on any other status.
 *
 * @example
 * ```ts
 * const deployments = await client.api.POST('/deployments/filter', {
 *   body: { deployments: { name: { like_: 'nightly' } }, limit: 10 },
 * })
 * ```
 */
export interface PrefectApi {
  /** `GET` a path. */
  GET: Call<'GET'>
  /** `POST` to a path. */
  POST: Call<'POST'>
  /** `PUT` a path. */
  PUT: Call<'PUT'>
  /** `PATCH` a path. */
  PATCH: Call<'PATCH'>
  /** `DELETE` a path. */
  DELETE: Call<'DELETE'>
}

/** @internal What the typed calls need from the client. */
export interface ApiContext {
  settings: HttpSettings
  /** The normalised API URL (no trailing slash); the workspace prefix is part of it. */
  apiUrl: string
  credentials: PrefectCredentials
}

/** The parts of one untyped call. */
interface ApiCallInit extends RequestOptions {
  params?: {
    path?: Record<string, unknown>
    query?: Record<string, unknown>
    header?: Record<string, unknown>
  }
  body?: unknown
  retry?: RetryMode
}

const readOnlyPost = /\/(filter|count|paginate|history)$/

/** The retry mode of a call that names none. */
function defaultRetryMode(method: PrefectApiMethod, path: string): RetryMode {
  if (method === 'GET' || method === 'PUT' || method === 'DELETE') return 'idempotent'
  return method === 'POST' && readOnlyPost.test(path) ? 'idempotent' : 'rate-limit-only'
}

/** @internal A `PROTOCOL` error naming the call (never its secrets). */
export function protocolError(
  credentials: PrefectCredentials,
  method: string,
  url: string,
  why: string,
  cause?: unknown,
): FlowcastError {
  return new FlowcastError(
    'PROTOCOL',
    `[@flowcast/polling] [${method}] "${displayUrl(url, credentials)}": unexpected response: ${why}`,
    { cause },
  )
}

function invalidParam(name: string, why: string): FlowcastError {
  return new FlowcastError('INVALID_OPTIONS', `[@flowcast/polling] invalid ${name}: ${why}`)
}

function paramText(value: unknown, name: string): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw invalidParam(name, 'expected a string, number or boolean')
}

/** @internal The absolute URL of `path` with its path and query params filled in. */
export function apiCallUrl(
  apiUrl: string,
  path: string,
  params: ApiCallInit['params'] = {},
): string {
  const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params.path?.[name]
    const text =
      value === undefined || value === null ? '' : paramText(value, `path parameter ${name}`)
    if (text === '') throw invalidParam(`path parameter ${name}`, 'expected a non-empty value')
    // URL parsing resolves `.` and `..` segments (even percent-encoded) away.
    if (text === '.' || text === '..') {
      throw invalidParam(`path parameter ${name}`, 'expected a value other than . or ..')
    }
    return encodeURIComponent(text)
  })
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params.query ?? {})) {
    if (value === undefined || value === null) continue
    for (const item of Array.isArray(value) ? value : [value]) {
      query.append(name, paramText(item, `query parameter ${name}`))
    }
  }
  const search = query.toString()
  return `${apiUrl}${filled}${search ? `?${search}` : ''}`
}

/**
 * @internal Sends one call to `url` (already serialised body) and parses the JSON answer.
 */
export async function sendApiCall(
  context: ApiContext,
  method: PrefectApiMethod,
  url: string,
  body: string | undefined,
  retry: RetryMode,
  options: RequestOptions & { headers?: Record<string, string>; route?: string } = {},
): Promise<unknown> {
  const { text } = await sendRequest(
    context.settings,
    {
      method,
      url,
      retry,
      authorize: true,
      ...(body === undefined ? {} : { body }),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.route === undefined ? {} : { route: options.route }),
    },
    options,
  )
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw protocolError(context.credentials, method, url, 'the response is not JSON', cause)
  }
}

/** One call by path, untyped (what every typed method runs). */
async function callApi(
  context: ApiContext,
  method: PrefectApiMethod,
  path: string,
  init: ApiCallInit = {},
): Promise<unknown> {
  const url = apiCallUrl(context.apiUrl, path, init.params)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(init.params?.header ?? {})) {
    if (value !== undefined && value !== null) headers[name] = paramText(value, `header ${name}`)
  }
  const body = init.body === undefined ? undefined : JSON.stringify(init.body)
  const retry = init.retry ?? defaultRetryMode(method, path)
  const options: RequestOptions & { headers?: Record<string, string>; route?: string } = {
    route: path,
    ...(init.signal ? { signal: init.signal } : {}),
    ...(init.timeoutMs === undefined ? {} : { timeoutMs: init.timeoutMs }),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  }
  return sendApiCall(context, method, url, body, retry, options)
}

/** @internal Builds the typed calls over a client's transport. */
export function createPrefectApi(context: ApiContext): PrefectApi {
  const bind =
    (method: PrefectApiMethod) =>
    (path: string, init?: ApiCallInit): Promise<unknown> =>
      callApi(context, method, path, init)
  return {
    GET: bind('GET'),
    POST: bind('POST'),
    PUT: bind('PUT'),
    PATCH: bind('PATCH'),
    DELETE: bind('DELETE'),
  } as PrefectApi
}
