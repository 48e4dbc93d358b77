import { fakePrefectDefaults } from '../types.js'
import type { FakePrefectModel } from '../model/fake-prefect.js'
import { detail, invalid, json, statusText, type RestRequest, type RestResponse } from './http.js'
import type { RouteNotes, RouteTable } from './routes.js'
import { restRoutes } from './table.js'

/**
 * Nesting deeper than this is refused with 400 like a body Prefect cannot parse: Python's
 * `json` module recurses per level and gives up near its default recursion limit of 1,000.
 */
export const maximumJsonDepth = 1000

/** Whether a JSON text nests arrays/objects deeper than `limit` (strings are skipped). */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
}

type ParsedBody =
  { kind: 'empty' } | { kind: 'json'; value: unknown } | { kind: 'invalid' } | { kind: 'too-deep' }

function parseBody(text: string): ParsedBody {
  if (text === '') return { kind: 'empty' }
  if (jsonDepthExceeds(text, maximumJsonDepth)) return { kind: 'too-deep' }
  try {
    return { kind: 'json', value: JSON.parse(text) as unknown }
  } catch {
    return { kind: 'invalid' }
  }
}

/** Byte length of a string in UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) bytes += 1
    else if (c < 0x800) bytes += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4
      i++
    } else bytes += 3
  }
  return bytes
}

/** The request-level answer for a body the transport refused to read (too large). */
export function bodyTooLarge(limit: number): RestResponse {
  return detail(413, `Request body exceeds ${limit} bytes`)
}

/**
 * The REST API of docs/protocol.md §6, transport-neutral (the Node server and msw call it):
 * answers from the route table and records the request. Never throws for any input.
 */
export async function handleRestRequest(
  model: FakePrefectModel,
  request: RestRequest,
  options: { bodyTooLarge?: boolean; bodyBytes?: number } = {},
): Promise<RestResponse> {
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    return detail(400, 'Invalid request target')
  }
  // Like Prefect's CORS middleware: a preflight is answered before routing, auth and faults.
  const preflight = model.cors.preflight(request)
  if (preflight) return preflight
  const method = request.method.toUpperCase()
  const limit = model.options.maxRequestBodyBytes ?? fakePrefectDefaults.maxRequestBodyBytes
  const bodyBytes = options.bodyBytes ?? utf8Length(request.body)
  const tooLarge = options.bodyTooLarge === true || bodyBytes > limit
  const parsed: ParsedBody = tooLarge ? { kind: 'empty' } : parseBody(request.body)
  const body =
    parsed.kind === 'json' ? parsed.value : parsed.kind === 'empty' ? undefined : request.body
  let response: RestResponse
  const notes: RouteNotes = {}
  try {
    response = tooLarge
      ? bodyTooLarge(limit)
      : await route(model, restRoutes, request, url, method, body, parsed, notes)
  } catch (error) {
    model.logger.error('fake-server: request failed', {
      method,
      path: url.pathname,
      error: error instanceof Error ? error.message : String(error),
    })
    response = json(500, { exception_message: 'Internal Server Error' })
  }
  const record = {
    method,
    path: url.pathname,
    query: url.search,
    headers: request.headers,
    body: tooLarge ? undefined : body,
    bodyBytes,
    status: response.status,
    at: model.clock.now(),
  }
  model.recordHttp(record, tooLarge || body === undefined ? 0 : bodyBytes)
  // After recording, so whoever `nextFlowRun()` wakes finds the request in the recorder.
  if (notes.createdRun && response.body !== null) {
    model.apiFlowRunCreated(notes.createdRun, record, response.body)
  }
  return model.cors.decorate(request, response)
}

