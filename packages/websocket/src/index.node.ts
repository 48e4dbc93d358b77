// The Node entry (export condition `node`): the same API as ./index.ts, with `ws` as the
// default WebSocket. `ws` offers what Prefect's protocol needs and browsers lack: protocol
// pings (stall watchdog, emitter checkpoints), upgrade headers (Authorization), the HTTP
// status of a refused upgrade, and a frame-size limit.
import WebSocket from 'ws'
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
import type { WebSocketConstructorLike } from './socket.js'
import {
  EventsSubscriberImpl,
  type EventsSubscriber,
  type EventsSubscriberOptions,
} from './subscriber.js'

const nodeWebSocket = WebSocket as unknown as WebSocketConstructorLike

/**
 * Subscribes to Prefect's event stream (`/events/out`): an async iterable of every matching
 * event, exactly once, that survives drops (resume + dedupe), control frames (skipped and
 * counted) and fails fast on rejected credentials (`AUTH_REJECTED`, never retried).
 * Connects at once. Uses `ws` unless `options.WebSocket` is given.
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
  return new EventsSubscriberImpl(options, nodeWebSocket)
}

/**
 * Emits events to Prefect over `/events/in`, confirming them with ping/pong checkpoints and
 * resending unconfirmed ones after a reconnect. Connects on the first `emit`. Uses `ws`
 * unless `options.WebSocket` is given.
 *
 * @example
 * ```ts
 * const emitter = createEventsEmitter({ apiUrl: 'http://127.0.0.1:4200/api' })
 * emitter.emit({ event: 'shop.order.paid', resource: { 'prefect.resource.id': 'shop.order.42' } })
 * await emitter.close() // resolves once the server has confirmed every event
 * ```
 */
export function createEventsEmitter(options: EventsEmitterOptions): EventsEmitter {
  return new EventsEmitterImpl(options, nodeWebSocket)
}

/**
 * The WebSocket run-state source for core's waiter: one shared `/events/out` subscription
 * (`prefect.flow-run.*`, replaying at most 60 s before the first watch) demultiplexed by
 * flow run id, so one socket serves any number of concurrent waits. Uses `ws` unless
 * `options.WebSocket` is given.
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
  return new WebSocketRunStateSourceImpl(options, nodeWebSocket)
}

/**
 * Subscribes to Prefect's live logs (`/logs/out`), each once, across drops. Uses `ws` unless
 * `options.WebSocket` is given. Live only: read `POST /logs/filter` too.
 *
 * @example
 * ```ts
 * const subscriber = createLogsSubscriber({ apiUrl, filter: { flow_run_id: { any_: [id] } } })
 * for await (const log of subscriber) console.log(log.level, log.message)
 * ```
 */
export function createLogsSubscriber(options: LogsSubscriberOptions): LogsSubscriber {
  return new LogsSubscriberImpl(options, nodeWebSocket)
}

/**
 * The WebSocket logs source for `followFlowRun` (one `/logs/out` subscription per watched
 * run). Uses `ws` unless `options.WebSocket` is given.
 *
 * @example
 * ```ts
 * const push = createWebSocketLogsSource({ apiUrl })
 * ```
 */
export function createWebSocketLogsSource(
  options: WebSocketLogsSourceOptions,
): WebSocketLogsSource {
  return createWebSocketLogsSourceWith(options, nodeWebSocket)
}

export {
  logsSubscriberDefaults,
  eventsSocketUrl,
  reconnectDefaults,
  minimumMaxPayloadBytes,
  subscriberDefaults,
  emitterDefaults,
  runStateSourceDefaults,
} from './index.js'

export type {
  ConnectionState,
  ReconnectOptions,
  WebSocketConstructorLike,
  WebSocketLike,
  EventsScope,
  EventsSocketDirection,
  EventsSocketUrlOptions,
  EventsSubscriber,
  EventsSubscriberOptions,
  EventsSubscriberStats,
  SkippedFrameKind,
  EmitterState,
  EventsEmitter,
  EventsEmitterOptions,
  EventsEmitterStats,
  FlushOptions,
  WebSocketRunStateSource,
  WebSocketRunStateSourceOptions,
  LogsSubscriber,
  LogsSubscriberOptions,
  LogsSubscriberStats,
  SkippedLogsFrameKind,
  WebSocketLogsSource,
  WebSocketLogsSourceOptions,
} from './index.js'
