// Helpers the flowcast packages share. Not public API: no semver promise, may change in any
// release. Import from `@flowcast/core/internal`.
export { notifyListeners } from './listeners.js'
export {
  acceptsNumber,
  atLeastOr,
  describeNumberRule,
  nonNegativeOr,
  numberOption,
  positiveOr,
} from './numbers.js'
export type { NumberRule } from './numbers.js'
export {
  emitterMetrics,
  httpAttributes,
  httpMetrics,
  messagingAttributes,
  waitAttributes,
  waitMetrics,
  webhookMetrics,
  websocketMetrics,
} from '../metrics.js'
export { instrumentsOf } from '../instrumentation.js'
export type { PartInstruments } from '../instrumentation.js'
export type { HttpAttemptTrace, HttpInstruments } from '../instruments/http.js'
export type { WaitInstruments } from '../instruments/wait.js'
export type { WebhookAnswer } from '../instruments/webhook.js'
export type {
  ConnectionInstruments,
  ConsumerInstruments,
  EmitterInstruments,
  SocketDestination,
} from '../instruments/websocket.js'
export { createUuidDedupeWindow } from '../dedupe-uuid.js'
