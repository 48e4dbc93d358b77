import { parseArgs } from 'node:util'
import { isFlowcastError, serializeEvent, type Event } from '@flowcast/core'
import { createEventsEmitter } from '@flowcast/websocket'
import { connectionHelp, connectionOptions, resolveConnection } from '../connection.js'
import { ExitCode, UsageError, type Command } from '../io.js'
import { parseConnectTimeout } from './events-stream.js'

const help = `Usage: flowcast events emit --event NAME --resource-id ID [--payload JSON] [--id UUID]

Emits one event over the events websocket (/events/in) and exits 0 once the server has
confirmed it (a ping/pong checkpoint after the event). Prints the event as sent (one JSON
line, with the generated id and occurred) on stdout.

Options:
  --event NAME           event name, e.g. shop.order.paid
  --resource-id ID       the primary resource id (prefect.resource.id), e.g. shop.order.42
  --payload JSON         a JSON object for the payload (default {})
  --id UUID              the event id (default: a new UUID v7); re-emitting the same id is
                         deduplicated by the server
  --connect-timeout S    exit 31 when the API cannot be reached for S seconds (default 15)
  -h, --help             show this help

${connectionHelp}

Exit codes: 0 confirmed, 2 usage error (including an invalid event), 30 credentials
rejected, 31 API unreachable, 130 interrupted before confirmation.
`

const options = {
  ...connectionOptions,
  event: { type: 'string' },
  'resource-id': { type: 'string' },
  payload: { type: 'string' },
  id: { type: 'string' },
  'connect-timeout': { type: 'string' },
} as const

function parsePayload(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new UsageError(`--payload must be JSON, e.g. '{"amount": 42}'`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError('--payload must be a JSON object')
  }
  return value as Record<string, unknown>
}

/** `flowcast events emit`: one event, confirmed by the server. */
export const eventsEmitCommand: Command = {
  path: ['events', 'emit'],
  summary: 'emit one Prefect event and wait until the server confirms it',
  help,
  async run(args, io) {
    const { values } = parseArgs({ args, options, allowPositionals: false, strict: true })
    if (!values.event) throw new UsageError('--event NAME is required')
    if (!values['resource-id']) throw new UsageError('--resource-id ID is required')
    const payload = parsePayload(values.payload)
    const connection = resolveConnection(values, io.env)
    const connectTimeoutMs = parseConnectTimeout(values['connect-timeout'])

    let emitter: ReturnType<typeof createEventsEmitter>
    let event: Event
    try {
      emitter = createEventsEmitter({
        apiUrl: connection.apiUrl,
        ...(connection.apiKey ? { apiKey: connection.apiKey } : {}),
        ...(connection.authString ? { authString: connection.authString } : {}),
        reconnect: { maxDowntimeMs: connectTimeoutMs },
        connectTimeoutMs: Math.min(10_000, connectTimeoutMs),
      })
      event = emitter.emit({
        event: values.event,
        resource: { 'prefect.resource.id': values['resource-id'] },
        payload,
        ...(values.id ? { id: values.id } : {}),
      })
    } catch (error) {
      if (isFlowcastError(error)) throw new UsageError(error.message)
      throw error
    }

    try {
      // The reconnect limit decides "unreachable" (exit 31); the deadline only bounds a server
      // that accepts the socket but never confirms.
      await emitter.close({ signal: io.signal, timeoutMs: connectTimeoutMs + 10_000 })
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (isFlowcastError(error, 'ABORTED')) {
        io.stderr.write('flowcast events emit: interrupted before the server confirmed the event\n')
        return ExitCode.interrupted
      }
      io.stderr.write(`flowcast events emit: ${message}\n`)
      return isFlowcastError(error, 'AUTH_REJECTED') ? ExitCode.authRejected : ExitCode.unreachable
    }
    io.stdout.write(`${serializeEvent(event)}\n`)
    io.stderr.write(`confirmed: ${event.event} ${event.id}\n`)
    return ExitCode.ok
  },
}
