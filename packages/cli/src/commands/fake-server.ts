import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { isUuid } from '@flowcast/core'
// The fake server is loaded when this command runs, not at the CLI's start-up.
import type { FakePrefectServer, FakePrefectServerOptions } from '@flowcast/fake-server'
import { ExitCode, UsageError, type CliIO, type Command } from '../io.js'

const help = `Usage: flowcast fake-server [options]

Runs a fake Prefect server (REST API, the events websockets /events/out and /events/in,
and the logs socket /logs/out) until SIGINT or SIGTERM. The first line on stdout is exactly:
  listening on <api-url>
e.g. 'listening on http://127.0.0.1:4200/api'; point PREFECT_API_URL at that URL.
Then one line per seeded deployment:
  deployment <flow>/<name> <deployment-id>
Create runs with POST <api-url>/deployments/<deployment-id>/create_flow_run and move them
with POST <api-url>/flow_runs/<flow-run-id>/set_state, as on a real Prefect server.

Options:
  --host HOST              interface to listen on (default 127.0.0.1)
  --port PORT              port to listen on; 0 picks a free port (default 4200)
  --auth-string S          require this auth string, like PREFECT_SERVER_API_AUTH_STRING:
                           HTTP needs 'Authorization: Basic base64(S)' (except /api/health),
                           websocket auth frames need the token S, and upgrades without the
                           'prefect' subprotocol get HTTP 403
                           (env PREFECT_SERVER_API_AUTH_STRING)
  --cloud-account ID       Prefect Cloud mode: the account id; routes move under
                           /api/accounts/ID/workspaces/WS (needs --cloud-workspace, --api-key)
  --cloud-workspace WS     Prefect Cloud mode: the workspace id
  --api-key KEY            Prefect Cloud mode: the API key clients must send
                           ('Authorization: Bearer KEY', or the auth-frame token)
  --deployment FLOW/NAME[=ID]
                           seed a deployment (repeatable); ID fixes its UUID
                           (default: one deployment, demo-flow/demo)
  --no-log-stream          behave like a default Prefect OSS server: /logs/out accepts,
                           authenticates and takes the filter, then sends nothing (logs are
                           still stored and served by POST /api/logs/filter); by default it
                           streams logs like a server with log streaming turned on
  --deployment-schema FLOW/NAME=SCHEMA
                           give a seeded deployment this parameter_openapi_schema, enforced:
                           SCHEMA is a JSON object, or @FILE to read it from a file
                           (default: {"type":"object","properties":{}}, which any parameters pass)
  --deployment-parameters FLOW/NAME=JSON
                           give a seeded deployment these default parameters (a JSON object)
  --reject-upgrades STATUS answer every WebSocket upgrade with this HTTP status (e.g. 403, as a
                           proxy that blocks WebSockets does) while REST keeps working
  --cors-allowed-origins LIST
                           origins a browser page may call the REST API from, comma-separated;
                           '*' allows every origin (default '*', like Prefect's server;
                           env PREFECT_SERVER_CORS_ALLOWED_ORIGINS). WebSocket upgrades are
                           accepted from any origin
  --cors-allowed-methods LIST
                           methods a CORS preflight may ask for (default '*': all;
                           env PREFECT_SERVER_CORS_ALLOWED_METHODS)
  --cors-allowed-headers LIST
                           request headers a CORS preflight may ask for (default '*': any;
                           env PREFECT_SERVER_CORS_ALLOWED_HEADERS)
  --control-stdin          read fault commands on stdin, one per line, for tests that drive
                           this process: 'drop-connections' (drop every WebSocket without a
                           close frame), 'reject-upgrades STATUS', 'accept-upgrades'; each is
                           acknowledged with a line 'control: ok <command>' on stdout
  -h, --help               show this help

Exit codes: 0 after a clean stop, 2 on a usage error, 31 when the port cannot be opened.
`

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  'auth-string': { type: 'string' },
  'cloud-account': { type: 'string' },
  'cloud-workspace': { type: 'string' },
  'api-key': { type: 'string' },
  deployment: { type: 'string', multiple: true },
  'no-log-stream': { type: 'boolean', default: false },
  'deployment-schema': { type: 'string', multiple: true },
  'deployment-parameters': { type: 'string', multiple: true },
  'reject-upgrades': { type: 'string' },
  'cors-allowed-origins': { type: 'string' },
  'cors-allowed-methods': { type: 'string' },
  'cors-allowed-headers': { type: 'string' },
  'control-stdin': { type: 'boolean', default: false },
} as const

