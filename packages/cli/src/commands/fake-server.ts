import { ExitCode, type Command } from '../io.js'

/** `flowcast fake-server` (not implemented yet). */
export const fakeServerCommand: Command = {
  path: ['fake-server'],
  summary: '(not implemented yet)',
  help: 'Usage: flowcast fake-server',
  async run(_args, io) {
    io.stderr.write('flowcast fake-server: not implemented yet\n')
    return ExitCode.usage
  },
}
