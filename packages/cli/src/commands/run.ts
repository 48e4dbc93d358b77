import { parseArgs } from 'node:util'
import { isFlowcastError, isUuid, type FlowRun } from '@flowcast/core'
import {
  createPrefectClient,
  type DeploymentFlowRunCreate,
  type PrefectApiSchema,
  type PrefectClient,
} from '@flowcast/polling'
import { connectionHelp, connectionOptions, resolveConnection } from '../connection.js'
import { ExitCode, UsageError, type CliIO, type Command } from '../io.js'
// The JSON Schema validator (ajv) is loaded when `run` runs, not at the CLI's start-up.
import type { ParameterIssue } from '../parameter-schema.js'
import {
  createWaitCounters,
  exitCodeFor,
  parseTimeout,
  parseTransport,
  verboseHelp,
  waitOptions,
  parseSecondsFlag,
} from './wait-outcome.js'
import { watchFlowRun, type WatchFlowRunOptions } from './watch.js'

type Deployment = PrefectApiSchema<'DeploymentResponse'>

const help = `Usage: flowcast run <FLOW_NAME/DEPLOYMENT_NAME> [options]
       flowcast run --id DEPLOYMENT_ID [options]

Starts a run of a deployment and waits for it, exiting with a code that says how it ended:
the one command a CI pipeline step needs. The deployment is found by name
(GET /deployments/name/{flow}/{deployment}) or by --id. When the deployment enforces its
parameter schema, the parameters are checked against it before the run is created, and
every bad one is named. Then it waits exactly like 'flowcast watch'.

Options:
  --id DEPLOYMENT_ID   the deployment's id instead of its name
  --param KEY=VALUE    a parameter (repeatable); the value is read by the deployment's
                       schema: kept as text for a string parameter (version=1.10 stays
                       "1.10"), else JSON when it parses (n=3 is 3, flag=true is true),
                       else text. Wins over --params
  --params JSON        parameters as a JSON object; '-' reads it from stdin
  --tag TAG            a tag for the run, added to the deployment's tags (repeatable)
  --job-variable KEY=VALUE
                       a job variable for the run's infrastructure (repeatable; the value is
                       JSON when it parses, else text)
  --flow-run-name NAME the run's name (default: one the server makes up)
  --idempotency-key KEY
                       the same key again returns the same run instead of starting a second
                       one: pass the CI build id so a retried pipeline step never runs twice
  --start-in SECONDS   schedule the run this many seconds from now (default: now); set
                       --timeout larger, since it counts from the run's creation
  --no-wait            print the run (its id on a line, or the JSON line) and exit 0
  --transport T        how to wait: auto (default: WebSocket, REST polling while it is down
                       or silent), websocket, or polling
  --timeout SECONDS    give up this long after the run was created (exit 20); default: never
  --json               JSON lines: first {"type":"flow_run","flow_run":…} (the run as
                       created), then exactly what 'flowcast watch --json' prints, ending
                       with one {"type":"outcome",…} line
  --no-logs            do not show the run's logs beside its states
${verboseHelp}
${connectionHelp}

Exit codes:
  0 COMPLETED (or created, with --no-wait)   10 FAILED   11 CRASHED   12 CANCELLED
  20 timed out   3 refused: deployment not found or parameters invalid (checked here or
  by the server; nothing was created)   30 auth rejected   31 API unreachable (or 5xx after
  retries), transport failed   2 usage error   130 interrupted
`

const options = {
  ...connectionOptions,
  ...waitOptions,
  id: { type: 'string' },
  param: { type: 'string', multiple: true },
  params: { type: 'string' },
  tag: { type: 'string', multiple: true },
  'job-variable': { type: 'string', multiple: true },
  'flow-run-name': { type: 'string' },
  'idempotency-key': { type: 'string' },
  'start-in': { type: 'string' },
  'no-wait': { type: 'boolean', default: false },
  'no-logs': { type: 'boolean', default: false },
} as const

/** Which deployment to run. */
type DeploymentRef = { id: string } | { flowName: string; deploymentName: string }

