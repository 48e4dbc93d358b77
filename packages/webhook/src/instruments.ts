import type { Instrumentation, InstrumentationAttributes } from '@flowcast/core'
import { httpAttributes as a, webhookMetrics as m } from '@flowcast/core/internal'
import type { WebhookResponse } from './types.js'

/**
 * @internal Records each answered request: `flowcast.webhook.deliveries` by status and
 * outcome, `flowcast.webhook.duplicates` for deliveries already handled or in progress.
 */
export function createWebhookInstruments(
  instrumentation: Instrumentation,
): (response: WebhookResponse) => void {
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
