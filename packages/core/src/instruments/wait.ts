import type {
  CounterInstrument,
  HistogramInstrument,
  InstrumentationBackend,
  InstrumentationAttributes,
  InstrumentationSpan,
} from '../instrumentation.js'
import { waitAttributes as a, waitMetrics as m, waitSpanName } from '../metrics.js'
import type { WaitForFlowRunResult } from '../wait/types.js'

/** @internal The run watcher's instruments; only created when instrumentation is given. */
export interface WaitInstruments {
  /** A wait started: counts it active and starts its span. */
  started(flowRunId: string): InstrumentationSpan
  /** A wait settled: records its outcome and ends its span. */
  settled(span: InstrumentationSpan | undefined, result: WaitForFlowRunResult): void
  /**
   * The push source's health changed. Leaving healthy while runs are watched and polling may
   * stand in counts a fallback `to_polling`; turning healthy after one counts `to_push`.
   */
  pushHealth(healthy: boolean, canFallBack: boolean): void
}

/** @internal */
export function createWaitInstruments(instrumentation: InstrumentationBackend): WaitInstruments {
  const active: CounterInstrument = instrumentation.counter(m.waitsActive)
  const outcomes: CounterInstrument = instrumentation.counter(m.waitOutcomes)
  const duration: HistogramInstrument = instrumentation.histogram(m.waitDuration)
  const fallbacks: CounterInstrument = instrumentation.counter(m.waitFallbacks)
  // Waits are not a hot path, but the outcome attribute sets are few: build each once.
  const outcomeAttributes = new Map<string, InstrumentationAttributes>()
  const toPolling = { [a.fallbackDirection]: 'to_polling' }
  const toPush = { [a.fallbackDirection]: 'to_push' }
  let fellBack = false

  function attributesFor(outcome: string, source: string): InstrumentationAttributes {
    const key = `${outcome}\u0000${source}`
    let attributes = outcomeAttributes.get(key)
    if (!attributes) {
      attributes = { [a.waitOutcome]: outcome, [a.waitSource]: source }
      outcomeAttributes.set(key, attributes)
    }
    return attributes
  }

  return {
    started(flowRunId) {
      active.add(1)
      return instrumentation.startSpan(waitSpanName, {
        kind: 'internal',
        attributes: { [a.flowRunId]: flowRunId },
      })
    },
    settled(span, result) {
      active.add(-1)
      const source = result.outcome === 'terminal' ? result.source : 'none'
      const attributes = attributesFor(result.outcome, source)
      outcomes.add(1, attributes)
      duration.record(result.timings.elapsedMs / 1000, attributes)
      if (!span) return
      span.setAttribute(a.waitOutcome, result.outcome)
      span.setAttribute(a.waitSource, source)
      const state = result.outcome === 'terminal' ? result.observation : result.lastState
      if (state) {
        span.setAttribute(a.stateType, state.type)
        span.setAttribute(a.stateName, state.name)
      }
      if (result.outcome === 'transport_failed') {
        span.end({ error: result.error.code, message: result.error.message })
      } else {
        span.end()
      }
    },
    pushHealth(healthy, canFallBack) {
      if (healthy && fellBack) {
        fellBack = false
        fallbacks.add(1, toPush)
      } else if (!healthy && !fellBack && canFallBack) {
        fellBack = true
        fallbacks.add(1, toPolling)
      }
    },
  }
}
