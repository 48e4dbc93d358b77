import type { InstrumentSpec } from './instrumentation.js'

/**
 * Every metric flowcast reports through an {@link Instrumentation}, by the part that reports
 * it. Names and units follow OpenTelemetry semantic conventions where one applies
 * (`messaging.*`, `http.client.*`), otherwise the `flowcast.*` namespace. The table in
 * `@flowcast/otel`'s README lists them with their attributes.
 */
export const flowcastMetrics = {
  // WebSocket consumers: the events subscriber and the logs subscriber.
  consumedMessages: {
    name: 'messaging.client.consumed.messages',
    kind: 'counter',
    unit: '{message}',
    description: 'Events (or logs) delivered to consumers, each once.',
  },
  skippedFrames: {
    name: 'flowcast.websocket.frames.skipped',
    kind: 'counter',
    unit: '{frame}',
    description: 'Frames skipped because they were not events (or logs), by flowcast.frame.kind.',
  },
  duplicates: {
    name: 'flowcast.websocket.duplicates',
    kind: 'counter',
    unit: '{message}',
    description: 'Events (or logs) dropped because their id was already delivered.',
  },
  filtered: {
    name: 'flowcast.websocket.filtered',
    kind: 'counter',
    unit: '{message}',
    description: 'Events (or logs) the server sent that the client-side filter dropped.',
  },
  connections: {
    name: 'flowcast.websocket.connections',
    kind: 'counter',
    unit: '{connection}',
    description: 'Sockets that finished the handshake.',
  },
  reconnects: {
    name: 'flowcast.websocket.reconnects',
    kind: 'counter',
    unit: '{reconnect}',
    description: 'Connection attempts after the first, by flowcast.reconnect.cause.',
  },
  stalls: {
    name: 'flowcast.websocket.stalls',
    kind: 'counter',
    unit: '{stall}',
    description: 'Times the stall watchdog dropped a silent socket.',
  },
  // The events emitter.
  sentMessages: {
    name: 'messaging.client.sent.messages',
    kind: 'counter',
    unit: '{message}',
    description: 'Events written to the emitter socket (first sends and resends).',
  },
  emitterConfirmed: {
    name: 'flowcast.emitter.confirmed',
    kind: 'counter',
    unit: '{event}',
    description: 'Events the server confirmed having stored (by a checkpoint).',
  },
  emitterResent: {
    name: 'flowcast.emitter.resent',
    kind: 'counter',
    unit: '{event}',
    description: 'Events sent again after a reconnect because they were not confirmed.',
  },
  emitterOutbox: {
    name: 'flowcast.emitter.outbox',
    kind: 'upDownCounter',
    unit: '{event}',
    description: 'Events in the outbox: queued or sent and not confirmed yet.',
  },
  emitterCheckpointDuration: {
    name: 'flowcast.emitter.checkpoint.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Time from sending a checkpoint to its confirmation.',
  },
  // REST (the client, the polling sources, the logs client).
  httpDuration: {
    name: 'http.client.request.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Duration of each HTTP request attempt to the Prefect API.',
  },
  httpRetries: {
    name: 'flowcast.http.retries',
    kind: 'counter',
    unit: '{retry}',
    description:
      'Requests sent again, by the failure that caused it (http.response.status_code or error.type).',
  },
  pollingRuns: {
    name: 'flowcast.polling.runs',
    kind: 'histogram',
    unit: '{flow_run}',
    description: 'Flow runs asked for in each polling read (the batch size).',
  },
  // The run watcher (waitForFlowRun).
  waitsActive: {
    name: 'flowcast.wait.active',
    kind: 'upDownCounter',
    unit: '{wait}',
    description: 'Waits not settled yet.',
  },
  waitOutcomes: {
    name: 'flowcast.wait.outcomes',
    kind: 'counter',
    unit: '{wait}',
    description: 'Settled waits, by flowcast.wait.outcome and flowcast.wait.source.',
  },
  waitDuration: {
    name: 'flowcast.wait.duration',
    kind: 'histogram',
    unit: 's',
    description: 'Time from the start of a wait to its outcome.',
  },
  waitFallbacks: {
    name: 'flowcast.wait.fallbacks',
    kind: 'counter',
    unit: '{fallback}',
    description:
      'Switches of the waiter from push to polling and back, by flowcast.wait.fallback.direction.',
  },
  // The webhook receiver.
  webhookDeliveries: {
    name: 'flowcast.webhook.deliveries',
    kind: 'counter',
    unit: '{delivery}',
    description:
      'Webhook requests answered, by http.response.status_code and flowcast.webhook.outcome.',
  },
  webhookDuplicates: {
    name: 'flowcast.webhook.duplicates',
    kind: 'counter',
    unit: '{delivery}',
    description: 'Deliveries not dispatched because they were already handled or in progress.',
  },
} as const satisfies Record<string, InstrumentSpec>

/** Attribute names flowcast puts on its metrics and spans. */
export const flowcastAttributes = {
  messagingSystem: 'messaging.system',
  messagingOperation: 'messaging.operation.name',
  messagingDestination: 'messaging.destination.name',
  frameKind: 'flowcast.frame.kind',
  reconnectCause: 'flowcast.reconnect.cause',
  waitOutcome: 'flowcast.wait.outcome',
  waitSource: 'flowcast.wait.source',
  fallbackDirection: 'flowcast.wait.fallback.direction',
  flowRunId: 'flowcast.flow_run.id',
  stateType: 'flowcast.flow_run.state.type',
  stateName: 'flowcast.flow_run.state.name',
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

/** The span of one wait for a flow run. */
export const waitSpanName = 'flowcast.wait_for_flow_run'
