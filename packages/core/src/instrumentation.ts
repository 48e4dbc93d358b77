/**
 * Instrumentation hooks: the one small interface every flowcast part reports its metrics and
 * spans through. `@flowcast/otel` implements it over `@opentelemetry/api`; the CLI has an
 * in-memory one for `--verbose`.
 *
 * Zero cost when unused: a part that is given no `instrumentation` creates no instrument and
 * holds `undefined` where the instruments would be, so every report is one skipped optional
 * call. Attribute objects are created once per part (constants), never per event.
 */

/** An attribute value (OpenTelemetry's primitive attribute values). */
export type InstrumentationAttributeValue = string | number | boolean

/** Attributes of a measurement or a span. Pass the same object every time for a given set. */
export type InstrumentationAttributes = Readonly<Record<string, InstrumentationAttributeValue>>

/** What kind of instrument a metric is. */
export type InstrumentKind = 'counter' | 'upDownCounter' | 'histogram'

/** Describes one metric: its name, kind, unit (UCUM) and, optionally, its meaning. */
export interface InstrumentSpec {
  /** The metric name (OpenTelemetry semantic conventions where one applies, else `flowcast.*`). */
  readonly name: string
  /** Counter (only grows), up-down counter (a level) or histogram (a distribution). */
  readonly kind: InstrumentKind
  /** UCUM unit: `s`, or an annotation such as `{message}`. */
  readonly unit: string
  /**
   * One sentence: what is counted or measured. flowcast's own specs (`flowcastMetrics`) leave it
   * out to keep browser bundles small; `@flowcast/otel` looks theirs up by name
   * (`flowcastMetricDescriptions`).
   */
  readonly description?: string
}

/** A counter or up-down counter. */
export interface CounterInstrument {
  /** Adds `value` (a counter only takes values ≥ 0). */
  add(value: number, attributes?: InstrumentationAttributes): void
}

/** A histogram. */
export interface HistogramInstrument {
  /** Records one measurement. */
  record(value: number, attributes?: InstrumentationAttributes): void
}

/** `internal` for work inside the process (a wait), `client` for an outgoing request. */
export type InstrumentationSpanKind = 'internal' | 'client'

/** How a span ended. */
export interface InstrumentationSpanStatus {
  /** Set when the operation failed: a short error type (`TIMEOUT`, `503`, …). */
  readonly error?: string | undefined
  /** A human explanation of the failure (no secrets). */
  readonly message?: string | undefined
}

/** A started span. */
export interface InstrumentationSpan {
  /** Sets an attribute (e.g. the outcome, once known). */
  setAttribute(key: string, value: InstrumentationAttributeValue): void
  /**
   * Writes this span's trace context into outgoing request headers (`traceparent`), through
   * whatever propagator the implementation uses; does nothing when there is none.
   */
  inject(headers: Record<string, string>): void
  /** Ends the span; `status.error` marks it failed. */
  end(status?: InstrumentationSpanStatus): void
}

/** Options of {@link Instrumentation.startSpan}. */
export interface InstrumentationSpanOptions {
  /** @default 'internal' */
  kind?: InstrumentationSpanKind
  /** Attributes known when the span starts. */
  attributes?: InstrumentationAttributes
}

/**
 * Where flowcast reports metrics and spans. Instruments are asked for once per part (when it
 * is created) by their {@link InstrumentSpec}; an implementation should return the same
 * instrument for the same name. Spans start under the caller's current context.
 *
 * @example
 * ```ts
 * import { createOpenTelemetryInstrumentation } from '@flowcast/otel'
 * const flowcast = createFlowcast({ instrumentation: createOpenTelemetryInstrumentation() })
 * ```
 */
export interface Instrumentation {
  /** A counter (`kind: 'counter'`) or an up-down counter (`kind: 'upDownCounter'`). */
  counter(spec: InstrumentSpec): CounterInstrument
  /** A histogram (`kind: 'histogram'`). */
  histogram(spec: InstrumentSpec): HistogramInstrument
  /** Starts a span under the caller's active span, if any. */
  startSpan(name: string, options?: InstrumentationSpanOptions): InstrumentationSpan
}

const noopCounter: CounterInstrument = { add() {} }
const noopHistogram: HistogramInstrument = { record() {} }
const noopSpan: InstrumentationSpan = { setAttribute() {}, inject() {}, end() {} }

/**
 * An {@link Instrumentation} that records nothing. Passing it is the same as passing none,
 * except that parts create (no-op) instruments.
 */
export const noopInstrumentation: Instrumentation = /* @__PURE__ */ Object.freeze({
  counter: () => noopCounter,
  histogram: () => noopHistogram,
  startSpan: () => noopSpan,
})
