import type { Command } from '../io.js'
import { demoCommand } from './demo.js'
import { eventsEmitCommand } from './events-emit.js'
import { eventsStreamCommand } from './events-stream.js'
import { fakeServerCommand } from './fake-server.js'
import { logsCommand } from './logs.js'
import { runCommand } from './run.js'
import { watchCommand } from './watch.js'
import { webhookListenCommand } from './webhook-listen.js'

/** Every sub-command, in the order `flowcast --help` lists them. */
export const commands: readonly Command[] = [
  runCommand,
  watchCommand,
  logsCommand,
  eventsStreamCommand,
  eventsEmitCommand,
  webhookListenCommand,
  fakeServerCommand,
  demoCommand,
]
