import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { isFlowcastError, type Flowcast, type WaitForFlowRunResult } from 'flowcast'

/** Options of {@link createWaitServer}. */
export interface WaitServerOptions {
  /** The shared flowcast instance: one WebSocket and one REST client for every request. */
  flowcast: Flowcast
  /** Deployment used by `POST /runs` when the body names none. */
  defaultDeploymentId?: string
  /**
   * Longest wait a request may ask for, in seconds.
   * @default 900
   */
  maxWaitSeconds?: number
}

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
    if (size > 64 * 1024) throw new RangeError('body too large')
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return {}
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError('expected a JSON object')
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
 *   creates a flow run from a deployment; with `wait`, answers once the run has ended.
 * - `GET /runs/{id}/outcome?timeout_seconds=N` waits for an existing run.
 * - `GET /health`.
 *
 * Every wait goes through the shared `flowcast` instance: race-free (subscribe, then read),
 * over one WebSocket, falling back to REST polling when the WebSocket is blocked.
 */
export function createWaitServer(options: WaitServerOptions): Server {
  const { flowcast } = options
  const maxWait = (options.maxWaitSeconds ?? 900) * 1000
  const timeoutFrom = (value: unknown): number => {
    const seconds =
      typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN
    return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, maxWait) : maxWait
  }

  return createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { ok: true })

      const outcome = /^\/runs\/([0-9a-f-]{36})\/outcome$/i.exec(url.pathname)
      if (req.method === 'GET' && outcome) {
        const result = await flowcast.waitForFlowRun(outcome[1]!.toLowerCase(), {
          timeoutMs: timeoutFrom(url.searchParams.get('timeout_seconds')),
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
        const signal = requestSignal(res)
        const { flowRun, result } = await flowcast.runDeployment(deploymentId, {
          ...(parameters ? { parameters } : {}),
          wait: body['wait'] === true ? { timeoutMs: timeoutFrom(body['timeout_seconds']) } : false,
          signal,
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
      if (
        error instanceof SyntaxError ||
        error instanceof TypeError ||
        error instanceof RangeError
      ) {
        return send(res, 400, { error: error.message })
      }
      if (isFlowcastError(error, 'NOT_FOUND')) return send(res, 404, { error: error.message })
      if (isFlowcastError(error, 'ABORTED')) return res.destroy()
      send(res, 502, { error: isFlowcastError(error) ? error.message : 'upstream error' })
    })
  })
}
