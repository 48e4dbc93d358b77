import type { InstrumentationAttributes, InstrumentationBackend } from '../instrumentation.js'
import { httpAttributes as a, webhookMetrics as m } from '../metrics.js'

/** @internal What the webhook receiver answered to one request. */
export interface WebhookAnswer {
  /** The HTTP status answered. */
  readonly status: number
  /** What became of the delivery (`accepted`, `duplicate`, `in_progress`, …). */
  readonly outcome: string
}

/**
 * @internal Records each answered request: `flowcast.webhook.deliveries` by status and
 * outcome, `flowcast.webhook.duplicates` for deliveries already handled or in progress.
 */
export function createWebhookInstruments(
  instrumentation: InstrumentationBackend,
): (response: WebhookAnswer) => void {
  const deliveries = instrumentation.counter(m.webhookDeliveries)
  const duplicates = instrumentation.counter(m.webhookDuplicates)
  const byAnswer = new Map<string, InstrumentationAttributes>()
  return (response) => {
    const key = `${response.status} ${response.outcome}`
    let attributes = byAnswer.get(key)
    if (!attributes) {
      attributes = { [a.httpStatus]: response.status, [a.webhookOutcome]: response.outcome }
      byAnswer.set(key, attributes)
    }
    deliveries.add(1, attributes)
    if (response.outcome === 'duplicate' || response.outcome === 'in_progress') {
      duplicates.add(1, attributes)
    }
  }
}
