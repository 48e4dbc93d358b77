import type { z } from 'zod'

/** A transport-neutral HTTP request. */
export interface RestRequest {
  method: string
  /** Absolute URL (its origin becomes `request.base_url` for `next_page`). */
  url: string
  /** Lower-case header names. */
  headers: Record<string, string>
  body: string
}

/** A transport-neutral HTTP response. */
export interface RestResponse {
  status: number
  headers: Record<string, string>
  /** `null` for no body (204). */
  body: string | null
}

/** Reason phrases of the statuses the fake answers (REST and refused upgrades). */
export const statusText: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

/** A JSON response. */
export function json(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): RestResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  }
}

/** `{"detail": …}`, FastAPI's `HTTPException` body. */
export function detail(status: number, text: string): RestResponse {
  return json(status, { detail: text })
}

/** One entry of Prefect's 422 `exception_detail` (a pydantic error). */
export interface ValidationIssue {
  type: string
  loc: (string | number)[]
  msg: string
  input?: unknown
  ctx?: Record<string, unknown>
}

/** Prefect's 422 body (`validation_exception_handler`). */
export function invalid(issues: ValidationIssue[], body: unknown): RestResponse {
  return json(422, {
    exception_message: 'Invalid request received.',
    exception_detail: issues,
    request_body: body,
  })
}

/** The value at `path` inside `root`, `undefined` when absent. */
function at(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

/** Pydantic's list of allowed values: `'A', 'B' or 'C'`. */
function quoted(values: readonly unknown[]): string {
  const parts = values.map((v) => `'${String(v)}'`)
  return parts.length < 2 ? parts.join('') : `${parts.slice(0, -1).join(', ')} or ${parts.at(-1)}`
}

/**
 * Maps zod issues to pydantic's error entries (`type`, `loc`, `msg`, `input`, `ctx`), so a
 * request the fake validates with zod fails with the 422 Prefect would answer.
 */
export function pydanticIssues(
  issues: readonly z.core.$ZodIssue[],
  value: unknown,
  loc: readonly (string | number)[],
): ValidationIssue[] {
  const out: ValidationIssue[] = []
  for (const issue of issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol')
    const where = [...loc, ...path]
    const input = at(value, path)
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          out.push({
            type: 'extra_forbidden',
            loc: [...where, key],
            msg: 'Extra inputs are not permitted',
            input: at(input, [key]),
          })
        }
        break
      case 'invalid_type':
        if (input === undefined) {
          out.push({ type: 'missing', loc: where, msg: 'Field required', input })
        } else if (issue.expected === 'object' || issue.expected === 'record') {
          const msg = 'Input should be a valid dictionary'
          out.push({ type: 'model_attributes_type', loc: where, msg, input })
        } else if (issue.expected === 'array') {
          out.push({ type: 'list_type', loc: where, msg: 'Input should be a valid list', input })
        } else if (issue.expected === 'int' || issue.expected === 'number') {
          out.push({ type: 'int_type', loc: where, msg: 'Input should be a valid integer', input })
        } else if (issue.expected === 'boolean') {
          out.push({ type: 'bool_type', loc: where, msg: 'Input should be a valid boolean', input })
        } else {
          out.push({
            type: 'string_type',
            loc: where,
            msg: 'Input should be a valid string',
            input,
          })
        }
        break
      case 'invalid_value':
        if (input === undefined) {
          out.push({ type: 'missing', loc: where, msg: 'Field required', input })
          break
        }
        out.push({
          type: 'enum',
          loc: where,
          msg: `Input should be ${quoted(issue.values)}`,
          input,
          ctx: { expected: quoted(issue.values) },
        })
        break
      case 'too_big': {
        const le = Number(issue.maximum)
        const msg = `Input should be less than or equal to ${le}`
        out.push({ type: 'less_than_equal', loc: where, msg, input, ctx: { le } })
        break
      }
      case 'too_small': {
        const ge = Number(issue.minimum)
        const msg = `Input should be greater than or equal to ${ge}`
        out.push({ type: 'greater_than_equal', loc: where, msg, input, ctx: { ge } })
        break
      }
      case 'invalid_format': {
        const type = issue.message.includes('UUID') ? 'uuid_parsing' : 'string_pattern_mismatch'
        out.push({ type, loc: where, msg: issue.message, input })
        break
      }
      case 'custom': {
        const type = (issue.params as { type?: string } | undefined)?.type ?? 'value_error'
        out.push({ type, loc: where, msg: issue.message, input })
        break
      }
      default:
        out.push({ type: 'value_error', loc: where, msg: issue.message, input })
    }
  }
  return out
}

/** Validates `value` with a zod schema; the parsed value, or the 422 Prefect would answer. */
export function parseBody<T>(
  schema: z.ZodType<T>,
  value: unknown,
  body: unknown,
  loc: readonly (string | number)[] = ['body'],
): { ok: true; value: T } | { ok: false; response: RestResponse } {
  const result = schema.safeParse(value)
  if (result.success) return { ok: true, value: result.data }
  return { ok: false, response: invalid(pydanticIssues(result.error.issues, value, loc), body) }
}
