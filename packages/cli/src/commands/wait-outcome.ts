// What `flowcast watch` and `flowcast run` share around the wait itself: option parsing,
// exit codes and the `--verbose` counters.
import type { WaitForFlowRunResult } from '@flowcast/core'
import type { EventsSubscriber } from '@flowcast/websocket'
import { ExitCode, UsageError, type CliIO } from '../io.js'

/** How `flowcast watch` and `flowcast run` learn states. */
export type WatchTransport = 'auto' | 'websocket' | 'polling'

const terminalExitCodes: Record<string, number> = {
  COMPLETED: ExitCode.ok,
  FAILED: ExitCode.failed,
  CRASHED: ExitCode.crashed,
  CANCELLED: ExitCode.cancelled,
}

/** The exit code for a wait result (docs/cli.md, "Exit codes"). */
export function exitCodeFor(result: WaitForFlowRunResult): number {
  switch (result.outcome) {
    case 'terminal':
      return terminalExitCodes[result.stateType] ?? ExitCode.failed
    case 'timeout':
      return ExitCode.timeout
    case 'aborted':
      return ExitCode.interrupted
    case 'transport_failed':
      return result.error.code === 'AUTH_REJECTED' ? ExitCode.authRejected : ExitCode.unreachable
  }
}

/** `--timeout SECONDS` in ms (`undefined` when absent); a usage error unless > 0. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const secondsValue = Number(value)
  if (value.trim() === '' || !Number.isFinite(secondsValue) || secondsValue <= 0) {
    throw new UsageError(`--timeout must be a number of seconds > 0, got ${JSON.stringify(value)}`)
  }
  return Math.round(secondsValue * 1000)
}

/** `--transport`, checked. */
export function parseTransport(value: string | undefined): WatchTransport {
  const transport = value ?? 'auto'
  if (transport !== 'auto' && transport !== 'websocket' && transport !== 'polling') {
    throw new UsageError(
      `--transport must be auto, websocket or polling, got ${JSON.stringify(transport)}`,
    )
  }
  return transport
}

/** The options both commands take for the wait, for `parseArgs`. */
export const waitOptions = {
  transport: { type: 'string', default: 'auto' },
  timeout: { type: 'string' },
  json: { type: 'boolean', default: false },
  verbose: { type: 'boolean', default: false },
} as const

/** Help lines for `--verbose`. */
export const verboseHelp = `  --verbose            print counters on stderr at the end (REST requests and failures,
                       WebSocket connections, events, duplicates, skipped frames)`

/**
 * The `--verbose` counters: a counting `fetch` for the command's REST clients and the events
 * subscriber's stats, printed as one `key=value` line on stderr (stdout keeps its contract).
 */
export function createWaitCounters(command: string) {
  const startedAt = Date.now()
  let requests = 0
  let failures = 0
  // Every subscription of the wait (a re-probe after a failure opens a new one), summed.
  const subscribers: EventsSubscriber[] = []
  const fetchCounting: typeof globalThis.fetch = async (input, init) => {
    requests++
    try {
      const response = await globalThis.fetch(input, init)
      if (!response.ok) failures++
      return response
    } catch (error) {
      failures++
      throw error
    }
  }
  return {
    fetch: fetchCounting,
    onSubscriber(created: EventsSubscriber) {
      subscribers.push(created)
    },
    /** Writes the counters line to stderr. */
    print(io: CliIO, extra: Record<string, string | number> = {}) {
      const sum = (key: 'connections' | 'reconnects' | 'events' | 'duplicates' | 'skippedFrames') =>
        subscribers.reduce((total, subscriber) => total + subscriber.stats[key], 0)
      const counters: Record<string, string | number> = {
        rest_requests: requests,
        rest_failures: failures,
        ws_connections: sum('connections'),
        ws_reconnects: sum('reconnects'),
        events: sum('events'),
        duplicates: sum('duplicates'),
        skipped_frames: sum('skippedFrames'),
        ...extra,
        elapsed_ms: Date.now() - startedAt,
      }
      const text = Object.entries(counters)
        .map(([key, value]) => `${key}=${value}`)
        .join(' ')
      io.stderr.write(`flowcast ${command}: counters: ${text}\n`)
    },
  }
}
