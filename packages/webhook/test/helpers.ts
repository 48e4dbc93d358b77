import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import { once } from 'node:events'
import { Redis } from 'ioredis'
import type { ReceivedEvent } from '@flowcast/core'

/** A flow-run state event as Prefect's `{{ event|tojson }}` renders it. */
export function flowRunEvent(
  options: {
    id?: string
    flowRunId?: string
    type?: string
    name?: string
    occurred?: string
  } = {},
): ReceivedEvent {
  const type = options.type ?? 'COMPLETED'
  const name = options.name ?? type.charAt(0) + type.slice(1).toLowerCase()
  const occurred = options.occurred ?? '2026-11-29T12:00:00.000000Z'
  return {
    id: options.id ?? crypto.randomUUID(),
    occurred,
    received: occurred,
    event: `prefect.flow-run.${name}`,
    resource: {
      'prefect.resource.id': `prefect.flow-run.${options.flowRunId ?? crypto.randomUUID()}`,
      'prefect.resource.name': 'quick-otter',
      'prefect.state-type': type,
      'prefect.state-name': name,
      'prefect.state-timestamp': occurred,
    },
    related: [],
    payload: { intended: { from: 'RUNNING', to: type } },
    follows: null,
  }
}

/** A free loopback port (the OS picks it; closed again before it is used). */
export async function freePort(): Promise<number> {
  const server = createNetServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

export interface RedisServer {
  url: string
  /** A new client on this server (closed by `stop`). */
  client(): Redis
  stop(): Promise<void>
}

/**
 * Starts a throwaway `redis-server` on a free loopback port, without persistence.
 * tooling/scripts/ensure-redis.sh installs it when missing.
 */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  const child: ChildProcess = spawn(
    process.env.FLOWCAST_REDIS_SERVER ?? 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes('Ready to accept connections') && resolve()
    child.stdout!.on('data', onData)
    child.once('error', (error) =>
      reject(
        new Error(
          `redis-server could not start (run tooling/scripts/ensure-redis.sh): ${error.message}`,
        ),
      ),
    )
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)))
  })
  const clients: Redis[] = []
  return {
    url: `redis://127.0.0.1:${port}`,
    client() {
      const client = new Redis(port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 1 })
      clients.push(client)
      return client
    },
    async stop() {
      for (const client of clients.splice(0)) client.disconnect()
      if (child.exitCode === null) {
        child.kill('SIGTERM')
        await once(child, 'exit')
      }
    },
  }
}

/** Keeps sockets bounded when a test fires many requests at once. */
export const agent = new Agent({ keepAlive: true, maxSockets: 50 })

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
}

/** Sends one request over node:http (no Content-Type unless given, like Prefect). */
export function post(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'POST', headers: options.headers ?? {}, agent },
      (res) => {
        let body = ''
        res.on('data', (chunk: Buffer) => (body += chunk.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/**
 * Starts a request whose body keeps coming (chunked) until `stop()`, and resolves with the
 * answer the server gives meanwhile.
 */
export function postEndless(
  url: string,
  headers: Record<string, string> = {},
): { answer: Promise<Answer>; stop(): void } {
  const req = httpRequest(url, { method: 'POST', headers })
  const timer = setInterval(() => req.write('{"padding": "'), 5)
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let body = ''
      res.on('data', (chunk: Buffer) => (body += chunk.toString()))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      res.on('error', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    })
    req.on('error', reject)
  })
  req.write('{')
  return {
    answer,
    stop() {
      clearInterval(timer)
      req.destroy()
    },
  }
}
