// The command's programmatic face: run it in-process (tests, wrappers) and name its exit codes.
// The SDK (`createFlowcast`) is the `flowcast` package.
export { main, ExitCode } from './cli.js'
export type { CliIO, Command } from './cli.js'
