import { ExitCode, type Command } from '../io.js'

/** `flowcast events emit` (not implemented yet). */
export const eventsEmitCommand: Command = {
  path: ['events', 'emit'],
  summary: '(not implemented yet)',
  help: 'Usage: flowcast events emit',
  async run(_args, io) {
    io.stderr.write('flowcast events emit: not implemented yet\n')
    return ExitCode.usage
  },
}
