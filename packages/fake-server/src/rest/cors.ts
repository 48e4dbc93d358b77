import { fakeError } from '../model/util.js'
import type { RestRequest, RestResponse } from './http.js'

/**
 * Cross-origin access to the fake's REST API, as Prefect's server configures it
 * (docs/protocol.md §6.4): each list is what `PREFECT_SERVER_CORS_ALLOWED_ORIGINS`,
 * `..._METHODS` and `..._HEADERS` hold, split on commas; `'*'` allows any.
 */
export interface FakeCorsOptions {
  /**
   * Origins allowed to call the API from a browser (`'*'`: every origin); `[]` allows none.
   * @default ['*']
   */
  allowedOrigins?: readonly string[]
  /**
   * Methods a preflight may ask for (`'*'`: DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT).
   * @default ['*']
   */
  allowedMethods?: readonly string[]
  /**
   * Request headers a preflight may ask for, beyond the CORS-safelisted ones (`'*'`: any).
   * @default ['*']
   */
  allowedHeaders?: readonly string[]
}

/** Defaults of {@link FakeCorsOptions}: Prefect's (every origin, method and header). */
export const fakeCorsDefaults = {
  allowedOrigins: ['*'],
  allowedMethods: ['*'],
  allowedHeaders: ['*'],
} as const

const allMethods = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']
const safelistedHeaders = ['accept', 'accept-language', 'content-language', 'content-type']
/** How long a browser may cache a preflight answer, in seconds (Starlette's default). */
const maxAgeSeconds = 600

/** A resolved CORS policy; built once per server. */
export interface CorsPolicy {
  /** The answer to a preflight request, or `undefined` when `request` is not one. */
  preflight(request: RestRequest): RestResponse | undefined
  /** `response` with the headers a cross-origin request's answer carries. */
  decorate(request: RestRequest, response: RestResponse): RestResponse
}

function checkList(name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw fakeError(
      'INVALID_OPTIONS',
      'invalid options',
      `cors.${name} must be an array of strings`,
    )
  }
  return value.map((item: string) => item.trim()).filter((item) => item !== '')
}

/**
 * Builds the CORS policy of `options` (validated: `INVALID_OPTIONS` for anything but string
 * arrays). Like Starlette's `CORSMiddleware`: a preflight (`OPTIONS` with `Origin` and
 * `Access-Control-Request-Method`) is answered on any path before routing, 200 `OK` or 400
 * `Disallowed CORS origin, method, headers`; any other request with `Origin` gets
 * `Access-Control-Allow-Origin` on its answer whatever its status.
 */
export function createCorsPolicy(options: FakeCorsOptions | undefined): CorsPolicy {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw fakeError('INVALID_OPTIONS', 'invalid options', 'cors must be an object')
  }
  const origins =
    checkList('allowedOrigins', options?.allowedOrigins) ?? fakeCorsDefaults.allowedOrigins
  const methodList =
    checkList('allowedMethods', options?.allowedMethods) ?? fakeCorsDefaults.allowedMethods
  const headerList =
    checkList('allowedHeaders', options?.allowedHeaders) ?? fakeCorsDefaults.allowedHeaders
  const anyOrigin = origins.includes('*')
  const methods = methodList.includes('*') ? allMethods : methodList
  const anyHeader = headerList.includes('*')
  const headers = [
    ...new Set([...safelistedHeaders, ...headerList.map((h) => h.toLowerCase())]),
  ].sort()
  const originAllowed = (origin: string) => anyOrigin || origins.includes(origin)

  return {
    preflight(request) {
      const origin = request.headers['origin']
      const requestedMethod = request.headers['access-control-request-method']
      if (request.method.toUpperCase() !== 'OPTIONS' || origin === undefined) return undefined
      if (requestedMethod === undefined) return undefined
      const requestedHeaders = request.headers['access-control-request-headers']
      const answer: Record<string, string> = {
        'access-control-allow-methods': methods.join(', '),
        'access-control-max-age': String(maxAgeSeconds),
      }
      if (anyOrigin) answer['access-control-allow-origin'] = '*'
      else answer['vary'] = 'Origin'
      if (!anyHeader) answer['access-control-allow-headers'] = headers.join(', ')
      const failures: string[] = []
      if (!originAllowed(origin)) failures.push('origin')
      else if (!anyOrigin) answer['access-control-allow-origin'] = origin
      if (!methods.includes(requestedMethod)) failures.push('method')
      if (anyHeader && requestedHeaders !== undefined) {
        answer['access-control-allow-headers'] = requestedHeaders
      } else if (requestedHeaders !== undefined) {
        const asked = requestedHeaders.split(',').map((h) => h.trim().toLowerCase())
        if (asked.some((h) => h !== '' && !headers.includes(h))) failures.push('headers')
      }
      const text = failures.length > 0 ? `Disallowed CORS ${failures.join(', ')}` : 'OK'
      return {
        status: failures.length > 0 ? 400 : 200,
        headers: { ...answer, 'content-type': 'text/plain; charset=utf-8' },
        body: text,
      }
    },

    decorate(request, response) {
      const origin = request.headers['origin']
      if (origin === undefined) return response
      const extra: Record<string, string> = {}
      // A request that carries cookies needs its own origin echoed, never `*`.
      if (anyOrigin && request.headers['cookie'] === undefined) {
        extra['access-control-allow-origin'] = '*'
      } else if (originAllowed(origin)) {
        extra['access-control-allow-origin'] = origin
        const vary = response.headers['vary']
        extra['vary'] = vary ? `${vary}, Origin` : 'Origin'
      }
      return { ...response, headers: { ...response.headers, ...extra } }
    },
  }
}
