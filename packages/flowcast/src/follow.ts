// `followFlowRun` as a standalone function rather than a `Flowcast` method, so a bundle that
// only waits (`createFlowcast` alone) leaves out the logs stack: the run logs follower, the
// logs socket and the REST logs client.
import {
  followFlowRun as followFlowRunWith,
  type FlowRunFollow,
  type FollowFlowRunOptions,
  type LogsSources,
} from '@flowcast/core'
import type { Flowcast } from './flowcast.js'
import { internalsOf, type FlowcastInternals } from './internals.js'
import { composeLogs, type LogsComposition } from './transport.js'

/** Options of {@link followFlowRun} (the `flowcast` one). */
export type FlowcastFollowOptions = Omit<
  FollowFlowRunOptions,
  'sources' | 'watcher' | 'watcherOptions' | 'logs' | 'clock' | 'logger'
> & {
  /**
   * Follow logs as well as states; `false` follows states only (no logs socket, no REST
   * logs read).
   * @default true
   */
  logs?: boolean | undefined
}

// One set of logs sources per instance, created on its first follow with logs.
const logsByInstance = new WeakMap<FlowcastInternals, LogsComposition>()

function logsOf(internals: FlowcastInternals): LogsSources {
  let logs = logsByInstance.get(internals)
  if (!logs) {
    const created = composeLogs(internals.transportOptions)
    logsByInstance.set(internals, created)
    internals.closers.add(() => created.close())
    logs = created
  }
  return logs.sources
}

/**
 * Follows a flow run through a flowcast instance: its states and its logs in one stream,
 * each log once — live from the logs socket when the server streams them (not with
 * `transport: 'polling'`), over REST always — ending after the terminal state plus the
 * straggler window (3 s, only when the end was seen live). Logs never change `result`.
 * Shares the instance's watcher with `waitForFlowRun`, and one set of logs sources with
 * every other follow of the instance; `flowcast.close()` closes them.
 *
 * @throws FlowcastError `INVALID_OPTIONS` when `flowcast` was not made by `createFlowcast`;
 *   `CLOSED` after `flowcast.close()`
 * @example
 * ```ts
 * import { createFlowcast, followFlowRun } from 'flowcast'
 *
 * const flowcast = createFlowcast()
 * const follow = followFlowRun(flowcast, flowRunId)
 * const lines: string[] = []
 * for await (const item of follow) {
 *   lines.push(item.type === 'log' ? item.log.message : `state: ${item.state.name}`)
 * }
 * const { outcome } = await follow.result
 * ```
 */
export function followFlowRun(
  flowcast: Flowcast,
  flowRunId: string,
  options: FlowcastFollowOptions = {},
): FlowRunFollow {
  const internals = internalsOf(flowcast, 'followFlowRun')
  const { logs = true, ...rest } = options
  // Before the logs sources: a closed instance opens nothing.
  const watcher = internals.getWatcher()
  return followFlowRunWith(flowRunId, {
    ...rest,
    watcher,
    logs: logs ? logsOf(internals) : false,
    clock: internals.clock,
    logger: internals.logger,
  })
}
