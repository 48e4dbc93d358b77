import type { FakePrefectModel } from '../model/fake-prefect.js'
import { fakeError } from '../model/util.js'
import { json, type RestResponse } from './http.js'

// Restated, not imported from client code: the fake is the oracle clients are tested against.
const terminalTypes = new Set(['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'])

/** The flow-run reads a polling client makes: `GET /flow_runs/{id}`, `/filter`, `/paginate`. */
const readRoutes: ReadonlyArray<readonly [method: string, path: RegExp]> = [
  ['GET', /^\/flow_runs\/[0-9a-f-]{36}$/i],
  ['POST', /^\/flow_runs\/(filter|paginate)$/],
]

/** The runs in a flow-run read's answer (one run, a list, or a page's `results`). */
function runsIn(body: string): Array<{ id: string; stateType: string }> {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    return []
  }
  const list: unknown[] = Array.isArray(value)
    ? value
    : typeof value === 'object' &&
        value !== null &&
        Array.isArray((value as { results?: unknown }).results)
      ? (value as { results: unknown[] }).results
      : [value]
  const runs: Array<{ id: string; stateType: string }> = []
  for (const item of list) {
    const run = item as { id?: unknown; state?: { type?: unknown } | null } | null
    if (typeof run?.id === 'string' && typeof run.state?.type === 'string') {
      runs.push({ id: run.id, stateType: run.state.type })
    }
  }
  return runs
}

/** What the msw adapter's `onPollingOnly` check keeps. */
export interface PollingCheck {
  /** A WebSocket reached the `ws` handler. */
  socketSeen(): void
  /** Looks at an answered REST request; returns the response to send. */
  inspect(method: string, pathname: string, response: RestResponse): RestResponse
  readonly webSocketsSeen: number
  readonly pollingOnlyRuns: readonly string[]
  reset(): void
}

/**
 * Detects a wait that ended by polling while no WebSocket ever reached msw: a run read over
 * REST while not terminal, then read terminal, with no socket seen in between.
 */
export function createPollingCheck(
  model: FakePrefectModel,
  mode: 'warn' | 'error' | 'off',
): PollingCheck {
  if (mode !== 'warn' && mode !== 'error' && mode !== 'off') {
    throw fakeError(
      'INVALID_OPTIONS',
      'invalid options',
      `onPollingOnly must be 'warn', 'error' or 'off', got ${JSON.stringify(mode)}`,
    )
  }
  let sockets = 0
  let warned = false
  const readActive = new Set<string>()
  const pollingOnly: string[] = []
  const explain = (flowRunId: string) =>
    `@flowcast/fake-server/msw: flow run ${flowRunId} was read over REST until it ended, and no ` +
    `WebSocket ever reached the msw handlers: the code under test polled (its WebSocket bypasses ` +
    `msw; Node's \`ws\` cannot be intercepted). Route its sockets through msw with ` +
    `createFlowcast({ WebSocket: globalThis.WebSocket }) after server.listen(), or pass ` +
    `onPollingOnly: 'off' to createFakePrefectHandlers when polling is intended.`
  return {
    socketSeen() {
      sockets++
    },
    inspect(method, pathname, response) {
      if (mode === 'off' || sockets > 0 || response.status !== 200 || response.body === null) {
        return response
      }
      const subpath = model.resolveRoute(pathname)?.subpath
      if (subpath === undefined) return response
      if (!readRoutes.some(([m, path]) => m === method.toUpperCase() && path.test(subpath))) {
        return response
      }
      let ended: string | undefined
      for (const run of runsIn(response.body)) {
        if (!terminalTypes.has(run.stateType)) readActive.add(run.id)
        else if (readActive.has(run.id)) {
          ended ??= run.id
          if (!pollingOnly.includes(run.id)) pollingOnly.push(run.id)
        }
      }
      if (ended === undefined) return response
      if (!warned) {
        warned = true
        model.logger.warn(explain(ended), { flowRunId: ended })
      }
      return mode === 'error' ? json(500, { exception_message: explain(ended) }) : response
    },
    get webSocketsSeen() {
      return sockets
    },
    get pollingOnlyRuns() {
      return pollingOnly
    },
    reset() {
      sockets = 0
      warned = false
      readActive.clear()
      pollingOnly.length = 0
    },
  }
}
