import type { FakePrefectModel } from '../model/fake-prefect.js'
import type { RestResponse } from './http.js'
import { prefectApiPaths } from './prefect-api.js'

/** What a route handler gets: the parsed request and the model it answers from. */
export interface RouteContext {
  model: FakePrefectModel
  /** Upper-case method. */
  method: string
  /** Path under the API root (workspace root in Cloud), e.g. `/flow_runs/filter`. */
  path: string
  /** The request URL. */
  url: URL
  /** Path parameters by name (`/flow_runs/:id` → `{ id }`). */
  params: Record<string, string>
  /** The JSON body, `undefined` when empty. */
  body: unknown
  /** Lower-case request headers. */
  headers: Record<string, string>
  /** What the handler tells the pipeline to do once the request is recorded. */
  notes?: RouteNotes
}

/** Facts a handler leaves for the pipeline, acted on after the request is recorded. */
export interface RouteNotes {
  /** `create_flow_run` answered with this run (`created` false: an idempotency key matched). */
  createdRun?: { deploymentId: string; flowRunId: string; created: boolean }
}

/**
 * One REST route: the same shape as a `RestOverride` (`method`, `path`, a handler), with
 * `:name` path parameters. 404 and 405 are derived from the table, never listed separately.
 */
export interface Route {
  /** Upper-case HTTP method. */
  method: string
  /** Path under the API root with `:name` parameters, as Prefect's OpenAPI schema writes it. */
  path: string
  /** Answers the request. */
  handle(context: RouteContext): RestResponse | Promise<RestResponse>
  /** Served only by an OSS server (Cloud answers 404). @default false */
  ossOnly?: boolean
  /** Exempt from the auth and `X-PREFECT-API-VERSION` checks (`/health`). @default false */
  public?: boolean
}

/** A compiled route pattern. */
export interface PathMatcher {
  path: string
  match(path: string): Record<string, string> | undefined
}

/** Compiles `/flow_runs/:id` into a matcher; a parameter is one non-empty path segment. */
export function compileRoutePath(path: string): PathMatcher {
  const names: string[] = []
  const source = path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment.replace(/[.+*?^${}()|[\]\\]/g, '\\$&')
      names.push(segment.slice(1))
      return '([^/]+)'
    })
    .join('/')
  const pattern = new RegExp(`^${source}$`)
  return {
    path,
    match(candidate) {
      const found = pattern.exec(candidate)
      if (!found) return undefined
      const params: Record<string, string> = {}
      names.forEach((name, i) => {
        params[name] = decodeSegment(found[i + 1]!)
      })
      return params
    },
  }
}

/** Percent-decodes a path segment; a malformed escape stays as written (it then fails validation). */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** How the table answers a method and path. */
export type Resolution =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  /** In Prefect's API, not implemented by the fake. */
  | { kind: 'not-implemented' }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' }

interface Compiled {
  matcher: PathMatcher
  methods: string[]
  route?: Route
}

/**
 * A route table: the fake's routes first, in order, then every other path of Prefect's API
 * (answered 501). Starlette's rule decides the rest: a path that matches some entry with
 * another method is a 405, a path that matches none is a 404.
 */
export class RouteTable {
  readonly routes: readonly Route[]
  #implemented: Compiled[]
  #prefect: Compiled[]

  constructor(routes: readonly Route[]) {
    this.routes = routes
    this.#implemented = routes.map((route) => ({
      matcher: compileRoutePath(route.path),
      methods: [route.method],
      route,
    }))
    this.#prefect = prefectApiPaths.map(([path, methods]) => ({
      matcher: compileRoutePath(path),
      methods: methods.split(' '),
    }))
  }

  /** Whether the fake implements `method path` (a path as the schema writes it). */
  implements(method: string, path: string): boolean {
    return this.routes.some((r) => r.method === method && r.path === path)
  }

  /** Resolves a request path (`oss` false for Cloud workspaces). */
  resolve(method: string, path: string, oss: boolean): Resolution {
    const allowed = new Set<string>()
    for (const entry of this.#implemented) {
      if (entry.route?.ossOnly && !oss) continue
      const params = entry.matcher.match(path)
      if (!params) continue
      if (entry.route!.method === method) return { kind: 'route', route: entry.route!, params }
      allowed.add(entry.route!.method)
    }
    for (const entry of this.#prefect) {
      if (!oss && this.#ossOnlyPath(entry.matcher.path)) continue
      if (!entry.matcher.match(path)) continue
      if (entry.methods.includes(method)) return { kind: 'not-implemented' }
      for (const m of entry.methods) allowed.add(m)
    }
    if (allowed.size > 0) return { kind: 'method-not-allowed', allowed: [...allowed] }
    return { kind: 'not-found' }
  }

  /** The public route for `path` and `method`, if any (checked before auth). */
  isPublic(method: string, path: string): boolean {
    const found = this.resolve(method, path, true)
    return found.kind === 'route' && found.route.public === true
  }

  #ossOnlyPath(path: string): boolean {
    return this.routes.some((r) => r.ossOnly && r.path === path)
  }
}
