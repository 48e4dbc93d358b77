// Receiver
export { createWebhookReceiver, webhookReceiverDefaults } from './receiver.js'
export type { WebhookHandler, WebhookReceiver, WebhookReceiverOptions } from './receiver.js'
export type {
  TerminalFlowRunDelivery,
  WebhookBody,
  WebhookBodyLimits,
  WebhookDelivery,
  WebhookOutcome,
  WebhookRequest,
  WebhookResponse,
} from './types.js'

// Automation templates and parsing
export { eventTemplate, eventWithAutomationTemplate, parseDelivery } from './parse.js'
export type { DeliveryParseFailure } from './parse.js'

// Verification
export { signWebhook } from './verify.js'

// Idempotency and fan-out
export { createMemoryIdempotencyStore, memoryIdempotencyStoreDefaults } from './store.js'
export type { ClaimResult, IdempotencyStore, MemoryIdempotencyStoreOptions } from './store.js'
export type { DeliveryFanout } from './fanout.js'

// Run-state source
export { createWebhookRunStateSource, webhookRunStateSourceDefaults } from './run-state-source.js'
export type { WebhookRunStateSource, WebhookRunStateSourceOptions } from './run-state-source.js'
