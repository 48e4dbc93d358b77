// Node's fetch (undici) reports a failed connection as `TypeError: fetch failed` and keeps the
// system error in `cause`. Loaded by the Node entry only: browsers report no such detail.
import type { NetworkFailure } from './http.js'

const networkHints: Record<string, string> = {
  ECONNREFUSED:
    'nothing accepts connections there; check that the Prefect server is running and that the API URL has the right host and port',
  ENOTFOUND: "the host name does not resolve; check the API URL's host",
  EAI_AGAIN: 'the host name could not be resolved right now; check DNS and the network',
  ETIMEDOUT: 'the host did not answer; check the network, a firewall or a proxy',
  UND_ERR_CONNECT_TIMEOUT: 'the host did not answer; check the network, a firewall or a proxy',
  ECONNRESET: 'the connection was reset; check a proxy, a load balancer or http/https in the URL',
  EHOSTUNREACH: 'the host is unreachable; check the network and the API URL',
  ENETUNREACH: 'the network is unreachable; check the network connection',
  UND_ERR_SOCKET: 'the connection closed unexpectedly; check a proxy or http/https in the URL',
}

/**
 * @internal What a `fetch failed` really was: undici hides the system error (code, address, port) in
 * `cause`, or in `cause.errors` when every address of a host failed.
 */
export function networkFailure(error: unknown): NetworkFailure | undefined {
  const seen = new Set<unknown>()
  let current: unknown = error
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current)
    const record = current as {
      code?: unknown
      address?: unknown
      port?: unknown
      cause?: unknown
      errors?: unknown
    }
    const nested = Array.isArray(record.errors) ? (record.errors[0] as unknown) : undefined
    const source = typeof record.code === 'string' ? record : (nested as typeof record | undefined)
    if (source && typeof source.code === 'string') {
      const code = source.code
      const where =
        typeof source.address === 'string'
          ? ` ${source.address}${typeof source.port === 'number' ? `:${source.port}` : ''}`
          : ''
      const hint =
        networkHints[code] ??
        (code.includes('CERT') || code.includes('SIGNATURE')
          ? 'the TLS certificate was not accepted; check the certificate or NODE_EXTRA_CA_CERTS'
          : 'check the API URL and the network')
      return { code, what: `${code}${where}`, hint }
    }
    if (current instanceof Error && current.message === 'bad port') {
      // The fetch standard blocks some ports (1, 7, 9, … 6000) before connecting.
      return {
        code: 'BAD_PORT',
        what: 'fetch refuses this port (a port the fetch standard blocks)',
        hint: "check the API URL's port",
      }
    }
    current = record.cause
  }
  return undefined
}