interface DeploymentSeed {
  flowName: string
  name: string
  id?: string
  parameterOpenApiSchema?: Record<string, unknown>
  parameters?: Record<string, unknown>
}

function parseDeployments(values: string[] | undefined): DeploymentSeed[] {
  if (!values || values.length === 0) return [{ flowName: 'demo-flow', name: 'demo' }]
  return values.map((value) => {
    const match = /^([^/=]+)\/([^/=]+)(?:=(.+))?$/.exec(value)
    if (!match) {
      throw new UsageError(
        `--deployment must look like FLOW/NAME or FLOW/NAME=UUID, got '${value}'`,
      )
    }
    const [, flowName, name, id] = match as unknown as [string, string, string, string | undefined]
    if (id !== undefined && !isUuid(id)) {
      throw new UsageError(`--deployment id must be a UUID, got '${id}'`)
    }
    return id === undefined ? { flowName, name } : { flowName, name, id }
  })
}

function jsonObject(text: string, flag: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new UsageError(`${flag} needs a JSON object`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${flag} needs a JSON object`)
  }
  return parsed as Record<string, unknown>
}

/** Applies `--deployment-schema` / `--deployment-parameters` (`FLOW/NAME=VALUE`) to the seeds. */
function applyToSeeds(
  seeds: DeploymentSeed[],
  values: string[] | undefined,
  flag: string,
  apply: (seed: DeploymentSeed, value: string) => void,
): void {
  for (const value of values ?? []) {
    const match = /^([^/=]+)\/([^/=]+)=([\s\S]+)$/.exec(value)
    if (!match) throw new UsageError(`${flag} must look like FLOW/NAME=VALUE`)
    const seed = seeds.find((s) => s.flowName === match[1] && s.name === match[2])
    if (!seed) {
      throw new UsageError(`${flag} names ${match[1]}/${match[2]}, which no --deployment seeds`)
    }
    apply(seed, match[3]!)
  }
}

function readSchemaArgument(value: string): string {
  if (!value.startsWith('@')) return value
  try {
    return readFileSync(value.slice(1), 'utf8')
  } catch {
    throw new UsageError(`--deployment-schema cannot read the file '${value.slice(1)}'`)
  }
}

function parseRejectUpgrades(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const status = Number(text)
  if (!/^\d{3}$/.test(text) || status < 400 || status > 599) {
    throw new UsageError(`--reject-upgrades must be an HTTP status from 400 to 599, got '${text}'`)
  }
  return status
}

/** A comma-separated CORS list, as Prefect's `PREFECT_SERVER_CORS_ALLOWED_*` settings hold. */
function corsList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** `--cors-allowed-*` over `PREFECT_SERVER_CORS_ALLOWED_*`; absent ones keep Prefect's `*`. */
function corsOptions(
  values: {
    'cors-allowed-origins'?: string
    'cors-allowed-methods'?: string
    'cors-allowed-headers'?: string
  },
  env: Record<string, string | undefined>,
): NonNullable<FakePrefectServerOptions['cors']> {
  const origins = corsList(
    values['cors-allowed-origins'] ?? env.PREFECT_SERVER_CORS_ALLOWED_ORIGINS,
  )
  const methods = corsList(
    values['cors-allowed-methods'] ?? env.PREFECT_SERVER_CORS_ALLOWED_METHODS,
  )
  const headers = corsList(
    values['cors-allowed-headers'] ?? env.PREFECT_SERVER_CORS_ALLOWED_HEADERS,
  )
  return {
    ...(origins ? { allowedOrigins: origins } : {}),
    ...(methods ? { allowedMethods: methods } : {}),
    ...(headers ? { allowedHeaders: headers } : {}),
  }
}

/** Applies `--control-stdin` commands to `server` until the input ends or `signal` aborts. */
async function readControlCommands(
  server: FakePrefectServer,
  io: Pick<CliIO, 'stdout' | 'stderr' | 'stdin' | 'signal'>,
): Promise<void> {
  const input = io.stdin ?? process.stdin
  // An open stdin would keep the process alive after the server stopped.
  io.signal.addEventListener('abort', () => (input as { destroy?: () => void }).destroy?.(), {
    once: true,
  })
  const decoder = new TextDecoder()
  let buffered = ''
  const apply = (line: string) => {
    const [command, argument] = line.trim().split(/\s+/)
    if (!command) return
    if (command === 'drop-connections' && argument === undefined) {
      server.faults.dropConnections()
    } else if (command === 'reject-upgrades' && argument && /^[45]\d\d$/.test(argument)) {
      server.faults.rejectUpgrades(Number(argument))
    } else if (command === 'accept-upgrades' && argument === undefined) {
      server.faults.rejectUpgrades(null)
    } else {
      io.stderr.write(`flowcast fake-server: unknown control command '${line.trim()}'\n`)
      return
    }
    io.stdout.write(`control: ok ${line.trim()}\n`)
  }
  for await (const chunk of input) {
    if (io.signal.aborted) return
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let newline: number
    while ((newline = buffered.indexOf('\n')) !== -1) {
      apply(buffered.slice(0, newline))
      buffered = buffered.slice(newline + 1)
    }
  }
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return 4200
  const port = Number(text)
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${text}'`)
  }
  return port
}

