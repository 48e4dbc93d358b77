export { main, ExitCode } from './cli.js'
export type { CliIO, Command } from './cli.js'
