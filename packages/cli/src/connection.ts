import { prefectCredentials } from '@flowcast/core'
import { UsageError } from './io.js'

/** The connection flags every networked command accepts. */
export const connectionOptions = {
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  'auth-string': { type: 'string' },
} as const

/** Help text lines for {@link connectionOptions}. */
export const connectionHelp = `Connection (flags override the environment):
  --api-url URL        Prefect API URL (env PREFECT_API_URL), e.g. http://127.0.0.1:4200/api
                       or https://api.prefect.cloud/api/accounts/A/workspaces/W
  --api-key KEY        Prefect Cloud API key (env PREFECT_API_KEY)
  --auth-string S      self-hosted server auth string user:pass (env PREFECT_API_AUTH_STRING)`

/** Resolved connection settings. Secrets are kept out of anything printed. */
export interface Connection {
  apiUrl: string
  apiKey?: string
  authString?: string
}

/** Resolves `--api-url`, `--api-key`, `--auth-string` over `PREFECT_*` variables. */
export function resolveConnection(
  values: { 'api-url'?: string; 'api-key'?: string; 'auth-string'?: string },
  env: Record<string, string | undefined>,
): Connection {
  const apiUrl = values['api-url'] ?? env.PREFECT_API_URL
  if (!apiUrl) {
    throw new UsageError('no Prefect API URL: pass --api-url or set PREFECT_API_URL')
  }
  try {
    const url = new URL(apiUrl)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol')
  } catch {
    throw new UsageError(`--api-url must be an http(s) URL such as http://127.0.0.1:4200/api`)
  }
  const apiKey = values['api-key'] ?? env.PREFECT_API_KEY
  const authString = values['auth-string'] ?? env.PREFECT_API_AUTH_STRING
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    ...prefectCredentials(apiKey, authString),
  }
}
