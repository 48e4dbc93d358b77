import { useSyncExternalStore } from 'react'
import { useFlowcastContext } from './provider.js'
import { createSharedStore, type SharedStore } from './shared-store.js'
import type {
  EventsFilterInput,
  EventsSnapshot,
  FlowRunLogsSnapshot,
  FlowRunSnapshot,
  UseEventsOptions,
  UseFlowRunLogsOptions,
} from './types.js'

function idleStore<T>(snapshot: T): SharedStore<T> {
  return createSharedStore<T>(
    { initial: snapshot, start: () => () => {} },
    { releaseDelayMs: 0, onIdle: () => {} },
  )
}

const idleRun = idleStore<FlowRunSnapshot>(
  Object.freeze({
    status: 'idle',
    state: null,
    source: undefined,
    history: [],
    result: undefined,
    error: undefined,
    isPending: false,
    isSuccess: false,
    isError: false,
  }) as FlowRunSnapshot,
)
const idleLogs = idleStore<FlowRunLogsSnapshot>(
  Object.freeze({ status: 'idle', logs: [], error: undefined, logsError: undefined }),
)
const idleEvents = idleStore<EventsSnapshot>(
  Object.freeze({ status: 'idle', events: [], connection: 'idle', error: undefined }),
)

function useStore<T>(store: SharedStore<T>): T {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getServerSnapshot)
}

/**
 * The live state of a flow run: every state as it is learned, how it was learned
 * (`source`: `'websocket'` or `'polling'`), and how it ended. Every component watching one
 * run shares one wait (one registration on the shared WebSocket, batched REST reads); the
 * wait starts after mount (never on the server) and stops a tick after the last of them
 * unmounts. `null` or `undefined` watches nothing (`status: 'idle'`).
 *
 * @example
 * ```tsx
 * function RunBadge({ id }: { id: string }) {
 *   const run = useFlowRun(id)
 *   if (run.status === 'pending') return <span>…</span>
 *   if (run.status === 'error') return <span>unknown ({run.error?.code})</span>
 *   return <span>{run.state?.name} via {run.source}</span>
 * }
 * ```
 */
export function useFlowRun(flowRunId: string | null | undefined): FlowRunSnapshot {
  const { registry } = useFlowcastContext('useFlowRun')
  return useStore(flowRunId ? registry.run(flowRunId) : idleRun)
}

/**
 * A flow run's logs as they land — pushed by the logs socket when the server streams them,
 * read over REST always, each log once, in timestamp order — until the run ended and its last
 * logs are in (`status: 'success'`). Shared by every component following the run.
 *
 * @example
 * ```tsx
 * const { logs } = useFlowRunLogs(id)
 * return <pre>{logs.map((log) => log.message).join('\n')}</pre>
 * ```
 */
export function useFlowRunLogs(
  flowRunId: string | null | undefined,
  options: UseFlowRunLogsOptions = {},
): FlowRunLogsSnapshot {
  const { registry } = useFlowcastContext('useFlowRunLogs')
  return useStore(flowRunId ? registry.logs(flowRunId, options.maxLogs ?? 5_000) : idleLogs)
}

/**
 * The newest events that match `filter` (Prefect's `EventFilter`), each once, and the
 * socket's connection state. Components passing an equal filter (compared by value) share
 * one subscription. `null` or `undefined` subscribes to nothing.
 *
 * @example
 * ```tsx
 * const { events, connection } = useEvents({ event: { prefix: ['prefect.flow-run.'] } })
 * ```
 */
export function useEvents(
  filter: EventsFilterInput,
  options: UseEventsOptions = {},
): EventsSnapshot {
  const { registry } = useFlowcastContext('useEvents')
  return useStore(filter ? registry.events(filter, options.limit ?? 100) : idleEvents)
}
