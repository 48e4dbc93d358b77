import {
  createInstrumentation,
  noopInstrumentation,
  type CounterInstrument,
  type HistogramInstrument,
  type InstrumentSpec,
  type Instrumentation,
  type InstrumentationAttributeValue,
  type InstrumentationAttributes,
} from '@flowcast/core'

interface Series {
  attributes: InstrumentationAttributes
  /** The sum (counters) or the number of measurements (histograms). */
  value: number
}

/** An instrumentation that keeps every metric in memory, for `--verbose`. */
export interface MemoryInstrumentation extends Instrumentation {
  /**
   * The total of metric `name` (a counter's sum, a histogram's count) over the series whose
   * attributes match `where`: a value must be equal, `true` means the attribute is present.
   */
  total(name: string, where?: Record<string, InstrumentationAttributeValue>): number
}

/** Creates a {@link MemoryInstrumentation}. Spans are not kept. */
export function createMemoryInstrumentation(): MemoryInstrumentation {
  const metrics = new Map<string, Map<string, Series>>()

  function record(name: string, value: number, attributes: InstrumentationAttributes = {}) {
    let series = metrics.get(name)
    if (!series) {
      series = new Map()
      metrics.set(name, series)
    }
    const key = JSON.stringify(Object.entries(attributes).sort(([x], [y]) => (x < y ? -1 : 1)))
    const entry = series.get(key)
    if (entry) entry.value += value
    else series.set(key, { attributes, value })
  }

  const instrumentation = createInstrumentation({
    counter(spec: InstrumentSpec): CounterInstrument {
      return { add: (value, attributes) => record(spec.name, value, attributes) }
    },
    histogram(spec: InstrumentSpec): HistogramInstrument {
      return { record: (_value, attributes) => record(spec.name, 1, attributes) }
    },
    startSpan: (name, options) => noopInstrumentation.startSpan(name, options),
  })
  return {
    ...instrumentation,
    total(name, where = {}) {
      let sum = 0
      for (const { attributes, value } of metrics.get(name)?.values() ?? []) {
        const matches = Object.entries(where).every(([key, wanted]) =>
          wanted === true ? key in attributes : attributes[key] === wanted,
        )
        if (matches) sum += value
      }
      return sum
    },
  }
}
