import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isFlowcastError, type Flowcast, type WaitForFlowRunResult } from 'flowcast'

/** Options of {@link createWaitServer}. */
export interface WaitServerOptions {
  /** The shared flowcast instance: one WebSocket and one REST client for every request. */
  flowcast: Flowcast
  /** Deployment used by `POST /runs` when the body names none. */
  defaultDeploymentId?: string | undefined
  /**
   * Longest wait a request may ask for, in seconds; also the wait when a request names none.
   * @default 900
   */
  maxWaitSeconds?: number | undefined
  /**
   * When set, `/runs` requests must send `Authorization: Bearer <authToken>` (401 otherwise);
   * `/health` stays open for probes.
   * @default undefined (no authentication: keep the service on a private network)
   */
  authToken?: string | undefined
  /**
   * How long `/health` waits for Prefect's `/version` before reporting it unreachable.
   * @default 2000
   */
  healthTimeoutMs?: number | undefined
}

/** A request the service refuses (400): only these carry their message to the client. */
class BadRequest extends Error {}

/** What the service answers about a wait. */
export interface WaitResponse {
  flow_run_id: string
  outcome: WaitForFlowRunResult['outcome']
  state_type: string | null
  state_name: string | null
  /** How the outcome was learned: `websocket` or `polling`; null unless terminal. */
  source: string | null
  elapsed_ms: number
}

function toResponse(result: WaitForFlowRunResult): WaitResponse {
  return {
    flow_run_id: result.flowRunId,
    outcome: result.outcome,
    state_type: result.lastState?.type ?? null,
    state_name: result.lastState?.name ?? null,
    source: result.outcome === 'terminal' ? result.source : null,
    elapsed_ms: result.timings.elapsedMs,
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  })
  res.end(text)
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > 64 * 1024) throw new BadRequest('the body is larger than 64 KiB')
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  let value: unknown
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new BadRequest('the body is not valid JSON')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequest('expected a JSON object')
  }
  return value as Record<string, unknown>
}

/** Aborted when the client goes away, so an abandoned request stops waiting. */
function requestSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController()
  res.once('close', () => {
    if (!res.writableEnded) controller.abort(new Error('client disconnected'))
  })
  return controller.signal
}

/**
 * A small HTTP service:
 *
 * - `POST /runs` `{ "deployment_id"?, "parameters"?, "wait"?: true, "timeout_seconds"? }`
 *   creates a flow run from a deployment; with `wait`, answers once the run has ended. An
 *   `Idempotency-Key` header is passed to Prefect, so a retried request gets the same run.
 * - `GET /runs/{id}/outcome?timeout_seconds=N` waits for an existing run.
 * - `GET /health`: 200 when Prefect answers, 503 when it does not.
 *
 * Every wait goes through the shared `flowcast` instance: race-free (subscribe, then read),
 * over one WebSocket, falling back to REST polling when the WebSocket is blocked.
 */
