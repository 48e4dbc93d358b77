import type { z } from 'zod'
import { FlowcastError } from '../errors.js'
import { logCheck, logCreateCheck, logFilterCheck, runCheck } from '../model-checks.js'
import { formatIssues } from '../models.js'
import type { LogCreateSchema, LogFilterSchema, LogSchema, LogSortSchema } from '../schemas.js'

/** A stored log. */
export type Log = z.infer<typeof LogSchema>
/** A log to create. */
export type LogCreate = z.input<typeof LogCreateSchema>
/** A log filter, snake_case as on the wire. */
export type LogFilter = z.input<typeof LogFilterSchema>
/** The sort of `POST /logs/filter`. */
export type LogSort = z.infer<typeof LogSortSchema>

/** Prefect's most-used log levels by name (Python's numbers). */
export const LOG_LEVELS = /* @__PURE__ */ Object.freeze({
  DEBUG: 10,
  INFO: 20,
  WARNING: 30,
  ERROR: 40,
  CRITICAL: 50,
} as const)

/** A level name of {@link LOG_LEVELS}. */
export type LogLevelName = keyof typeof LOG_LEVELS

/**
 * The name of a numeric level: the exact name for 10/20/30/40/50, else `Level <n>` like
 * Python's `logging.getLevelName`.
 */
export function logLevelName(level: number): string {
  for (const [name, value] of Object.entries(LOG_LEVELS)) if (value === level) return name
  return `Level ${level}`
}

/**
 * A level from a name (`INFO`, case-insensitive; `WARN` and `FATAL` as in Python) or a
 * number (`20`, or `"20"`).
 *
 * @throws FlowcastError `INVALID_OPTIONS` for anything else
 * @example
 * ```ts
 * parseLogLevel('warning') // 30
 * parseLogLevel('15') // 15
 * ```
 */
export function parseLogLevel(value: string | number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value
  if (typeof value === 'string') {
    const text = value.trim().toUpperCase()
    if (/^\d+$/.test(text)) return Number(text)
    const aliases: Record<string, number> = { WARN: 30, FATAL: 50 }
    const level = (LOG_LEVELS as Record<string, number>)[text] ?? aliases[text]
    if (level !== undefined) return level
  }
  throw new FlowcastError(
    'INVALID_OPTIONS',
    `[@flowcast/core] invalid log level ${JSON.stringify(value)}: use DEBUG, INFO, WARNING, ERROR, CRITICAL or a number`,
  )
}

/**
 * Validates a stored log.
 * @throws FlowcastError `PROTOCOL` naming each bad field
 */
export function parseLog(value: unknown): Log {
  const result = runCheck<Log>(logCheck, value)
  if (result.success) return result.data
  throw new FlowcastError(
    'PROTOCOL',
    `[@flowcast/core] invalid log: ${formatIssues(result.issues)}`,
    { details: { issues: result.issues } },
  )
}

/**
 * Validates a log to create.
 * @throws FlowcastError `INVALID_OPTIONS` naming each bad field
 */
export function parseLogCreate(value: unknown): LogCreate {
  const result = runCheck<LogCreate>(logCreateCheck, value)
  if (result.success) return result.data
  throw new FlowcastError(
    'INVALID_OPTIONS',
    `[@flowcast/core] invalid log: ${formatIssues(result.issues)}`,
    { details: { issues: result.issues } },
  )
}

/**
 * Validates a log filter.
 * @throws FlowcastError `INVALID_FILTER` naming each bad field
 */
export function parseLogFilter(value: unknown): LogFilter {
  const result = runCheck<LogFilter>(logFilterCheck, value)
  if (result.success) return result.data
  throw new FlowcastError(
    'INVALID_FILTER',
    `[@flowcast/core] invalid log filter: ${formatIssues(result.issues)}`,
    { details: { issues: result.issues } },
  )
}
