import { useFlowcast, useRunDeployment } from '@flowcast/react'
import { useEffect, useState } from 'react'

interface DeploymentOption {
  id: string
  label: string
}

/** Lists deployments, starts a run of one and shows it until it ends. */
export function TriggerPanel({ onCreated }: { onCreated: (flowRunId: string) => void }) {
  const flowcast = useFlowcast()
  const [deployments, setDeployments] = useState<DeploymentOption[]>([])
  const [chosen, setChosen] = useState('')
  const start = useRunDeployment()

  useEffect(() => {
    const controller = new AbortController()
    flowcast.client.api
      .POST('/deployments/filter', { body: { limit: 50 }, signal: controller.signal })
      .then(
        (list) => {
          const options = list.map((d) => ({ id: d.id, label: d.name }))
          setDeployments(options)
          setChosen((current) => current || options[0]?.id || '')
        },
        () => {},
      )
    return () => controller.abort()
  }, [flowcast])

  const createdId = start.flowRun?.id
  useEffect(() => {
    if (createdId) onCreated(createdId)
  }, [createdId])

  return (
    <section className="trigger">
      <select value={chosen} onChange={(e) => setChosen(e.target.value)} aria-label="Deployment">
        {deployments.map((d) => (
          <option key={d.id} value={d.id}>
            {d.label}
          </option>
        ))}
      </select>
      <button
        data-testid="run"
        disabled={!chosen || start.isPending}
        onClick={() => start.mutate({ deployment: chosen })}
      >
        Run deployment
      </button>
      <span data-testid="trigger-status">
        {start.status === 'idle'
          ? ''
          : start.status === 'error'
            ? `Failed: ${start.error?.message ?? ''}`
            : `${start.flowRun?.name ?? 'Creating…'}: ${start.run.state?.name ?? '…'}${
                start.isSuccess ? ' (finished)' : ''
              }`}
      </span>
    </section>
  )
}
