import {
  SpanKind,
  SpanStatusCode,
  context,
  metrics,
  propagation,
  trace,
  type Attributes,
  type Meter,
  type MeterProvider,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api'
import {
  createInstrumentation,
  type CounterInstrument,
  type HistogramInstrument,
  type InstrumentSpec,
  type Instrumentation,
  type InstrumentationAttributes,
  type InstrumentationSpan,
  type InstrumentationSpanOptions,
} from '@flowcast/core'
import { flowcastMetricDescriptions } from './descriptions.js'

/** The instrumentation scope name flowcast's meter and tracer use. */
export const instrumentationScope = '@flowcast/otel'

/** Options of {@link createOpenTelemetryInstrumentation}. */
export interface OpenTelemetryInstrumentationOptions {
  /**
   * Where the meter comes from.
   * @default the global meter provider (`metrics.getMeterProvider()`), looked up at creation
   */
  meterProvider?: MeterProvider | undefined
  /**
   * Where the tracer comes from.
   * @default the global tracer provider (`trace.getTracerProvider()`), looked up at creation
   */
  tracerProvider?: TracerProvider | undefined
  /**
   * The version recorded on the instrumentation scope.
   * @default undefined
   */
  version?: string | undefined
  /**
   * Bucket boundaries of the histograms measured in seconds (`http.client.request.duration`,
   * `flowcast.wait.duration`, `flowcast.emitter.checkpoint.duration`), as advice to the SDK.
   * @default the HTTP semantic conventions' boundaries, 5 ms to 10 s, plus 30 s, 1 min, 5 min and 15 min
   */
  secondsBuckets?: readonly number[] | undefined
}

/** The defaults of {@link OpenTelemetryInstrumentationOptions}. */
export const openTelemetryInstrumentationDefaults = {
  secondsBuckets: [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 300, 900,
  ],
} as const

/**
 * A running total per attribute set, reported by an observable instrument at each collection.
 * Counting on the hot path is then one lookup and one addition; the SDK's attribute hashing
 * happens once per collection instead of once per event.
 */
class Totals {
  readonly #byIdentity = new WeakMap<object, { value: number }>()
  readonly #byKey = new Map<string, { value: number; attributes: Attributes }>()
  #plain = 0
  #plainUsed = false
  // The attribute set used last: a stream adds with the same one over and over.
  #lastAttributes: object | undefined
  #lastSlot: { value: number } | undefined

  add(value: number, attributes: InstrumentationAttributes | undefined): void {
    if (attributes === undefined) {
      this.#plain += value
      this.#plainUsed = true
      return
    }
    if (attributes === this.#lastAttributes) {
      this.#lastSlot!.value += value
      return
    }
    let slot = this.#byIdentity.get(attributes)
    if (!slot) {
      // Equal attribute sets passed as different objects share one total.
      const key = JSON.stringify(Object.entries(attributes).sort(([x], [y]) => (x < y ? -1 : 1)))
      let entry = this.#byKey.get(key)
      if (!entry) {
        entry = { value: 0, attributes: { ...attributes } }
        this.#byKey.set(key, entry)
      }
      slot = entry
      this.#byIdentity.set(attributes, slot)
    }
    this.#lastAttributes = attributes
    this.#lastSlot = slot
    slot.value += value
  }

  report(observe: (value: number, attributes?: Attributes) => void): void {
    if (this.#plainUsed) observe(this.#plain)
    for (const entry of this.#byKey.values()) observe(entry.value, entry.attributes)
  }
}

/** A spec's own description, else flowcast's for that metric name (core's specs carry none). */
const describe = (spec: InstrumentSpec): string | undefined =>
  spec.description ?? flowcastMetricDescriptions[spec.name]

function spanFor(tracer: Tracer, name: string, options: InstrumentationSpanOptions = {}) {
  // Under the caller's active span (context.active()), as any OpenTelemetry instrumentation.
  const span: Span = tracer.startSpan(
    name,
    {
      kind: options.kind === 'client' ? SpanKind.CLIENT : SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: { ...options.attributes } } : {}),
    },
    context.active(),
  )
  const handle: InstrumentationSpan = {
    setAttribute(key, value) {
      span.setAttribute(key, value)
    },
    inject(headers) {
      // The global propagator (W3C trace context once an SDK registers one) writes
      // `traceparent`; with none registered this does nothing.
      propagation.inject(trace.setSpan(context.active(), span), headers)
    },
    end(status) {
      if (status?.error !== undefined) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          ...(status.message ? { message: status.message } : {}),
        })
      }
      span.end()
    },
  }
  return handle
}

/**
 * An `Instrumentation` over `@opentelemetry/api` (made with `createInstrumentation`): flowcast's metrics on one meter, its spans
 * (`flowcast.wait_for_flow_run`, an HTTP client span per REST attempt) on one tracer, and the
 * trace context on every REST request through the global propagator. Only the API is used:
 * register an SDK (Node SDK, web SDK, or your own providers) to export anything.
 *
 * Counters and up-down counters are observable instruments over running totals (cheap to
 * update from a busy socket); histograms are synchronous.
 *
 * @example
 * ```ts
 * import { createFlowcast } from 'flowcast'
 * import { createOpenTelemetryInstrumentation } from '@flowcast/otel'
 *
 * const flowcast = createFlowcast({ instrumentation: createOpenTelemetryInstrumentation() })
 * ```
 */
export function createOpenTelemetryInstrumentation(
  options: OpenTelemetryInstrumentationOptions = {},
): Instrumentation {
  const meterProvider = options.meterProvider ?? metrics.getMeterProvider()
  const tracerProvider = options.tracerProvider ?? trace.getTracerProvider()
  const scopeOptions = options.version === undefined ? undefined : options.version
  const meter: Meter = meterProvider.getMeter(instrumentationScope, scopeOptions)
  const tracer: Tracer = tracerProvider.getTracer(instrumentationScope, scopeOptions)
  const buckets = [
    ...(options.secondsBuckets ?? openTelemetryInstrumentationDefaults.secondsBuckets),
  ]
  const counters = new Map<string, CounterInstrument>()
  const histograms = new Map<string, HistogramInstrument>()

  return createInstrumentation({
    counter(spec: InstrumentSpec): CounterInstrument {
      let counter = counters.get(spec.name)
      if (counter) return counter
      const totals = new Totals()
      const description = { description: describe(spec), unit: spec.unit }
      const observable =
        spec.kind === 'upDownCounter'
          ? meter.createObservableUpDownCounter(spec.name, description)
          : meter.createObservableCounter(spec.name, description)
      observable.addCallback((result) => totals.report((v, attrs) => result.observe(v, attrs)))
      counter = { add: (value, attributes) => totals.add(value, attributes) }
      counters.set(spec.name, counter)
      return counter
    },
    histogram(spec: InstrumentSpec): HistogramInstrument {
      let histogram = histograms.get(spec.name)
      if (histogram) return histogram
      const otel = meter.createHistogram(spec.name, {
        description: describe(spec),
        unit: spec.unit,
        ...(spec.unit === 's' ? { advice: { explicitBucketBoundaries: buckets } } : {}),
      })
      histogram = { record: (value, attributes) => otel.record(value, attributes) }
      histograms.set(spec.name, histogram)
      return histogram
    },
    startSpan(name, spanOptions) {
      return spanFor(tracer, name, spanOptions)
    },
  })
}
