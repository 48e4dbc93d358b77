// The OpenTelemetry SDK wired for tests: an in-memory span exporter and a metric reader
// collected on demand.
import {
  DataPointType,
  MeterProvider,
  MetricReader,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import type { Instrumentation } from '@flowcast/core'
import { createOpenTelemetryInstrumentation } from '../src/index.js'

class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

type Attrs = Record<string, unknown>

/** A collected metric, by name. */
export interface Collected {
  /** Every metric collected, by name. */
  metrics: Map<string, MetricData>
  /** The sum (counters) or the count (histograms) of the points matching `attributes`. */
  value(name: string, attributes?: Attrs): number
  /** The points of `name` (attributes and value or histogram count). */
  points(name: string): Array<{ attributes: Attrs; value: number }>
}

export interface OtelHarness {
  instrumentation: Instrumentation
  meterProvider: MeterProvider
  tracerProvider: BasicTracerProvider
  collect(): Promise<Collected>
  spans(): ReadableSpan[]
  shutdown(): Promise<void>
}

function pointValue(metric: MetricData, point: DataPoint<unknown>): number {
  if (metric.dataPointType === DataPointType.HISTOGRAM) return (point.value as Histogram).count
  return point.value as number
}

function matches(attributes: Attrs, wanted: Attrs | undefined): boolean {
  if (!wanted) return true
  return Object.entries(wanted).every(([key, value]) => attributes[key] === value)
}

export function createOtelHarness(): OtelHarness {
  const reader = new OnDemandReader()
  const meterProvider = new MeterProvider({ readers: [reader] })
  const exporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const instrumentation = createOpenTelemetryInstrumentation({ meterProvider, tracerProvider })
  return {
    instrumentation,
    meterProvider,
    tracerProvider,
    async collect() {
      const { resourceMetrics, errors } = await reader.collect()
      if (errors.length > 0) throw errors[0]
      const metrics = new Map<string, MetricData>()
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) metrics.set(metric.descriptor.name, metric)
      }
      const points = (name: string) => {
        const metric = metrics.get(name)
        if (!metric) return []
        return (metric.dataPoints as DataPoint<unknown>[]).map((point) => ({
          attributes: point.attributes as Attrs,
          value: pointValue(metric, point),
        }))
      }
      return {
        metrics,
        points,
        value(name, attributes) {
          return points(name)
            .filter((point) => matches(point.attributes, attributes))
            .reduce((sum, point) => sum + point.value, 0)
        },
      }
    },
    spans: () => exporter.getFinishedSpans(),
    async shutdown() {
      await meterProvider.shutdown()
      await tracerProvider.shutdown()
    },
  }
}
