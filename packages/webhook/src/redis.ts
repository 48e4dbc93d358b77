import { createHash } from 'node:crypto'
import { silentLogger, type Logger } from '@flowcast/core'
import type { Redis } from 'ioredis'
import type { DeliveryFanout } from './fanout.js'
import { parseDelivery } from './parse.js'
import type { ClaimResult, IdempotencyStore } from './store.js'
import type { WebhookDelivery } from './types.js'

/** Options of {@link createRedisIdempotencyStore}. */
export interface RedisIdempotencyStoreOptions {
  /** An `ioredis` client; the store does not close it. */
  redis: Redis
  /**
   * Prefix of every key the store writes.
   * @default 'flowcast:webhook:'
   */
  keyPrefix?: string
  /**
   * How long a claim or done mark lives, in ms (a claim whose instance died mid-handler
   * answers 409 until then).
   * @default 86_400_000 (24 h)
   */
  ttlMs?: number
}

/** Defaults of {@link RedisIdempotencyStoreOptions} and {@link RedisFanoutOptions}. */
export const redisWebhookDefaults = {
  keyPrefix: 'flowcast:webhook:',
  ttlMs: 86_400_000,
  channel: 'flowcast:webhook:deliveries',
} as const

// Each claim holds a random token, so an instance only completes or releases its own claim
// (never one that expired and was taken by another instance meanwhile).
const completeScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], 'done', 'PX', ARGV[2]) end return nil`
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

/** Runs a script by its SHA-1 (sent once per server), loading it on `NOSCRIPT`. */
function scriptRunner(script: string) {
  const sha = createHash('sha1').update(script).digest('hex')
  return async (redis: Redis, key: string, ...args: string[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, 1, key, ...args)
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error
      return redis.eval(script, 1, key, ...args)
    }
  }
}
const runComplete = scriptRunner(completeScript)
const runRelease = scriptRunner(releaseScript)

/**
 * An idempotency store shared by every instance on one Redis: a claim is an atomic
 * `SET key <token> NX PX ttl`; completing sets `done` (same TTL); releasing deletes the key
 * when the claim is still ours.
 *
 * @example
 * ```ts
 * import Redis from 'ioredis'
 * const redis = new Redis(process.env.REDIS_URL)
 * const receiver = createWebhookReceiver({ store: createRedisIdempotencyStore({ redis }) })
 * ```
 */
export function createRedisIdempotencyStore(
  options: RedisIdempotencyStoreOptions,
): IdempotencyStore {
  const { redis } = options
  const prefix = options.keyPrefix ?? redisWebhookDefaults.keyPrefix
  const ttl = String(options.ttlMs ?? redisWebhookDefaults.ttlMs)
  const tokens = new Map<string, string>()
  return {
    async claim(key): Promise<ClaimResult> {
      const token = `claim:${crypto.randomUUID()}`
      const set = await redis.set(prefix + key, token, 'PX', ttl, 'NX')
      if (set === 'OK') {
        tokens.set(key, token)
        return 'claimed'
      }
      const current = await redis.get(prefix + key)
      // Released between the two calls: another delivery is about to claim it, retry later.
      return current === 'done' ? 'done' : 'in_progress'
    },
    async complete(key) {
      const token = tokens.get(key)
      tokens.delete(key)
      if (token !== undefined) await runComplete(redis, prefix + key, token, ttl)
    },
    async release(key) {
      const token = tokens.get(key)
      tokens.delete(key)
      if (token !== undefined) await runRelease(redis, prefix + key, token)
    },
  }
}

/** Options of {@link createRedisFanout}. */
export interface RedisFanoutOptions {
  /** An `ioredis` client for publishing; the fan-out does not close it. */
  redis: Redis
  /**
   * A second client in subscriber mode (one per fan-out).
   * @default redis.duplicate(), closed by `close()`
   */
  subscriber?: Redis
  /**
   * The pub/sub channel.
   * @default 'flowcast:webhook:deliveries'
   */
  channel?: string
  /** @default silentLogger */
  logger?: Logger
}

/** A {@link DeliveryFanout} on Redis pub/sub. */
export interface RedisFanout extends DeliveryFanout {
  /** Resolves once the subscription is active (deliveries published after it are heard). */
  ready(): Promise<void>
  /** Unsubscribes (and closes the subscriber client it created). Idempotent. */
  close(): Promise<void>
}

/**
 * Shares claimed deliveries between instances over Redis pub/sub, so a waiter on instance B
 * resolves when the delivery reached instance A. Each message carries the origin, so an
 * instance does not hear its own deliveries twice.
 *
 * @example
 * ```ts
 * const fanout = createRedisFanout({ redis })
 * await fanout.ready()
 * const receiver = createWebhookReceiver({ store: createRedisIdempotencyStore({ redis }), fanout })
 * ```
 */
export function createRedisFanout(options: RedisFanoutOptions): RedisFanout {
  const { redis } = options
  const channel = options.channel ?? redisWebhookDefaults.channel
  const logger = options.logger ?? silentLogger
  const ownSubscriber = options.subscriber === undefined
  const subscriber = options.subscriber ?? redis.duplicate()
  const origin = crypto.randomUUID()
  const listeners = new Set<(delivery: WebhookDelivery) => void>()
  let closed = false

  const onMessage = (from: string, message: string) => {
    if (from !== channel) return
    let delivery: WebhookDelivery
    try {
      const data = JSON.parse(message) as { origin?: unknown; body?: unknown }
      if (data.origin === origin) return
      const parsed = parseDelivery(data.body)
      if (!('ok' in parsed)) throw new Error(parsed.reason)
      delivery = parsed.delivery
    } catch (error) {
      logger.warn('webhook fan-out message skipped', { error: String(error) })
      return
    }
    for (const listener of [...listeners]) listener(delivery)
  }
  subscriber.on('message', onMessage)
  const subscribed = subscriber.subscribe(channel).then(() => undefined)
  subscribed.catch((error: unknown) => {
    logger.error('webhook fan-out subscribe failed', { error: String(error) })
  })

  return {
    ready: () => subscribed,
    async publish(delivery) {
      const body = {
        ...delivery.extra,
        event: delivery.event,
        ...(delivery.automation ? { automation: delivery.automation } : {}),
      }
      await redis.publish(channel, JSON.stringify({ origin, body }))
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      if (closed) return
      closed = true
      listeners.clear()
      subscriber.off('message', onMessage)
      if (ownSubscriber) {
        subscriber.disconnect()
      } else {
        await subscriber.unsubscribe(channel).catch(() => {})
      }
    },
  }
}

export type { ClaimResult, IdempotencyStore } from './store.js'
export type { DeliveryFanout } from './fanout.js'
