import { createRunWatcher, type RunWatcherOptions } from './run-watcher.js'
import type { WaitForFlowRunResult, WaitOptions } from './types.js'

/** Options of {@link waitForFlowRun}: the sources, the wait and the watcher tuning. */
export interface WaitForFlowRunOptions extends RunWatcherOptions, WaitOptions {}

/**
 * Waits for one flow run to reach a terminal state type (COMPLETED, FAILED, CRASHED,
 * CANCELLED), composing the given sources race-free: it registers on `sources.push` before
 * the first `sources.pull` read, resolves on the first terminal state from either, reads on a
 * fast backoff while the push source is down or silent and returns to push when it recovers.
 *
 * Runtime conditions are outcomes, never rejections: `terminal`, `timeout`, `aborted`,
 * `transport_failed`. It rejects only for invalid options (`INVALID_OPTIONS`). To wait on many
 * runs over shared sources, use {@link createRunWatcher}.
 *
 * @example
 * ```ts
 * const result = await waitForFlowRun(flowRunId, {
 *   sources: { push: webSocketSource, pull: pollingSource },
 *   timeoutMs: 10 * 60_000,
 *   onState: (state) => console.log(state.name),
 * })
 * if (result.outcome === 'terminal') console.log(`${result.stateName} (via ${result.source})`)
 * ```
 */
export async function waitForFlowRun(
  flowRunId: string,
  options: WaitForFlowRunOptions,
): Promise<WaitForFlowRunResult> {
  const watcher = createRunWatcher(options)
  try {
    return await watcher.wait(flowRunId, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onState: options.onState,
    })
  } finally {
    watcher.close()
  }
}
