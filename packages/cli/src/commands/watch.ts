import { ExitCode, type Command } from '../io.js'

/** `flowcast watch` (not implemented yet). */
export const watchCommand: Command = {
  path: ['watch'],
  summary: '(not implemented yet)',
  help: 'Usage: flowcast watch',
  async run(_args, io) {
    io.stderr.write('flowcast watch: not implemented yet\n')
    return ExitCode.usage
  },
}
