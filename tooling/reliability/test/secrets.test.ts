// Planted secrets through every error path we can provoke: WebSocket auth rejections, reflected
// auth_failure and close reasons, refused upgrades, unreachable servers, REST errors whose body
// echoes the token, and CLI output. Each server reflects the secrets its client holds (a client
// can only recognise its own). Zero occurrences anywhere (messages, details, logs, output).
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import type { FlowcastError } from '@flowcast/core'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { createPrefectClient } from '@flowcast/polling'
import { createEventsEmitter, createEventsSubscriber } from '@flowcast/websocket'
import { main, type CliIO } from '@flowcast/cli'
import { describe, expect, it } from 'vitest'
import { figure, recordingLogger, waitUntil } from './helpers.js'

const apiKey = 'pnu_PLANTEDapikey0123456789'
const password = 'PLANTED-pass-42'
const authString = `admin:${password}`
const urlPassword = 'PLANTED-url-pw-7'
const planted = [apiKey, password, urlPassword, Buffer.from(authString).toString('base64')]
const runId = '0190f000-0000-7000-8000-000000000001'

function describeFailure(error: FlowcastError | undefined): string {
  if (!error) return 'no error'
  return `${error.message} ${JSON.stringify(error.details ?? {})} ${String((error.cause as Error | undefined)?.message ?? '')}`
}

