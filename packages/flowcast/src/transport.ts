// The one place a transport name becomes run-state sources, logs sources and the waiter's
// tuning: `createFlowcast`, `followFlowRun`, `flowcast watch`, `flowcast run` and
// `flowcast demo` all use it. The logs sources are a separate function (`composeLogs`) so a
// bundle that never follows logs leaves the whole logs stack out.
import {
  FlowcastError,
  type Clock,
  type FlowcastProfile,
  type Instrumentation,
  type Logger,
  type LogsSources,
  type RunStateSources,
  type RunWatcherOptions,
} from '@flowcast/core'
import {
  createLogsClient,
  createPollingLogsSource,
  createPollingRunStateSource,
  type PollingRunStateSource,
  type PollingRunStateSourceOptions,
  type PrefectClient,
  type PrefectClientOptions,
} from '@flowcast/polling'
import {
  createWebSocketLogsSource,
  createWebSocketRunStateSource,
  type WebSocketConstructorLike,
  type WebSocketLogsSource,
  type WebSocketLogsSourceOptions,
  type WebSocketRunStateSource,
  type WebSocketRunStateSourceOptions,
} from '@flowcast/websocket'
import {
  createWebhookRunStateSource,
  type WebhookReceiver,
  type WebhookRunStateSource,
} from '@flowcast/webhook'

/**
 * How flow-run states are learned.
 *
 * - `auto` (hybrid, the default): WebSocket push, one REST read at the start, REST
 *   reconciliation on a slow interval, REST polling while the WebSocket is down or silent.
 * - `websocket`: WebSocket push and one REST read at the start; no polling fallback.
 * - `polling`: REST only, every watched run batched into one request per tick.
 * - `webhook`: states pushed by Prefect automation webhook deliveries to `webhook.receiver`,
 *   with one REST read at the start and REST reconciliation on a slow interval as a safety
 *   net (Prefect does not retry a failed webhook call). No WebSocket.
 */
export type FlowcastTransport = 'auto' | 'websocket' | 'polling' | 'webhook'

/** Every {@link FlowcastTransport}, in the order error messages list them. */
export const flowcastTransports: readonly FlowcastTransport[] = [
  'auto',
  'websocket',
  'polling',
  'webhook',
]

/** The webhook transport's settings (see {@link FlowcastOptions.webhook}). */
export interface WebhookTransportOptions {
  /** The receiver the automation posts to (its fan-out, if any, is used too). */
  receiver: Pick<WebhookReceiver, 'observe'>
  /**
   * Latest states of this many recently delivered runs are remembered.
   * @default 10_000
   */
  maxRememberedRuns?: number | undefined
}

/** Options of {@link composeTransport} and {@link composeLogs}. */
export interface TransportOptions {
  /** The transport to build. */
  transport: FlowcastTransport
  /** The REST client the polling source reads with (its API URL is used for the sockets). */
  client: PrefectClient
  /** Prefect Cloud API key, for the sockets and the logs client. */
  apiKey?: string | undefined
  /** Self-hosted `user:pass` auth string, for the sockets and the logs client. */
  authString?: string | undefined
  /**
   * WebSocket constructor.
   * @default `ws` under Node, the global `WebSocket` elsewhere (`@flowcast/websocket`)
   */
  WebSocket?: WebSocketConstructorLike | undefined
  /**
   * `fetch` for the logs client.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch | undefined
  /** @default systemClock */
  clock?: Clock | undefined
  /** @default silentLogger */
  logger?: Logger | undefined
  /**
   * Where every source reports its metrics and spans (e.g. `@flowcast/otel`). Nothing is
   * recorded without it.
   */
  instrumentation?: Instrumentation | undefined
  /**
   * `'test'` for fast polling, short backoff and short watchdogs in the sources.
   * @default 'default'
   */
  profile?: FlowcastProfile | undefined
  /** Extra logs-client options (timeouts, retries, headers). */
  rest?:
    | Omit<PrefectClientOptions, 'apiUrl' | 'apiKey' | 'authString' | 'fetch' | 'clock' | 'logger'>
    | undefined
  /** Extra polling-source options (interval, page size). */
  polling?: Omit<PollingRunStateSourceOptions, 'client' | 'clock' | 'logger'> | undefined
  /** Extra WebSocket run-state source options (reconnect, stall watchdog, `onEvent`). */
  websocket?:
    | Omit<
        WebSocketRunStateSourceOptions,
        'apiUrl' | 'apiKey' | 'authString' | 'WebSocket' | 'clock' | 'logger'
      >
    | undefined
  /** Extra WebSocket logs source options (connect timeout, reconnect). */
  logsWebSocket?:
    Omit<WebSocketLogsSourceOptions, 'apiUrl' | 'apiKey' | 'authString' | 'WebSocket'> | undefined
  /** The webhook transport's receiver; required with `transport: 'webhook'`. */
  webhook?: WebhookTransportOptions | undefined
}

/** The sources a transport is made of, ready for core's run watcher and log follower. */
export interface TransportComposition {
  /** The transport built. */
  readonly transport: FlowcastTransport
  /** The run watcher's sources. */
  readonly sources: RunStateSources
  /**
   * The waiter tuning the transport implies (`polling`: no separate reconciliation, since
   * every tick reads every run; `websocket`: no polling fallback). Callers spread their own
   * tuning after it.
   */
  readonly tuning: Partial<RunWatcherOptions>
  /** The REST polling source (the pull source of every transport). */
  readonly polling: PollingRunStateSource
  /** The WebSocket source, with `auto` and `websocket`. */
  readonly websocket: WebSocketRunStateSource | undefined
  /** The webhook source, with `webhook`. */
  readonly webhook: WebhookRunStateSource | undefined
  /** Stops polling and closes every socket it opened. Idempotent. */
  close(): Promise<void>
}

