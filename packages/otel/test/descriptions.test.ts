// Core's metric specs carry no descriptions (browser bundles stay small); the OpenTelemetry
// instruments still get one for every flowcast metric, from this package's table.
import { flowcastMetrics } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { flowcastMetricDescriptions } from '../src/index.js'
import { createOtelHarness } from './harness.js'

describe('metric descriptions', () => {
  it('has one sentence for every metric in flowcastMetrics, and none for others', () => {
    const names = Object.values(flowcastMetrics).map((spec) => spec.name)
    expect(Object.keys(flowcastMetricDescriptions).sort()).toEqual([...names].sort())
    for (const name of names) expect(flowcastMetricDescriptions[name]).toMatch(/^[A-Z].+\.$/)
  })

  it('creates the OpenTelemetry instruments with them, and keeps a spec’s own description', async () => {
    const otel = createOtelHarness()
    try {
      otel.instrumentation.counter(flowcastMetrics.reconnects).add(1)
      otel.instrumentation.histogram(flowcastMetrics.waitDuration).record(1)
      otel.instrumentation
        .counter({ name: 'app.custom', kind: 'counter', unit: '{x}', description: 'Own.' })
        .add(1)
      const { metrics } = await otel.collect()
      expect(metrics.get(flowcastMetrics.reconnects.name)?.descriptor.description).toBe(
        flowcastMetricDescriptions[flowcastMetrics.reconnects.name],
      )
      expect(metrics.get(flowcastMetrics.waitDuration.name)?.descriptor.description).toBe(
        flowcastMetricDescriptions[flowcastMetrics.waitDuration.name],
      )
      expect(metrics.get('app.custom')?.descriptor.description).toBe('Own.')
    } finally {
      await otel.shutdown()
    }
  })
})
