import { createServer, type Server } from 'node:http'
import { silentLogger, type Logger } from '@flowcast/core'
import { createWebhookReceiver, type WebhookReceiver } from '@flowcast/webhook'
import { createNodeWebhookHandler } from '@flowcast/webhook/node'
import {
  createRedisFanout,
  createRedisIdempotencyStore,
  type RedisFanout,
} from '@flowcast/webhook/redis'
import { Redis } from 'ioredis'
import type { ReceiverConfig } from './config.js'

/** The running parts of the service. */
export interface ReceiverApp {
  /** The HTTP server (not listening yet). */
  server: Server
  /** Register handlers on it (see `handlers.ts`). */
  receiver: WebhookReceiver
  /** Stops taking requests, lets requests in flight finish, then closes Redis. */
  close(): Promise<void>
}

/**
 * Builds the service: `POST <path>` is the webhook, `GET /healthz` the health check (it
 * pings Redis when one is configured), anything else 404.
 */
export async function createReceiverApp(
  config: ReceiverConfig,
  logger: Logger = silentLogger,
): Promise<ReceiverApp> {
  let redis: Redis | undefined
  let fanout: RedisFanout | undefined
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
    redis.on('error', (error: Error) => logger.warn('redis error', { error: error.message }))
    await redis.connect()
    fanout = createRedisFanout({ redis, logger })
    await fanout.ready()
  }
  const receiver = createWebhookReceiver({
    path: config.path,
    secrets: config.secrets,
    maxBodyBytes: config.maxBodyBytes,
    logger,
    ...(redis ? { store: createRedisIdempotencyStore({ redis }) } : {}),
    ...(fanout ? { fanout } : {}),
  })
  receiver.onError((error, delivery) => {
    logger.error('handler failed', {
      eventId: delivery.event.id,
      error: error instanceof Error ? error.message : String(error),
    })
  })
  const webhook = createNodeWebhookHandler(receiver)
  const server = createServer((req, res) => {
    if (req.url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      void health().then((ok) => {
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ status: ok ? 'ok' : 'redis unreachable' }))
      })
      return
    }
    webhook(req, res)
  })

  async function health(): Promise<boolean> {
    if (!redis) return true
    try {
      return (await redis.ping()) === 'PONG'
    } catch {
      return false
    }
  }

  return {
    server,
    receiver,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
      await fanout?.close()
      if (redis) await redis.quit().catch(() => redis?.disconnect())
    },
  }
}
