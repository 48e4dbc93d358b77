import { describe, expect, it } from 'vitest'
import { createManualClock } from './clock.js'
import { isFlowcastError } from './errors.js'
import { createInstrumentation, noopInstrumentation } from './index.js'
import type {
  Instrumentation,
  InstrumentationAttributes,
  InstrumentationBackend,
  InstrumentSpec,
} from './instrumentation.js'
import { instrumentsOf } from './internal/index.js'
import { createRunWatcher } from './wait/run-watcher.js'
import type { PushRunStateSource } from './wait/types.js'

/** A backend that keeps every measurement and span, for asserting on. */
function recordingBackend() {
  const measured: Array<{ name: string; value: number; attributes?: InstrumentationAttributes }> =
    []
  const spans: Array<{ name: string; attributes: Record<string, unknown>; ended: boolean }> = []
  const asked: InstrumentSpec[] = []
  const backend: InstrumentationBackend = {
    counter(spec) {
      asked.push(spec)
      return {
        add: (value, attributes) =>
          measured.push({ name: spec.name, value, ...(attributes ? { attributes } : {}) }),
      }
    },
    histogram(spec) {
      asked.push(spec)
      return {
        record: (value, attributes) =>
          measured.push({ name: spec.name, value, ...(attributes ? { attributes } : {}) }),
      }
    },
    startSpan(name, options) {
      const span = { name, attributes: { ...options?.attributes }, ended: false }
      spans.push(span)
      return {
        setAttribute: (key, value) => void (span.attributes[key] = value),
        inject: (headers) => void (headers.traceparent = 'set'),
        end: () => void (span.ended = true),
      }
    },
  }
  return { backend, measured, spans, asked }
}

function caught(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected a throw')
}

describe('createInstrumentation', () => {
  it('reports through the backend it wraps', () => {
    const { backend, measured, spans } = recordingBackend()
    const instrumentation = createInstrumentation(backend)
    instrumentation.counter({ name: 'app.custom', kind: 'counter', unit: '{x}' }).add(2)
    instrumentation.startSpan('app.span').end()
    expect(measured).toEqual([{ name: 'app.custom', value: 2 }])
    expect(spans).toEqual([{ name: 'app.span', attributes: {}, ended: true }])
  })

  it("carries each part's helpers, which report the parts' metrics through the backend", () => {
    const { backend, measured, asked } = recordingBackend()
    const instruments = instrumentsOf(createInstrumentation(backend), '@flowcast/core')
    expect(instruments).toBeDefined()
    const consumer = instruments!.consumer('events/out')
    consumer.connected()
    consumer.delivered(3)
    instruments!.pollingRuns().record(7)
    instruments!.webhook()({ status: 202, outcome: 'accepted' })
    expect(measured).toEqual([
      {
        name: 'flowcast.websocket.connections',
        value: 1,
        attributes: { 'messaging.destination.name': 'events/out' },
      },
      {
        name: 'messaging.client.consumed.messages',
        value: 3,
        attributes: {
          'messaging.system': 'prefect',
          'messaging.operation.name': 'receive',
          'messaging.destination.name': 'events/out',
        },
      },
      { name: 'flowcast.polling.runs', value: 7 },
      {
        name: 'flowcast.webhook.deliveries',
        value: 1,
        attributes: { 'http.response.status_code': 202, 'flowcast.webhook.outcome': 'accepted' },
      },
    ])
    // Instruments are asked for when a part's helpers are made, never per report.
    expect(asked.map((spec) => spec.name)).toContain('flowcast.websocket.stalls')
  })

  it('makes the no-op instrumentation a usable Instrumentation', () => {
    const instruments = instrumentsOf(noopInstrumentation, '@flowcast/core')
    expect(() => instruments!.emitter().sent(true)).not.toThrow()
  })
})

describe('instrumentsOf', () => {
  it('creates nothing without instrumentation', () => {
    expect(instrumentsOf(undefined, '@flowcast/core')).toBeUndefined()
  })

  it('refuses a bare backend, naming the part and the fix', () => {
    const { backend } = recordingBackend()
    const error = caught(() =>
      instrumentsOf(backend as unknown as Instrumentation, '@flowcast/websocket'),
    )
    expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
    expect((error as Error).message).toBe(
      '[@flowcast/websocket] invalid instrumentation: a bare instrumentation backend; wrap it: createInstrumentation(backend) from @flowcast/core',
    )
  })

  it('refuses a value that is no instrumentation at all', () => {
    const error = caught(() => instrumentsOf('otel' as unknown as Instrumentation, 'x'))
    expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
    expect((error as Error).message).toMatch(/not an Instrumentation; wrap it/)
  })

  it('refuses a bare backend when the run watcher is created, and records waits otherwise', async () => {
    const { backend, measured, spans } = recordingBackend()
    const push: PushRunStateSource = {
      name: 'websocket',
      health: 'healthy',
      lastError: undefined,
      watch: () => () => {},
      onHealthChange: () => () => {},
    }
    expect(() =>
      createRunWatcher({
        sources: { push },
        instrumentation: backend as unknown as Instrumentation,
      }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))

    const clock = createManualClock()
    const watcher = createRunWatcher({
      sources: { push },
      clock,
      instrumentation: createInstrumentation(backend),
    })
    const controller = new AbortController()
    const pending = watcher.wait('0195f0d2-7a3c-7c2e-9f51-3a1b2c3d4e5f', {
      signal: controller.signal,
    })
    controller.abort()
    expect((await pending).outcome).toBe('aborted')
    watcher.close()
    expect(spans.map((span) => [span.name, span.ended])).toEqual([
      ['flowcast.wait_for_flow_run', true],
    ])
    expect(measured.filter((m) => m.name === 'flowcast.wait.outcomes')).toEqual([
      {
        name: 'flowcast.wait.outcomes',
        value: 1,
        attributes: { 'flowcast.wait.outcome': 'aborted', 'flowcast.wait.source': 'none' },
      },
    ])
  })
})
