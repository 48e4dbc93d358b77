import {
  FlowcastError,
  PrefectDateTime,
  compareDateTimes,
  compareLogs,
  formatIssues,
  httpAuthorizationHeader,
  parseApiUrl,
  parseLog,
  parseLogCreate,
  parseLogFilter,
  silentLogger,
  systemClock,
  type Log,
  type LogCreate,
  type LogFilter,
  type LogSort,
  type PullLogsReadOptions,
  type PullLogsSource,
} from '@flowcast/core'
import { prefectClientDefaults, type PrefectClientOptions } from './client.js'
import { displayUrl, sendRequest, type HttpSettings, type RequestOptions } from './http.js'
import { httpInstrumentsFor } from './http-instruments.js'

/** Prefect's largest `limit` for `POST /logs/filter` (422 above it). */
export const maxLogsPageSize = 200

/** The body of `POST /logs/filter`. */
export interface ReadLogsBody {
  /** Which logs. @default null (all) */
  logs?: LogFilter | null
  /** Page size, at most 200. @default 200 */
  limit?: number
  /** Logs to skip. @default 0 */
  offset?: number
  /** @default 'TIMESTAMP_ASC' */
  sort?: LogSort
}

/** Options of {@link PrefectLogsClient.readAllLogs}. */
export interface ReadAllLogsOptions extends RequestOptions {
  /** @default 'TIMESTAMP_ASC' */
  sort?: LogSort
  /** Logs per page (at most 200). @default 200 */
  pageSize?: number
  /** Stop after this many logs. @default Infinity */
  maxLogs?: number
}

/** Options of {@link PrefectLogsClient.readLogsSince}. */
export interface ReadLogsSinceOptions extends RequestOptions {
  /** Inclusive lower bound on the timestamp. @default undefined (from the first log) */
  after?: string
  /** Extra criteria (level, task runs, text), combined with the runs. */
  filter?: Omit<LogFilter, 'flow_run_id' | 'timestamp'>
  /** Logs per request (at most 200). @default 200 */
  pageSize?: number
}

/**
 * The REST endpoints for logs (docs/protocol.md §11.2). Failures are `FlowcastError`s as for
 * `createPrefectClient`.
 */
export interface PrefectLogsClient {
  /** `POST /logs/`: stores logs (validated first). */
  createLogs(logs: readonly LogCreate[], options?: RequestOptions): Promise<void>
  /** `POST /logs/filter`: one page. */
  readLogs(body?: ReadLogsBody, options?: RequestOptions): Promise<Log[]>
  /**
   * Every log matching `filter`, page by page by offset (as `prefect flow-run logs` does).
   * Offsets shift when logs arrive while reading; to follow a live run, use `readLogsSince`.
   */
  readAllLogs(filter?: LogFilter | null, options?: ReadAllLogsOptions): AsyncGenerator<Log>
  /**
   * Every log of the runs at or after `options.after`, oldest first, each once — by timestamp
   * cursor: each page starts at the newest timestamp of the previous one (inclusive) and
   * repeats are dropped by id, so logs sharing a timestamp are found whatever order the
   * server returns them in and however pages shift. A group of more than `pageSize` logs on
   * one timestamp is read by offset until a pass finds nothing new.
   */
  readLogsSince(flowRunIds: readonly string[], options?: ReadLogsSinceOptions): Promise<Log[]>
}

/** Passes over one timestamp's logs before giving up on reading every one of them. */
const maxTiePasses = 25

function checkPageSize(size: number | undefined): number {
  const value = size ?? maxLogsPageSize
  if (!Number.isInteger(value) || value < 1 || value > maxLogsPageSize) {
    throw new FlowcastError(
      'INVALID_OPTIONS',
      `[@flowcast/polling] invalid page size ${String(size)}: an integer from 1 to ${maxLogsPageSize}`,
    )
  }
  return value
}

/**
 * Creates a {@link PrefectLogsClient} (same options as `createPrefectClient`).
 *
 * @example
 * ```ts
 * const logs = createLogsClient({ apiUrl: 'http://127.0.0.1:4200/api' })
 * for (const log of await logs.readLogsSince([flowRunId])) console.log(log.message)
 * ```
 */