function bufferedIO(env: Record<string, string> = {}): CliIO & { text: () => string } {
  let text = ''
  const write = (chunk: string) => (text += chunk)
  return {
    stdout: { write },
    stderr: { write },
    env,
    signal: AbortSignal.timeout(20_000),
    text: () => text,
  }
}

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('planted secrets', () => {
  it('never appear in any message, detail, log or CLI output', async () => {
    const outputs: Record<string, string> = {}
    await using oss = await createFakePrefectServer({ authString: 'admin:the-right-one' })
    await using open = await createFakePrefectServer()
    await using cloud = await createFakePrefectServer({
      cloud: { accountId: 'acc', workspaceId: 'ws', apiKey: 'pnu_the_right_key' },
    })
    const withUrlPassword = (apiUrl: string) =>
      apiUrl.replace('http://', `http://svc:${urlPassword}@`)

    const subscribe = async (
      name: string,
      options: Parameters<typeof createEventsSubscriber>[0],
      settle: (s: ReturnType<typeof createEventsSubscriber>) => boolean,
    ) => {
      const logger = recordingLogger()
      const subscriber = createEventsSubscriber({
        ...options,
        logger,
        reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 2 },
      })
      await waitUntil(() => settle(subscriber), name)
      outputs[name] =
        `${describeFailure(subscriber.error ?? subscriber.lastError)} ${logger.text()}`
      await subscriber.close()
    }
    const closed = (s: { state: string }) => s.state === 'closed'

    await subscribe('ws: wrong auth string', { apiUrl: oss.apiUrl, authString }, closed)
    open.faults.refuseAuth('soft', { reason: `token ${authString} / ${password} rejected` })
    await subscribe(
      'ws: auth_failure reflecting the token',
      { apiUrl: open.apiUrl, authString },
      closed,
    )
    open.faults.refuseAuth('hard')
    await subscribe('ws: close 1008', { apiUrl: withUrlPassword(open.apiUrl), authString }, closed)
    open.faults.refuseAuth(null)
    open.faults.rejectUpgrades(403)
    await subscribe(
      'ws: 403 upgrade, URL password',
      { apiUrl: withUrlPassword(open.apiUrl), apiKey: undefined, authString },
      closed,
    )
    open.faults.rejectUpgrades(null)
    const port = await closedPort()
    await subscribe(
      'ws: unreachable, URL password',
      { apiUrl: `http://svc:${urlPassword}@127.0.0.1:${port}/api`, authString },
      closed,
    )
    await subscribe('ws: Cloud wrong key', { apiUrl: cloud.apiUrl, apiKey }, closed)
    {
      const logger = recordingLogger()
      const subscriber = createEventsSubscriber({
        apiUrl: open.apiUrl,
        authString,
        logger,
        reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      })
      await waitUntil(() => subscriber.state === 'open', 'open')
      open.faults.dropConnections({ code: 1011, reason: `proxy saw ${authString} ${password}` })
      await waitUntil(() => subscriber.stats.reconnects > 0, 'reconnect')
      outputs['ws: close reason reflecting the token'] =
        `${describeFailure(subscriber.lastError)} ${logger.text()}`
      await subscriber.close()
    }
    {
      const logger = recordingLogger()
      const emitter = createEventsEmitter({
        apiUrl: cloud.apiUrl,
        apiKey,
        logger,
        closeTimeoutMs: 5_000,
      })
      emitter.emit({ event: 'e', resource: { 'prefect.resource.id': 'r' } })
      const error = (await emitter.close().catch((thrown: unknown) => thrown)) as FlowcastError
      outputs['emitter: Cloud wrong key'] = `${describeFailure(error)} ${logger.text()}`
      expect(error.code).toBe('AUTH_REJECTED')
    }

    // REST: bodies that echo the credentials, refused ports.
    open.faults.httpError({
      path: '/flow_runs/*',
      status: 401,
      times: 1,
      body: { detail: `bad token ${apiKey}` },
    })
    open.faults.httpError({
      path: '/flow_runs/*',
      status: 500,
      times: 1,
      body: { exception_message: `boom Bearer ${apiKey}` },
    })
    for (const name of ['rest: 401 echo', 'rest: 500 echo']) {
      const logger = recordingLogger()
      const client = createPrefectClient({ apiUrl: open.apiUrl, apiKey, retries: 0, logger })
      const error = (await client
        .readFlowRun(runId)
        .catch((thrown: unknown) => thrown)) as FlowcastError
      outputs[name] = `${describeFailure(error)} ${logger.text()}`
    }
    {
      const client = createPrefectClient({
        apiUrl: `http://127.0.0.1:${port}/api`,
        authString,
        retries: 0,
      })
      const error = (await client
        .readFlowRun(runId)
        .catch((thrown: unknown) => thrown)) as FlowcastError
      outputs['rest: refused'] = describeFailure(error)
    }

    // CLI, in process.
    const cli = async (name: string, argv: string[], env: Record<string, string> = {}) => {
      const io = bufferedIO(env)
      const code = await main(argv, io)
      outputs[name] = `exit ${code} ${io.text()}`
      return code
    }
    await cli('cli: mistyped command', [
      'wacth',
      '--api-key',
      apiKey,
      `--auth-string=${authString}`,
      '--api-url',
      withUrlPassword(open.apiUrl),
    ])
    await cli('cli: unknown option', ['watch', runId, '--api-key', apiKey, '--bogus'])
    expect(
      await cli('cli: events emit, Cloud wrong key', [
        'events',
        'emit',
        '--event',
        'e',
        '--resource-id',
        'r',
        '--api-url',
        cloud.apiUrl,
        '--api-key',
        apiKey,
      ]),
    ).toBe(30)
    await cli(
      'cli: events emit, refused',
      ['events', 'emit', '--event', 'e', '--resource-id', 'r', '--connect-timeout', '1'],
      { PREFECT_API_URL: `http://127.0.0.1:${port}/api`, PREFECT_API_AUTH_STRING: authString },
    )
    open.faults.refuseAuth('soft', { reason: `token ${authString} rejected` })
    const run = open.createFlowRun({ deploymentId: open.createDeployment().id })
    open.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    await cli('cli: watch --json, socket rejects, REST accepts', [
      'watch',
      run.id,
      '--json',
      '--auth-string',
      authString,
      '--api-url',
      open.apiUrl,
    ])
    expect(
      await cli('cli: watch, wrong auth string', [
        'watch',
        run.id,
        '--auth-string',
        authString,
        '--api-url',
        oss.apiUrl,
        '--timeout',
        '10',
      ]),
    ).toBe(30)

    const leaks = Object.entries(outputs).flatMap(([path, text]) =>
      planted.filter((secret) => text.includes(secret)).map((secret) => `${path}: ${secret}`),
    )
    figure('planted secrets', {
      paths: Object.keys(outputs).length,
      secrets: planted.length,
      leaks: leaks.length,
    })
    expect(leaks).toEqual([])
    // Every path really failed and said something.
    for (const [path, text] of Object.entries(outputs))
      expect(text.length, path).toBeGreaterThan(20)
  })
})
