import { logLevelName, type Log } from '@flowcast/core'
import type { CliIO } from '../io.js'

const levelColours: Array<[number, string]> = [
  [50, '\x1b[1;31m'],
  [40, '\x1b[31m'],
  [30, '\x1b[33m'],
  [20, '\x1b[36m'],
  [0, '\x1b[2m'],
]

/** Whether to colour output: a TTY, and `NO_COLOR` unset or empty (no-color.org). */
export function useColour(io: CliIO, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const noColor = io.env['NO_COLOR']
  return io[stream].isTTY === true && (noColor === undefined || noColor === '')
}

function clock(timestamp: string): string {
  const match = /T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?/.exec(timestamp)
  return match ? `${match[1]}${(match[2] ?? '.000').padEnd(4, '0')}` : timestamp
}

/**
 * One log as a human line: `HH:MM:SS.mmm  LEVEL     message (logger)`, the level coloured
 * when `colour` is set. Multi-line messages are indented under the first line.
 */
export function formatLogLine(log: Log, options: { colour: boolean; indent?: string }): string {
  const indent = options.indent ?? ''
  const level = logLevelName(log.level).padEnd(9)
  let shownLevel = level
  if (options.colour) {
    const colour = levelColours.find(([min]) => log.level >= min)?.[1] ?? ''
    shownLevel = `${colour}${level}\x1b[0m`
  }
  const head = `${indent}${clock(log.timestamp).padEnd(14)}${shownLevel} `
  const pad = ' '.repeat(head.length - (shownLevel.length - level.length))
  const message = log.message.replace(/\n/g, `\n${pad}`)
  return `${head}${message}`
}

/** The `--json` line of a log: `{"type":"log","log":<Log>}`. */
export function logJsonLine(log: Log): string {
  return `${JSON.stringify({ type: 'log', log })}\n`
}
