import { FlowcastError, parseApiUrl, type PrefectApiLocation } from '@flowcast/core'

/** Which events socket: `out` subscribes (`/events/out`), `in` emits (`/events/in`). */
export type EventsSocketDirection = 'out' | 'in'

/** Whose events a Cloud subscriber reads: one workspace, or every workspace of the account. */
export type EventsScope = 'workspace' | 'account'

/** Options for {@link eventsSocketUrl}. */
export interface EventsSocketUrlOptions {
  /**
   * `account` subscribes at the Cloud account level (`/accounts/{a}/events/out`), cutting a
   * workspace URL at `/workspaces/` as Prefect's account subscriber does (docs/protocol.md §1.1).
   * Only for `out` and Cloud URLs.
   * @default 'workspace'
   */
  scope?: EventsScope
}

/**
 * The WebSocket URL of the events socket for a `PREFECT_API_URL`-style URL
 * (`http→ws`, `https→wss`, then `/events/out` or `/events/in`; docs/protocol.md §1.1, §2).
 * Throws `FlowcastError('INVALID_OPTIONS')` for URLs that cannot carry the socket.
 *
 * @example
 * eventsSocketUrl('http://127.0.0.1:4200/api', 'out')
 * // 'ws://127.0.0.1:4200/api/events/out'
 * eventsSocketUrl('https://api.prefect.cloud/api/accounts/A/workspaces/W', 'in')
 * // 'wss://api.prefect.cloud/api/accounts/A/workspaces/W/events/in'
 * eventsSocketUrl('https://api.prefect.cloud/api/accounts/A/workspaces/W', 'out', { scope: 'account' })
 * // 'wss://api.prefect.cloud/api/accounts/A/events/out'
 */
export function eventsSocketUrl(
  apiUrl: string,
  direction: EventsSocketDirection,
  options: EventsSocketUrlOptions = {},
): string {
  const location = parseApiUrl(apiUrl)
  return socketUrlFor(location, direction, options.scope ?? 'workspace')
}

/** @internal Same as {@link eventsSocketUrl} from an already parsed location. */
export function socketUrlFor(
  location: PrefectApiLocation,
  direction: EventsSocketDirection,
  scope: EventsScope,
): string {
  const url = new URL(location.apiUrl)
  let path = url.pathname.replace(/\/+$/, '')
  if (scope === 'account') {
    if (location.kind === 'oss') {
      throw new FlowcastError(
        'INVALID_OPTIONS',
        `[@flowcast/websocket] scope 'account' needs a Prefect Cloud URL: ${location.apiUrl} is a self-hosted server URL; drop the scope option`,
      )
    }
    if (direction === 'in') {
      throw new FlowcastError(
        'INVALID_OPTIONS',
        `[@flowcast/websocket] events cannot be emitted at the account level: use a workspace URL (…/accounts/{a}/workspaces/{w})`,
      )
    }
    const cut = path.indexOf('/workspaces/')
    if (cut >= 0) path = path.slice(0, cut)
  } else if (location.kind === 'cloud-account' && direction === 'in') {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      `[@flowcast/websocket] events cannot be emitted at the account level: use a workspace URL (…/accounts/{a}/workspaces/{w})`,
    )
  }
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.pathname = `${path}/events/${direction}`
  url.hash = ''
  return url.toString()
}
