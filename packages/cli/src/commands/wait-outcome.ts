// What `flowcast watch` and `flowcast run` share around the wait itself: option parsing,
// exit codes and the `--verbose` counters.
import { flowcastMetrics as m, type WaitForFlowRunResult } from '@flowcast/core'
import { acceptsNumber, describeNumberRule, type NumberRule } from '@flowcast/core/internal'
import { ExitCode, UsageError, type CliIO } from '../io.js'
import { createMemoryInstrumentation } from '../memory-instrumentation.js'

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

/**
 * A flag's number of seconds, checked against `rule`; a usage error otherwise. With
 * `plainDecimal`, only digits with an optional fraction are read (no `1e3`, `0x10`, spaces).
 */
export function parseSecondsFlag(
  flag: string,
  value: string,
  rule: NumberRule & { plainDecimal?: boolean },
): number {
  const readable = rule.plainDecimal === true ? /^\d+(\.\d+)?$/.test(value) : value.trim() !== ''
  const seconds = readable ? Number(value) : Number.NaN
  if (!acceptsNumber(seconds, rule)) {
    throw new UsageError(
      `${flag} must be ${describeNumberRule(rule)} (seconds), got ${JSON.stringify(value)}`,
    )
  }
  return seconds
}

/** `--timeout SECONDS` in ms (`undefined` when absent); a usage error unless > 0. */
export function parseTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  return Math.round(parseSecondsFlag('--timeout', value, { min: 0, exclusive: true }) * 1000)
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
 * The `--verbose` counters: an in-memory instrumentation that every part of the command reports
 * through, printed at the end as one `key=value` line on stderr (stdout keeps its contract).
 * The keys are the metric names of `@flowcast/otel`'s table, `{attribute=value}` narrowing one.
 */
export function createWaitCounters(command: string) {
  const startedAt = Date.now()
  const instrumentation = createMemoryInstrumentation()
  const { total } = instrumentation
  const destination = 'messaging.destination.name'
  return {
    instrumentation,
    /** Writes the counters line to stderr. */
    print(io: CliIO, extra: Record<string, string | number> = {}) {
      const counters: Record<string, string | number> = {
        [`${m.httpDuration.name}.count`]: total(m.httpDuration.name),
        [`${m.httpDuration.name}.count{error.type}`]: total(m.httpDuration.name, {
          'error.type': true,
        }),
        [m.httpRetries.name]: total(m.httpRetries.name),
        [m.connections.name]: total(m.connections.name),
        [m.reconnects.name]: total(m.reconnects.name),
        [m.stalls.name]: total(m.stalls.name),
        [`${m.consumedMessages.name}{${destination}=events/out}`]: total(m.consumedMessages.name, {
          [destination]: 'events/out',
        }),
        [`${m.consumedMessages.name}{${destination}=logs/out}`]: total(m.consumedMessages.name, {
          [destination]: 'logs/out',
        }),
        [m.duplicates.name]: total(m.duplicates.name),
        [m.skippedFrames.name]: total(m.skippedFrames.name),
        [m.waitFallbacks.name]: total(m.waitFallbacks.name, {
          'flowcast.wait.fallback.direction': 'to_polling',
        }),
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
