import {
  compareDateTimes,
  type FlowRunStateObservation,
  type PushRunStateSource,
  type RunStateSourceHealth,
} from '@flowcast/core'
import type { WebhookReceiver } from './receiver.js'

/** Options of {@link createWebhookRunStateSource}. */
export interface WebhookRunStateSourceOptions {
  /** The receiver whose deliveries (and fanned-out deliveries of other instances) are used. */
  receiver: Pick<WebhookReceiver, 'observe'>
  /**
   * The latest state of this many recently delivered flow runs is remembered, so a wait that
   * starts after its run's delivery still resolves at once.
   * @default 10_000
   */
  maxRememberedRuns?: number
}

/** Defaults of {@link WebhookRunStateSourceOptions}. */
export const webhookRunStateSourceDefaults = { maxRememberedRuns: 10_000 } as const

/** A push run-state source fed by webhook deliveries. */
export interface WebhookRunStateSource extends PushRunStateSource {
  /** Stops observing the receiver; listeners get nothing more. Idempotent. */
  close(): void
}

/**
 * A run-state source over a receiver, for `createRunWatcher` / `waitForFlowRun`: states
 * reach waiters as soon as a delivery is claimed (here or, with a fan-out, on another
 * instance), before user handlers run. Pair it with a polling `pull` source as a safety net
 * (Prefect does not retry a failed webhook call): subscribe first, then read.
 *
 * The source is `healthy` from the start: a receiver has no connection to lose.
 *
 * @example
 * ```ts
 * const watcher = createRunWatcher({
 *   sources: { push: createWebhookRunStateSource({ receiver }), pull: polling },
 * })
 * const result = await watcher.wait(flowRunId, { timeoutMs: 600_000 })
 * ```
 */
export function createWebhookRunStateSource(
  options: WebhookRunStateSourceOptions,
): WebhookRunStateSource {
  const maxRemembered = options.maxRememberedRuns ?? webhookRunStateSourceDefaults.maxRememberedRuns
  const latest = new Map<string, FlowRunStateObservation>()
  const listeners = new Map<string, Set<(observation: FlowRunStateObservation) => void>>()
  let closed = false

  const stop = options.receiver.observe((delivery) => {
    const observation = delivery.flowRun
    if (!observation || closed) return
    const known = latest.get(observation.flowRunId)
    if (!known || compareDateTimes(observation.timestamp, known.timestamp) >= 0) {
      latest.delete(observation.flowRunId)
      latest.set(observation.flowRunId, observation)
      if (latest.size > maxRemembered) latest.delete(latest.keys().next().value!)
    }
    for (const listener of [...(listeners.get(observation.flowRunId) ?? [])]) listener(observation)
  })

  return {
    name: 'webhook',
    health: 'healthy' satisfies RunStateSourceHealth,
    lastError: undefined,
    onHealthChange: () => () => {},
    watch(flowRunId, listener) {
      let set = listeners.get(flowRunId)
      if (!set) listeners.set(flowRunId, (set = new Set()))
      const own = (observation: FlowRunStateObservation) => listener(observation)
      set.add(own)
      const remembered = latest.get(flowRunId)
      // Replayed after `watch` returns, like a backfill, so the caller is set up first.
      if (remembered) queueMicrotask(() => set.has(own) && !closed && own(remembered))
      return () => {
        set.delete(own)
        if (set.size === 0 && listeners.get(flowRunId) === set) listeners.delete(flowRunId)
      }
    },
    close() {
      if (closed) return
      closed = true
      stop()
      listeners.clear()
      latest.clear()
    },
  }
}
