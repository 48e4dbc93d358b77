import { STATE_TYPES, type StateType } from '@flowcast/core'
import type { FlowRunInput, StateInput } from '../types.js'
import type { FakePrefectModel } from './fake-prefect.js'
import type { FlowRunRecord } from './flow-runs.js'
import { base64Decode, base64Encode, isRecord, tryParseJson } from './util.js'

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

const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i
const statusText: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): RestResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(value),
  }
}

interface ValidationIssue {
  type: string
  loc: (string | number)[]
  msg: string
  input?: unknown
  ctx?: Record<string, unknown>
}

/** Prefect's 422 body (`validation_exception_handler`). */
function invalid(issues: ValidationIssue[], body: unknown): RestResponse {
  return json(422, {
    exception_message: 'Invalid request received.',
    exception_detail: issues,
    request_body: body,
  })
}

/** Pydantic's 422 for a body that is not a JSON object. */
function notADictionary(value: unknown, body: unknown): RestResponse {
  return invalid(
    [
      {
        type: 'model_attributes_type',
        loc: ['body'],
        msg: 'Input should be a valid dictionary',
        input: value,
      },
    ],
    body,
  )
}

/** Pydantic's first issue for an `int` field with `ge`/`le` bounds; undefined when `input` is valid. */
function boundedIntIssue(
  input: unknown,
  loc: (string | number)[],
  bounds: { ge: number; le: number },
): ValidationIssue | undefined {
  if (typeof input !== 'number' || !Number.isInteger(input)) {
    return { type: 'int_type', loc, msg: 'Input should be a valid integer', input }
  }
  if (input > bounds.le) {
    const msg = `Input should be less than or equal to ${bounds.le}`
    return { type: 'less_than_equal', loc, msg, input, ctx: { le: bounds.le } }
  }
  if (input < bounds.ge) {
    const msg = `Input should be greater than or equal to ${bounds.ge}`
    return { type: 'greater_than_equal', loc, msg, input, ctx: { ge: bounds.ge } }
  }
  return undefined
}

function extraKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  loc: string[],
): ValidationIssue[] {
  return Object.keys(value)
    .filter((k) => !allowed.includes(k))
    .map((k) => ({
      type: 'extra_forbidden',
      loc: [...loc, k],
      msg: 'Extra inputs are not permitted',
      input: value[k],
    }))
}

const stateCreateKeys = ['type', 'name', 'message', 'data', 'state_details'] as const
const deploymentFlowRunCreateKeys = [
  'state',
  'name',
  'parameters',
  'enforce_parameter_schema',
  'context',
  'infrastructure_document_id',
  'empirical_policy',
  'tags',
  'idempotency_key',
  'labels',
  'parent_task_run_id',
  'work_queue_name',
  'job_variables',
] as const

function validateStateCreate(value: unknown, loc: string[]): ValidationIssue[] | StateInput {
  if (!isRecord(value)) {
    return [
      {
        type: 'model_attributes_type',
        loc,
        msg: 'Input should be a valid dictionary',
        input: value,
      },
    ]
  }
  const issues = extraKeys(value, stateCreateKeys, loc)
  if (!STATE_TYPES.includes(value.type as StateType)) {
    issues.push({
      type: value.type === undefined ? 'missing' : 'enum',
      loc: [...loc, 'type'],
      msg:
        value.type === undefined
          ? 'Field required'
          : `Input should be ${STATE_TYPES.map((t) => `'${t}'`).join(', ')}`,
      input: value.type,
    })
  }
  if (issues.length) return issues
  const state: StateInput = { type: value.type as StateType }
  if (typeof value.name === 'string') state.name = value.name
  if (typeof value.message === 'string') state.message = value.message
  if (isRecord(value.state_details)) state.state_details = value.state_details
  if (value.data !== undefined) state.data = value.data
  return state
}

/** Prefect's default (and maximum) `limit` for `POST /flow_runs/filter`. */
const flowRunsDefaultLimit = 200

