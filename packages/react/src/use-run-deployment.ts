import {
  FlowcastError,
  isFlowcastError,
  type FlowRun,
  type RunDeploymentOptions,
  type WaitTerminalResult,
} from 'flowcast'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useFlowRun } from './hooks.js'
import { useFlowcastContext } from './provider.js'
import type { FlowRunSnapshot } from './types.js'

/** What {@link RunDeploymentMutation.mutate} takes. */
export interface RunDeploymentVariables {
  /** The deployment: its id, or `'FLOW_NAME/DEPLOYMENT_NAME'`. */
  deployment: string
  /** Parameters, merged over the deployment's defaults. */
  parameters?: Record<string, unknown> | undefined
  /** Extra `create_flow_run` fields (name, tags, idempotency_key, ...). */
  body?: RunDeploymentOptions['body']
}

/** What a finished {@link RunDeploymentMutation} holds. */
export interface RunDeploymentData {
  /** The created flow run (as `create_flow_run` returned it). */
  flowRun: FlowRun
  /** How it ended: a terminal state type (`result.stateType`: COMPLETED, FAILED, ...). */
  result: WaitTerminalResult
}

/** Callbacks of one {@link RunDeploymentMutation.mutate} call (not called after unmount). */
export interface MutateCallbacks {
  /** The run reached a terminal state. */
  onSuccess?: (data: RunDeploymentData) => void
  /** Creating the run failed, or its wait did. */
  onError?: (error: FlowcastError) => void
}

/** What {@link useRunDeployment} returns: the trigger and its progress, like a mutation. */
export interface RunDeploymentMutation {
  /**
   * `idle` before `mutate`; `pending` while the run is created and watched; `success` once it
   * reached a terminal state type (a FAILED run too: check `data.result.stateType`);
   * `error` when creating it failed or it could not be watched.
   */
  status: 'idle' | 'pending' | 'success' | 'error'
  /** Creates the run and watches it; a later call replaces an earlier one's progress. */
  mutate(variables: RunDeploymentVariables, callbacks?: MutateCallbacks): void
  /** Like `mutate`, as a promise of the finished run (rejects with a `FlowcastError`). */
  mutateAsync(variables: RunDeploymentVariables): Promise<RunDeploymentData>
  /** Back to `idle` (the run itself goes on). */
  reset(): void
  /** The created run and its outcome, once it ended. */
  data: RunDeploymentData | undefined
  /** The created run, as soon as it exists. */
  flowRun: FlowRun | undefined
  /** The created run's live state (shared with `useFlowRun` of the same id). */
  run: FlowRunSnapshot
  /** Why it failed (`status === 'error'`). */
  error: FlowcastError | undefined
  /** The variables of the latest `mutate`. */
  variables: RunDeploymentVariables | undefined
  isIdle: boolean
  isPending: boolean
  isSuccess: boolean
  isError: boolean
}

type Phase =
  | { name: 'idle' }
  | { name: 'creating'; variables: RunDeploymentVariables }
  | { name: 'created'; variables: RunDeploymentVariables; flowRun: FlowRun }
  | { name: 'failed'; variables: RunDeploymentVariables; error: FlowcastError }

const idle: Phase = { name: 'idle' }

function toFlowcastError(error: unknown): FlowcastError {
  if (isFlowcastError(error)) return error
  return new FlowcastError('ABORTED', '[@flowcast/react] the run could not be started', {
    cause: error,
  })
}

/**
 * Starts a deployment run and watches it to the end, as a mutation (TanStack Query's
 * `useMutation` shape): `mutate({ deployment, parameters })`, then `status`, `flowRun`,
 * the live `run`, `data` and `error`. Unmounting stops the create call and never updates
 * state afterwards; the run itself goes on in Prefect.
 *
 * @example
 * ```tsx
 * const start = useRunDeployment()
 * <button disabled={start.isPending} onClick={() => start.mutate({ deployment: 'etl/nightly' })}>
 *   {start.run.state?.name ?? 'Run'}
 * </button>
 * ```
 */
export function useRunDeployment(): RunDeploymentMutation {
  const { flowcast, registry } = useFlowcastContext('useRunDeployment')
  const [phase, setPhase] = useState<Phase>(idle)
  const mounted = useRef(false)
  const attempt = useRef(0)
  const inFlight = useRef<AbortController | undefined>(undefined)

  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
      attempt.current += 1
      inFlight.current?.abort()
    }
  }, [])

  const flowRun = phase.name === 'created' ? phase.flowRun : undefined
  const run = useFlowRun(flowRun?.id)

  const mutateAsync = useCallback(
    async (variables: RunDeploymentVariables): Promise<RunDeploymentData> => {
      const mine = ++attempt.current
      const current = () => mounted.current && mine === attempt.current
      inFlight.current?.abort()
      const controller = new AbortController()
      inFlight.current = controller
      setPhase({ name: 'creating', variables })
      let created: FlowRun
      try {
        ;({ flowRun: created } = await flowcast.runDeployment(variables.deployment, {
          ...(variables.parameters ? { parameters: variables.parameters } : {}),
          ...(variables.body ? { body: variables.body } : {}),
          signal: controller.signal,
        }))
      } catch (error) {
        const failure = toFlowcastError(error)
        if (current()) setPhase({ name: 'failed', variables, error: failure })
        throw failure
      } finally {
        if (inFlight.current === controller) inFlight.current = undefined
      }
      if (current()) setPhase({ name: 'created', variables, flowRun: created })
      // The promise shares the run's store with the component's own useFlowRun.
      const store = registry.run(created.id)
      return new Promise<RunDeploymentData>((resolve, reject) => {
        const finished = (): boolean => {
          const snapshot = store.getSnapshot()
          if (snapshot.status === 'success' && snapshot.result?.outcome === 'terminal') {
            resolve({ flowRun: created, result: snapshot.result })
            return true
          }
          if (snapshot.status === 'error') {
            reject(snapshot.error)
            return true
          }
          return false
        }
        const unsubscribe = store.subscribe(() => {
          if (finished()) unsubscribe()
        })
        if (finished()) unsubscribe()
      })
    },
    [flowcast, registry],
  )

  const mutate = useCallback(
    (variables: RunDeploymentVariables, callbacks: MutateCallbacks = {}) => {
      const mine = attempt.current + 1
      mutateAsync(variables).then(
        (data) => {
          if (mounted.current && mine === attempt.current) callbacks.onSuccess?.(data)
        },
        (error: FlowcastError) => {
          if (mounted.current && mine === attempt.current) callbacks.onError?.(error)
        },
      )
    },
    [mutateAsync],
  )

  const reset = useCallback(() => {
    attempt.current += 1
    inFlight.current?.abort()
    setPhase(idle)
  }, [])

  let status: RunDeploymentMutation['status'] = 'idle'
  let error: FlowcastError | undefined
  let data: RunDeploymentData | undefined
  if (phase.name === 'creating') status = 'pending'
  else if (phase.name === 'failed') {
    status = 'error'
    error = phase.error
  } else if (phase.name === 'created') {
    if (run.status === 'success' && run.result?.outcome === 'terminal') {
      status = 'success'
      data = { flowRun: phase.flowRun, result: run.result }
    } else if (run.status === 'error') {
      status = 'error'
      error = run.error
    } else status = 'pending'
  }
  return {
    status,
    mutate,
    mutateAsync,
    reset,
    data,
    flowRun,
    run,
    error,
    variables: phase.name === 'idle' ? undefined : phase.variables,
    isIdle: status === 'idle',
    isPending: status === 'pending',
    isSuccess: status === 'success',
    isError: status === 'error',
  }
}
