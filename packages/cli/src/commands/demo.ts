import { parseArgs } from 'node:util'
import { sleep, type WaitForFlowRunResult } from '@flowcast/core'
// The fake server (and its JSON Schema validator) is loaded when the demo runs, not at the
// CLI's start-up.
import type { FakePrefectServer, sampleFrames as SampleFrames } from '@flowcast/fake-server'
import type { EventsSubscriber } from '@flowcast/websocket'
import { ExitCode, type CliIO, type Command } from '../io.js'
import { watchFlowRun, type WatchFlowRunOptions } from './watch.js'

const help = `Usage: flowcast demo

Runs flowcast's main job end to end on this machine, with no network and no Prefect install:
  1. starts a fake Prefect server in-process on 127.0.0.1;
  2. triggers a deployment run and waits on it live (Scheduled → Completed) over the
     WebSocket, while the server injects non-event control frames and drops the connection;
  3. triggers a second run that finishes while WebSockets are blocked (HTTP 403), so the
     wait falls back to REST polling;
  4. prints each outcome and how it was learned.
Takes about 10 seconds. Exit 0 when both runs were reported Completed.
`

// A pause that ends early, without an error, when the demo is interrupted.
const pause = (ms: number, signal: AbortSignal) => sleep(ms, { signal }).catch(() => {})

/** Demo pacing: fast enough to finish well under 30 s, slow enough to watch. */
const STEP_MS = 700

/** Waits on a demo run as `flowcast watch` would, indented under the demo's narration. */
function watchDemoRun(
  server: FakePrefectServer,
  flowRunId: string,
  io: CliIO,
  options: Pick<WatchFlowRunOptions, 'reconnect' | 'onSubscriber'>,
): Promise<WaitForFlowRunResult> {
  return watchFlowRun({
    connection: { apiUrl: server.apiUrl },
    flowRunId,
    transport: 'auto',
    json: false,
    io,
    indent: '  ',
    quietHeader: true,
    timeoutMs: 20_000,
    tuning: { fallbackPolling: { initialDelayMs: 300, maxDelayMs: 1_000 } },
    ...options,
  })
}

interface RunSummary {
  label: string
  name: string
  result: WaitForFlowRunResult
  notes: string
}

function summaryLine(run: RunSummary): string {
  const { result } = run
  const how =
    result.outcome === 'terminal'
      ? `${result.stateName} (${result.stateType}), learned via ${result.source}`
      : result.outcome === 'transport_failed'
        ? `transport failed: ${result.error.message}`
        : result.outcome
  return `  ${run.label}  ${run.name.padEnd(22)} ${how} after ${(result.timings.elapsedMs / 1000).toFixed(1)}s${run.notes ? ` — ${run.notes}` : ''}`
}