export function createWaitServer(options: WaitServerOptions): Server {
  const { flowcast } = options
  const maxWaitSeconds = options.maxWaitSeconds ?? 900
  const timeoutFrom = (value: unknown): number => {
    if (value === undefined || value === null) return maxWaitSeconds * 1000
    const seconds = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw new BadRequest('timeout_seconds must be a number of seconds greater than 0')
    }
    if (seconds > maxWaitSeconds) {
      throw new BadRequest(`timeout_seconds must be at most ${maxWaitSeconds}`)
    }
    return seconds * 1000
  }
  const expected = options.authToken ? Buffer.from(`Bearer ${options.authToken}`) : undefined
  const authorized = (req: IncomingMessage): boolean => {
    if (!expected) return true
    const given = Buffer.from(req.headers.authorization ?? '')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  async function health(res: ServerResponse): Promise<void> {
    try {
      const version = await flowcast.client.version({
        signal: AbortSignal.timeout(options.healthTimeoutMs ?? 2000),
      })
      send(res, 200, { ok: true, prefect: { reachable: true, version } })
    } catch (error) {
      const code = isFlowcastError(error) ? error.code : 'UNREACHABLE'
      send(res, 503, { ok: false, prefect: { reachable: false, error: code } })
    }
  }

  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (req.method === 'GET' && url.pathname === '/health') return health(res)
      if (!authorized(req)) return send(res, 401, { error: 'missing or wrong bearer token' })

      const outcome = /^\/runs\/([0-9a-f-]{36})\/outcome$/i.exec(url.pathname)
      if (req.method === 'GET' && outcome) {
        const result = await flowcast.waitForFlowRun(outcome[1]!.toLowerCase(), {
          timeoutMs: timeoutFrom(url.searchParams.get('timeout_seconds') ?? undefined),
          signal: requestSignal(res),
        })
        return send(res, 200, toResponse(result))
      }

      if (req.method === 'POST' && url.pathname === '/runs') {
        const body = await readJson(req)
        const deploymentId =
          typeof body['deployment_id'] === 'string'
            ? body['deployment_id']
            : options.defaultDeploymentId
        if (!deploymentId) return send(res, 400, { error: 'deployment_id is required' })
        const parameters =
          typeof body['parameters'] === 'object' && body['parameters'] !== null
            ? (body['parameters'] as Record<string, unknown>)
            : undefined
        const wait =
          body['wait'] === true ? { timeoutMs: timeoutFrom(body['timeout_seconds']) } : false
        const idempotencyKey = req.headers['idempotency-key']
        if (
          idempotencyKey !== undefined &&
          (typeof idempotencyKey !== 'string' || !idempotencyKey)
        ) {
          throw new BadRequest('send one non-empty Idempotency-Key header')
        }
        const { flowRun, result } = await flowcast.runDeployment(deploymentId, {
          parameters,
          body: idempotencyKey ? { idempotency_key: idempotencyKey } : undefined,
          wait,
          signal: requestSignal(res),
        })
        if (!result)
          return send(res, 202, {
            flow_run_id: flowRun.id,
            state_type: flowRun.state?.type ?? null,
          })
        return send(res, 200, toResponse(result))
      }

      send(res, 404, { error: 'not found' })
    })().catch((error: unknown) => {
      if (res.headersSent) return res.destroy()
      if (error instanceof BadRequest) return send(res, 400, { error: error.message })
      if (isFlowcastError(error, 'NOT_FOUND')) return send(res, 404, { error: error.message })
      if (isFlowcastError(error, 'ABORTED')) return res.destroy()
      if (isFlowcastError(error)) return send(res, 502, { error: error.message })
      // A bug of this service, not of the request: no details to the client.
      send(res, 500, { error: 'internal error' })
    })
  })
}

/**
 * Parses `PORT`: an integer from 0 to 65535 (0 picks a free port).
 * @throws Error naming the bad value, for the entry point to print
 */
export function parsePort(value: string | undefined, fallback = 3000): number {
  if (value === undefined || value.trim() === '') return fallback
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`)
  }
  return port
}

/** Options of {@link shutdownGracefully}. */
export interface ShutdownOptions {
  /**
   * How long in-flight requests may take to finish before their connections are cut.
   * @default 10000
   */
  deadlineMs?: number | undefined
}

/**
 * Stops a wait-server: stops accepting connections, closes the SDK so every pending wait
 * answers `aborted` to its client, then waits for in-flight requests to finish and cuts what
 * is left at the deadline.
 */
export async function shutdownGracefully(
  server: Server,
  flowcast: Flowcast,
  options: ShutdownOptions = {},
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeIdleConnections()
  await flowcast.close()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, options.deadlineMs ?? 10_000)
  })
  await Promise.race([closed, deadline])
  clearTimeout(timer)
  server.closeAllConnections()
  await closed
}
