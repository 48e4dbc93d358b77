import { EventsEmitterImpl, type EventsEmitter } from './emitter.js'
import type { EventsEmitterOptions } from './emitter-options.js'
import {
  WebSocketRunStateSourceImpl,
  type WebSocketRunStateSource,
  type WebSocketRunStateSourceOptions,
} from './run-state-source.js'
import {
  LogsSubscriberImpl,
  createWebSocketLogsSourceWith,
  type LogsSubscriber,
  type LogsSubscriberOptions,
  type WebSocketLogsSource,
  type WebSocketLogsSourceOptions,
} from './logs-subscriber.js'
import {
  EventsSubscriberImpl,
  type EventsSubscriber,
  type EventsSubscriberOptions,
} from './subscriber.js'

import { defaultWebSocket } from './default-socket.js'

/**
 * Subscribes to Prefect's event stream (`/events/out`): an async iterable of every matching
 * event, exactly once, that survives drops (resume + dedupe), control frames (skipped and
 * counted) and fails fast on rejected credentials (`AUTH_REJECTED`, never retried).
 * Connects at once. Uses `options.WebSocket`, else `ws` under Node and the global
 * `WebSocket` elsewhere (the package's `node` export condition selects the `ws` default).
 * Throws `INVALID_OPTIONS` / `INVALID_FILTER` at once for bad options.
 *
 * @example
 * ```ts
 * const subscriber = createEventsSubscriber({
 *   apiUrl: 'http://127.0.0.1:4200/api',
 *   filter: { event: { prefix: ['prefect.flow-run.'] } },
 * })
 * for await (const event of subscriber) console.log(event.event, event.resource['prefect.resource.id'])
 * ```
 */
export function createEventsSubscriber(options: EventsSubscriberOptions): EventsSubscriber {
  return new EventsSubscriberImpl(options, defaultWebSocket())
}

/**
 * Emits events to Prefect over `/events/in`, confirming them with ping/pong checkpoints and
 * resending unconfirmed ones after a reconnect. Connects on the first `emit`. Uses
 * `options.WebSocket`, else `ws` under Node and the global `WebSocket` elsewhere.
 *
 * @example
 * ```ts
 * const emitter = createEventsEmitter({ apiUrl: 'http://127.0.0.1:4200/api' })
 * emitter.emit({ event: 'shop.order.paid', resource: { 'prefect.resource.id': 'shop.order.42' } })
 * await emitter.close() // resolves once the server has confirmed every event
 * ```
 */
export function createEventsEmitter(options: EventsEmitterOptions): EventsEmitter {
  return new EventsEmitterImpl(options, defaultWebSocket())
}

/**
 * The WebSocket run-state source for core's waiter: one shared `/events/out` subscription
 * (`prefect.flow-run.*`, replaying at most 60 s before the first watch) demultiplexed by
 * flow run id, so one socket serves any number of concurrent waits. Uses
 * `options.WebSocket`, else `ws` under Node and the global `WebSocket` elsewhere.
 *
 * @example
 * ```ts
 * const source = createWebSocketRunStateSource({ apiUrl, apiKey })
 * const stop = source.watch(flowRunId, (state) => console.log(state.type, state.name))
 * ```
 */
export function createWebSocketRunStateSource(
  options: WebSocketRunStateSourceOptions,
): WebSocketRunStateSource {
  return new WebSocketRunStateSourceImpl(options, defaultWebSocket())
}

/**
 * Subscribes to Prefect's live logs (`/logs/out`): an async iterable of every matching log,
 * each once, that survives drops (reconnect + dedupe by id) and skips non-log frames. Live
 * only — a default OSS server streams nothing — so read `POST /logs/filter` as well (the
 * `followFlowRun` of `@flowcast/core` does both). Uses `options.WebSocket`, else `ws` under
 * Node and the global `WebSocket` elsewhere.
 *
 * @example
 * ```ts
 * const subscriber = createLogsSubscriber({ apiUrl, filter: { flow_run_id: { any_: [id] } } })
 * for await (const log of subscriber) console.log(log.level, log.message)
 * ```
 */
export function createLogsSubscriber(options: LogsSubscriberOptions): LogsSubscriber {
  return new LogsSubscriberImpl(options, defaultWebSocket())
}

/**
 * The WebSocket logs source for `followFlowRun`: one `/logs/out` subscription per watched run.
 * Uses `options.WebSocket`, else `ws` under Node and the global `WebSocket` elsewhere.
 *
 * @example
 * ```ts
 * const push = createWebSocketLogsSource({ apiUrl })
 * followFlowRun(flowRunId, { sources, logs: { push, pull } })
 * ```
 */
export function createWebSocketLogsSource(
  options: WebSocketLogsSourceOptions,
): WebSocketLogsSource {
  return createWebSocketLogsSourceWith(options, defaultWebSocket())
}

export { eventsSocketUrl } from './urls.js'
export { logsSubscriberDefaults } from './logs-subscriber.js'
export { reconnectDefaults, reconnectTestProfile, minimumMaxPayloadBytes } from './options.js'
export { subscriberDefaults, subscriberTestProfile } from './subscriber.js'
export { emitterDefaults, emitterTestProfile } from './emitter-options.js'
export { runStateSourceDefaults, runStateSourceTestProfile } from './run-state-source.js'

export type { ConnectionState } from './connection.js'
export type { ReconnectOptions } from './options.js'
export type { WebSocketConstructorLike, WebSocketLike } from './socket.js'
export type { EventsScope, EventsSocketDirection, EventsSocketUrlOptions } from './urls.js'
export type {
  EventsSubscriber,
  EventsSubscriberOptions,
  EventsSubscriberStats,
  SkippedFrameKind,
} from './subscriber.js'
export type { SubscriberSocketOptions } from './subscriber-options.js'
export type { EmitterState, EventsEmitter } from './emitter.js'
export type { EventsEmitterOptions, EventsEmitterStats, FlushOptions } from './emitter-options.js'
export type { WebSocketRunStateSource, WebSocketRunStateSourceOptions } from './run-state-source.js'
export type {
  LogsSubscriber,
  LogsSubscriberOptions,
  LogsSubscriberStats,
  SkippedLogsFrameKind,
  WebSocketLogsSource,
  WebSocketLogsSourceOptions,
} from './logs-subscriber.js'
