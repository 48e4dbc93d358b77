import { useEvents } from '@flowcast/react'
import { useState } from 'react'
import { RunLogs } from './RunLogs.tsx'
import { RunsTable } from './RunsTable.tsx'
import { TriggerPanel } from './TriggerPanel.tsx'
import { useRecentRuns } from './use-recent-runs.ts'

const flowRunEvents = { event: { prefix: ['prefect.flow-run.'] } }

export function App() {
  // One subscription to flow-run events: new runs appear as they are announced; while the
  // socket is down or blocked the list is re-read over REST instead.
  const events = useEvents(flowRunEvents, { limit: 50 })
  const live = events.connection === 'open'
  const runs = useRecentRuns({ events: events.events, live })
  const [selected, setSelected] = useState<string | undefined>(undefined)

  return (
    <main>
      <header>
        <h1>Flow runs</h1>
        <p data-testid="connection" className={live ? 'live' : 'polling'}>
          {live
            ? 'Live: WebSocket connected'
            : events.connection === 'connecting'
              ? 'Connecting…'
              : 'WebSocket unavailable: fell back to polling over REST'}
        </p>
      </header>
      <TriggerPanel onCreated={(id) => (setSelected(id), runs.refresh())} />
      {runs.error ? <p className="error">Could not list runs: {runs.error.message}</p> : null}
      <RunsTable runs={runs.runs} selected={selected} onSelect={setSelected} />
      {selected ? <RunLogs flowRunId={selected} /> : null}
    </main>
  )
}
