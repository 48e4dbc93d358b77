import type { Logger } from '@flowcast/core'
import type { WebhookReceiver } from '@flowcast/webhook'

/**
 * Your code goes here. Each handler runs once per delivery (the receiver drops repeats);
 * if it throws, Prefect's automation log shows a 500 and a re-post of the same event runs
 * it again.
 */
export function registerHandlers(receiver: WebhookReceiver, logger: Logger): void {
  receiver.onFlowRunTerminal(async ({ flowRun, event }) => {
    logger.info('flow run finished', {
      flowRunId: flowRun.flowRunId,
      stateType: flowRun.type,
      stateName: flowRun.name,
      flowRunName: event.resource['prefect.resource.name'] ?? null,
    })
    // e.g. await notifyTeam(flowRun), await markJobDone(flowRun.flowRunId)
  })
}