/** `POST /flow_runs/filter`: the sub-filters the fake understands (others are rejected with 422). */
function runMatches(run: FlowRunRecord, filter: Record<string, unknown>): boolean {
  const checks: boolean[] = []
  const sub = (key: string) => (isRecord(filter[key]) ? filter[key] : undefined)
  const list = (value: unknown) => (Array.isArray(value) ? (value as unknown[]) : undefined)
  const id = sub('id')
  if (id) {
    const any = list(id.any_)
    const notAny = list(id.not_any_)
    if (any) checks.push(any.includes(run.id))
    if (notAny) checks.push(!notAny.includes(run.id))
  }
  const name = sub('name')
  if (name) {
    const any = list(name.any_)
    if (any) checks.push(any.includes(run.name))
    if (typeof name.like_ === 'string') {
      checks.push(run.name.toLowerCase().includes(name.like_.toLowerCase()))
    }
  }
  const tags = sub('tags')
  if (tags) {
    const all = list(tags.all_)
    const any = list(tags.any_)
    if (all) checks.push(all.every((t) => run.tags.includes(t as string)))
    if (any) checks.push(any.some((t) => run.tags.includes(t as string)))
    if (typeof tags.is_null_ === 'boolean') checks.push((run.tags.length === 0) === tags.is_null_)
  }
  const deploymentId = sub('deployment_id')
  if (deploymentId) {
    const any = list(deploymentId.any_)
    if (any) checks.push(any.includes(run.deployment?.id))
    if (typeof deploymentId.is_null_ === 'boolean') {
      checks.push((run.deployment === null) === deploymentId.is_null_)
    }
  }
  const state = sub('state')
  if (state) {
    const stateChecks: boolean[] = []
    const type = isRecord(state.type) ? state.type : undefined
    const stateName = isRecord(state.name) ? state.name : undefined
    if (type) {
      const any = list(type.any_)
      const notAny = list(type.not_any_)
      if (any) stateChecks.push(any.includes(run.state?.type))
      if (notAny) stateChecks.push(!notAny.includes(run.state?.type))
    }
    if (stateName) {
      const any = list(stateName.any_)
      const notAny = list(stateName.not_any_)
      if (any) stateChecks.push(any.includes(run.state?.name))
      if (notAny) stateChecks.push(!notAny.includes(run.state?.name))
    }
    if (stateChecks.length) {
      checks.push(state.operator === 'or_' ? stateChecks.some(Boolean) : stateChecks.every(Boolean))
    }
  }
  if (checks.length === 0) return true
  return filter.operator === 'or_' ? checks.some(Boolean) : checks.every(Boolean)
}

const flowRunFilterKeys = ['operator', 'id', 'name', 'tags', 'deployment_id', 'state'] as const
/** Valid `FlowRunFilter` keys the fake does not evaluate: answered 400 rather than silently ignored. */
const unsupportedFlowRunFilterKeys = [
  'work_queue_name',
  'flow_version',
  'start_time',
  'end_time',
  'expected_start_time',
  'next_scheduled_start_time',
  'parent_flow_run_id',
  'parent_task_run_id',
  'idempotency_key',
  'created_by',
] as const
const flowRunSorts = [
  'ID_DESC',
  'START_TIME_ASC',
  'START_TIME_DESC',
  'EXPECTED_START_TIME_ASC',
  'EXPECTED_START_TIME_DESC',
  'NAME_ASC',
  'NAME_DESC',
  'NEXT_SCHEDULED_START_TIME_ASC',
  'END_TIME_DESC',
] as const

