// What `followFlowRun` needs of a flowcast instance, kept off the public `Flowcast` type: a
// method is never tree-shaken, so the logs stack lives in a standalone function that reaches
// the instance through this module-private map.
import { FlowcastError, type Clock, type Logger, type RunWatcher } from '@flowcast/core'
import type { Flowcast } from './flowcast.js'
import type { TransportOptions } from './transport.js'

/** The parts of a flowcast instance its standalone functions use. */
export interface FlowcastInternals {
  /** The instance's run watcher, created on first use. @throws FlowcastError `CLOSED` */
  getWatcher(): RunWatcher
  /**
   * The options the instance's transport was built from (client, credentials, WebSocket,
   * fetch, clock, logger, instrumentation, profile, REST tuning).
   */
  readonly transportOptions: TransportOptions
  /** @default systemClock */
  readonly clock: Clock
  /** @default silentLogger */
  readonly logger: Logger
  /**
   * Things the instance's `close()` closes too (awaited with its own sockets), e.g. the logs
   * sources a follow created.
   */
  readonly closers: Set<() => Promise<void>>
}

const internals = new WeakMap<Flowcast, FlowcastInternals>()

/** Records the internals of an instance `createFlowcast` made. */
export function attachInternals(flowcast: Flowcast, parts: FlowcastInternals): void {
  internals.set(flowcast, parts)
}

/**
 * The internals of an instance `createFlowcast` made.
 * @throws FlowcastError `INVALID_OPTIONS` for anything else
 */
export function internalsOf(flowcast: unknown, caller: string): FlowcastInternals {
  const parts =
    typeof flowcast === 'object' && flowcast !== null
      ? internals.get(flowcast as Flowcast)
      : undefined
  if (!parts) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      `[flowcast] ${caller} needs an instance made by createFlowcast as its first argument`,
    )
  }
  return parts
}
