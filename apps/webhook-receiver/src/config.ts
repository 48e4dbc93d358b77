import { FlowcastError } from '@flowcast/core'

/** The service's settings, read from the environment by {@link readConfig}. */
export interface ReceiverConfig {
  /** `HOST`, default `0.0.0.0` (behind a load balancer). */
  host: string
  /** `PORT`, default 8080. */
  port: number
  /** `WEBHOOK_PATH`, default `/hooks/prefect`: the URL path the Webhook block posts to. */
  path: string
  /**
   * `WEBHOOK_SECRETS` (comma-separated, for rotation) or `WEBHOOK_SECRET`: the value the
   * Webhook block sends as `Authorization: Bearer <secret>`. Required.
   */
  secrets: string[]
  /** `REDIS_URL`: share idempotency and waiters across instances; optional. */
  redisUrl: string | undefined
  /** `WEBHOOK_MAX_BODY_BYTES`, default 2 MiB. */
  maxBodyBytes: number
}

function invalid(message: string): FlowcastError {
  return new FlowcastError('INVALID_OPTIONS', `[webhook-receiver] ${message}`)
}

function integer(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const text = env[name]
  if (text === undefined || text === '') return fallback
  if (!/^\d+$/.test(text)) throw invalid(`${name} must be a whole number, got '${text}'`)
  return Number(text)
}

/**
 * Reads {@link ReceiverConfig} from the environment.
 *
 * @throws FlowcastError `INVALID_OPTIONS` naming the variable that is missing or wrong
 */
export function readConfig(env: Record<string, string | undefined>): ReceiverConfig {
  const secrets = (env['WEBHOOK_SECRETS'] ?? env['WEBHOOK_SECRET'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  if (secrets.length === 0) {
    throw invalid('set WEBHOOK_SECRET (or WEBHOOK_SECRETS=new,old while rotating)')
  }
  const path = env['WEBHOOK_PATH'] || '/hooks/prefect'
  if (!path.startsWith('/')) throw invalid(`WEBHOOK_PATH must start with /, got '${path}'`)
  const port = integer(env, 'PORT', 8080)
  if (port > 65_535) throw invalid(`PORT must be at most 65535, got ${port}`)
  const maxBodyBytes = integer(env, 'WEBHOOK_MAX_BODY_BYTES', 2 * 1024 * 1024)
  if (maxBodyBytes < 1) throw invalid('WEBHOOK_MAX_BODY_BYTES must be positive')
  return {
    host: env['HOST'] || '0.0.0.0',
    port,
    path,
    secrets,
    redisUrl: env['REDIS_URL'] || undefined,
    maxBodyBytes,
  }
}
