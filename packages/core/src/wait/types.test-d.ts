import { describe, expectTypeOf, it } from 'vitest'
import type { FlowcastError } from '../errors.js'
import type { FlowRunStateObservation, TerminalStateType } from '../states.js'
import type { WaitForFlowRunResult, WaitOutcome } from './types.js'

describe('WaitForFlowRunResult', () => {
  it('narrows on outcome', () => {
    const result = {} as WaitForFlowRunResult
    expectTypeOf<WaitOutcome>().toEqualTypeOf<
      'terminal' | 'timeout' | 'aborted' | 'transport_failed'
    >()
    if (result.outcome === 'terminal') {
      expectTypeOf(result.stateType).toEqualTypeOf<TerminalStateType>()
      expectTypeOf(result.source).toEqualTypeOf<string>()
      expectTypeOf(result.lastState).toEqualTypeOf<FlowRunStateObservation>()
    }
    if (result.outcome === 'transport_failed') {
      expectTypeOf(result.error).toEqualTypeOf<FlowcastError>()
      expectTypeOf(result.lastState).toEqualTypeOf<FlowRunStateObservation | null>()
    }
    if (result.outcome === 'timeout') {
      // @ts-expect-error only terminal results carry a state type
      void result.stateType
    }
    expectTypeOf(result.timings.elapsedMs).toBeNumber()
  })
})
