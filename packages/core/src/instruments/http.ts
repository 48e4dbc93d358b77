import type { FlowcastError } from '../errors.js'
import type {
  CounterInstrument,
  HistogramInstrument,
  InstrumentationAttributeValue,
  InstrumentationBackend,
  InstrumentationSpan,
} from '../instrumentation.js'
import { httpAttributes as a, httpMetrics as m } from '../metrics.js'

/** @internal One request attempt being measured. */
export interface HttpAttemptTrace {
  readonly span: InstrumentationSpan
  readonly startedAt: number
  readonly attributes: Record<string, InstrumentationAttributeValue>
}

/**
 * @internal The REST client's instruments: `http.client.request.duration` and a client span
 * per attempt (OpenTelemetry HTTP semantic conventions), retries by cause, and the trace
 * context carried on each request.
 */
export class HttpInstruments {
  readonly #instrumentation: InstrumentationBackend
  readonly #duration: HistogramInstrument
  readonly #retries: CounterInstrument
  readonly #server: Record<string, InstrumentationAttributeValue>
  readonly #now: () => number

  constructor(instrumentation: InstrumentationBackend, apiUrl: string, now: () => number) {
    this.#instrumentation = instrumentation
    this.#duration = instrumentation.histogram(m.httpDuration)
    this.#retries = instrumentation.counter(m.httpRetries)
    this.#now = now
    const url = new URL(apiUrl)
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
    this.#server = { [a.serverAddress]: url.hostname, [a.serverPort]: port }
  }

  /**
   * Starts an attempt: a client span under the caller's active span, whose trace context is
   * written into `headers` (`traceparent`, when a propagator is registered).
   */
  start(
    method: string,
    route: string | undefined,
    shownUrl: string,
    headers: Record<string, string>,
    attempt: number,
  ): HttpAttemptTrace {
    const attributes: Record<string, InstrumentationAttributeValue> = {
      [a.httpMethod]: method,
      ...this.#server,
      ...(route === undefined ? {} : { [a.urlTemplate]: route }),
    }
    const span = this.#instrumentation.startSpan(route ? `${method} ${route}` : method, {
      kind: 'client',
      attributes: {
        ...attributes,
        [a.urlFull]: shownUrl,
        ...(attempt > 0 ? { [a.resendCount]: attempt } : {}),
      },
    })
    span.inject(headers)
    return { span, startedAt: this.#now(), attributes }
  }

  /** Ends an attempt with its response status, or the error that ended it. */
  end(trace: HttpAttemptTrace, status: number | undefined, error: FlowcastError | undefined) {
    const attributes = { ...trace.attributes }
    if (status !== undefined) {
      attributes[a.httpStatus] = status
      trace.span.setAttribute(a.httpStatus, status)
    }
    const errorType = error ? (status !== undefined ? String(status) : error.code) : undefined
    if (errorType !== undefined) attributes[a.errorType] = errorType
    this.#duration.record((this.#now() - trace.startedAt) / 1000, attributes)
    if (errorType === undefined) trace.span.end()
    else {
      trace.span.setAttribute(a.errorType, errorType)
      trace.span.end({ error: errorType, message: error?.message })
    }
  }

  /** A failed attempt is about to be sent again. */
  retry(method: string, error: FlowcastError): void {
    this.#retries.add(1, {
      [a.httpMethod]: method,
      ...(error.status !== undefined
        ? { [a.httpStatus]: error.status }
        : { [a.errorType]: error.code }),
    })
  }
}
