// Types of the fault and recorder controls (re-exported from types.ts).
import type { FlowRun, ReceivedEvent } from '@flowcast/core'

/** Which connections an action targets. */
export interface ConnectionSelector {
  /**
   * Connections whose URL path ends with this (e.g. `'/events/out'`, `'/events/in'`).
   * @default every connection (injectFrames: every `/events/out` connection)
   */
  path?: string
  /** One connection id (see {@link ConnectionRecord.id}). */
  connection?: string
}

/** A frame to inject: text as is, bytes as a binary frame, anything else as compact JSON. */
export type FrameInput = string | Uint8Array | ArrayBuffer | Record<string, unknown> | unknown[]

/** Options of {@link FakePrefectFaults.dropConnections}. */
export interface DropConnectionsOptions extends ConnectionSelector {
  /** Close with this code instead of dropping the TCP connection abruptly (client sees 1006). */
  code?: number
  /** Close reason when `code` is set. @default '' */
  reason?: string
  /** Arm instead: drop each matching connection after it has been sent this many more event frames. */
  afterEvents?: number
  /** Arm instead: drop after this many ms of server time. */
  afterMs?: number
}

/** An HTTP fault rule (see {@link FakePrefectFaults.httpError}). */
export interface HttpErrorRule {
  /** Method to match. @default any */
  method?: string
  /** Path under the API URL, e.g. `'/flow_runs/*'` (`*` matches within a segment, `**` anything) or a RegExp. */
  path: string | RegExp
  /** Status to answer, e.g. 500 or 429. */
  status: number
  /** How many requests to fail. @default Infinity */
  times?: number
  /** `Retry-After` header value in seconds (sent when set). */
  retryAfter?: number
  /** JSON body. @default Prefect's body for the status */
  body?: unknown
}

/** Faults the fake can inject (global or per connection). */
export interface FakePrefectFaults {
  /** Sends raw frames to connected `/events/out` subscribers (or the selected ones); returns how many connections got them. */
  injectFrames(frames: readonly FrameInput[], options?: ConnectionSelector): number
  /** Drops (or arms a drop of) the selected connections; returns how many were dropped or armed. */
  dropConnections(options?: DropConnectionsOptions): number
  /**
   * Refuses websocket auth: `'soft'` sends `{"type":"auth_failure","reason":…}` then closes 1008,
   * `'hard'` closes 1008 with no message; `null` turns it off.
   */
  refuseAuth(mode: 'soft' | 'hard' | null, options?: { reason?: string }): void
  /** Answers every websocket upgrade with this HTTP status (e.g. 403, 404) while REST keeps working; `null` turns it off. */
  rejectUpgrades(status: number | null, options?: { path?: string }): void
  /** Holds every outgoing frame and pong (the connection goes quiet); `false` flushes what is held. */
  silence(on: boolean, options?: ConnectionSelector): void
  /** Delays every outgoing websocket frame by `ms` of server time (order kept; `0` turns it off). */
  delayFrames(ms: number): void
  /** Fails matching HTTP requests with a status (500, 429 with Retry-After, …). */
  httpError(rule: HttpErrorRule): void
  /** Delays every HTTP response by `ms` of server time (`0` turns it off). */
  slowResponses(ms: number): void
  /**
   * Restarts the server: closes every connection (1012), refuses connections for `downMs` of server time where the
   * adapter can, and keeps all state.
   */
  restart(options?: { downMs?: number; signal?: AbortSignal }): Promise<void>
  /** Turns every fault off (armed drops, refusals, silence, delays, HTTP rules). */
  reset(): void
}

/** Every websocket connection the fake accepted or refused. */
export interface ConnectionRecord {
  /** Connection id, e.g. `'c1'`. */
  id: string
  /** URL path, e.g. `/api/events/out`. */
  path: string
  /** Which socket. */
  kind: 'out' | 'in'
  /** Subprotocols the client offered. */
  protocols: string[]
  /** The subprotocol the server accepted (`'prefect'`), or `null`. */
  protocol: 'prefect' | null
  /** How the connection authenticates: `prefect` (auth frame), `legacy` (none), `cloud-bearer` (`Authorization` header). */
  mode: 'prefect' | 'legacy' | 'cloud-bearer'
  /** Upgrade request headers (lower-case names). */
  headers: Record<string, string>
  /** Token from the auth frame: `undefined` when none was sent. */
  authToken: string | null | undefined
  /** Filters received (raw JSON values as sent). */
  filters: unknown[]
  /** The `backfill` flag of the last filter frame (`undefined` when absent). */
  backfill: boolean | undefined
  /** The frames the client sent, in order (binary frames as `'<binary N bytes>'`); the newest `recorderLimit`. */
  clientFrames: string[]
  /** Event frames the server sent. */
  eventsSent: number
  /** Epoch ms (server clock). */
  openedAt: number
  /** Epoch ms when it closed. */
  closedAt: number | undefined
  /** Close code (1006 for an abrupt drop). */
  closeCode: number | undefined
  /** Close reason. */
  closeReason: string | undefined
}