function compareRuns(sort: string): (a: FlowRunRecord, b: FlowRunRecord) => number {
  const cmp = (x: bigint | string | null, y: bigint | string | null, nullsLast = true) => {
    if (x === y) return 0
    if (x === null) return nullsLast ? 1 : -1
    if (y === null) return nullsLast ? -1 : 1
    return x < y ? -1 : 1
  }
  const scheduled = (r: FlowRunRecord) => {
    const s = r.state?.type === 'SCHEDULED' ? r.state.stateDetails.scheduled_time : null
    return typeof s === 'string' ? s : null
  }
  switch (sort) {
    case 'START_TIME_ASC':
      return (a, b) => cmp(a.startMicros, b.startMicros)
    case 'START_TIME_DESC':
      return (a, b) => -cmp(a.startMicros, b.startMicros, false)
    case 'EXPECTED_START_TIME_ASC':
      return (a, b) => cmp(a.expectedStartMicros, b.expectedStartMicros)
    case 'EXPECTED_START_TIME_DESC':
      return (a, b) => -cmp(a.expectedStartMicros, b.expectedStartMicros, false)
    case 'NAME_ASC':
      return (a, b) => cmp(a.name, b.name)
    case 'NAME_DESC':
      return (a, b) => -cmp(a.name, b.name)
    case 'NEXT_SCHEDULED_START_TIME_ASC':
      return (a, b) => cmp(scheduled(a), scheduled(b))
    case 'END_TIME_DESC':
      return (a, b) => -cmp(a.endMicros, b.endMicros, false)
    default:
      return (a, b) => -cmp(a.id, b.id)
  }
}

/** The REST API of spec §6, transport-neutral (used by the Node server and msw). */
export async function handleRestRequest(
  model: FakePrefectModel,
  request: RestRequest,
): Promise<RestResponse> {
  const url = new URL(request.url)
  const method = request.method.toUpperCase()
  const parsedBody = request.body === '' ? undefined : tryParseJson(request.body)
  const body =
    parsedBody === undefined ? undefined : parsedBody.ok ? parsedBody.value : request.body
  const response = await route(model, request, url, method, body, parsedBody)
  model.recordHttp({
    method,
    path: url.pathname,
    query: url.search,
    headers: request.headers,
    body,
    status: response.status,
    at: model.clock.now(),
  })
  return response
}

async function route(
  model: FakePrefectModel,
  request: RestRequest,
  url: URL,
  method: string,
  body: unknown,
  parsedBody: { ok: true; value: unknown } | { ok: false } | undefined,
): Promise<RestResponse> {
  const resolved = model.resolveRoute(url.pathname)
  if (!resolved || resolved.scope === 'account') return json(404, { detail: 'Not Found' })
  const path = resolved.rest

  const fault = await model.httpFault(method, path)
  if (fault) {
    const headers: Record<string, string> = {}
    if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter)
    const defaultBody =
      fault.status >= 500
        ? { exception_message: 'Internal Server Error' }
        : { detail: statusText[fault.status] ?? 'Error' }
    return json(fault.status, fault.body ?? defaultBody, headers)
  }

  // Spec §6.1: /health is exempt from the auth check.
  const exempt = method === 'GET' && path === '/health'
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

  if (parsedBody && !parsedBody.ok && method !== 'GET') {
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

  if (method === 'GET' && path === '/health') return json(200, true)
  const known = knownRoutes.test(path) || (resolved.scope === 'oss' && path === '/csrf-token')
  if (!known) return json(404, { detail: 'Not Found' })
  const versionError = checkApiVersion(request.headers['x-prefect-api-version'])
  if (versionError) return json(400, { detail: versionError })

  if (method === 'GET' && path === '/csrf-token') return csrfToken(url)
  if (method === 'GET' && path === '/admin/version') return json(200, model.version)
  if (method === 'POST' && path === '/events') return postEvents(model, body)
  if (method === 'POST' && path === '/events/filter') return eventsFilter(model, url, body)
  if (method === 'GET' && path === '/events/filter/next') return eventsNext(model, url)
  if (method === 'POST' && path === '/flow_runs/filter') return flowRunsFilter(model, body)

  let match = /^\/flow_runs\/([^/]+)$/.exec(path)
  if (match && method === 'GET') {
    const id = match[1]!
    if (!uuidPattern.test(id)) return invalidUuid(['path', 'id'], id)
    const run = model.runRecord(id.toLowerCase())
    if (!run) return json(404, { detail: 'Flow run not found' })
    return json(200, model.renderRun(run))
  }
  match = /^\/flow_runs\/([^/]+)\/set_state$/.exec(path)
  if (match && method === 'POST') return setState(model, match[1]!, body)
  match = /^\/deployments\/([^/]+)\/create_flow_run$/.exec(path)
  if (match && method === 'POST') return createFlowRun(model, match[1]!, body)

  return json(405, { detail: 'Method Not Allowed' })
}

