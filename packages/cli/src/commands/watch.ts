import { parseArgs } from 'node:util'
import {
  PrefectDateTime,
  compareDateTimes,
  createRunLogsFollower,
  createRunWatcher,
  flowRunStateFromEvent,
  isUuid,
  serializeReceivedEvent,
  type FlowRunStateObservation,
  type Instrumentation,
  type Log,
  type RunWatcherOptions,
  type WaitForFlowRunResult,
} from '@flowcast/core'
import { createPrefectClient } from '@flowcast/polling'
import type { EventsSubscriber } from '@flowcast/websocket'
import { composeLogs, composeTransport, type TransportOptions } from 'flowcast'
import {
  connectionHelp,
  connectionOptions,
  resolveConnection,
  type Connection,
} from '../connection.js'
import { UsageError, type CliIO, type Command } from '../io.js'
import { formatLogLine, logJsonLine, useColour } from './log-lines.js'
import {
  createWaitCounters,
  exitCodeFor,
  parseTimeout,
  parseTransport,
  verboseHelp,
  waitOptions,
  type WatchTransport,
} from './wait-outcome.js'

/** The `--json` outcome line's `outcome` (the waiter's outcome, with auth failures apart). */
type WatchOutcome = 'terminal' | 'timeout' | 'aborted' | 'transport_failed' | 'auth_failed'

const help = `Usage: flowcast watch <flow-run-id> [--transport auto|websocket|polling] [--timeout SECONDS] [--json] [--no-logs] [--verbose]

Waits for a flow run to finish and exits with a code that says how it ended.
It subscribes to the run's events first (looking back 60 s), then reads the run over
REST, so a run that already finished is reported at once.

Options:
  --transport T        auto (default): WebSocket, REST polling while it is down or silent
                       websocket: WebSocket only (plus one REST read at the start)
                       polling: REST polling only
  --timeout SECONDS    give up after this long (exit 20); default: wait forever
  --json               JSON lines: {"type":"event","event":…} per flow-run event seen on
                       the WebSocket, {"type":"log","log":…} per log, then one
                       {"type":"outcome",…} line
  --no-logs            do not show the run's logs (shown by default: live from /logs/out
                       when the server streams them, always reconciled over REST, each once;
                       after the end, stragglers for up to 3 s). Logs never change the exit code.
${verboseHelp}
${connectionHelp}

Exit codes:
  0 COMPLETED   10 FAILED   11 CRASHED   12 CANCELLED   20 timed out
  30 auth rejected   31 API unreachable for 15 s, transport failed or run not found
  2 usage error   130 interrupted
`

/** The `--json` outcome line for a wait result: exactly the contract's keys. */
function outcomeLine(result: WaitForFlowRunResult): Record<string, unknown> {
  const outcome: WatchOutcome =
    result.outcome === 'transport_failed' && result.error.code === 'AUTH_REJECTED'
      ? 'auth_failed'
      : result.outcome
  return {
    type: 'outcome',
    outcome,
    flow_run_id: result.flowRunId,
    state_type: result.lastState?.type ?? null,
    state_name: result.lastState?.name ?? null,
    source: result.outcome === 'terminal' ? result.source : null,
  }
}

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/** Human output: a timeline of states and transport changes, and a spinner on a TTY. */
function createTimeline(io: CliIO, startedAt: number) {
  const tty = io.stdout.isTTY === true
  let status = 'waiting for the first state'
  let frame = 0
  let spinner: ReturnType<typeof setInterval> | undefined
  const clearLine = () => {
    if (tty) io.stdout.write('\r\x1b[2K')
  }
  const draw = () => {
    if (!tty) return
    const seconds = Math.floor((Date.now() - startedAt) / 1000)
    io.stdout.write(
      `\r\x1b[2K${spinnerFrames[frame++ % spinnerFrames.length]} ${status} (${seconds}s)`,
    )
  }
  if (tty) {
    spinner = setInterval(draw, 80)
    draw()
  }
  return {
    line(text: string) {
      clearLine()
      io.stdout.write(`${text}\n`)
      draw()
    },
    status(text: string) {
      status = text
      draw()
    },
    stop() {
      if (spinner) clearInterval(spinner)
      clearLine()
    },
  }
}

