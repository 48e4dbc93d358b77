import type { Command } from '../io.js'
import { demoCommand } from './demo.js'
import { eventsEmitCommand } from './events-emit.js'
import { eventsStreamCommand } from './events-stream.js'
import { fakeServerCommand } from './fake-server.js'
import { runCommand } from './run.js'
import { watchCommand } from './watch.js'

/** Every sub-command, in the order `flowcast --help` lists them. */
export const commands: readonly Command[] = [
  runCommand,
  watchCommand,
  eventsStreamCommand,
  eventsEmitCommand,
  fakeServerCommand,
  demoCommand,
]
