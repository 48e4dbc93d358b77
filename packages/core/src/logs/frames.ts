import { isPrefectDateTime } from '../datetime.js'
import type { UnknownFrameReason } from '../frames.js'
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
  let raw = ''
  try {
    const text = typeof data === 'string' ? data : decodeFrame(data)
    if (text === null) return { kind: 'unknown', reason: 'binary', type: null, raw }
    raw = text
    if (options.binary) return { kind: 'unknown', reason: 'binary', type: null, raw }
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch (error) {
      return {
        kind: 'unknown',
        reason: 'not_json',
        type: null,
        raw,
        detail: error instanceof Error ? error.message : 'invalid JSON',
      }
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return { kind: 'unknown', reason: 'not_object', type: null, raw }
    }
    const record = message as Record<string, unknown>
    const type = record['type']
    if (typeof type !== 'string') return { kind: 'unknown', reason: 'no_type', type: null, raw }
    switch (type) {
      case 'log': {
        const value = record['log']
        if (isValidLog(value)) return { kind: 'log', log: value }
        // The full check runs only for the rare invalid log, to name its problems.
        const result = runCheck<Log>(logCheck, value)
        if (result.success) return { kind: 'log', log: result.data }
        return {
          kind: 'unknown',
          reason: 'invalid_log',
          type,
          raw,
          detail: formatIssues(result.issues),
        }
      }
      case 'auth_success':
        return { kind: 'auth_success' }
      case 'auth_failure': {
        const reason = record['reason']
        return { kind: 'auth_failure', reason: typeof reason === 'string' ? reason : null }
      }
      default:
        return { kind: 'unknown', reason: 'unknown_type', type, raw }
    }
  } catch (error) {
    return {
      kind: 'unknown',
      reason: 'not_json',
      type: null,
      raw,
      detail: error instanceof Error ? error.message : 'unreadable frame',
    }
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false })

function decodeFrame(
  data: ArrayBuffer | ArrayBufferView | readonly ArrayBufferView[],
): string | null {
  if (data instanceof ArrayBuffer) return decoder.decode(data)
  if (ArrayBuffer.isView(data)) {
    return decoder.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength))
  }
  if (Array.isArray(data) && data.every((part) => ArrayBuffer.isView(part))) {
    const parts = (data as readonly ArrayBufferView[]).map(
      (part) => new Uint8Array(part.buffer, part.byteOffset, part.byteLength),
    )
    const joined = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
    let offset = 0
    for (const part of parts) {
      joined.set(part, offset)
      offset += part.length
    }
    return decoder.decode(joined)
  }
  return null
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
