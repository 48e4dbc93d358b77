import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { serializeReceivedEvent, type ReceivedEvent } from '@flowcast/core'
import {
  createWebhookReceiver,
  type IdempotencyStore,
  type WebhookDelivery,
} from '@flowcast/webhook'
import { createNodeWebhookHandler } from '@flowcast/webhook/node'
import type { Redis } from 'ioredis'
import { ExitCode, UsageError, type Command } from '../io.js'

const help = `Usage: flowcast webhook listen [options]

A receiver for Prefect "call webhook" automations, for local use and scripts. Runs until
SIGINT or SIGTERM (exit 0). The first line on stdout is exactly:
  listening on http://HOST:PORT/PATH
Point the automation's Webhook block at that URL (through a tunnel for a remote Prefect).

The body is a ReceivedEvent (action template '{{ event|tojson }}') or a JSON object whose
'event' key holds one; other keys are kept with the delivery, and an 'automation' object
with an 'id' makes the automation part of the idempotency key. Answers, in this order:
  404  the path is not --path
  405  the method is not POST (with 'Allow: POST')
  413  the body is larger than --max-body; 408 when it does not arrive within 10 s
  401  --secret is set and 'Authorization: Bearer <secret>' (or the raw value of
       --secret-header) matches none of the secrets
  400  the body is not JSON
  422  the body holds no valid event
  409  a duplicate still being handled (with 'Retry-After: 1')
  200  a duplicate already handled (same event id, and automation id when present): not
       printed again; or a new delivery, printed once

Options:
  --host HOST            interface to listen on (default 127.0.0.1)
  --port PORT            port to listen on; 0 picks a free port (default 0)
  --path PATH            the only path answered (default /)
  --secret S             accepted shared secret (repeatable, for rotation; env
                         FLOWCAST_WEBHOOK_SECRET when no --secret is given)
  --secret-header NAME   read the secret as the whole value of this header instead of
                         'Authorization: Bearer <secret>'
  --max-body BYTES       largest accepted body (default 2097152, 2 MiB)
  --redis URL            share idempotency through Redis (redis://[:password@]host:port/db),
                         so a delivery posted to several listeners is printed once
  --json                 one JSON line per delivery:
                         {"type":"delivery","event":<ReceivedEvent>,
                          "flow_run":{"id":…,"state_type":…,"state_name":…}|null}
  -h, --help             show this help

Output: one line per delivery, '<occurred>  <event>  <resource id> [state=TYPE]';
rejections are noted on stderr (never with secrets).
Exit codes: 0 on SIGINT/SIGTERM, 2 usage error, 31 when the port cannot be opened or Redis
cannot be reached.
`

const options = {
  host: { type: 'string' },
  port: { type: 'string' },
  path: { type: 'string' },
  secret: { type: 'string', multiple: true },
  'secret-header': { type: 'string' },
  'max-body': { type: 'string' },
  redis: { type: 'string' },
  json: { type: 'boolean' },
} as const

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0
  const port = Number(text)
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${text}'`)
  }
  return port
}

function parseMaxBody(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const bytes = Number(text)
  if (!/^\d+$/.test(text) || bytes < 1 || !Number.isSafeInteger(bytes)) {
    throw new UsageError(`--max-body must be a positive number of bytes, got '${text}'`)
  }
  return bytes
}

/** The Redis URL without its user name and password, for messages. */
function redactRedisUrl(text: string): string {
  try {
    const url = new URL(text)
    url.username = ''
    url.password = ''
    return url.toString()
  } catch {
    return 'the --redis URL'
  }
}

function parseRedisUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError('--redis must be a URL such as redis://127.0.0.1:6379')
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`--redis must be a redis:// or rediss:// URL, got '${url.protocol}'`)
  }
  return text
}