/** A websocket upgrade the fake refused. */
export interface RejectedUpgradeRecord {
  /** URL path of the upgrade request. */
  path: string
  /** Subprotocols offered. */
  protocols: string[]
  /** Upgrade request headers (lower-case names). */
  headers: Record<string, string>
  /** HTTP status answered (403, 404, …). */
  status: number
  /** Epoch ms (server clock). */
  at: number
}

/** An HTTP request the fake answered. */
export interface HttpRequestRecord {
  /** Upper-case method. */
  method: string
  /** Path including the API prefix, e.g. `/api/flow_runs/…`. */
  path: string
  /** Query string including `?`, or `''`. */
  query: string
  /** Request headers (lower-case names). */
  headers: Record<string, string>
  /**
   * Parsed JSON body, the raw text when not JSON, `undefined` when empty, too large to read, or
   * dropped to keep the recorder within `recorderBodyBytes`.
   */
  body: unknown
  /** Size of the request body in bytes (kept when the body itself is not). */
  bodyBytes?: number
  /** Status answered. */
  status: number
  /** Epoch ms (server clock). */
  at: number
}

/** One event arriving from a client (`/events/in` or `POST /api/events`), duplicates included. */
export interface EventArrivalRecord {
  /** The event as received (with the server's `received`). */
  event: ReceivedEvent
  /** `/events/in` or `POST /api/events`. */
  source: 'websocket' | 'http'
  /** The `/events/in` connection, if any. */
  connectionId: string | undefined
  /** True when the id was already known (the event was not stored or delivered again). */
  duplicate: boolean
}

/** A webhook delivery attempted by an automation. */
export interface WebhookCallRecord {
  /** The automation that fired. */
  automationId: string
  /** The triggering event. */
  eventId: string
  /** HTTP method used. */
  method: string
  /** Webhook URL. */
  url: string
  /** Headers sent (exactly the configured ones). */
  headers: Record<string, string>
  /** The rendered body (`''` when empty). */
  body: string
  /** HTTP status; `undefined` when the request failed. */
  status: number | undefined
  /** First 1,000 characters of the response body. */
  responseBody: string | undefined
  /** Why the action failed (template error, network error). */
  error: string | undefined
}

/**
 * A flow run created through the REST API (`POST /deployments/{id}/create_flow_run`): what the
 * code under test asked for and what it was answered.
 */
export interface CreatedFlowRunRecord {
  /** The response body the client got (the `FlowRunResponse` at creation). */
  flowRun: FlowRun
  /** The deployment the run was created from. */
  deploymentId: string
  /** 201 for a new run; 200 when an idempotency key matched an existing run. */
  status: 201 | 200
  /** False when an idempotency key matched an existing run (no new run, not queued for `nextFlowRun`). */
  created: boolean
  /** The request as recorded in `httpRequests` (the same object: its body is what the client sent). */
  request: HttpRequestRecord
  /** Epoch ms (server clock). */
  at: number
}

/** What the fake has seen. Arrays are live views, in arrival order. */
export interface FakePrefectRecorder {
  readonly connections: readonly ConnectionRecord[]
  readonly rejectedUpgrades: readonly RejectedUpgradeRecord[]
  readonly httpRequests: readonly HttpRequestRecord[]
  /** Unique events received from clients (`/events/in`, `POST /api/events`). */
  readonly receivedEvents: readonly ReceivedEvent[]
  /** Every event arrival, duplicates included. */
  readonly eventArrivals: readonly EventArrivalRecord[]
  readonly webhookCalls: readonly WebhookCallRecord[]
  /** Every answered `create_flow_run` request with its response body, idempotent repeats included. */
  readonly createdFlowRuns: readonly CreatedFlowRunRecord[]
  /** Forgets everything recorded (state and events stay). */
  clear(): void
}
