import { FlowcastError } from './errors.js'

/** Where a Prefect API lives and what kind it is. */
export interface PrefectApiLocation {
  /** The API base URL without a trailing slash, e.g. `http://127.0.0.1:4200/api`. */
  apiUrl: string
  /** OSS server, Cloud workspace (`…/accounts/{a}/workspaces/{w}`) or Cloud account (`…/accounts/{a}`). */
  kind: 'oss' | 'cloud-workspace' | 'cloud-account'
  /** The Cloud account id, for Cloud URLs. */
  accountId?: string
  /** The Cloud workspace id, for workspace URLs. */
  workspaceId?: string
}

function invalidUrl(why: string): FlowcastError {
  return new FlowcastError('INVALID_OPTIONS', `[@flowcast/core] invalid API URL: ${why}`)
}

/**
 * Reads a `PREFECT_API_URL`-style URL. Cloud is detected by a path ending in
 * `/accounts/{a}/workspaces/{w}` (workspace) or `/accounts/{a}` (account level), as
 * Prefect's own clients do; anything else is an OSS server.
 *
 * @throws FlowcastError `INVALID_OPTIONS` for an unparsable or non-http(s) URL, or one with a
 *   query or fragment (the message never repeats credentials embedded in the URL)
 * @example
 * ```ts
 * parseApiUrl('https://api.prefect.cloud/api/accounts/A/workspaces/W/')
 * // { apiUrl: 'https://api.prefect.cloud/api/accounts/A/workspaces/W', kind: 'cloud-workspace', accountId: 'A', workspaceId: 'W' }
 * ```
 */
export function parseApiUrl(apiUrl: string): PrefectApiLocation {
  let url: URL
  try {
    url = new URL(apiUrl)
  } catch {
    throw invalidUrl('not an absolute URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidUrl(`expected http: or https:, got ${url.protocol}`)
  }
  if (url.search || url.hash) throw invalidUrl('query strings and fragments are not allowed')
  const path = url.pathname.replace(/\/+$/, '')
  const normalised = `${url.protocol}//${url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : ''}${url.host}${path}`
  const segments = path.split('/')
  const n = segments.length
  if (n >= 4 && segments[n - 4] === 'accounts' && segments[n - 2] === 'workspaces') {
    const accountId = decodeURIComponent(segments[n - 3]!)
    const workspaceId = decodeURIComponent(segments[n - 1]!)
    if (accountId && workspaceId) {
      return { apiUrl: normalised, kind: 'cloud-workspace', accountId, workspaceId }
    }
  }
  if (n >= 2 && segments[n - 2] === 'accounts' && segments[n - 1]) {
    return {
      apiUrl: normalised,
      kind: 'cloud-account',
      accountId: decodeURIComponent(segments[n - 1]!),
    }
  }
  return { apiUrl: normalised, kind: 'oss' }
}

/**
 * The WebSocket URL of an API path: `http` → `ws`, `https` → `wss`, then `path` appended
 * (Prefect's `http_to_ws`).
 *
 * @example
 * ```ts
 * toWebSocketUrl('http://127.0.0.1:4200/api/', '/events/out') // 'ws://127.0.0.1:4200/api/events/out'
 * ```
 */
export function toWebSocketUrl(apiUrl: string, path: string): string {
  const { apiUrl: base } = parseApiUrl(apiUrl)
  const suffix = path === '' || path.startsWith('/') ? path : `/${path}`
  return `${base.replace(/^http/, 'ws')}${suffix}`
}

/** Secrets for a Prefect API. Never logged, never put in error messages. */
export interface PrefectCredentials {
  /** A Prefect Cloud API key (`PREFECT_API_KEY`). */
  apiKey?: string | undefined
  /** An OSS `user:pass` auth string (`PREFECT_API_AUTH_STRING`). */
  authString?: string | undefined
}

/**
 * Credentials with only the secrets that are set: an `undefined` or empty API key or auth
 * string is left out, so `{ ...credentials }` never carries an empty secret.
 *
 * @example
 * ```ts
 * prefectCredentials(process.env['PREFECT_API_KEY'], '') // { apiKey: '…' } or {}
 * ```
 */
export function prefectCredentials(
  apiKey: string | undefined,
  authString: string | undefined,
): PrefectCredentials {
  return {
    ...(apiKey ? { apiKey } : {}),
    ...(authString ? { authString } : {}),
  }
}

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text)
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/**
 * The HTTP `Authorization` header value: `Bearer <apiKey>` (Cloud) when an API key is set,
 * else `Basic base64(authString)` (OSS) when an auth string is set, else `undefined`.
 *
 * @example
 * ```ts
 * httpAuthorizationHeader({ authString: 'admin:pass' }) // 'Basic YWRtaW46cGFzcw=='
 * ```
 */
