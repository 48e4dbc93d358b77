import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { Hono } from 'hono'
import { serve } from '@hono/node-server'
import type { Clock } from '@flowcast/core'
import type { WebhookReceiver } from '../src/index.js'
import { createNodeWebhookHandler } from '../src/node.js'
import { createWebWebhookHandler } from '../src/web.js'

export type ServerKind = 'node:http' | 'express' | 'express+json' | 'hono'

export interface Mounted {
  /** The webhook URL (path /hook). */
  url: string
  /** The server's origin, for requests to other paths. */
  origin: string
  close(): Promise<void>
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

/**
 * Mounts `receiver` (whose `path` is `/hook`) on a real loopback server of the given kind.
 * `express+json` mounts `express.json()` first, so the raw body is gone (parsed mode).
 */
export async function mount(
  kind: ServerKind,
  receiver: WebhookReceiver,
  clock?: Clock,
): Promise<Mounted> {
  const options = clock ? { clock } : {}
  if (kind === 'hono') {
    const handle = createWebWebhookHandler(receiver, options)
    const app = new Hono()
    app.all('/hook', (c) => handle(c.req.raw))
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server
    await once(server, 'listening')
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return { url: `${origin}/hook`, origin, close: () => closeServer(server) }
  }
  const handler = createNodeWebhookHandler(receiver, options)
  let server: Server
  if (kind === 'node:http') {
    server = createServer(handler)
  } else {
    const app = express()
    if (kind === 'express+json') app.use(express.json({ type: () => true, limit: '5mb' }))
    app.use(handler)
    server = createServer(app)
  }
  const origin = await listen(server)
  return { url: `${origin}/hook`, origin, close: () => closeServer(server) }
}
