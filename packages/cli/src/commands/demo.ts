import { ExitCode, type Command } from '../io.js'

/** `flowcast demo` (not implemented yet). */
export const demoCommand: Command = {
  path: ['demo'],
  summary: '(not implemented yet)',
  help: 'Usage: flowcast demo',
  async run(_args, io) {
    io.stderr.write('flowcast demo: not implemented yet\n')
    return ExitCode.usage
  },
}
