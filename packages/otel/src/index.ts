export { flowcastMetricDescriptions } from './descriptions.js'
export {
  createOpenTelemetryInstrumentation,
  instrumentationScope,
  openTelemetryInstrumentationDefaults,
} from './instrumentation.js'
export type { OpenTelemetryInstrumentationOptions } from './instrumentation.js'