export function createLogsClient(options: PrefectClientOptions): PrefectLogsClient {
  const location = parseApiUrl(options.apiUrl)
  const credentials = {
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.authString ? { authString: options.authString } : {}),
  }
  const settings: HttpSettings = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    random: options.random ?? Math.random,
    credentials,
    authorization: httpAuthorizationHeader(credentials),
    headers: { ...options.headers },
    timeoutMs: options.timeoutMs ?? prefectClientDefaults.timeoutMs,
    retries: options.retries ?? prefectClientDefaults.retries,
    retryBackoff: { ...prefectClientDefaults.retryBackoff, ...options.retryBackoff },
    maxRetryDelayMs: options.maxRetryDelayMs ?? prefectClientDefaults.maxRetryDelayMs,
    instruments: httpInstrumentsFor(options, location.apiUrl),
  }
  const apiUrl = location.apiUrl

  const readLogs = async (body: ReadLogsBody = {}, requestOptions?: RequestOptions) => {
    const limit = checkPageSize(body.limit)
    const payload = {
      logs: body.logs == null ? null : parseLogFilter(body.logs),
      limit,
      offset: body.offset ?? 0,
      sort: body.sort ?? 'TIMESTAMP_ASC',
    }
    const url = `${apiUrl}/logs/filter`
    const { text } = await sendRequest(
      settings,
      {
        method: 'POST',
        url,
        route: '/logs/filter',
        body: JSON.stringify(payload),
        retry: 'idempotent',
        authorize: true,
      },
      requestOptions,
    )
    const fail = (why: string, cause?: unknown) =>
      new FlowcastError(
        'PROTOCOL',
        `[@flowcast/polling] [POST] "${displayUrl(url, credentials)}": unexpected response: ${why}`,
        { cause },
      )
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      throw fail('the response is not JSON', cause)
    }
    if (!Array.isArray(value)) throw fail('expected a list of logs')
    try {
      return value.map((log) => parseLog(log))
    } catch (error) {
      const issues = (error as FlowcastError).details?.['issues']
      throw fail(Array.isArray(issues) ? formatIssues(issues) : String(error), error)
    }
  }

  return {
    async createLogs(logs, requestOptions) {
      const body = JSON.stringify(logs.map((log) => parseLogCreate(log)))
      // The server does not dedupe logs: a retried request could store them twice.
      await sendRequest(
        settings,
        {
          method: 'POST',
          url: `${apiUrl}/logs/`,
          route: '/logs/',
          body,
          retry: 'rate-limit-only',
          authorize: true,
        },
        requestOptions,
      )
    },

    readLogs,

    async *readAllLogs(filter, requestOptions = {}) {
      const pageSize = checkPageSize(requestOptions.pageSize)
      const maxLogs = requestOptions.maxLogs ?? Infinity
      let count = 0
      for (let offset = 0; ; offset += pageSize) {
        const page = await readLogs(
          {
            logs: filter ?? null,
            limit: pageSize,
            offset,
            sort: requestOptions.sort ?? 'TIMESTAMP_ASC',
          },
          requestOptions,
        )
        for (const log of page) {
          if (count >= maxLogs) return
          count++
          yield log
        }
        if (page.length < pageSize || count >= maxLogs) return
      }
    },

    async readLogsSince(flowRunIds, requestOptions = {}) {
      const pageSize = checkPageSize(requestOptions.pageSize)
      const found = new Map<string, Log>()
      const filterFor = (timestamp: LogFilter['timestamp']): LogFilter => ({
        ...requestOptions.filter,
        flow_run_id: { any_: [...flowRunIds] },
        ...(timestamp ? { timestamp } : {}),
      })
      const add = (page: readonly Log[]) => {
        let fresh = 0
        for (const log of page) {
          if (found.has(log.id)) continue
          found.set(log.id, log)
          fresh++
        }
        return fresh
      }
      let after = requestOptions.after
      for (;;) {
        const page = await readLogs(
          { logs: filterFor(after ? { after_: after } : null), limit: pageSize },
          requestOptions,
        )
        add(page)
        if (page.length < pageSize) break
        const first = page[0]!.timestamp
        const last = page[page.length - 1]!.timestamp
        if (compareDateTimes(first, last) !== 0) {
          // Start the next page at `last` itself: its ties may continue there.
          after = last
          continue
        }
        // A whole page on one timestamp: read that instant by offset. The server orders ties
        // as it likes (per request, even), so a pass by offset may repeat some and skip others;
        // the page lengths tell how many the instant holds, and passes go on until every one
        // was seen.
        const group = new Set(page.map((log) => log.id))
        let groupSize = group.size
        for (let pass = 0; pass < maxTiePasses; pass++) {
          for (let offset = 0; ; offset += pageSize) {
            const tie = await readLogs(
              { logs: filterFor({ after_: last, before_: last }), limit: pageSize, offset },
              requestOptions,
            )
            add(tie)
            for (const log of tie) group.add(log.id)
            if (tie.length < pageSize) {
              groupSize = offset + tie.length
              break
            }
          }
          if (group.size >= groupSize) break
        }
        if (group.size < groupSize) {
          settings.logger.warn(
            '[@flowcast/polling] some logs sharing one timestamp were not read',
            {
              timestamp: last,
              expected: groupSize,
              read: group.size,
            },
          )
        }
        after = PrefectDateTime.parse(last).plusSeconds(0.000001).toString()
      }
      return [...found.values()].sort(compareLogs)
    },
  }
}

/** Options of {@link createPollingLogsSource}. */
export interface PollingLogsSourceOptions {
  /** The logs client to read with. */
  client: PrefectLogsClient
  /** Extra criteria for every read (e.g. `{ level: { ge_: 30 } }`). */
  filter?: Omit<LogFilter, 'flow_run_id' | 'timestamp'>
}

/**
 * The REST logs source for core's `followFlowRun` / `createRunLogsFollower`: complete logs of
 * any number of runs by timestamp cursor.
 *
 * @example
 * ```ts
 * const pull = createPollingLogsSource({ client: createLogsClient({ apiUrl }) })
 * followFlowRun(flowRunId, { sources, logs: { pull } })
 * ```
 */
export function createPollingLogsSource(options: PollingLogsSourceOptions): PullLogsSource {
  return {
    name: 'polling',
    read(flowRunIds, readOptions: PullLogsReadOptions = {}) {
      return options.client.readLogsSince(flowRunIds, {
        ...(readOptions.after === undefined ? {} : { after: readOptions.after }),
        ...(readOptions.signal ? { signal: readOptions.signal } : {}),
        ...(options.filter ? { filter: options.filter } : {}),
      })
    },
  }
}