const knownRoutes =
  /^\/(health|admin\/version|events|events\/filter|events\/filter\/next|flow_runs\/filter|flow_runs\/[^/]+|flow_runs\/[^/]+\/set_state|deployments\/[^/]+\/create_flow_run)$/

/** The oldest `X-PREFECT-API-VERSION` the server accepts (spec §6.1). */
const minimumApiVersion = [0, 8, 0] as const

/** Python's `int()` on a header part: optional sign, digits with single underscores, spaces around. */
const versionPart = /^\s*[+-]?\d+(?:_\d+)*\s*$/

/**
 * Spec §6.1 (`EnforceMinimumAPIVersion`): an absent or empty header is fine; a value that is not
 * three integers, or one below 0.8.0, is a 400 with this `detail`.
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

/** `GET /csrf-token?client=…` with CSRF protection off, Prefect's default (spec §6.1). */
function csrfToken(url: URL): RestResponse {
  if (!url.searchParams.has('client')) {
    return json(422, {
      exception_message: 'Invalid request received.',
      exception_detail: [
        { type: 'missing', loc: ['query', 'client'], msg: 'Field required', input: null },
      ],
      request_body: null,
    })
  }
  return json(422, { detail: 'CSRF protection is disabled.' })
}

function invalidUuid(loc: (string | number)[], input: unknown): RestResponse {
  return invalid(
    [{ type: 'uuid_parsing', loc, msg: 'Input should be a valid UUID', input }],
    undefined,
  )
}

function postEvents(model: FakePrefectModel, body: unknown): RestResponse {
  if (!Array.isArray(body)) {
    return invalid(
      [{ type: 'list_type', loc: ['body'], msg: 'Input should be a valid list', input: body }],
      body,
    )
  }
  // Validate everything first: one invalid event rejects the whole request with 422.
  const issues: ValidationIssue[] = []
  body.forEach((raw, index) => {
    try {
      model.validateClientEvent(raw)
    } catch (error) {
      issues.push({
        type: 'value_error',
        loc: ['body', index],
        msg: error instanceof Error ? error.message : String(error),
        input: raw,
      })
    }
  })
  if (issues.length) return invalid(issues, body)
  for (const raw of body) model.receiveClientEvent(raw, 'http', undefined)
  return { status: 204, headers: {}, body: null }
}

function eventPageResponse(
  model: FakePrefectModel,
  url: URL,
  filterJson: unknown,
  limit: number,
  offset: number,
): RestResponse {
  const resolved = model.resolveRestFilter(filterJson)
  if (!resolved.ok) return json(403, { detail: 'Invalid page token' })
  const events = model.queryEvents(resolved.filter)
  const page = events.slice(offset, offset + limit)
  let nextPage: string | null = null
  if (offset + limit < events.length) {
    const token = base64Encode(
      JSON.stringify({
        filter: resolved.filter,
        count: events.length,
        page_size: limit,
        offset: offset + limit,
      }),
    )
    nextPage = `${nextPageBase(model, url)}events/filter/next?page-token=${base64Encode(token)}`
  }
  return json(200, { events: page, total: events.length, next_page: nextPage })
}

/** Spec §6.2: OSS builds `{base_url}api/…` with `api/` hard-coded; Cloud links into the workspace. */
function nextPageBase(model: FakePrefectModel, url: URL): string {
  if (model.options.cloud) return `${url.origin}${model.apiPath}/`
  return `${url.origin}/api/`
}

