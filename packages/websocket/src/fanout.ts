import type { FlowcastError, Logger } from '@flowcast/core'
import { Queue } from './queue.js'

/** @internal Options of {@link Fanout}. */
export interface FanoutOptions {
  /** Most items held for one async consumer, and before anyone listens. */
  maxQueued: number
  logger: Logger
  /** Names the owner in log lines, e.g. `'[@flowcast/websocket] an event listener threw'`. */
  listenerError: string
  /** A queue reached `maxQueued`: the owner stops reading until {@link FanoutOptions.onDrained}. */
  onFull(): void
  /** Every queue is back at or below half of `maxQueued` after {@link FanoutOptions.onFull}. */
  onDrained(): void
  /** The last async consumer left and no listener remains (the owner closes). */
  onIdle(): Promise<void>
}

interface Consumer<T> {
  queue: Queue<T>
  wake: (() => void) | undefined
  done: boolean
}

/**
 * @internal Hands each item to every listener (synchronously) and every async-iterator
 * consumer (through a bounded queue), holding items that arrive before anyone listens.
 * When a queue reaches its bound the owner is told to stop reading rather than the queue
 * growing without limit or items being dropped; once every queue is half empty again it
 * is told to resume. Shared by the subscribers of `/events/out` and `/logs/out`.
 */
export class Fanout<T> {
  readonly #o: FanoutOptions
  readonly #lowWater: number
  #preBuffer: Queue<T> | undefined = new Queue()
  readonly #consumers = new Set<Consumer<T>>()
  readonly #listeners = new Set<(item: T) => void>()
  #full = false
  #ended = false
  #error: FlowcastError | undefined
  /** Times a queue reached its bound. */
  overflows = 0
  /** The longest any queue has been. */
  highWater = 0

  constructor(options: FanoutOptions) {
    this.#o = options
    this.#lowWater = Math.floor(options.maxQueued / 2)
  }

  /** Whether reading is stopped because a queue is full. */
  get full(): boolean {
    return this.#full
  }

  /** Items waiting in the longest queue right now. */
  get queued(): number {
    let most = this.#preBuffer?.length ?? 0
    for (const consumer of this.#consumers) most = Math.max(most, consumer.queue.length)
    return most
  }

  /** Whether anyone (listener or consumer) receives items. */
  get attached(): boolean {
    return this.#consumers.size > 0 || this.#listeners.size > 0
  }

  /** Adds a synchronous listener; items held so far follow on a microtask. */
  listen(listener: (item: T) => void): () => void {
    this.#listeners.add(listener)
    if (this.#preBuffer) queueMicrotask(() => this.#flushPreBuffer())
    return () => {
      this.#listeners.delete(listener)
    }
  }

  /** Hands one item to everyone (or holds it while nobody listens). */
  deliver(item: T): void {
    if (this.#ended) return
    if (this.#preBuffer) {
      if (!this.attached) {
        this.#preBuffer.push(item)
        this.#noteLength(this.#preBuffer.length)
        return
      }
      this.#flushPreBuffer()
    }
    // Inline rather than `notifyListeners`: no argument array per item on the hot path.
    for (const listener of this.#listeners) {
      try {
        listener(item)
      } catch (error) {
        this.#o.logger.error(this.#o.listenerError, { error: String(error) })
      }
    }
    for (const consumer of this.#consumers) {
      consumer.queue.push(item)
      this.#noteLength(consumer.queue.length)
      consumer.wake?.()
    }
  }

  /** No more items: consumers drain their queues, then end (throwing `error` when given). */
  end(error: FlowcastError | undefined): void {
    if (this.#ended) return
    this.#ended = true
    this.#error = error
    for (const consumer of this.#consumers) consumer.wake?.()
  }

  /** A new async-iterator consumer. */
  iterator(): AsyncIterator<T> {
    const consumer: Consumer<T> = { queue: new Queue(), wake: undefined, done: false }
    this.#consumers.add(consumer)
    this.#flushPreBuffer()
    const finish = (): IteratorResult<T> => {
      consumer.done = true
      this.#consumers.delete(consumer)
      consumer.queue.clear()
      this.#checkDrained()
      return { value: undefined, done: true }
    }
    return {
      next: async (): Promise<IteratorResult<T>> => {
        for (;;) {
          if (consumer.done) return { value: undefined, done: true }
          if (consumer.queue.length > 0) {
            const item = consumer.queue.shift() as T
            if (this.#full) this.#checkDrained()
            return { value: item, done: false }
          }
          if (this.#ended) {
            finish()
            if (this.#error) throw this.#error
            return { value: undefined, done: true }
          }
          await new Promise<void>((resolve) => {
            consumer.wake = resolve
          })
          consumer.wake = undefined
        }
      },
      return: async (): Promise<IteratorResult<T>> => {
        const result = finish()
        consumer.wake?.()
        // Breaking out of the last `for await` loop closes the owner.
        if (!this.attached) await this.#o.onIdle()
        return result
      },
    }
  }

  #noteLength(length: number): void {
    if (length > this.highWater) this.highWater = length
    if (length >= this.#o.maxQueued && !this.#full) {
      this.#full = true
      this.overflows++
      this.#o.onFull()
    }
  }

  #checkDrained(): void {
    if (!this.#full || this.#ended) return
    if (this.queued > this.#lowWater) return
    this.#full = false
    this.#o.onDrained()
  }

  #flushPreBuffer(): void {
    const held = this.#preBuffer
    if (!held || !this.attached) return
    this.#preBuffer = undefined
    for (let item = held.shift(); item !== undefined; item = held.shift()) this.deliver(item)
    this.#checkDrained()
  }
}