async function route(
  model: FakePrefectModel,
  table: RouteTable,
  request: RestRequest,
  url: URL,
  method: string,
  body: unknown,
  parsed: ParsedBody,
  notes: RouteNotes,
): Promise<RestResponse> {
  const resolved = model.resolveRoute(url.pathname)
  if (!resolved || resolved.scope === 'account') return detail(404, 'Not Found')
  const path = resolved.subpath
  const oss = resolved.scope === 'oss' && !model.options.cloud

  await model.faults.slowDown()
  const fault = model.faults.takeHttpFault(method, path)
  if (fault) {
    const headers: Record<string, string> = {}
    if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter)
    const defaultBody =
      fault.status >= 500
        ? { exception_message: 'Internal Server Error' }
        : { detail: statusText[fault.status] ?? 'Error' }
    return json(fault.status, fault.body ?? defaultBody, headers)
  }

  // docs/protocol.md §6.1: /health is exempt from the auth check.
  const exempt = table.isPublic(method, path)
  if (!exempt && !model.httpAuthorized(request.headers.authorization)) {
    return json(
      401,
      model.options.cloud ? { detail: 'Unauthorized' } : { exception_message: 'Unauthorized' },
    )
  }

  const override = await model.runOverrides({
    method,
    path,
    query: url.searchParams,
    headers: request.headers,
    body,
  })
  if (override) {
    if (override.status === 204 || override.body === undefined) {
      return { status: override.status, headers: { ...(override.headers ?? {}) }, body: null }
    }
    return json(override.status, override.body, override.headers)
  }

  if (method !== 'GET') {
    // FastAPI: a JSON syntax error is a 422 `json_invalid`; any other failure to read the
    // body (here: nesting Python's parser cannot recurse into) is a 400.
    if (parsed.kind === 'invalid') {
      return invalid(
        [
          {
            type: 'json_invalid',
            loc: ['body', 0],
            msg: 'JSON decode error',
            ctx: { error: 'Invalid JSON' },
          },
        ],
        request.body,
      )
    }
    if (parsed.kind === 'too-deep') return detail(400, 'There was an error parsing the body')
  }

  const resolution = table.resolve(method, path, oss)
  if (resolution.kind === 'route' && resolution.route.public) {
    return resolution.route.handle({
      model,
      method,
      path,
      url,
      params: resolution.params,
      body,
      headers: request.headers,
    })
  }
  if (resolution.kind === 'not-found') return detail(404, 'Not Found')
  const versionError = checkApiVersion(request.headers['x-prefect-api-version'])
  if (versionError) return detail(400, versionError)
  switch (resolution.kind) {
    case 'method-not-allowed':
      return json(405, { detail: 'Method Not Allowed' }, { allow: resolution.allowed.join(', ') })
    case 'not-implemented':
      return detail(
        501,
        `${method} ${path} is part of Prefect's API but @flowcast/fake-server does not implement it; answer it with a RestOverride (server.use({ method, path, respond }))`,
      )
    case 'route':
      return resolution.route.handle({
        model,
        method,
        path,
        url,
        params: resolution.params,
        body,
        headers: request.headers,
        notes,
      })
  }
}

/** The oldest `X-PREFECT-API-VERSION` the server accepts (docs/protocol.md §6.1). */
const minimumApiVersion = [0, 8, 0] as const

/** Python's `int()` on a header part: optional sign, digits with single underscores, spaces around. */
const versionPart = /^\s*[+-]?\d+(?:_\d+)*\s*$/

/**
 * docs/protocol.md §6.1 (`EnforceMinimumAPIVersion`): an absent or empty header is fine; a value
 * that is not three integers, or one below 0.8.0, is a 400 with this `detail`.
 */
function checkApiVersion(value: string | undefined): string | undefined {
  if (!value) return undefined
  const parts = value.split('.')
  if (parts.length !== 3 || !parts.every((p) => versionPart.test(p))) {
    return `Invalid X-PREFECT-API-VERSION header format.Expected header in format 'x.y.z' but received ${value}`
  }
  const numbers = parts.map((p) => Number(p.replace(/_/g, '').trim()))
  const index = numbers.findIndex((n, i) => n !== minimumApiVersion[i])
  if (index !== -1 && numbers[index]! < minimumApiVersion[index]!) {
    return `The request specified API version ${value} but this server requires version ${minimumApiVersion.join('.')} or higher.`
  }
  return undefined
}