async function liveRun(
  server: FakePrefectServer,
  io: CliIO,
  narrate: (text: string) => void,
  sampleFrames: typeof SampleFrames,
): Promise<RunSummary> {
  const deployment = server.createDeployment({
    name: 'nightly-etl',
    flowName: 'etl-pipeline',
    tags: ['etl'],
  })
  const run = server.createFlowRun({ deploymentId: deployment.id })
  narrate(
    `Run 1: created flow run '${run.name}' (${run.id}) from deployment 'etl-pipeline/nightly-etl'`,
  )
  let subscriber: EventsSubscriber | undefined
  const script = (async () => {
    const first = await server.waitForSubscriber({ existing: true, signal: io.signal })
    await pause(STEP_MS, io.signal)
    server.setFlowRunState(run.id, { type: 'PENDING' })
    await pause(STEP_MS, io.signal)
    const log = (message: string, level = 20) =>
      server.logs.create([{ message, level, flow_run_id: run.id, name: 'prefect.flow_runs' }])
    const frames = [
      sampleFrames.checkpoint,
      sampleFrames.control,
      sampleFrames.keepAlive,
      sampleFrames.notJson,
    ]
    server.faults.injectFrames(frames, { connection: first.id })
    narrate(
      `server sent ${frames.length} non-event frames (checkpoint, control, keep-alive, not JSON): skipped`,
    )
    server.setFlowRunState(run.id, { type: 'RUNNING' })
    log('Extracting 1,204 rows from the warehouse')
    await pause(STEP_MS, io.signal)
    log('3 rows have no customer id; skipped', 30)
    narrate('server dropped the WebSocket connection (no close frame)')
    const reconnected = server.waitForSubscriber({ signal: io.signal })
    server.faults.dropConnections({ connection: first.id })
    await reconnected
    log('Loaded 1,201 rows')
    await pause(STEP_MS, io.signal)
    server.setFlowRunState(run.id, { type: 'COMPLETED' })
    // A log that reaches the server after the terminal state: shown before the outcome.
    await pause(STEP_MS, io.signal)
    log('Finished in 2.8s')
  })()
  const result = await watchDemoRun(server, run.id, io, {
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
    onSubscriber: (s) => (subscriber = s),
  })
  await script.catch(() => undefined)
  const stats = subscriber?.stats
  const notes = stats
    ? `${stats.reconnects} reconnect${stats.reconnects === 1 ? '' : 's'}, ${stats.skippedFrames} non-event frames skipped, ${stats.duplicates} duplicate${stats.duplicates === 1 ? '' : 's'} dropped`
    : ''
  return { label: 'run 1', name: run.name ?? run.id, result, notes }
}

async function blockedRun(
  server: FakePrefectServer,
  io: CliIO,
  narrate: (text: string) => void,
): Promise<RunSummary> {
  server.faults.rejectUpgrades(403)
  const run = server.createFlowRun({
    deploymentId: server.createDeployment({ name: 'hourly-sync' }).id,
  })
  narrate(`Run 2: WebSocket upgrades now get HTTP 403 (a proxy that blocks WebSockets)`)
  narrate(`created flow run '${run.name}' (${run.id})`)
  const script = (async () => {
    await pause(STEP_MS, io.signal)
    await server.runLifecycle(
      run.id,
      ['Pending', 'Running', { log: 'Syncing 42 accounts' }, { log: 'Sync done' }, 'Completed'],
      { stepMs: STEP_MS },
    )
  })()
  const result = await watchDemoRun(server, run.id, io, {
    reconnect: { initialDelayMs: 500, maxDelayMs: 2_000 },
  })
  await script.catch(() => undefined)
  const refused = server.recorder.rejectedUpgrades.length
  return {
    label: 'run 2',
    name: run.name ?? run.id,
    result,
    notes: `${refused} WebSocket upgrade${refused === 1 ? '' : 's'} refused (HTTP 403)`,
  }
}

/** `flowcast demo`: the main job on an embedded fake Prefect server. */
export const demoCommand: Command = {
  path: ['demo'],
  summary: 'see flowcast wait on flow runs live, against an embedded fake Prefect server',
  help,
  async run(args, io) {
    parseArgs({ args, options: {}, allowPositionals: false, strict: true })
    const narrate = (text: string) => io.stdout.write(`› ${text}\n`)
    const { createFakePrefectServer, sampleFrames } = await import('@flowcast/fake-server')
    const server = await createFakePrefectServer({ host: '127.0.0.1', port: 0 })
    try {
      narrate(`fake Prefect server listening on ${server.apiUrl}`)
      const first = await liveRun(server, io, narrate, sampleFrames)
      io.stdout.write('\n')
      const second = await blockedRun(server, io, narrate)
      io.stdout.write(`\nOutcomes:\n${summaryLine(first)}\n${summaryLine(second)}\n`)
      const ok = [first, second].every(
        (run) => run.result.outcome === 'terminal' && run.result.stateType === 'COMPLETED',
      )
      if (!ok) io.stderr.write('flowcast demo: a run did not end as expected\n')
      return ok ? ExitCode.ok : 1
    } finally {
      await server.close()
    }
  },
}
