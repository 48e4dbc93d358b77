import { parseArgs } from 'node:util'
import {
  isFlowcastError,
  serializeReceivedEvent,
  type EventFilter,
  type ReceivedEvent,
} from '@flowcast/core'
import { createEventsSubscriber, eventsSocketUrl } from '@flowcast/websocket'
import { parseSecondsFlag } from './wait-outcome.js'
import { connectionHelp, connectionOptions, resolveConnection } from '../connection.js'
import { ExitCode, UsageError, type Command } from '../io.js'

const help = `Usage: flowcast events stream [--event-prefix P]... [--resource-id ID]... [--json]

Streams Prefect events from the events websocket (/events/out) until SIGINT or SIGTERM.
Each event is printed exactly once, across reconnects (resume + dedupe by id); frames that
are not events are skipped. The stream starts 60 s back, as Prefect's client does.

Options:
  --event-prefix P       only events whose name starts with P (repeatable; any may match),
                         e.g. --event-prefix prefect.flow-run.
  --resource-id ID       only events whose primary resource id is ID (repeatable),
                         e.g. --resource-id prefect.flow-run.<uuid>
  --json                 one ReceivedEvent JSON object per line (JSON lines)
  --connect-timeout S    exit 31 when the API cannot be reached for S seconds (default 15)
  -h, --help             show this help

${connectionHelp}

Output: one line per event, '<occurred>  <event>  <resource id> [(name)] [state]';
connection notices go to stderr.
Exit codes: 0 on SIGINT/SIGTERM, 2 usage error, 30 credentials rejected,
31 API unreachable (or the server refused the stream).
`

const options = {
  ...connectionOptions,
  'event-prefix': { type: 'string', multiple: true },
  'resource-id': { type: 'string', multiple: true },
  json: { type: 'boolean' },
  'connect-timeout': { type: 'string' },
} as const

/** Parses `--connect-timeout` (seconds) into milliseconds. */
export function parseConnectTimeout(text: string | undefined): number {
  if (text === undefined) return 15_000
  const rule = { min: 0, exclusive: true, plainDecimal: true }
  return parseSecondsFlag('--connect-timeout', text, rule) * 1000
}

function formatEvent(event: ReceivedEvent): string {
  const resource = event.resource
  const name = resource['prefect.resource.name']
  const state = resource['prefect.state-type']
  return [
    event.occurred,
    event.event,
    `${resource['prefect.resource.id']}${name ? ` (${name})` : ''}`,
    ...(state ? [`state=${state}`] : []),
  ].join('  ')
}

/** `flowcast events stream`: every matching event, once, until SIGINT/SIGTERM. */
export const eventsStreamCommand: Command = {
  path: ['events', 'stream'],
  summary: 'stream Prefect events (each exactly once) until interrupted',
  help,
  async run(args, io) {
    const { values } = parseArgs({ args, options, allowPositionals: false, strict: true })
    const connection = resolveConnection(values, io.env)
    const connectTimeoutMs = parseConnectTimeout(values['connect-timeout'])
    const filter: EventFilter = {}
    const prefixes = values['event-prefix']
    if (prefixes?.some((p) => p.length === 0))
      throw new UsageError('--event-prefix must not be empty')
    if (prefixes && prefixes.length > 0) filter.event = { prefix: prefixes }
    const ids = values['resource-id']
    if (ids?.some((id) => id.length === 0)) throw new UsageError('--resource-id must not be empty')
    if (ids && ids.length > 0) filter.resource = { id: ids }

    let url: string
    let subscriber: ReturnType<typeof createEventsSubscriber>
    try {
      url = eventsSocketUrl(connection.apiUrl, 'out')
      subscriber = createEventsSubscriber({
        apiUrl: connection.apiUrl,
        ...(connection.apiKey ? { apiKey: connection.apiKey } : {}),
        ...(connection.authString ? { authString: connection.authString } : {}),
        filter,
        reconnect: { maxDowntimeMs: connectTimeoutMs },
        connectTimeoutMs: Math.min(10_000, connectTimeoutMs),
        signal: io.signal,
      })
    } catch (error) {
      if (isFlowcastError(error)) throw new UsageError(error.message)
      throw error
    }

    let announced = false
    subscriber.onStateChange((state) => {
      if (state === 'open') {
        io.stderr.write(
          announced ? 'reconnected\n' : `streaming events from ${url} (Ctrl-C to stop)\n`,
        )
        announced = true
      } else if (state === 'reconnecting') {
        io.stderr.write(
          `connection lost (${subscriber.lastError?.message ?? 'unknown'}); reconnecting\n`,
        )
      }
    })

    const json = values.json === true
    try {
      for await (const event of subscriber) {
        io.stdout.write(`${json ? serializeReceivedEvent(event) : formatEvent(event)}\n`)
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      io.stderr.write(`flowcast events stream: ${message}\n`)
      return isFlowcastError(error, 'AUTH_REJECTED') ? ExitCode.authRejected : ExitCode.unreachable
    } finally {
      await subscriber.close()
    }
    return ExitCode.ok
  },
}
