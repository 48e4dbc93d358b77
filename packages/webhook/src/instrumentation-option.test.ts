import {
  createInstrumentation,
  isFlowcastError,
  type Instrumentation,
  type InstrumentationBackend,
} from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { createWebhookReceiver } from './receiver.js'

function backend(counters: string[] = []): InstrumentationBackend {
  return {
    counter: (spec) => {
      counters.push(spec.name)
      return { add() {} }
    },
    histogram: () => ({ record() {} }),
    startSpan: () => ({ setAttribute() {}, inject() {}, end() {} }),
  }
}

describe('the instrumentation option of the webhook receiver', () => {
  it('refuses a bare backend at creation, naming the fix', () => {
    let error: unknown
    try {
      createWebhookReceiver({ instrumentation: backend() as unknown as Instrumentation })
    } catch (thrown) {
      error = thrown
    }
    expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
    expect((error as Error).message).toBe(
      '[@flowcast/webhook] invalid instrumentation: a bare instrumentation backend; wrap it: createInstrumentation(backend) from @flowcast/core',
    )
  })

  it('creates its instruments from a backend wrapped by createInstrumentation', () => {
    const counters: string[] = []
    createWebhookReceiver({ instrumentation: createInstrumentation(backend(counters)) })
    expect(counters).toEqual(['flowcast.webhook.deliveries', 'flowcast.webhook.duplicates'])
  })
})
