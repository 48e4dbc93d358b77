import type { InstrumentSpec } from './instrumentation.js'

// Each part imports only its own tables (through `@flowcast/core/internal`), so that a bundle
// carries the names of the metrics it can report, not all of them.

type Flatten<T> = { readonly [K in keyof T]: T[K] }

/** @internal The metrics of WebSocket consumers: the events subscriber and the logs subscriber. */
export const websocketMetrics = {
  consumedMessages: {
    name: 'messaging.client.consumed.messages',
    kind: 'counter',
    unit: '{message}',
  },
  skippedFrames: { name: 'flowcast.websocket.frames.skipped', kind: 'counter', unit: '{frame}' },
  duplicates: { name: 'flowcast.websocket.duplicates', kind: 'counter', unit: '{message}' },
  filtered: { name: 'flowcast.websocket.filtered', kind: 'counter', unit: '{message}' },
  connections: { name: 'flowcast.websocket.connections', kind: 'counter', unit: '{connection}' },
  reconnects: { name: 'flowcast.websocket.reconnects', kind: 'counter', unit: '{reconnect}' },
  stalls: { name: 'flowcast.websocket.stalls', kind: 'counter', unit: '{stall}' },
} as const satisfies Record<string, InstrumentSpec>

/** @internal The metrics of the events emitter. */
export const emitterMetrics = {
  sentMessages: { name: 'messaging.client.sent.messages', kind: 'counter', unit: '{message}' },
  emitterConfirmed: { name: 'flowcast.emitter.confirmed', kind: 'counter', unit: '{event}' },
  emitterResent: { name: 'flowcast.emitter.resent', kind: 'counter', unit: '{event}' },
  emitterOutbox: { name: 'flowcast.emitter.outbox', kind: 'upDownCounter', unit: '{event}' },
  emitterCheckpointDuration: {
    name: 'flowcast.emitter.checkpoint.duration',
    kind: 'histogram',
    unit: 's',
  },
} as const satisfies Record<string, InstrumentSpec>

/** @internal The metrics of REST: the client, the polling sources and the logs client. */
export const httpMetrics = {
  httpDuration: { name: 'http.client.request.duration', kind: 'histogram', unit: 's' },
  httpRetries: { name: 'flowcast.http.retries', kind: 'counter', unit: '{retry}' },
  pollingRuns: { name: 'flowcast.polling.runs', kind: 'histogram', unit: '{flow_run}' },
} as const satisfies Record<string, InstrumentSpec>

/** @internal The metrics of the run watcher (waitForFlowRun). */
export const waitMetrics = {
  waitsActive: { name: 'flowcast.wait.active', kind: 'upDownCounter', unit: '{wait}' },
  waitOutcomes: { name: 'flowcast.wait.outcomes', kind: 'counter', unit: '{wait}' },
  waitDuration: { name: 'flowcast.wait.duration', kind: 'histogram', unit: 's' },
  waitFallbacks: { name: 'flowcast.wait.fallbacks', kind: 'counter', unit: '{fallback}' },
} as const satisfies Record<string, InstrumentSpec>

/** @internal The metrics of the webhook receiver. */
export const webhookMetrics = {
  webhookDeliveries: { name: 'flowcast.webhook.deliveries', kind: 'counter', unit: '{delivery}' },
  webhookDuplicates: { name: 'flowcast.webhook.duplicates', kind: 'counter', unit: '{delivery}' },
} as const satisfies Record<string, InstrumentSpec>

/**
 * Every metric flowcast reports through an {@link Instrumentation}, by the part that reports
 * it. Names and units follow OpenTelemetry semantic conventions where one applies
 * (`messaging.*`, `http.client.*`), otherwise the `flowcast.*` namespace. Their one-line
 * descriptions live in `@flowcast/otel` (`flowcastMetricDescriptions`), which is the only part
 * that needs them, so a browser bundle does not carry them. The table in `@flowcast/otel`'s
 * README lists them with their attributes.
 */
export const flowcastMetrics: Flatten<
  typeof websocketMetrics &
    typeof emitterMetrics &
    typeof httpMetrics &
    typeof waitMetrics &
    typeof webhookMetrics
> = /* @__PURE__ */ Object.assign(
  {},
  websocketMetrics,
  emitterMetrics,
  httpMetrics,
  waitMetrics,
  webhookMetrics,
)

/** @internal The attributes of the WebSocket parts' metrics. */
export const messagingAttributes = {
  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.name',
  messagingDestination: 'messaging.destination.name',
  frameKind: 'flowcast.frame.kind',
  reconnectCause: 'flowcast.reconnect.cause',
} as const

/** @internal The attributes of the run watcher's metrics and spans. */
export const waitAttributes = {
  waitOutcome: 'flowcast.wait.outcome',
  waitSource: 'flowcast.wait.source',
  fallbackDirection: 'flowcast.wait.fallback.direction',
  flowRunId: 'flowcast.flow_run.id',
  stateType: 'flowcast.flow_run.state.type',
  stateName: 'flowcast.flow_run.state.name',
} as const

/** @internal The attributes of REST metrics and spans, and of the webhook receiver's. */
export const httpAttributes = {
  httpMethod: 'http.request.method',
  httpStatus: 'http.response.status_code',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  urlFull: 'url.full',
  urlTemplate: 'url.template',
  resendCount: 'http.request.resend_count',
  webhookOutcome: 'flowcast.webhook.outcome',
} as const

/** Attribute names flowcast puts on its metrics and spans. */
export const flowcastAttributes: Flatten<
  typeof messagingAttributes & typeof waitAttributes & typeof httpAttributes
> = /* @__PURE__ */ Object.assign({}, messagingAttributes, waitAttributes, httpAttributes)

/** The span of one wait for a flow run. */
export const waitSpanName = 'flowcast.wait_for_flow_run'
