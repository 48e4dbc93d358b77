export {
  createOpenTelemetryInstrumentation,
  instrumentationScope,
  openTelemetryInstrumentationDefaults,
} from './instrumentation.js'
export type { OpenTelemetryInstrumentationOptions } from './instrumentation.js'
