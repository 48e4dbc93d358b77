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
export { createUuidDedupeWindow } from '../dedupe-uuid.js'
