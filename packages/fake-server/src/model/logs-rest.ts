import { type LogCreate, type ValidationIssue } from '@flowcast/core'
import { LogCreateSchema, LogFilterSchema, LogSortSchema, validate } from '@flowcast/core/schemas'
import type { FakeLogStore } from './logs.js'
import { isRecord } from './util.js'

/** A transport-neutral response (same shape as the REST module's). */
export interface LogsRestResponse {
  status: number
  headers: Record<string, string>
  body: string | null
}

/** Prefect's default and maximum `limit` of `POST /logs/filter` (LimitBody). */
const logsMaxLimit = 200

const json = (status: number, value: unknown): LogsRestResponse => ({
  status,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(value),
})

function invalid(
  issues: Array<{ type: string; loc: (string | number)[]; msg: string; input?: unknown }>,
  body: unknown,
): LogsRestResponse {
  return json(422, {
    exception_message: 'Invalid request received.',
    exception_detail: issues,
    request_body: body,
  })
}

const toPydantic = (issues: readonly ValidationIssue[], prefix: (string | number)[]) =>
  issues.map((issue) => ({
    type: 'value_error',
    loc: [...prefix, ...issue.path.split(/[.[\]]+/).filter(Boolean)],
    msg: issue.message,
  }))

/** Whether a REST path (after the API prefix) belongs to the logs routes. */
export function isLogsRestPath(path: string): boolean {
  return path === '/logs' || path === '/logs/' || path === '/logs/filter'
}

/**
 * `POST /logs/` (201, no body) and `POST /logs/filter` (docs/protocol.md §11.2). Answers 405 for
 * other methods on these paths; `undefined` for other paths.
 */
export function handleLogsRest(
  store: FakeLogStore,
  method: string,
  path: string,
  body: unknown,
): LogsRestResponse | undefined {
  if (!isLogsRestPath(path)) return undefined
  if (method !== 'POST') return json(405, { detail: 'Method Not Allowed' })
  if (path === '/logs/filter') return readLogs(store, body)
  if (!Array.isArray(body)) {
    return invalid(
      [{ type: 'list_type', loc: ['body'], msg: 'Input should be a valid list', input: body }],
      body,
    )
  }
  const logs: LogCreate[] = []
  const issues: ReturnType<typeof toPydantic> = []
  body.forEach((item, index) => {
    const result = validate(LogCreateSchema, item)
    if (result.success) logs.push(result.data)
    else issues.push(...toPydantic(result.issues, ['body', index]))
  })
  if (issues.length > 0) return invalid(issues, body)
  store.storeValidated(logs)
  return { status: 201, headers: {}, body: null }
}

function readLogs(store: FakeLogStore, body: unknown): LogsRestResponse {
  const value = body === undefined ? {} : body
  if (!isRecord(value)) {
    return invalid(
      [
        {
          type: 'model_attributes_type',
          loc: ['body'],
          msg: 'Input should be a valid dictionary',
          input: value,
        },
      ],
      value,
    )
  }
  const limit = value.limit ?? logsMaxLimit
  const offset = value.offset ?? 0
  if (typeof limit !== 'number' || !Number.isInteger(limit)) {
    return invalid(
      [
        {
          type: 'int_type',
          loc: ['body', 'limit'],
          msg: 'Input should be a valid integer',
          input: limit,
        },
      ],
      value,
    )
  }
  if (limit > logsMaxLimit) {
    return invalid(
      [
        {
          type: 'less_than_equal',
          loc: ['body', 'limit'],
          msg: `Input should be less than or equal to ${logsMaxLimit}`,
          input: limit,
        },
      ],
      value,
    )
  }
  if (limit < 0) {
    return invalid(
      [
        {
          type: 'greater_than_equal',
          loc: ['body', 'limit'],
          msg: 'Input should be greater than or equal to 0',
          input: limit,
        },
      ],
      value,
    )
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    return invalid(
      [
        {
          type: 'greater_than_equal',
          loc: ['body', 'offset'],
          msg: 'Input should be greater than or equal to 0',
          input: offset,
        },
      ],
      value,
    )
  }
  const sort = validate(LogSortSchema, value.sort ?? 'TIMESTAMP_ASC')
  if (!sort.success) {
    return invalid(
      [
        {
          type: 'enum',
          loc: ['body', 'sort'],
          msg: "Input should be 'TIMESTAMP_ASC' or 'TIMESTAMP_DESC'",
          input: value.sort,
        },
      ],
      value,
    )
  }
  let filter = null
  if (value.logs != null) {
    const result = validate(LogFilterSchema, value.logs)
    if (!result.success) return invalid(toPydantic(result.issues, ['body', 'logs']), value)
    filter = result.data
  }
  return json(200, store.query(filter, sort.data, offset, limit))
}
