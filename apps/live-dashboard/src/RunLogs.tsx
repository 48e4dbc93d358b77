import { useFlowRunLogs } from '@flowcast/react'

export function RunLogs({ flowRunId }: { flowRunId: string }) {
  const { logs, status, logsError } = useFlowRunLogs(flowRunId)
  return (
    <section className="logs">
      <h2>
        Logs <small>({status === 'success' ? 'complete' : 'following'})</small>
      </h2>
      {logsError ? <p className="note">Live logs unavailable; reading them over REST.</p> : null}
      <pre data-testid="logs">
        {logs.length === 0
          ? 'No logs yet.'
          : logs.map((log) => `${log.timestamp.slice(11, 23)}  ${log.message}`).join('\n')}
      </pre>
    </section>
  )
}
