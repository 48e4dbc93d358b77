import { sleep, type Clock } from '@flowcast/core'
import { lifecycleStateNames, type LifecycleStep, type RunLifecycleOptions } from '../types.js'
import type { FlowRunRecord } from './flow-runs.js'
import type { FakeLogInput } from './logs.js'
import type { RunStore } from './run-store.js'
import { fakeError } from './util.js'

/** Plays a scripted lifecycle on a run: state names, explicit states, heartbeats, waits and callbacks. */
export async function runLifecycle(
  context: {
    clock: Clock
    runs: RunStore
    emitHeartbeat(flowRunId: string): unknown
    createLog(log: FakeLogInput): unknown
  },
  run: FlowRunRecord,
  steps: readonly LifecycleStep[],
  options: RunLifecycleOptions = {},
): Promise<void> {
  const stepMs = options.stepMs ?? 0
  const signal = options.signal
  const pause = async (ms: number) => {
    if (ms > 0) await sleep(ms, { clock: context.clock, ...(signal ? { signal } : {}) })
    else if (signal?.aborted) throw fakeError('ABORTED', 'runLifecycle aborted')
  }
  for (const step of steps) {
    if (signal?.aborted) throw fakeError('ABORTED', 'runLifecycle aborted')
    if (typeof step === 'function') {
      await step({ flowRunId: run.id, ...(signal ? { signal } : {}) })
      continue
    }
    if (typeof step === 'object' && 'wait' in step) {
      await pause(step.wait)
      continue
    }
    if (typeof step === 'object' && 'log' in step) {
      const input = typeof step.log === 'string' ? { message: step.log } : step.log
      context.createLog({ flow_run_id: run.id, ...input })
      continue
    }
    if (step === 'heartbeat') {
      context.emitHeartbeat(run.id)
    } else if (typeof step === 'string') {
      const type = lifecycleStateNames[step]
      if (!type)
        throw fakeError('INVALID_OPTIONS', 'runLifecycle', `unknown step '${String(step)}'`)
      context.runs.transition(run, { type, name: step }, { force: true })
    } else {
      const { force = true, ...state } = step
      context.runs.transition(run, state, { force })
    }
    await pause(stepMs)
  }
}
