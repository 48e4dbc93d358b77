import { isPrefectDateTime } from '../datetime.js'
import { classifyFrame, type UnknownFrameReason } from '../frames.js'
import { logCheck, runCheck } from '../model-checks.js'
import { formatIssues } from '../models.js'
import { isUuid } from '../uuid.js'
import { parseLogFilter, type Log, type LogFilter } from './models.js'

/** Why a `/logs/out` frame was not a log: the events reasons, plus `invalid_log`. */
export type UnknownLogsFrameReason = Exclude<UnknownFrameReason, 'invalid_event'> | 'invalid_log'

/** A frame from `/logs/out`, classified. */
export type LogsServerFrame =
  | { kind: 'log'; log: Log }
  | { kind: 'auth_success' }
  | { kind: 'auth_failure'; reason: string | null }
  | {
      kind: 'unknown'
      reason: UnknownLogsFrameReason
      /** The frame's `type` when it had a string one. */
      type: string | null
      /** The frame as text. */
      raw: string
      /** What was wrong, e.g. the validation issues of an invalid log. */
      detail?: string
    }

/**
 * Classifies one frame from `/logs/out`. **Never throws**: only
 * `{"type":"log","log":<valid Log>}` is a log; `auth_success` / `auth_failure` are
 * recognised; anything else comes back as `unknown` with a reason, to be skipped and
 * counted (docs/protocol.md §11.3, §11.4).
 *
 * @example
 * ```ts
 * const frame = parseLogsServerFrame(data)
 * if (frame.kind === 'log') print(frame.log)
 * ```
 */
export function parseLogsServerFrame(
  data: string | ArrayBuffer | ArrayBufferView | readonly ArrayBufferView[],
  options: { binary?: boolean } = {},
): LogsServerFrame {
  return classifyFrame(data, options.binary, 'log', readLog)
}

function readLog(value: unknown, raw: string): LogsServerFrame {
  if (isValidLog(value)) return { kind: 'log', log: value }
  // The full check runs only for the rare invalid log, to name its problems.
  const result = runCheck<Log>(logCheck, value)
  if (result.success) return { kind: 'log', log: result.data }
  const detail = formatIssues(result.issues)
  return { kind: 'unknown', reason: 'invalid_log', type: 'log', raw, detail }
}

const isNullableDateTime = (value: unknown) => value === null || isPrefectDateTime(value)
const isOptionalUuid = (value: unknown) => value === undefined || value === null || isUuid(value)

/** The schema's rules by hand: several times faster than zod on the hot path. */
function isValidLog(value: unknown): value is Log {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const log = value as Record<string, unknown>
  return (
    isUuid(log['id']) &&
    typeof log['name'] === 'string' &&
    typeof log['message'] === 'string' &&
    Number.isInteger(log['level']) &&
    isPrefectDateTime(log['timestamp']) &&
    isNullableDateTime(log['created']) &&
    isNullableDateTime(log['updated']) &&
    isOptionalUuid(log['flow_run_id']) &&
    isOptionalUuid(log['task_run_id'])
  )
}

/**
 * The second frame of a `/logs/out` subscription, compact:
 * `{"type":"filter","filter":<LogFilter>}` (docs/protocol.md §11.3).
 *
 * @throws FlowcastError `INVALID_FILTER`
 */
export function encodeLogsFilterFrame(filter: LogFilter): string {
  return JSON.stringify({ type: 'filter', filter: parseLogFilter(filter) })
}
