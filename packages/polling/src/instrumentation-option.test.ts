import {
  createInstrumentation,
  isFlowcastError,
  type Instrumentation,
  type InstrumentationBackend,
} from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { createLogsClient, createPollingRunStateSource, createPrefectClient } from './index.js'

const apiUrl = 'http://127.0.0.1:4200/api'

function backend(histograms: string[] = []): InstrumentationBackend {
  return {
    counter: () => ({ add() {} }),
    histogram: (spec) => {
      histograms.push(spec.name)
      return { record() {} }
    },
    startSpan: () => ({ setAttribute() {}, inject() {}, end() {} }),
  }
}

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('the instrumentation option of the REST parts', () => {
  const bare = backend() as unknown as Instrumentation
  const client = createPrefectClient({ apiUrl })

  it.each([
    ['REST client', () => createPrefectClient({ apiUrl, instrumentation: bare })],
    ['logs client', () => createLogsClient({ apiUrl, instrumentation: bare })],
    ['polling source', () => createPollingRunStateSource({ client, instrumentation: bare })],
  ])('the %s refuses a bare backend at creation, naming the fix', (_, create) => {
    const error = caught(create)
    expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
    expect((error as Error).message).toMatch(
      /^\[@flowcast\/polling\] invalid instrumentation: .*wrap it: createInstrumentation\(backend\) from @flowcast\/core$/,
    )
  })

  it('creates its instruments from a backend wrapped by createInstrumentation', () => {
    const histograms: string[] = []
    const instrumentation = createInstrumentation(backend(histograms))
    createPrefectClient({ apiUrl, instrumentation })
    createPollingRunStateSource({ client, instrumentation }).close()
    expect(histograms).toEqual(['http.client.request.duration', 'flowcast.polling.runs'])
  })
})
