import {
  partInstruments,
  type CounterInstrument,
  type HistogramInstrument,
  type Instrumentation,
  type InstrumentationBackend,
  type InstrumentationSpan,
} from '../instrumentation.js'
import { httpMetrics } from '../metrics.js'
import { HttpInstruments } from './http.js'
import { createWaitInstruments } from './wait.js'
import { createWebhookInstruments } from './webhook.js'
import { ConsumerInstruments, EmitterInstruments } from './websocket.js'

/**
 * Wraps an {@link InstrumentationBackend} into the {@link Instrumentation} flowcast parts take:
 * the backend plus the code that turns each part's reports (frames, deliveries, requests,
 * waits, webhook deliveries) into its metrics and spans. That code is only bundled by a
 * program that calls this, so a browser app without instrumentation does not carry it.
 * `@flowcast/otel`'s `createOpenTelemetryInstrumentation()` returns one already.
 *
 * @example
 * ```ts
 * import { createInstrumentation } from '@flowcast/core'
 * const instrumentation = createInstrumentation(myBackend)
 * const flowcast = createFlowcast({ instrumentation })
 * ```
 */
export function createInstrumentation(backend: InstrumentationBackend): Instrumentation {
  const instrumentation: Instrumentation = {
    counter: (spec) => backend.counter(spec),
    histogram: (spec) => backend.histogram(spec),
    startSpan: (name, options) => backend.startSpan(name, options),
    [partInstruments]: {
      consumer: (destination) => new ConsumerInstruments(instrumentation, destination),
      emitter: () => new EmitterInstruments(instrumentation),
      http: (apiUrl, now) => new HttpInstruments(instrumentation, apiUrl, now),
      pollingRuns: () => instrumentation.histogram(httpMetrics.pollingRuns),
      wait: () => createWaitInstruments(instrumentation),
      webhook: () => createWebhookInstruments(instrumentation),
    },
  }
  return instrumentation
}

const noopCounter: CounterInstrument = { add() {} }
const noopHistogram: HistogramInstrument = { record() {} }
const noopSpan: InstrumentationSpan = { setAttribute() {}, inject() {}, end() {} }

/**
 * An {@link Instrumentation} that records nothing. Passing it is the same as passing none,
 * except that parts create (no-op) instruments.
 */
export const noopInstrumentation: Instrumentation = /* @__PURE__ */ createInstrumentation({
  counter: () => noopCounter,
  histogram: () => noopHistogram,
  startSpan: () => noopSpan,
})