function deliveryLine(delivery: WebhookDelivery, json: boolean): string {
  if (json) {
    const flowRun = delivery.flowRun
      ? {
          id: delivery.flowRun.flowRunId,
          state_type: delivery.flowRun.type,
          state_name: delivery.flowRun.name,
        }
      : null
    return `{"type":"delivery","event":${serializeReceivedEvent(delivery.event)},"flow_run":${JSON.stringify(flowRun)}}`
  }
  const event: ReceivedEvent = delivery.event
  const state = delivery.flowRun ? `  state=${delivery.flowRun.type}` : ''
  return `${event.occurred}  ${event.event}  ${event.resource['prefect.resource.id']}${state}`
}

/** `flowcast webhook listen`: receive Prefect "call webhook" deliveries until SIGINT/SIGTERM. */
export const webhookListenCommand: Command = {
  path: ['webhook', 'listen'],
  summary: 'receive Prefect automation webhook deliveries (each printed once)',
  help,
  async run(args, io) {
    const { values } = parseArgs({ args, options, allowPositionals: false, strict: true })
    const host = values.host ?? '127.0.0.1'
    const port = parsePort(values.port)
    const path = values.path ?? '/'
    if (!path.startsWith('/')) throw new UsageError(`--path must start with /, got '${path}'`)
    const envSecret = io.env['FLOWCAST_WEBHOOK_SECRET']
    const secrets = values.secret ?? (envSecret ? [envSecret] : [])
    if (secrets.some((s) => s === '')) throw new UsageError('--secret must not be empty')
    const secretHeader = values['secret-header']
    if (secretHeader !== undefined && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(secretHeader)) {
      throw new UsageError('--secret-header must be an HTTP header name')
    }
    if (secretHeader !== undefined && secrets.length === 0) {
      throw new UsageError('--secret-header needs --secret')
    }
    const maxBodyBytes = parseMaxBody(values['max-body'])
    const redisUrl = parseRedisUrl(values.redis)
    const json = values.json === true

    let redis: Redis | undefined
    let store: IdempotencyStore | undefined
    if (redisUrl) {
      // Loaded only with --redis, so every other command starts without the Redis client.
      const [{ Redis }, { createRedisIdempotencyStore }] = await Promise.all([
        import('ioredis'),
        import('@flowcast/webhook/redis'),
      ])
      redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
      // Connection errors are reported below; ioredis would otherwise print them itself.
      redis.on('error', () => {})
      try {
        await redis.connect()
        await redis.ping()
        store = createRedisIdempotencyStore({ redis })
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error)
        io.stderr.write(
          `flowcast webhook listen: cannot reach Redis at ${redactRedisUrl(redisUrl)}: ${cause.split(redisUrl).join(redactRedisUrl(redisUrl))}\n`,
        )
        redis.disconnect()
        return ExitCode.unreachable
      }
    }

    const receiver = createWebhookReceiver({
      path,
      ...(secrets.length > 0 ? { secrets } : {}),
      ...(secretHeader ? { secretHeader } : {}),
      ...(maxBodyBytes ? { maxBodyBytes } : {}),
      ...(store ? { store } : {}),
      logger: {
        debug() {},
        info() {},
        warn(message, data) {
          if (data?.['status'] !== undefined) {
            io.stderr.write(`rejected ${String(data['status'])} (${String(data['outcome'])})\n`)
          } else io.stderr.write(`${message}\n`)
        },
        error(message) {
          io.stderr.write(`${message}\n`)
        },
      },
    })
    receiver.onDelivery((delivery) => {
      io.stdout.write(`${deliveryLine(delivery, json)}\n`)
    })

    const server: Server = createServer(createNodeWebhookHandler(receiver))
    try {
      server.listen(port, host)
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([error]) => Promise.reject(error as Error)),
      ])
    } catch (error) {
      const cause = error instanceof Error ? error.message : String(error)
      io.stderr.write(`flowcast webhook listen: cannot listen on ${host}:${port}: ${cause}\n`)
      redis?.disconnect()
      return ExitCode.unreachable
    }
    const address = server.address() as AddressInfo
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
    io.stdout.write(`listening on http://${shownHost}:${address.port}${path}\n`)

    await new Promise<void>((resolve) => {
      if (io.signal.aborted) return resolve()
      io.signal.addEventListener('abort', () => resolve(), { once: true })
    })
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    redis?.disconnect()
    return ExitCode.ok
  },
}
