export { main, ExitCode } from './cli.js'
export type { CliIO, Command } from './cli.js'
export { createFlowcast } from './flowcast.js'
export type {
  Flowcast,
  FlowcastOptions,
  FlowcastTransport,
  ParameterIssue,
  ParameterValidator,
  RunDeploymentOptions,
  RunDeploymentResult,
} from './flowcast.js'