function parseDeploymentRef(positionals: string[], id: string | undefined): DeploymentRef {
  if (id !== undefined) {
    if (positionals.length > 0) {
      throw new UsageError('give either <FLOW_NAME/DEPLOYMENT_NAME> or --id, not both')
    }
    if (!isUuid(id)) throw new UsageError(`--id must be a deployment id (a UUID), got '${id}'`)
    return { id: id.toLowerCase() }
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? 'missing <FLOW_NAME/DEPLOYMENT_NAME> (or --id DEPLOYMENT_ID)'
        : `expected one deployment, got ${positionals.length}`,
    )
  }
  const parts = positionals[0]!.split('/')
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new UsageError(
      `the deployment must look like FLOW_NAME/DEPLOYMENT_NAME, got '${positionals[0]}'`,
    )
  }
  return { flowName: parts[0]!, deploymentName: parts[1]! }
}

function splitPair(value: string, flag: string): [string, string] {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new UsageError(`${flag} must look like KEY=VALUE, got '${value}'`)
  return [value.slice(0, eq), value.slice(eq + 1)]
}

function parseJsonValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return raw
  }
}

async function readStdin(io: CliIO): Promise<string> {
  const source = io.stdin ?? process.stdin
  let text = ''
  const decoder = new TextDecoder()
  for await (const chunk of source) {
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
  }
  return text + decoder.decode()
}

