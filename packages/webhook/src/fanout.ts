import type { WebhookDelivery } from './types.js'

/**
 * Shares claimed deliveries between receiver instances, so a waiter on one instance hears
 * about a delivery that reached another. `createRedisFanout` from `@flowcast/webhook/redis`
 * implements it on Redis pub/sub.
 */
export interface DeliveryFanout {
  /** Tells the other instances about a delivery this instance claimed. */
  publish(delivery: WebhookDelivery): Promise<void>
  /**
   * Calls `listener` with each delivery another instance published. Returns a function that
   * removes it.
   */
  subscribe(listener: (delivery: WebhookDelivery) => void): () => void
}