function serverOptions(
  values: {
    host?: string
    port?: string
    'auth-string'?: string
    'cloud-account'?: string
    'cloud-workspace'?: string
    'api-key'?: string
  },
  env: Record<string, string | undefined>,
): FakePrefectServerOptions {
  const result: FakePrefectServerOptions = {
    host: values.host ?? '127.0.0.1',
    port: parsePort(values.port),
  }
  const account = values['cloud-account']
  const workspace = values['cloud-workspace']
  const apiKey = values['api-key']
  const cloud = account !== undefined || workspace !== undefined || apiKey !== undefined
  if (cloud) {
    if (!account || !workspace || !apiKey) {
      throw new UsageError(
        'Cloud mode needs --cloud-account, --cloud-workspace and --api-key together',
      )
    }
    if (values['auth-string'] !== undefined) {
      throw new UsageError(
        '--auth-string is for the OSS server; it cannot be combined with Cloud mode',
      )
    }
    if (!/^[\w-]+$/.test(account) || !/^[\w-]+$/.test(workspace)) {
      throw new UsageError('--cloud-account and --cloud-workspace must be ids such as UUIDs')
    }
    result.cloud = { accountId: account, workspaceId: workspace, apiKey }
    return result
  }
  const authString = values['auth-string'] ?? env.PREFECT_SERVER_API_AUTH_STRING
  if (authString) result.authString = authString
  return result
}

/** `flowcast fake-server`: a fake Prefect server on a real port until SIGINT/SIGTERM. */
export const fakeServerCommand: Command = {
  path: ['fake-server'],
  summary: 'run a fake Prefect server (REST + events websockets) for local testing',
  help,
  async run(args, io) {
    const { values } = parseArgs({ args, options, allowPositionals: false, strict: true })
    const config = serverOptions(values, io.env)
    if (values['no-log-stream']) config.logStream = false
    config.cors = corsOptions(values, io.env)
    const deployments = parseDeployments(values.deployment)
    applyToSeeds(deployments, values['deployment-schema'], '--deployment-schema', (seed, v) => {
      seed.parameterOpenApiSchema = jsonObject(readSchemaArgument(v), '--deployment-schema')
    })
    applyToSeeds(
      deployments,
      values['deployment-parameters'],
      '--deployment-parameters',
      (seed, v) => {
        seed.parameters = jsonObject(v, '--deployment-parameters')
      },
    )
    const rejectUpgrades = parseRejectUpgrades(values['reject-upgrades'])
    const { createFakePrefectServer } = await import('@flowcast/fake-server')
    let server
    try {
      server = await createFakePrefectServer(config)
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error)
      io.stderr.write(`flowcast fake-server: ${cause}\n`)
      return ExitCode.unreachable
    }
    if (rejectUpgrades !== undefined) server.faults.rejectUpgrades(rejectUpgrades)
    io.stdout.write(`listening on ${server.apiUrl}\n`)
    for (const seed of deployments) {
      const deployment = server.createDeployment(seed)
      io.stdout.write(`deployment ${seed.flowName}/${seed.name} ${deployment.id}\n`)
    }
    if (values['control-stdin']) {
      readControlCommands(server, io).catch((error: unknown) => {
        if (io.signal.aborted) return
        io.stderr.write(`flowcast fake-server: control input failed: ${String(error)}\n`)
      })
    }
    await new Promise<void>((resolve) => {
      if (io.signal.aborted) return resolve()
      io.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    await server.close()
    return ExitCode.ok
  },
}
