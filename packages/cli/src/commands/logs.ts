import { parseArgs } from 'node:util'
import {
  createRunLogsFollower,
  isTerminalStateType,
  isUuid,
  parseLogLevel,
  type FlowcastError,
  type Log,
  type LogsSources,
} from '@flowcast/core'
import {
  createLogsClient,
  createPollingLogsSource,
  createPollingRunStateSource,
  createPrefectClient,
} from '@flowcast/polling'
import { createWebSocketLogsSource, type WebSocketConstructorLike } from '@flowcast/websocket'
import WebSocket from 'ws'
import { connectionHelp, connectionOptions, resolveConnection } from '../connection.js'
import { ExitCode, UsageError, type Command } from '../io.js'
import { formatLogLine, logJsonLine, useColour } from './log-lines.js'

const help = `Usage: flowcast logs <flow-run-id> [--follow] [--level LEVEL] [--json]

Prints a flow run's logs (REST, paged, oldest first).

Options:
  --follow         keep printing new logs (live from /logs/out when the server streams
                   them, reconciled over REST, each once) until the run is terminal plus 3 s
  --level LEVEL    minimum level: a name (DEBUG, INFO, WARNING, ERROR, CRITICAL) or a number
  --json           one {"type":"log","log":…} line per log
${connectionHelp}

Exit codes:
  0 done   30 auth rejected   31 API unreachable or run not found   2 usage error
`

const stragglerMs = 3_000

/** `flowcast logs <flow-run-id>`: print (and follow) a run's logs. */
export const logsCommand: Command = {
  path: ['logs'],
  summary: "print a flow run's logs; --follow keeps printing until it ends",
  help,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...connectionOptions,
        follow: { type: 'boolean', default: false },
        level: { type: 'string' },
        json: { type: 'boolean', default: false },
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
    if (!isUuid(flowRunId)) {
      throw new UsageError(`not a flow run id (a UUID): ${JSON.stringify(positionals[0])}`)
    }
    let minLevel: number | undefined
    if (values.level !== undefined) {
      try {
        minLevel = parseLogLevel(values.level)
      } catch {
        throw new UsageError(
          `--level must be DEBUG, INFO, WARNING, ERROR, CRITICAL or a number, got ${JSON.stringify(values.level)}`,
        )
      }
    }
    const connection = resolveConnection(values, io.env)
    const credentials = {
      ...(connection.apiKey ? { apiKey: connection.apiKey } : {}),
      ...(connection.authString ? { authString: connection.authString } : {}),
    }
    const json = values.json === true
    const colour = !json && useColour(io)
    const print = (logs: readonly Log[]) => {
      for (const log of logs) {
        if (minLevel !== undefined && log.level < minLevel) continue
        io.stdout.write(json ? logJsonLine(log) : `${formatLogLine(log, { colour })}\n`)
      }
    }
    const client = createPrefectClient({
      apiUrl: connection.apiUrl,
      ...credentials,
      timeoutMs: 10_000,
    })
    const logsClient = createLogsClient({
      apiUrl: connection.apiUrl,
      ...credentials,
      timeoutMs: 10_000,
    })
    const failed = (error: FlowcastError) => {
      io.stderr.write(`flowcast logs: ${error.message}\n`)
      return error.code === 'AUTH_REJECTED' ? ExitCode.authRejected : ExitCode.unreachable
    }
    // The run must exist: a mistyped id is an error, not an empty list.
    try {
      await client.readFlowRun(flowRunId, { signal: io.signal })
    } catch (error) {
      return failed(error as FlowcastError)
    }
    const levelFilter = minLevel === undefined ? undefined : { level: { ge_: minLevel } }
    const pull = createPollingLogsSource({
      client: logsClient,
      ...(levelFilter ? { filter: levelFilter } : {}),
    })
    if (!values.follow) {
      try {
        print(await pull.read([flowRunId], { signal: io.signal }))
        return ExitCode.ok
      } catch (error) {
        return failed(error as FlowcastError)
      }
    }

    const push = createWebSocketLogsSource({
      apiUrl: connection.apiUrl,
      ...credentials,
      WebSocket: WebSocket as unknown as WebSocketConstructorLike,
      connectTimeoutMs: 5_000,
    })
    const sources: LogsSources = { push, pull }
    let restError: FlowcastError | undefined
    const follower = createRunLogsFollower({
      flowRunId,
      sources,
      onLogs: print,
      onError: (error, source) => {
        if (source === 'polling') restError = error
        io.stderr.write(`flowcast logs: logs from ${source} unavailable: ${error.message}\n`)
      },
    })
    const states = createPollingRunStateSource({ client })
    follower.start()
    try {
      // Follow until the run is terminal, reading its state every 2 s.
      const startedAt = Date.now()
      for (;;) {
        if (io.signal.aborted) return ExitCode.ok
        let terminalAt: string | undefined
        try {
          const state = await states.read(flowRunId, { signal: io.signal })
          if (isTerminalStateType(state.type)) terminalAt = state.timestamp
        } catch (error) {
          if (io.signal.aborted) return ExitCode.ok
          const code = (error as FlowcastError).code
          if (code === 'AUTH_REJECTED' || code === 'NOT_FOUND')
            return failed(error as FlowcastError)
        }
        if (terminalAt !== undefined) {
          const live = Date.parse(terminalAt) >= startedAt - stragglerMs
          await follower.finish({ stragglerMs: live ? stragglerMs : 0, signal: io.signal })
          break
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000)
          io.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer)
              resolve()
            },
            { once: true },
          )
        })
      }
      if (restError?.code === 'AUTH_REJECTED') return ExitCode.authRejected
      return ExitCode.ok
    } finally {
      follower.stop()
      states.close()
      await push.close()
    }
  },
}