function clockTime(timestamp: string): string {
  const match = /T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?/.exec(timestamp)
  return `${match ? `${match[1]}${match[2] ?? ''}` : timestamp}  `.padEnd(14)
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`
}

function describeOutcome(result: WaitForFlowRunResult): string {
  const last = result.lastState ? `${result.lastState.name} (${result.lastState.type})` : 'unknown'
  const after = seconds(result.timings.elapsedMs)
  switch (result.outcome) {
    case 'terminal': {
      const mark = result.stateType === 'COMPLETED' ? '✔' : '✖'
      return `${mark} ${result.stateName} (${result.stateType}) — learned via ${result.source} after ${after}`
    }
    case 'timeout':
      return `⏱ timed out after ${after}; last state: ${last}`
    case 'aborted':
      return `■ interrupted after ${after}; last state: ${last}`
    case 'transport_failed':
      return `✖ gave up after ${after}: ${result.error.message}`
  }
}

/** Options of {@link watchFlowRun} (the engine behind `flowcast watch`, also used by `flowcast demo`). */
export interface WatchFlowRunOptions {
  connection: Connection
  flowRunId: string
  transport: WatchTransport
  /** @default undefined (no limit) */
  timeoutMs?: number
  json: boolean
  io: CliIO
  /** Waiter tuning (the demo shortens the intervals). */
  tuning?: Partial<Omit<RunWatcherOptions, 'sources'>>
  /** WebSocket reconnect backoff override (the demo shortens it). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number }
  /** Timeline prefix, e.g. two spaces. @default '' */
  indent?: string
  /** Skip the header line. @default false */
  quietHeader?: boolean
  /**
   * Called with each events subscription the WebSocket source opens (the first, and one per
   * re-probe after a failure); the demo and `--verbose` read their stats.
   */
  onSubscriber?: (subscriber: EventsSubscriber) => void
  /**
   * Show the run's logs beside its states.
   * @default true
   */
  logs?: boolean
  /**
   * How long logs keep coming after a terminal state seen live.
   * @default 3_000
   */
  stragglerMs?: number
  /**
   * `fetch` for the REST reads.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch
  /** Receives every part's metrics (`--verbose` prints them). */
  instrumentation?: Instrumentation
}

/** Waits for one flow run, printing the timeline (or JSON lines); resolves to the result. */
export async function watchFlowRun(options: WatchFlowRunOptions): Promise<WaitForFlowRunResult> {
  const { connection, flowRunId, transport, json, io } = options
  const indent = options.indent ?? ''
  const credentials = {
    ...(connection.apiKey ? { apiKey: connection.apiKey } : {}),
    ...(connection.authString ? { authString: connection.authString } : {}),
  }
  // The waiter retries reads on its own backoff, so each request is tried once.
  // Spread into every part's options, so they all report through one instrumentation.
  const instrumented = options.instrumentation ? { instrumentation: options.instrumentation } : {}
  const client = createPrefectClient({
    apiUrl: connection.apiUrl,
    ...credentials,
    retries: 0,
    timeoutMs: 5_000,
    ...instrumented,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  })
  const startedAt = Date.now()
  const timeline = json ? undefined : createTimeline(io, startedAt)
  const say = (text: string) => timeline?.line(`${indent}${text}`)
  // The timeline shows every state once: from events (the 60 s look-back included) and from
  // REST reads. While the subscription starts, states are held briefly and printed in time
  // order, so the look-back does not appear after the (later) state the first read returned.
  const printed = new Set<string>()
  // Held lines (states and logs) are printed in timestamp order when released.
  let held: Array<{ timestamp: string; show: () => void }> | undefined =
    transport === 'polling' ? undefined : []
  let holdTimer: ReturnType<typeof setTimeout> | undefined
  const showState = (observation: FlowRunStateObservation, via: string) => {
    say(
      `${clockTime(observation.timestamp)}${observation.name.padEnd(16)}${observation.type.padEnd(11)} via ${via}`,
    )
    timeline?.status(`${observation.name} — waiting for a terminal state`)
  }
  const releaseHeld = () => {
    if (holdTimer !== undefined) clearTimeout(holdTimer)
    holdTimer = undefined
    const list = held
    held = undefined
    list?.sort((a, b) => compareDateTimes(a.timestamp, b.timestamp)).forEach(({ show }) => show())
  }
  const holdFor = (ms: number) => {
    if (!held || !timeline) return
    if (holdTimer !== undefined) clearTimeout(holdTimer)
    holdTimer = setTimeout(releaseHeld, ms)
  }
  holdFor(1_500)
  const printState = (observation: FlowRunStateObservation, via: string) => {
    if (!timeline) return
    const key = observation.eventId ?? `${observation.timestamp}|${observation.name}`
    if (printed.has(key)) return
    printed.add(key)
    if (held)
      held.push({ timestamp: observation.timestamp, show: () => showState(observation, via) })
    else showState(observation, via)
  }
  const colour = !json && useColour(io)
  const printLogs = (logs: readonly Log[]) => {
    for (const log of logs) {
      if (json) io.stdout.write(logJsonLine(log))
      else if (held)
        held.push({ timestamp: log.timestamp, show: () => say(formatLogLine(log, { colour })) })
      else say(formatLogLine(log, { colour }))
    }
  }
  let finished = false

  // The sources are the SDK's (`composeTransport`, `composeLogs`), with the subscription
  // narrowed to this run and its raw events printed in --json mode.
  const base: TransportOptions = {
    transport,
    client,
    ...credentials,
    rest: { retries: 0, timeoutMs: 5_000 },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...instrumented,
  }
  const composed = composeTransport({
    ...base,
    websocket: {
      flowRunIds: [flowRunId],
      connectTimeoutMs: 5_000,
      ...(options.reconnect ? { reconnect: options.reconnect } : {}),
      onEvent: (event) => {
        if (json) io.stdout.write(`{"type":"event","event":${serializeReceivedEvent(event)}}\n`)
        const observation = flowRunStateFromEvent(event)
        if (observation) printState(observation, 'websocket')
      },
    },
  })
  // A mistyped id should not keep a terminal busy: 3 s of NOT_FOUND ends the wait.
  const tuning: Partial<RunWatcherOptions> = { notFoundGraceMs: 3_000, ...composed.tuning }
  const source = composed.websocket
  // Each subscription the source opens (the first, and one per re-probe) is reported once.
  let reported: EventsSubscriber | undefined
  const reportSubscriber = () => {
    const current = source?.subscriber
    if (current && current !== reported) {
      reported = current
      options.onSubscriber?.(current)
    }
  }
  if (source) {
    let wasHealthy = false
    source.onHealthChange((health) => {
      reportSubscriber()
      if (finished) return
      if (health === 'healthy') {
        holdFor(300)
        say(
          wasHealthy
            ? 'WebSocket back: following the event stream again'
            : 'WebSocket connected: following the event stream',
        )
        wasHealthy = true
      } else if (health === 'degraded' || health === 'failed') {
        const why = source.lastError?.message ?? 'connection lost'
        const then =
          transport === 'auto'
            ? 'reading the run over REST meanwhile'
            : 'no fallback (--transport websocket)'
        say(`WebSocket ${health === 'failed' ? 'failed' : 'down'} (${why}): ${then}`)
        // stdout carries the JSON contract; a WebSocket that failed (credentials it rejected
        // while REST accepts them, a proxy block) is still worth a line on stderr.
        if (json && health === 'failed') {
          io.stderr.write(`flowcast watch: WebSocket failed (${why}): ${then}\n`)
        }
      }
    })
  }
  const watcher = createRunWatcher({
    ...tuning,
    ...options.tuning,
    sources: composed.sources,
    ...instrumented,
  })

  // Logs: from the socket when the server streams them (not with --transport polling), and
  // over REST always; a failing logs endpoint is said once and changes nothing else.
  const logs =
    options.logs !== false
      ? composeLogs({
          ...base,
          logsWebSocket: {
            connectTimeoutMs: 5_000,
            ...(options.reconnect ? { reconnect: options.reconnect } : {}),
          },
        })
      : undefined
  const logsFollower = createRunLogsFollower({
    flowRunId,
    sources: logs?.sources ?? {},
    onLogs: printLogs,
    onError: (error, from) => {
      io.stderr.write(
        `flowcast watch: logs from ${from === 'polling' ? 'REST' : 'the logs socket'} unavailable (${error.message}); going on without them\n`,
      )
    },
  })
  if (!json && !options.quietHeader) {
    say(`Watching flow run ${flowRunId} on ${connection.apiUrl} (transport: ${transport})`)
  }
  try {
    // Logs start once the first state is known (or after a second at most), so they never
    // slow the first read; their REST reads cover whatever the socket has not caught yet.
    let logsStarted = false
    const startLogs = () => {
      if (logsStarted) return
      logsStarted = true
      clearTimeout(logsTimer)
      logsFollower.start()
    }
    const logsTimer = setTimeout(startLogs, 1_000)
    const result = await watcher.wait(flowRunId, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      signal: io.signal,
      onState: (observation, learnedFrom) => {
        printState(observation, learnedFrom)
        startLogs()
      },
    })
    clearTimeout(logsTimer)
    // "Seen live": the terminal state is no older than the straggler window before the start.
    const stragglerMs = options.stragglerMs ?? 3_000
    const live =
      result.outcome === 'terminal' &&
      compareDateTimes(
        result.observation.timestamp,
        PrefectDateTime.fromEpochMillis(startedAt - stragglerMs).toString(),
      ) >= 0
    if (result.outcome === 'terminal' || result.outcome === 'timeout') {
      if (live) timeline?.status('reading the last logs')
      await logsFollower.finish({ stragglerMs: live ? stragglerMs : 0, signal: io.signal })
    }
    logsFollower.stop()
    finished = true
    releaseHeld()
    timeline?.stop()
    if (json) io.stdout.write(`${JSON.stringify(outcomeLine(result))}\n`)
    else io.stdout.write(`${indent}${describeOutcome(result)}\n`)
    if (json && result.outcome === 'transport_failed') {
      io.stderr.write(`flowcast watch: ${result.error.message}\n`)
    }
    return result
  } finally {
    finished = true
    if (holdTimer !== undefined) clearTimeout(holdTimer)
    timeline?.stop()
    reportSubscriber()
    watcher.close()
    logsFollower.stop()
    await Promise.all([composed.close(), logs?.close()])
  }
}

/** `flowcast watch <flow-run-id>`: wait for a flow run and exit with its outcome. */
export const watchCommand: Command = {
  path: ['watch'],
  summary: 'wait for a flow run to finish; the exit code says how it ended',
  help,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...connectionOptions,
        ...waitOptions,
        'no-logs': { type: 'boolean', default: false },
      },
    })
    if (positionals.length !== 1) {
      throw new UsageError(
        positionals.length === 0
          ? 'missing <flow-run-id>'
          : `expected one flow run id, got ${positionals.length}`,
      )
    }
    const flowRunId = positionals[0]!.toLowerCase()
    if (!isUuid(flowRunId))
      throw new UsageError(`not a flow run id (a UUID): ${JSON.stringify(positionals[0])}`)
    const transport = parseTransport(values.transport)
    const timeoutMs = parseTimeout(values.timeout)
    const connection = resolveConnection(values, io.env)
    const counters = values.verbose ? createWaitCounters('watch') : undefined
    const result = await watchFlowRun({
      connection,
      flowRunId,
      transport,
      json: values.json === true,
      logs: values['no-logs'] !== true,
      io,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
      ...(counters ? { instrumentation: counters.instrumentation } : {}),
    })
    counters?.print(io, { outcome: result.outcome })
    return exitCodeFor(result)
  },
}