export function httpAuthorizationHeader(credentials: PrefectCredentials): string | undefined {
  if (credentials.apiKey) return `Bearer ${credentials.apiKey}`
  if (credentials.authString) return `Basic ${base64Utf8(credentials.authString)}`
  return undefined
}

const REDACTED = '***'
// Shorter fragments (e.g. a one-letter password) are not replaced on their own: doing so
// would garble unrelated text; the whole secret and its encodings are always replaced.
const MIN_FRAGMENT_LENGTH = 4

/**
 * `text` with every form of the given secrets replaced by `***`: the API key, the auth
 * string, its Base64 and URL-encoded forms, and its password part.
 *
 * @example
 * ```ts
 * redactSecrets('auth failed for admin:s3cret', { authString: 'admin:s3cret' }) // 'auth failed for ***'
 * ```
 */
export function redactSecrets(text: string, credentials: PrefectCredentials): string {
  const secrets = new Set<string>()
  const add = (value: string | undefined, minLength = 1) => {
    if (value && value.length >= minLength) {
      secrets.add(value)
      const encoded = encodeURIComponent(value)
      if (encoded !== value) secrets.add(encoded)
    }
  }
  add(credentials.apiKey)
  if (credentials.authString) {
    add(credentials.authString)
    add(base64Utf8(credentials.authString))
    const colon = credentials.authString.indexOf(':')
    if (colon >= 0) add(credentials.authString.slice(colon + 1), MIN_FRAGMENT_LENGTH)
  }
  let out = text
  // Longest first, so a secret containing another is replaced whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join(REDACTED)
  }
  return out
}

/**
 * `url` without its user info (`user:pass@`), for messages and logs. Text that is not a URL
 * has anything between `//` and `@` of the first authority removed.
 *
 * @example
 * ```ts
 * redactUrlCredentials('ws://admin:s3cret@127.0.0.1:4200/api/events/out')
 * // 'ws://127.0.0.1:4200/api/events/out'
 * ```
 */
export function redactUrlCredentials(url: string): string {
  try {
    const parsed = new URL(url)
    if (!parsed.username && !parsed.password) return url
    parsed.username = ''
    parsed.password = ''
    return parsed.toString()
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//')
  }
}

/** The secrets a {@link createRedactor} removes: credentials and an API URL's user info. */
export interface RedactorSecrets extends PrefectCredentials {
  /** An API or socket URL whose `user:pass@` part is secret too. */
  url?: string
}

/**
 * A function that removes every given secret from a text: the API key, the auth string (and
 * its encodings), and the user info of `url` — both as `user:pass` and wherever the URL
 * itself appears. Use it on anything a server or a network error hands back (close reasons,
 * `auth_failure` reasons, error messages) before it reaches a message or a log.
 *
 * @example
 * ```ts
 * const redact = createRedactor({ apiKey: 'pnu_x', url: 'http://u:pw@h/api' })
 * redact('bad token pnu_x for http://u:pw@h/api') // 'bad token *** for http://h/api'
 * ```
 */
export function createRedactor(secrets: RedactorSecrets): (text: string) => string {
  const credentials = prefectCredentials(secrets.apiKey, secrets.authString)
  let urlSecret: PrefectCredentials | undefined
  if (secrets.url) {
    try {
      const parsed = new URL(secrets.url)
      // A user name alone is not secret; a password is, with and without the user name.
      if (parsed.password) {
        const user = decodeURIComponent(parsed.username)
        urlSecret = { authString: `${user}:${decodeURIComponent(parsed.password)}` }
      }
    } catch {
      // Not a URL: only the credentials are redacted.
    }
  }
  return (text: string): string => {
    let out = text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s"']*@/gi, '$1')
    out = redactSecrets(out, credentials)
    return urlSecret ? redactSecrets(out, urlSecret) : out
  }
}
