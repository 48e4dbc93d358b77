import { ExitCode, type Command } from '../io.js'

/** `flowcast events stream` (not implemented yet). */
export const eventsStreamCommand: Command = {
  path: ['events', 'stream'],
  summary: '(not implemented yet)',
  help: 'Usage: flowcast events stream',
  async run(_args, io) {
    io.stderr.write('flowcast events stream: not implemented yet\n')
    return ExitCode.usage
  },
}
