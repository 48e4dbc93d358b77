import {
  createInstrumentation,
  createManualClock,
  isFlowcastError,
  type Instrumentation,
  type InstrumentationBackend,
  type InstrumentSpec,
} from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { completeHandshake, createFakeWebSocket } from '../test/helpers/fake-websocket.js'
import { createEventsEmitter, createEventsSubscriber, createLogsSubscriber } from './index.js'

const apiUrl = 'http://127.0.0.1:4200/api'

function backend(asked: string[] = [], added: string[] = []): InstrumentationBackend {
  return {
    counter: (spec: InstrumentSpec) => {
      asked.push(spec.name)
      return { add: () => void added.push(spec.name) }
    },
    histogram: (spec: InstrumentSpec) => {
      asked.push(spec.name)
      return { record: () => {} }
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

describe('the instrumentation option of the WebSocket parts', () => {
  const kit = createFakeWebSocket()
  const base = { apiUrl, WebSocket: kit.WebSocket, signal: AbortSignal.abort() }
  // A hand-written backend passed as it is (the pre-createInstrumentation shape).
  const bare = backend() as unknown as Instrumentation

  it.each([
    ['events subscriber', () => createEventsSubscriber({ ...base, instrumentation: bare })],
    ['logs subscriber', () => createLogsSubscriber({ ...base, instrumentation: bare })],
    ['events emitter', () => createEventsEmitter({ ...base, instrumentation: bare })],
  ])('the %s refuses a bare backend at creation, naming the fix', (_, create) => {
    const error = caught(create)
    expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
    expect((error as Error).message).toMatch(
      /^\[@flowcast\/websocket\] invalid instrumentation: .*wrap it: createInstrumentation\(backend\) from @flowcast\/core$/,
    )
  })

  it('reports through a backend wrapped by createInstrumentation', () => {
    const asked: string[] = []
    const added: string[] = []
    const subscriber = createEventsSubscriber({
      apiUrl,
      WebSocket: kit.WebSocket,
      clock: createManualClock(Date.UTC(2026, 7, 20, 14)),
      instrumentation: createInstrumentation(backend(asked, added)),
    })
    subscriber.onEvent(() => {})
    completeHandshake(kit.last())
    expect(asked).toContain('flowcast.websocket.connections')
    expect(added).toContain('flowcast.websocket.connections')
    subscriber.close()
  })
})