function eventsFilter(model: FakePrefectModel, url: URL, body: unknown): RestResponse {
  const value = body === undefined ? {} : body
  if (!isRecord(value)) return notADictionary(value, body)
  const limit = value.limit === undefined ? 50 : value.limit
  const limitIssue = boundedIntIssue(limit, ['body', 'limit'], { ge: 0, le: 50 })
  if (limitIssue) return invalid([limitIssue], body)
  const resolved = model.resolveRestFilter(value.filter ?? null)
  if (!resolved.ok) {
    return invalid(
      resolved.issues.map((i) => ({ type: i.type, loc: ['body', 'filter', ...i.loc], msg: i.msg })),
      body,
    )
  }
  return eventPageResponse(model, url, resolved.filter, limit as number, 0)
}

function eventsNext(model: FakePrefectModel, url: URL): RestResponse {
  // Read the raw query: the token is not URL-encoded and may contain '+', '/' and '='.
  const raw = /(?:^|&)page-token=([^&]*)/.exec(url.search.slice(1))?.[1]
  if (raw === undefined) {
    return invalid(
      [{ type: 'missing', loc: ['query', 'page-token'], msg: 'Field required' }],
      undefined,
    )
  }
  let token: unknown
  try {
    token = JSON.parse(base64Decode(base64Decode(decodeURIComponent(raw))))
  } catch {
    return json(403, { detail: 'Invalid page token' })
  }
  if (
    !isRecord(token) ||
    typeof token.page_size !== 'number' ||
    typeof token.offset !== 'number' ||
    !isRecord(token.filter)
  ) {
    return json(403, { detail: 'Invalid page token' })
  }
  return eventPageResponse(model, url, token.filter, token.page_size, token.offset)
}

// With `id.any_`, only the listed runs can match: a set lookup per run keeps a watcher's
// batched reads fast with 100,000 runs (a list search per run did not). Same runs, same
// order; `runMatches` still decides.
function candidateRuns(model: FakePrefectModel, filter: unknown): FlowRunRecord[] {
  const ids = isRecord(filter) && isRecord(filter.id) ? filter.id.any_ : undefined
  if (!Array.isArray(ids)) return model.runRecords()
  const wanted = new Set<unknown>(ids)
  return model.runRecords().filter((run) => wanted.has(run.id))
}

function flowRunsFilter(model: FakePrefectModel, body: unknown): RestResponse {
  const value = body === undefined ? {} : body
  if (!isRecord(value)) return notADictionary(value, body)
  const issues: ValidationIssue[] = []
  const filter = value.flow_runs
  if (filter !== undefined && filter !== null) {
    if (!isRecord(filter)) {
      issues.push({
        type: 'model_attributes_type',
        loc: ['body', 'flow_runs'],
        msg: 'Input should be a valid dictionary',
        input: filter,
      })
    } else {
      const unsupported = Object.keys(filter).filter((k) =>
        (unsupportedFlowRunFilterKeys as readonly string[]).includes(k),
      )
      if (unsupported.length > 0 && filter[unsupported[0]!] !== null) {
        return json(400, {
          detail: `flow_runs.${unsupported[0]} is a valid filter that @flowcast/fake-server does not evaluate`,
        })
      }
      issues.push(
        ...extraKeys(
          filter,
          [...flowRunFilterKeys, ...unsupportedFlowRunFilterKeys],
          ['body', 'flow_runs'],
        ),
      )
    }
  }
  const sort = value.sort ?? 'ID_DESC'
  if (!flowRunSorts.includes(sort as (typeof flowRunSorts)[number])) {
    issues.push({
      type: 'enum',
      loc: ['body', 'sort'],
      msg: `Input should be ${flowRunSorts.map((s) => `'${s}'`).join(', ')}`,
      input: sort,
    })
  }
  const limit = value.limit ?? flowRunsDefaultLimit
  const offset = value.offset ?? 0
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    issues.push({
      type: 'int_type',
      loc: ['body', 'limit'],
      msg: 'Input should be a valid integer',
      input: limit,
    })
  }
  if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
    issues.push({
      type: 'greater_than_equal',
      loc: ['body', 'offset'],
      msg: 'Input should be greater than or equal to 0',
      input: offset,
    })
  }
  if (issues.length) return invalid(issues, body)
  // Prefect's `LimitBody` dependency: the default limit (PREFECT_SERVER_API_DEFAULT_LIMIT, 200)
  // is also the maximum, and anything above it is a 422 with a plain `detail` string.
  if ((limit as number) > flowRunsDefaultLimit) {
    return json(422, {
      detail: `Invalid limit: must be less than or equal to ${flowRunsDefaultLimit}.`,
    })
  }
  const deploymentIds =
    isRecord(value.deployments) &&
    isRecord(value.deployments.id) &&
    Array.isArray(value.deployments.id.any_)
      ? (value.deployments.id.any_ as unknown[])
      : undefined
  const runs = candidateRuns(model, filter)
    .filter((run) => !isRecord(filter) || runMatches(run, filter))
    .filter((run) => !deploymentIds || deploymentIds.includes(run.deployment?.id))
    .sort(compareRuns(sort as string))
    .slice(offset as number, (offset as number) + (limit as number))
  return json(
    200,
    runs.map((run) => model.renderRun(run)),
  )
}

