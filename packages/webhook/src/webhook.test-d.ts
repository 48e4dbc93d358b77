import { expectTypeOf, test } from 'vitest'
import type { FlowRunStateObservation, ReceivedEvent } from '@flowcast/core'
import { createWebhookReceiver } from './index.js'

test('handlers get typed deliveries; terminal handlers get a terminal state type', () => {
  const receiver = createWebhookReceiver()
  receiver.onDelivery((delivery) => {
    expectTypeOf(delivery.event).toEqualTypeOf<ReceivedEvent>()
    expectTypeOf(delivery.flowRun).toEqualTypeOf<FlowRunStateObservation | null>()
  })
  receiver.onFlowRunTerminal((delivery) => {
    expectTypeOf(delivery.flowRun.type).toEqualTypeOf<
      'COMPLETED' | 'FAILED' | 'CRASHED' | 'CANCELLED'
    >()
  })
})
