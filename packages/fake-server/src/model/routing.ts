import type { ConnectionRecord, FakeCloudOptions } from '../types.js'
import { constantTimeEqual } from './connection.js'

/** Where a request or upgrade lands. */
export interface ResolvedRoute {
  scope: 'oss' | 'workspace' | 'account'
  /** The path under the API root (OSS) or the workspace/account root (Cloud), e.g. `/events/out`. */
  subpath: string
}

/**
 * The WebSocket endpoints, by subpath: the connection kind each opens and whether a Cloud
 * account-level URL serves it too. A new socket endpoint is one entry here plus its handler.
 */
export const socketEndpoints: Readonly<
  Record<string, { kind: ConnectionRecord['kind']; account: boolean }>
> = {
  '/events/out': { kind: 'out', account: true },
  '/events/in': { kind: 'in', account: false },
}

/** Result of {@link decideUpgrade}. */
export type UpgradeDecision =
  | {
      ok: true
      kind: ConnectionRecord['kind']
      mode: ConnectionRecord['mode']
      protocol: 'prefect' | undefined
    }
  | { ok: false; status: number }

/** The API paths of one fake: OSS under `basePath`, or Cloud's account/workspace prefixes. */
export class ApiRoutes {
  readonly basePath: string
  readonly #cloud: FakeCloudOptions | undefined

  constructor(basePath: string, cloud: FakeCloudOptions | undefined) {
    this.basePath = basePath.replace(/\/+$/, '')
    this.#cloud = cloud
  }

  /** The workspace (or OSS) API path prefix, e.g. `/api` or `/api/accounts/A/workspaces/W`. */
  get apiPath(): string {
    const cloud = this.#cloud
    return cloud
      ? `${this.basePath}/accounts/${cloud.accountId}/workspaces/${cloud.workspaceId}`
      : this.basePath
  }

  /** Splits a URL path into scope and subpath; `undefined` = 404. */
  resolve(pathname: string): ResolvedRoute | undefined {
    const at = (scope: ResolvedRoute['scope'], subpath: string): ResolvedRoute => ({
      scope,
      subpath,
    })
    if (pathname !== this.basePath && !pathname.startsWith(`${this.basePath}/`)) return undefined
    const rest = pathname.slice(this.basePath.length) || '/'
    const cloud = this.#cloud
    if (!cloud) return at('oss', rest)
    if (rest === '/health') return at('oss', rest)
    const ws = /^\/accounts\/([^/]+)\/workspaces\/([^/]+)(\/.*)?$/.exec(rest)
    if (ws) {
      if (ws[1] !== cloud.accountId || ws[2] !== cloud.workspaceId) return undefined
      return at('workspace', ws[3] ?? '/')
    }
    const account = /^\/accounts\/([^/]+)(\/.*)$/.exec(rest)
    if (account && account[1] === cloud.accountId) return at('account', account[2]!)
    return undefined
  }
}

/** Checks the `Authorization` header of an HTTP request (docs/protocol.md §6.1). */
export function httpAuthorized(
  options: { cloud?: FakeCloudOptions | undefined; authString?: string | undefined },
  authorization: string | undefined,
): boolean {
  if (options.cloud) {
    const match = /^bearer\s+(.+)$/i.exec(authorization ?? '')
    return match !== null && constantTimeEqual(match[1]!.trim(), options.cloud.apiKey)
  }
  const authString = options.authString
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

/** Decides a websocket upgrade (docs/protocol.md §1.2, §2): accept with a mode, or an HTTP status. */
export function decideUpgrade(
  routes: ApiRoutes,
  options: { cloud?: FakeCloudOptions | undefined; authString?: string | undefined },
  faults: {
    rejectUpgrades: { status: number; pattern: string | undefined } | null
    refuseAuth: unknown
  },
  input: { path: string; headers: Record<string, string>; protocols: string[] },
): UpgradeDecision {
  const route = routes.resolve(input.path)
  const endpoint = route ? socketEndpoints[route.subpath] : undefined
  if (!route || !endpoint || (route.scope === 'account' && !endpoint.account)) {
    return { ok: false, status: 404 }
  }
  const kind = endpoint.kind
  const reject = faults.rejectUpgrades
  if (reject && (reject.pattern === undefined || input.path.endsWith(reject.pattern))) {
    return { ok: false, status: reject.status }
  }
  if (input.protocols.includes('prefect')) {
    return { ok: true, kind, mode: 'prefect', protocol: 'prefect' }
  }
  const cloud = options.cloud
  if (cloud) {
    if (kind === 'out') return { ok: false, status: 403 }
    // docs/protocol.md §2: Cloud emitters authenticate with `Authorization: bearer <key>` on the upgrade.
    const match = /^bearer\s+(.+)$/i.exec(input.headers.authorization ?? '')
    if (!match || !constantTimeEqual(match[1]!.trim(), cloud.apiKey) || faults.refuseAuth) {
      return { ok: false, status: 403 }
    }
    return { ok: true, kind, mode: 'cloud-bearer', protocol: undefined }
  }
  // docs/protocol.md §1.2: without `prefect`, 403 when an auth string is set, else legacy mode.
  if (options.authString !== undefined) return { ok: false, status: 403 }
  return { ok: true, kind, mode: 'legacy', protocol: undefined }
}
