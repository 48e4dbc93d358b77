import { FlowcastError } from './errors.js'
import type { HttpInstruments } from './instruments/http.js'
import type { WaitInstruments } from './instruments/wait.js'
import type { WebhookAnswer } from './instruments/webhook.js'
import type { ConsumerInstruments, EmitterInstruments } from './instruments/websocket.js'

/**
 * Instrumentation hooks: the one small interface every flowcast part reports its metrics and
 * spans through ({@link InstrumentationBackend}), wrapped by `createInstrumentation` into the
 * {@link Instrumentation} the parts take. `@flowcast/otel` implements a backend over
 * `@opentelemetry/api`; the CLI has an in-memory one for `--verbose`.
 *
 * Zero cost when unused: a part that is given no `instrumentation` creates no instrument and
 * holds `undefined` where the instruments would be, so every report is one skipped optional
 * call. The code that turns a part's reports into metrics travels with the `Instrumentation`
 * (made by `createInstrumentation`), so a bundle that never creates one does not carry it.
 * Attribute objects are created once per part (constants), never per event.
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

/** Options of {@link InstrumentationBackend.startSpan}. */
export interface InstrumentationSpanOptions {
  /** @default 'internal' */
  kind?: InstrumentationSpanKind
  /** Attributes known when the span starts. */
  attributes?: InstrumentationAttributes
}

/**
 * Where flowcast reports metrics and spans: implement this to send them to your own metrics
 * system, and wrap it with `createInstrumentation(backend)` to pass it to flowcast. Instruments
 * are asked for once per part (when it is created) by their {@link InstrumentSpec}; an
 * implementation should return the same instrument for the same name. Spans start under the
 * caller's current context.
 *
 * @example
 * ```ts
 * import { createInstrumentation, type InstrumentationBackend } from '@flowcast/core'
 * const backend: InstrumentationBackend = {
 *   counter: (spec) => ({ add: (value, attributes) => myMetrics.add(spec.name, value, attributes) }),
 *   histogram: (spec) => ({ record: (value, attributes) => myMetrics.record(spec.name, value, attributes) }),
 *   startSpan: () => ({ setAttribute() {}, inject() {}, end() {} }),
 * }
 * const flowcast = createFlowcast({ instrumentation: createInstrumentation(backend) })
 * ```
 */
export interface InstrumentationBackend {
  /** A counter (`kind: 'counter'`) or an up-down counter (`kind: 'upDownCounter'`). */
  counter(spec: InstrumentSpec): CounterInstrument
  /** A histogram (`kind: 'histogram'`). */
  histogram(spec: InstrumentSpec): HistogramInstrument
  /** Starts a span under the caller's active span, if any. */
  startSpan(name: string, options?: InstrumentationSpanOptions): InstrumentationSpan
}

/**
 * @internal The reporting helpers of every part, made from one backend: each part asks for its
 * own when it is created (through `instrumentsOf`), never importing them.
 */
export interface PartInstruments {
  /** An events or logs subscriber's: frames, deliveries, duplicates, connections. */
  consumer(destination: 'events/out' | 'logs/out'): ConsumerInstruments
  /** The events emitter's: sent, confirmed, resent, outbox, connections. */
  emitter(): EmitterInstruments
  /** A REST client's: a span and a duration per attempt, retries. `now` reads the clock (ms). */
  http(apiUrl: string, now: () => number): HttpInstruments
  /** A polling source's `flowcast.polling.runs` (flow runs asked for per request). */
  pollingRuns(): HistogramInstrument
  /** The run watcher's: waits, outcomes, fallbacks, a span per wait. */
  wait(): WaitInstruments
  /** The webhook receiver's: records each answered delivery. */
  webhook(): (answer: WebhookAnswer) => void
}

// Symbol.for: an Instrumentation made by another copy of @flowcast/core is still recognised.
const partInstruments: unique symbol = /* @__PURE__ */ Symbol.for('@flowcast/core.instruments')

/** @internal The key under which an {@link Instrumentation} carries its parts' helpers. */
export { partInstruments }

/**
 * What flowcast parts take as their `instrumentation` option: an
 * {@link InstrumentationBackend} wrapped by `createInstrumentation(backend)`, which adds the
 * code that turns each part's reports into metrics and spans. Get one from
 * `createOpenTelemetryInstrumentation()` (`@flowcast/otel`) or `createInstrumentation`.
 *
 * @example
 * ```ts
 * import { createOpenTelemetryInstrumentation } from '@flowcast/otel'
 * const flowcast = createFlowcast({ instrumentation: createOpenTelemetryInstrumentation() })
 * ```
 */
export interface Instrumentation extends InstrumentationBackend {
  /** @internal The parts' reporting helpers (see `createInstrumentation`). */
  readonly [partInstruments]: PartInstruments
}

/**
 * @internal A part's reporting helpers from its `instrumentation` option, or `undefined` when
 * none was given (then nothing is created). `part` names the package in the error.
 * @throws FlowcastError `INVALID_OPTIONS` when the value was not made by `createInstrumentation`
 *   (a bare backend would otherwise be silently ignored)
 */
export function instrumentsOf(
  instrumentation: Instrumentation | null | undefined,
  part: string,
): PartInstruments | undefined {
  if (instrumentation === undefined || instrumentation === null) return undefined
  const instruments = (instrumentation as Partial<Instrumentation>)[partInstruments]
  if (instruments !== undefined) return instruments
  const bare =
    typeof instrumentation === 'object' &&
    typeof (instrumentation as Partial<InstrumentationBackend>).counter === 'function'
  throw new FlowcastError(
    'INVALID_OPTIONS',
    `[${part}] invalid instrumentation: ${
      bare ? 'a bare instrumentation backend' : 'not an Instrumentation'
    }; wrap it: createInstrumentation(backend) from @flowcast/core`,
  )
}