/**
 * Checks a transport name.
 * @throws FlowcastError `INVALID_OPTIONS` for anything but a {@link FlowcastTransport}
 */
export function checkTransport(transport: unknown): FlowcastTransport {
  if (!flowcastTransports.includes(transport as FlowcastTransport)) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      `[flowcast] invalid transport ${JSON.stringify(transport)}: expected auto, websocket, polling or webhook`,
    )
  }
  return transport as FlowcastTransport
}

/** The logs sources of a transport (from {@link composeLogs}), ready for core's log follower. */
export interface LogsComposition {
  /** REST always; the logs socket too, except with `polling`. */
  readonly sources: LogsSources
  /** Closes every logs socket it opened. Idempotent. */
  close(): Promise<void>
}

/** The option parts every source shares: credentials, then clock, logger and instrumentation. */
function sharedParts(options: TransportOptions) {
  const credentials = {
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.authString ? { authString: options.authString } : {}),
  }
  const shared = {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.instrumentation ? { instrumentation: options.instrumentation } : {}),
  }
  const socketOptions = {
    apiUrl: options.client.apiUrl,
    ...credentials,
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    ...shared,
  }
  return { credentials, shared, socketOptions }
}

/**
 * Turns a {@link FlowcastTransport} into run-state sources and the waiter's
 * tuning. Sources are created at once (they connect on the first watch).
 *
 * @throws FlowcastError `INVALID_OPTIONS` for an unknown transport, or `webhook` without a
 *   receiver
 * @example
 * ```ts
 * import { createRunWatcher } from '@flowcast/core'
 * import { createPrefectClient } from '@flowcast/polling'
 * import { composeTransport } from 'flowcast'
 *
 * const client = createPrefectClient({ apiUrl: 'http://127.0.0.1:4200/api' })
 * const composed = composeTransport({ transport: 'auto', client })
 * const watcher = createRunWatcher({ ...composed.tuning, sources: composed.sources })
 * ```
 */
export function composeTransport(options: TransportOptions): TransportComposition {
  const transport = checkTransport(options.transport)
  if (transport === 'webhook' && !options.webhook?.receiver) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      "[flowcast] transport 'webhook' needs webhook.receiver (from @flowcast/webhook)",
    )
  }
  const { client, profile } = options
  const { shared, socketOptions } = sharedParts(options)

  const polling = createPollingRunStateSource({
    ...(profile ? { profile } : {}),
    ...options.polling,
    client,
    ...shared,
  })
  let websocket: WebSocketRunStateSource | undefined
  let webhook: WebhookRunStateSource | undefined
  let sources: RunStateSources
  let tuning: Partial<RunWatcherOptions> = {}
  if (transport === 'polling') {
    sources = { push: polling, pull: polling }
    // The polling push source already reads every run each tick.
    tuning = { reconcileIntervalMs: Infinity }
  } else if (transport === 'webhook') {
    const { receiver, maxRememberedRuns } = options.webhook!
    webhook = createWebhookRunStateSource({
      receiver,
      ...(maxRememberedRuns !== undefined ? { maxRememberedRuns } : {}),
    })
    sources = { push: webhook, pull: polling }
  } else {
    websocket = createWebSocketRunStateSource({
      ...(profile ? { profile } : {}),
      ...options.websocket,
      ...socketOptions,
    })
    sources = { push: websocket, pull: polling }
    if (transport === 'websocket') tuning = { fallbackPolling: false }
  }

  return {
    transport,
    sources,
    tuning,
    polling,
    websocket,
    webhook,
    async close() {
      polling.close()
      webhook?.close()
      await websocket?.close()
    },
  }
}

/**
 * Builds the logs sources of a transport: the REST logs client always, the logs socket
 * (`/logs/out`) too except with `polling`. The socket connects on the first watched run.
 *
 * @throws FlowcastError `INVALID_OPTIONS` for an unknown transport
 * @example
 * ```ts
 * import { followFlowRun } from '@flowcast/core'
 * import { composeLogs, composeTransport } from 'flowcast'
 *
 * const composed = composeTransport({ transport: 'auto', client })
 * const logs = composeLogs({ transport: 'auto', client })
 * const follow = followFlowRun(flowRunId, { sources: composed.sources, logs: logs.sources })
 * await follow.result
 * await Promise.all([logs.close(), composed.close()])
 * ```
 */
export function composeLogs(options: TransportOptions): LogsComposition {
  const transport = checkTransport(options.transport)
  const { credentials, shared, socketOptions } = sharedParts(options)
  const pull = createPollingLogsSource({
    client: createLogsClient({
      ...options.rest,
      apiUrl: options.client.apiUrl,
      ...credentials,
      ...shared,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
  })
  const push: WebSocketLogsSource | undefined =
    transport === 'polling'
      ? undefined
      : createWebSocketLogsSource({ ...options.logsWebSocket, ...socketOptions })
  return {
    sources: { pull, ...(push ? { push } : {}) },
    async close() {
      await push?.close()
    },
  }
}
