import { sleep, type Clock } from '@flowcast/core'
import type {
  ConnectionSelector,
  DropConnectionsOptions,
  FakePrefectFaults,
  HttpErrorRule,
} from '../types.js'
import { closeCodes, type Connection } from './connection.js'
import { compilePathPattern } from './util.js'

interface HttpFaultRule extends HttpErrorRule {
  pattern: RegExp
  remaining: number
}

/** What the faults act on. */
export interface FaultTarget {
  readonly clock: Clock
  /** Open connections picked by a selector (`defaultKind` when the selector names none). */
  select(selector: ConnectionSelector | undefined, defaultKind?: 'out'): Connection[]
  /** Every open connection. */
  connections(): Connection[]
  /** The adapter's way to really stop listening during `faults.restart()`, if it has one. */
  restartHook(): ((downMs: number, signal?: AbortSignal) => Promise<void>) | undefined
}

/** The fault switches (auth refusal, upgrade rejection, silence, delays, HTTP errors) and their controls. */
export class Faults {
  refuseAuth: { mode: 'soft' | 'hard'; reason: string } | null = null
  rejectUpgrades: { status: number; pattern: string | undefined } | null = null
  silenceAll = false
  delayMs = 0
  #slowMs = 0
  #httpRules: HttpFaultRule[] = []
  readonly #target: FaultTarget
  /** The controls handed to users (`server.faults`). */
  readonly view: FakePrefectFaults

  constructor(target: FaultTarget) {
    this.#target = target
    this.view = this.#createView()
  }

  /** Waits out `slowResponses`. */
  async slowDown(): Promise<void> {
    if (this.#slowMs > 0) await sleep(this.#slowMs, { clock: this.#target.clock })
  }

  /** The HTTP fault matching a request, consuming one use of it. */
  takeHttpFault(method: string, path: string): HttpErrorRule | undefined {
    for (const rule of this.#httpRules) {
      if (rule.remaining <= 0) continue
      if (rule.method && rule.method.toUpperCase() !== method) continue
      if (!rule.pattern.test(path)) continue
      rule.remaining--
      return rule
    }
    return undefined
  }

  #createView(): FakePrefectFaults {
    const target = this.#target
    const view: FakePrefectFaults = {
      injectFrames: (frames, options) => {
        const targets = target.select(options, 'out').filter((c) => c.isOpen)
        for (const connection of targets) connection.inject(frames)
        return targets.length
      },
      dropConnections: (options: DropConnectionsOptions = {}) => {
        const targets = target.select(options)
        for (const connection of targets) {
          if (options.afterEvents !== undefined) {
            connection.dropAfterEvents(options.afterEvents, options.code, options.reason ?? '')
          } else if (options.afterMs !== undefined) {
            connection.dropAfter(options.afterMs, options.code, options.reason ?? '')
          } else {
            connection.drop(options.code, options.reason ?? '')
          }
        }
        return targets.length
      },
      refuseAuth: (mode, options = {}) => {
        this.refuseAuth = mode ? { mode, reason: options.reason ?? 'Invalid token' } : null
      },
      rejectUpgrades: (status, options = {}) => {
        this.rejectUpgrades = status === null ? null : { status, pattern: options.path }
      },
      silence: (on, options) => {
        if (!options || (options.path === undefined && options.connection === undefined)) {
          this.silenceAll = on
        }
        for (const connection of target.select(options)) connection.setSilenced(on)
      },
      delayFrames: (ms) => {
        this.delayMs = Math.max(0, ms)
      },
      httpError: (rule) => {
        this.#httpRules.push({
          ...rule,
          pattern: compilePathPattern(rule.path),
          remaining: rule.times ?? Number.POSITIVE_INFINITY,
        })
      },
      slowResponses: (ms) => {
        this.#slowMs = Math.max(0, ms)
      },
      restart: async (options = {}) => {
        for (const connection of target.connections()) {
          connection.drop(closeCodes.serviceRestart, '')
        }
        const downMs = options.downMs ?? 0
        const hook = target.restartHook()
        if (hook) await hook(downMs, options.signal)
        else if (downMs > 0) {
          await sleep(downMs, {
            clock: target.clock,
            ...(options.signal ? { signal: options.signal } : {}),
          })
        }
      },
      reset: () => {
        this.refuseAuth = null
        this.rejectUpgrades = null
        this.silenceAll = false
        this.delayMs = 0
        this.#slowMs = 0
        this.#httpRules = []
        for (const connection of target.connections()) connection.resetFaults()
      },
    }
    return view
  }
}
