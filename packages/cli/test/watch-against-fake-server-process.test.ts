// `flowcast watch` as a process against `flowcast fake-server` as a process: the server is
// driven only through Prefect's own REST endpoints (create_flow_run, set_state), as a user
// would drive a real server. Needs `pnpm build` (bin/flowcast.js loads dist/).
import type { ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killLeftovers, pathOnlyEnv, spawnFlowcast } from './helpers/process.js'

const deploymentId = '0190b7f0-1111-7000-8000-00000000d001'
const authString = 'ops:s3cret-pass'

const children: ChildProcess[] = []
afterAll(() => killLeftovers(children))

function flowcast(args: string[], env: Record<string, string> = {}) {
  const running = spawnFlowcast(args, pathOnlyEnv(env))
  const { child, stdout, stderr } = running
  children.push(child)
  const lines = async (count: number): Promise<string[]> => {
    const end = Date.now() + 15_000
    while (stdout().split('\n').length <= count) {
      if (child.exitCode !== null) throw new Error(`exited early: ${stderr()}`)
      if (Date.now() > end) throw new Error(`no ${count} lines in time: ${stdout()}${stderr()}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    return stdout().split('\n').slice(0, count)
  }
  return { ...running, lines }
}

async function startFakeServer(extra: string[] = []) {
  const server = flowcast([
    'fake-server',
    '--port',
    '0',
    '--deployment',
    `etl/nightly=${deploymentId}`,
    ...extra,
  ])
  const [listening, deployment] = await server.lines(2)
  const apiUrl = /^listening on (http:\/\/127\.0\.0\.1:\d+\/api)$/.exec(listening!)?.[1]
  expect(apiUrl).toBeDefined()
  expect(deployment).toBe(`deployment etl/nightly ${deploymentId}`)
  return { ...server, apiUrl: apiUrl! }
}

async function rest(
  apiUrl: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

describe('flowcast watch against flowcast fake-server (both as processes)', () => {
  let server: Awaited<ReturnType<typeof startFakeServer>>
  beforeAll(async () => {
    server = await startFakeServer()
  })
  afterAll(async () => {
    server.child.kill('SIGTERM')
    expect((await server.done).code).toBe(0)
  })

  it.each([
    ['COMPLETED', 0],
    ['FAILED', 10],
    ['CRASHED', 11],
    ['CANCELLED', 12],
  ] as const)('a run that ends %s exits %i', async (stateType, exitCode) => {
    const created = await rest(server.apiUrl, `/deployments/${deploymentId}/create_flow_run`, {})
    expect(created.status).toBe(201)
    const flowRunId = created.body.id as string
    const watch = flowcast(['watch', flowRunId, '--json', '--timeout', '60'], {
      PREFECT_API_URL: server.apiUrl,
    })
    // The Scheduled state arrives over the stream or the first read: the watch is live.
    const end = Date.now() + 15_000
    while (!watch.stdout().includes('"prefect.flow-run.Scheduled"')) {
      if (Date.now() > end) throw new Error(`watch never saw Scheduled: ${watch.stdout()}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    for (const type of ['PENDING', 'RUNNING', stateType]) {
      const result = await rest(server.apiUrl, `/flow_runs/${flowRunId}/set_state`, {
        state: { type },
      })
      expect(result.body.status).toBe('ACCEPT')
    }
    const finished = await watch.done
    expect(finished.code).toBe(exitCode)
    const lines = finished.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    const outcome = lines.at(-1)!
    expect(outcome).toMatchObject({
      type: 'outcome',
      outcome: 'terminal',
      flow_run_id: flowRunId,
      state_type: stateType,
    })
    const names = lines
      .filter((line) => line.type === 'event')
      .map((line) => (line.event as { event: string }).event)
    expect(names).toContain('prefect.flow-run.Running')
  })

  it('a run that does not end in time exits 20', async () => {
    const created = await rest(server.apiUrl, `/deployments/${deploymentId}/create_flow_run`, {})
    const finished = await flowcast(['watch', created.body.id as string, '--timeout', '1'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(20)
  })
})

describe('flowcast watch against a flowcast fake-server that requires an auth string', () => {
  it('exits 30 on a wrong auth string and 0 with the right one, never printing it', async () => {
    const server = await startFakeServer(['--auth-string', authString])
    const basic = `Basic ${Buffer.from(authString).toString('base64')}`
    const created = await rest(
      server.apiUrl,
      `/deployments/${deploymentId}/create_flow_run`,
      {},
      { authorization: basic },
    )
    expect(created.status).toBe(201)
    const flowRunId = created.body.id as string

    const rejected = await flowcast(['watch', flowRunId, '--auth-string', 'ops:wrong-pass'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(rejected.code).toBe(30)
    expect(rejected.stdout + rejected.stderr).not.toContain('wrong-pass')

    await rest(
      server.apiUrl,
      `/flow_runs/${flowRunId}/set_state`,
      { state: { type: 'COMPLETED' }, force: true },
      { authorization: basic },
    )
    const accepted = await flowcast(['watch', flowRunId, '--json'], {
      PREFECT_API_URL: server.apiUrl,
      PREFECT_API_AUTH_STRING: authString,
    }).done
    expect(accepted.code).toBe(0)
    expect(accepted.stdout + accepted.stderr).not.toContain('s3cret')

    server.child.kill('SIGTERM')
    expect((await server.done).code).toBe(0)
  })
})

describe('flowcast fake-server --deployment', () => {
  it.each([['etl'], ['etl/nightly=not-a-uuid'], ['/nightly']])(
    'rejects --deployment %s as a usage error (exit 2)',
    async (value) => {
      const finished = await flowcast(['fake-server', '--port', '0', '--deployment', value]).done
      expect(finished.code).toBe(2)
      expect(finished.stderr).toContain('--deployment')
    },
  )
})