function setState(model: FakePrefectModel, id: string, body: unknown): RestResponse {
  if (!uuidPattern.test(id)) return invalidUuid(['path', 'id'], id)
  if (!isRecord(body)) {
    return invalid([{ type: 'missing', loc: ['body', 'state'], msg: 'Field required' }], body)
  }
  const state = validateStateCreate(body.state, ['body', 'state'])
  if (Array.isArray(state)) return invalid(state, body)
  const run = model.runRecord(id.toLowerCase())
  if (!run) return json(404, { detail: 'Flow run not found' })
  const result = model.transition(run, state, { force: body.force === true })
  return json((result as { status: string }).status === 'ACCEPT' ? 201 : 200, result)
}

function createFlowRun(model: FakePrefectModel, deploymentId: string, body: unknown): RestResponse {
  if (!uuidPattern.test(deploymentId)) return invalidUuid(['path', 'id'], deploymentId)
  const value = body === undefined ? {} : body
  if (!isRecord(value)) return notADictionary(value, body)
  const issues = extraKeys(value, deploymentFlowRunCreateKeys, ['body'])
  let state: StateInput | undefined
  if (value.state !== undefined && value.state !== null) {
    const validated = validateStateCreate(value.state, ['body', 'state'])
    if (Array.isArray(validated)) issues.push(...validated)
    else state = validated
  }
  if (
    value.tags !== undefined &&
    (!Array.isArray(value.tags) || value.tags.some((t) => typeof t !== 'string'))
  ) {
    issues.push({
      type: 'list_type',
      loc: ['body', 'tags'],
      msg: 'Input should be a valid list of strings',
      input: value.tags,
    })
  }
  if (issues.length) return invalid(issues, body)
  const deployment = model.deployment(deploymentId.toLowerCase())
  if (!deployment) return json(404, { detail: 'Deployment not found' })
  const input: FlowRunInput = { deploymentId: deployment.id }
  if (typeof value.name === 'string') input.name = value.name
  if (Array.isArray(value.tags)) input.tags = value.tags as string[]
  if (isRecord(value.parameters)) input.parameters = value.parameters
  if (typeof value.idempotency_key === 'string') input.idempotencyKey = value.idempotency_key
  if (typeof value.work_queue_name === 'string') input.workQueueName = value.work_queue_name
  if (isRecord(value.labels)) input.labels = value.labels as Record<string, string>
  if (state) input.state = state
  const { run, created } = model.createRun(input)
  return json(created ? 201 : 200, model.renderRun(run))
}
