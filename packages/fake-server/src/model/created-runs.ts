import { type Clock, type FlowRun, type TimerHandle } from '@flowcast/core'
import type { FlowRunMatcher, NextFlowRunOptions } from '../types.js'
import { fakeError } from './util.js'

/** Whether a run satisfies a {@link FlowRunMatcher}. */
export function matchesFlowRun(run: FlowRun, matcher: FlowRunMatcher): boolean {
  if (matcher.deploymentId !== undefined && run.deployment_id !== matcher.deploymentId) return false
  return matcher.where === undefined || matcher.where(run)
}

interface Waiter {
  matcher: FlowRunMatcher
  take(run: FlowRun): void
  fail(code: 'CLOSED', why: string): void
}

/**
 * The queue behind `nextFlowRun()`: runs created through the REST API, in creation order, each
 * handed out once, to the oldest waiting call that matches it.
 */
export class CreatedRunQueue {
  readonly #clock: Clock
  /** Runs no call has taken yet. */
  #untaken: FlowRun[] = []
  /** How many runs were queued since the last reset (for error messages). */
  #queued = 0
  #waiters: Waiter[] = []
  #closed = false

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** A run the API created: the oldest waiting call that matches takes it, else it waits. */
  push(run: FlowRun): void {
    this.#queued++
    const index = this.#waiters.findIndex((w) => matchesFlowRun(run, w.matcher))
    if (index === -1) {
      this.#untaken.push(run)
      return
    }
    const [waiter] = this.#waiters.splice(index, 1)
    waiter!.take(run)
  }

  next(options: NextFlowRunOptions = {}): Promise<FlowRun> {
    const { signal, timeoutMs } = options
    const matcher: FlowRunMatcher = {
      ...(options.deploymentId !== undefined ? { deploymentId: options.deploymentId } : {}),
      ...(options.where !== undefined ? { where: options.where } : {}),
    }
    if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 0)) {
      return Promise.reject(
        fakeError('INVALID_OPTIONS', 'nextFlowRun', 'timeoutMs must be a number >= 0'),
      )
    }
    const index = this.#untaken.findIndex((run) => matchesFlowRun(run, matcher))
    if (index !== -1) return Promise.resolve(this.#untaken.splice(index, 1)[0]!)
    if (this.#closed) {
      return Promise.reject(fakeError('CLOSED', 'nextFlowRun', 'the server is closed'))
    }
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined
      const done = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        signal?.removeEventListener('abort', onAbort)
        if (timer !== undefined) this.#clock.clearTimeout(timer)
      }
      const fail = (code: 'ABORTED' | 'TIMEOUT' | 'CLOSED', why: string) => {
        done()
        reject(fakeError(code, 'nextFlowRun', `${why}; ${this.#describe(matcher)}`))
      }
      const onAbort = () => fail('ABORTED', 'aborted')
      const waiter: Waiter = {
        matcher,
        take: (run) => {
          done()
          resolve(run)
        },
        fail,
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      if (timeoutMs !== undefined) {
        timer = this.#clock.setTimeout(
          () => fail('TIMEOUT', `no matching flow run was created within ${timeoutMs} ms`),
          timeoutMs,
        )
      }
      this.#waiters.push(waiter)
    })
  }

  #describe(matcher: FlowRunMatcher): string {
    const wanted = [
      matcher.deploymentId !== undefined ? `deployment ${matcher.deploymentId}` : 'any deployment',
      ...(matcher.where ? ['and `where`'] : []),
    ].join(' ')
    const untaken = this.#untaken.map((r) => `${r.id} (deployment ${r.deployment_id ?? 'none'})`)
    return (
      `wanted a run of ${wanted}; the API created ${this.#queued} run(s) since the last reset, ` +
      `${untaken.length} not taken${untaken.length ? `: ${untaken.join(', ')}` : ''}`
    )
  }

  /** The server closed: waiting calls and later ones that find no run reject with `CLOSED`. */
  close(): void {
    this.#closed = true
    for (const waiter of [...this.#waiters]) waiter.fail('CLOSED', 'the server closed')
  }

  /** Forgets queued runs; calls still waiting keep waiting for new runs. */
  clear(): void {
    this.#untaken = []
    this.#queued = 0
  }
}
