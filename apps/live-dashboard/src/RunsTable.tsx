import { useFlowRun } from '@flowcast/react'
import type { FlowRun } from 'flowcast'

function RunRow({
  run,
  selected,
  onSelect,
}: {
  run: FlowRun
  selected: boolean
  onSelect: () => void
}) {
  // Every row follows its run; rows of one run (and the trigger panel) share one wait.
  const live = useFlowRun(run.id)
  const state = live.state?.name ?? run.state?.name ?? '…'
  const type = live.state?.type ?? run.state?.type ?? 'SCHEDULED'
  return (
    <tr
      data-testid={`run-${run.id}`}
      className={selected ? 'selected' : undefined}
      onClick={onSelect}
    >
      <td>{run.name}</td>
      <td>
        <span className={`state ${type.toLowerCase()}`} data-testid="state">
          {state}
        </span>
      </td>
      <td data-testid="source">{live.source ?? '-'}</td>
      <td data-testid="watch">{live.status}</td>
    </tr>
  )
}

export function RunsTable(props: {
  runs: readonly FlowRun[]
  selected: string | undefined
  onSelect: (id: string) => void
}) {
  if (props.runs.length === 0) return <p>No flow runs yet.</p>
  return (
    <table>
      <thead>
        <tr>
          <th>Run</th>
          <th>State</th>
          <th>Learned via</th>
          <th>Watch</th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map((run) => (
          <RunRow
            key={run.id}
            run={run}
            selected={run.id === props.selected}
            onSelect={() => props.onSelect(run.id)}
          />
        ))}
      </tbody>
    </table>
  )
}
