import { useFlowcast } from '@flowcast/react'
import type { FlowRun, ReceivedEvent } from 'flowcast'
import { isFlowcastError, type FlowcastError } from 'flowcast'
import { useCallback, useEffect, useState } from 'react'

/** How often the list is re-read while the events socket is not open. */
const pollIntervalMs = 2_000

/**
 * The 20 most recent flow runs, re-read when an event names a run the list does not have,
 * and every 2 s while the socket is down (the list's own fallback to polling). Each row then
 * follows its own run live with `useFlowRun`.
 */
export function useRecentRuns({
  events,
  live,
}: {
  events: readonly ReceivedEvent[]
  live: boolean
}) {
  const flowcast = useFlowcast()
  const [runs, setRuns] = useState<FlowRun[]>([])
  const [error, setError] = useState<FlowcastError | undefined>(undefined)
  const [version, setVersion] = useState(0)
  const refresh = useCallback(() => setVersion((v) => v + 1), [])

  useEffect(() => {
    const controller = new AbortController()
    flowcast.client.api
      .POST('/flow_runs/filter', {
        body: { sort: 'EXPECTED_START_TIME_DESC', limit: 20 },
        signal: controller.signal,
      })
      .then(
        (list) => {
          setRuns(list)
          setError(undefined)
        },
        (failure: unknown) => {
          if (controller.signal.aborted) return
          if (isFlowcastError(failure)) setError(failure)
        },
      )
    return () => controller.abort()
  }, [flowcast, version])

  const known = new Set(runs.map((run) => run.id))
  const unknownRun = events.some((event) => {
    const id = event.resource['prefect.resource.id']
    return id.startsWith('prefect.flow-run.') && !known.has(id.slice('prefect.flow-run.'.length))
  })
  useEffect(() => {
    if (unknownRun) refresh()
  }, [unknownRun, refresh])

  useEffect(() => {
    if (live) return
    const timer = setInterval(refresh, pollIntervalMs)
    return () => clearInterval(timer)
  }, [live, refresh])

  return { runs, error, refresh }
}
