import { compareDateTimes } from '../datetime.js'
import { parseTextQuery } from '../filters.js'
import type { Log, LogFilter } from './models.js'

/**
 * Whether a log matches a filter the way Prefect's `/logs/out` socket decides it
 * (docs/protocol.md §11.3): `level` (`ge_` / `le_`), `timestamp` (`after_` / `before_`,
 * inclusive), `flow_run_id.any_`, `task_run_id.any_` / `is_null_`, all required to hold.
 *
 * `text` and `operator` are evaluated only by the server's `POST /logs/filter`; they are
 * ignored here, as the socket ignores them.
 *
 * @example
 * ```ts
 * matchesLogFilter(log, { level: { ge_: 30 }, flow_run_id: { any_: [runId] } })
 * ```
 */
export function matchesLogFilter(log: Log, filter: LogFilter | null | undefined): boolean {
  if (!filter) return true
  const level = filter.level
  if (level) {
    if (level.ge_ != null && log.level < level.ge_) return false
    if (level.le_ != null && log.level > level.le_) return false
  }
  const timestamp = filter.timestamp
  if (timestamp) {
    if (timestamp.after_ != null && compareDateTimes(log.timestamp, timestamp.after_) < 0) {
      return false
    }
    if (timestamp.before_ != null && compareDateTimes(log.timestamp, timestamp.before_) > 0) {
      return false
    }
  }
  const flowRunIds = filter.flow_run_id?.any_
  if (flowRunIds != null && !includesId(flowRunIds, log.flow_run_id)) return false
  const taskRun = filter.task_run_id
  if (taskRun) {
    if (taskRun.any_ != null && !includesId(taskRun.any_, log.task_run_id)) return false
    if (taskRun.is_null_ != null && (log.task_run_id == null) !== taskRun.is_null_) return false
  }
  return true
}

function includesId(ids: readonly string[], id: string | null | undefined): boolean {
  if (id == null) return false
  // Ids almost always arrive lower-case as sent: the exact match saves a lower-casing per log.
  if (ids.includes(id)) return true
  const wanted = id.toLowerCase()
  return ids.some((candidate) => candidate.toLowerCase() === wanted)
}

/** Orders logs oldest first by timestamp, then by id, so equal timestamps sort stably. */
export function compareLogs(a: Log, b: Log): number {
  return compareDateTimes(a.timestamp, b.timestamp) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/**
 * Whether a log matches a `text` query the way `POST /logs/filter` searches: the terms
 * (`-term` excluded, `+term` required, `"quoted phrases"`) against the message and the
 * logger name, case-insensitively. REST only: the socket ignores `text`.
 */
export function matchesLogTextQuery(log: Log, query: string): boolean {
  const parsed = parseTextQuery(query)
  const text = `${log.message} ${log.name}`.toLowerCase()
  if (parsed.include.length && !parsed.include.some((term) => text.includes(term))) return false
  if (parsed.exclude.some((term) => text.includes(term))) return false
  return parsed.required.every((term) => text.includes(term))
}