async function parseParamsOption(
  value: string | undefined,
  io: CliIO,
): Promise<Record<string, unknown>> {
  if (value === undefined) return {}
  const text = value === '-' ? await readStdin(io) : value
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new UsageError(`--params must be a JSON object${value === '-' ? ' (on stdin)' : ''}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('--params must be a JSON object')
  }
  return parsed as Record<string, unknown>
}

function parseStartIn(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  return parseSecondsFlag('--start-in', value, { min: 0 })
}

function describeRef(ref: DeploymentRef): string {
  return 'id' in ref ? `deployment ${ref.id}` : `deployment '${ref.flowName}/${ref.deploymentName}'`
}

/** The exit code and message for a failed REST call before the wait (lookup or create). */
function requestFailure(error: unknown, what: string): { code: number; message: string } {
  if (!isFlowcastError(error)) throw error
  const message = `${what}: ${error.message}`
  switch (error.code) {
    case 'AUTH_REJECTED':
      return { code: ExitCode.authRejected, message }
    case 'NOT_FOUND':
      return { code: ExitCode.refused, message }
    case 'ABORTED':
      return { code: ExitCode.interrupted, message }
    case 'HTTP': {
      const status = error.status ?? 0
      const refused = status >= 400 && status < 500 && status !== 408
      return { code: refused ? ExitCode.refused : ExitCode.unreachable, message }
    }
    default:
      return { code: ExitCode.unreachable, message }
  }
}

async function readDeployment(
  client: PrefectClient,
  ref: DeploymentRef,
  signal: AbortSignal,
): Promise<Deployment> {
  if ('id' in ref) {
    return client.api.GET('/deployments/{id}', { params: { path: { id: ref.id } }, signal })
  }
  return client.api.GET('/deployments/name/{flow_name}/{deployment_name}', {
    params: { path: { flow_name: ref.flowName, deployment_name: ref.deploymentName } },
    signal,
  })
}

function isSchemaObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function formatIssues(issues: readonly ParameterIssue[]): string {
  return issues
    .map(
      (issue) =>
        `  ${issue.parameter === null ? '(parameters)' : issue.parameter}: ${issue.message}`,
    )
    .join('\n')
}

/** `flowcast run <FLOW/DEPLOYMENT>`: start a deployment run, wait, exit with its outcome. */
export const runCommand: Command = {
  path: ['run'],
  summary: 'start a run of a deployment (by name or id) and wait; the exit code says how it ended',
  help,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    })
    const ref = parseDeploymentRef(positionals, values.id)
    const transport = parseTransport(values.transport)
    const timeoutMs = parseTimeout(values.timeout)
    const startIn = parseStartIn(values['start-in'])
    const pairs = (values.param ?? []).map((p) => splitPair(p, '--param'))
    const jobVariables = Object.fromEntries(
      (values['job-variable'] ?? []).map((p) => {
        const [key, raw] = splitPair(p, '--job-variable')
        return [key, parseJsonValue(raw)]
      }),
    )
    const fromParams = await parseParamsOption(values.params, io)
    const connection = resolveConnection(values, io.env)
    const json = values.json === true
    const counters = values.verbose ? createWaitCounters('run') : undefined
    const client = createPrefectClient({
      apiUrl: connection.apiUrl,
      ...(connection.apiKey ? { apiKey: connection.apiKey } : {}),
      ...(connection.authString ? { authString: connection.authString } : {}),
      timeoutMs: 10_000,
      ...(counters ? { instrumentation: counters.instrumentation } : {}),
    })
    const fail = (code: number, message: string) => {
      io.stderr.write(`flowcast run: ${message}\n`)
      counters?.print(io, { outcome: 'refused' })
      return code
    }

    let deployment: Deployment
    try {
      deployment = await readDeployment(client, ref, io.signal)
    } catch (error) {
      const failure = requestFailure(error, `cannot read ${describeRef(ref)}`)
      if (isFlowcastError(error, 'NOT_FOUND')) {
        return fail(failure.code, `${describeRef(ref)} not found (nothing was created)`)
      }
      return fail(failure.code, failure.message)
    }

    const schema = isSchemaObject(deployment.parameter_openapi_schema)
      ? deployment.parameter_openapi_schema
      : null
    const { checkParameters, readParameterValue } = await import('../parameter-schema.js')
    const parameters: Record<string, unknown> = { ...fromParams }
    for (const [key, raw] of pairs) parameters[key] = readParameterValue(key, raw, schema)

    // The server checks the parameters merged over the deployment's defaults (its 409); the
    // same check here names every bad parameter at once, and nothing is created.
    if (deployment.enforce_parameter_schema && schema) {
      let issues: ParameterIssue[] | undefined
      try {
        issues = checkParameters({ ...deployment.parameters, ...parameters }, schema)
      } catch {
        // A schema this validator cannot compile is left to the server to judge.
        issues = undefined
      }
      if (issues && issues.length > 0) {
        const name = `${describeRef(ref)}`
        return fail(
          ExitCode.refused,
          `invalid parameters for ${name} (nothing was created):\n${formatIssues(issues)}`,
        )
      }
    }

    const body: DeploymentFlowRunCreate = {
      ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
      ...(values.tag ? { tags: values.tag } : {}),
      ...(Object.keys(jobVariables).length > 0 ? { job_variables: jobVariables } : {}),
      ...(values['flow-run-name'] !== undefined ? { name: values['flow-run-name'] } : {}),
      ...(values['idempotency-key'] !== undefined
        ? { idempotency_key: values['idempotency-key'] }
        : {}),
      ...(startIn === undefined
        ? {}
        : {
            state: {
              type: 'SCHEDULED',
              name: 'Scheduled',
              state_details: {
                scheduled_time: new Date(Date.now() + startIn * 1000).toISOString(),
              },
            },
          }),
    }
    const createdAt = Date.now()
    let flowRun: FlowRun
    try {
      flowRun = await client.createFlowRunFromDeployment(deployment.id, body, {
        signal: io.signal,
      })
    } catch (error) {
      const failure = requestFailure(error, `the server refused the run of ${describeRef(ref)}`)
      return fail(failure.code, failure.message)
    }

    if (json) io.stdout.write(`${JSON.stringify({ type: 'flow_run', flow_run: flowRun })}\n`)
    if (values['no-wait']) {
      if (!json) io.stdout.write(`${flowRun.id}\n`)
      counters?.print(io, { outcome: 'created' })
      return ExitCode.ok
    }
    if (!json) {
      const shownName = flowRun.name ? `'${flowRun.name}' ` : ''
      io.stdout.write(
        `Created flow run ${shownName}${flowRun.id} from ${'id' in ref ? deployment.id : `${ref.flowName}/${ref.deploymentName}`}\n`,
      )
    }
    const remainingMs =
      timeoutMs === undefined ? undefined : Math.max(1, timeoutMs - (Date.now() - createdAt))
    const watchOptions: WatchFlowRunOptions = {
      connection,
      flowRunId: flowRun.id,
      transport,
      json,
      io,
      ...(remainingMs === undefined ? {} : { timeoutMs: remainingMs }),
      ...(values['no-logs'] ? { logs: false } : {}),
      ...(counters ? { instrumentation: counters.instrumentation } : {}),
    }
    const result = await watchFlowRun(watchOptions)
    counters?.print(io, { outcome: result.outcome })
    return exitCodeFor(result)
  },
}
