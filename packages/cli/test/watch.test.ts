// `flowcast watch` as a process (bin/flowcast.js → dist; run `pnpm build` first) against the
// fake Prefect server on a real port, for every exit code of the CLI contract.
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { afterAll, describe, expect, it } from 'vitest'
import { killLeftovers, pathOnlyEnv, spawnFlowcast, type Spawned } from './helpers/process.js'

// Cleaned up after all tests (not after each): some tests run concurrently.
const children: ChildProcess[] = []
const servers: FakePrefectServer[] = []
afterAll(async () => {
  killLeftovers(children)
  for (const server of servers.splice(0)) await server.close()
})

function flowcast(args: string[], env: Record<string, string> = {}): Spawned {
  const running = spawnFlowcast(args, pathOnlyEnv(env))
  children.push(running.child)
  return running
}

async function fake(options: Parameters<typeof createFakePrefectServer>[0] = {}) {
  const server = await createFakePrefectServer({ pingIntervalMs: 0, ...options })
  servers.push(server)
  return server
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const outcomeKeys = ['type', 'outcome', 'flow_run_id', 'state_type', 'state_name', 'source']

describe('flowcast watch: usage (exit 2)', () => {
  it.each([
    [[], 'missing <flow-run-id>'],
    [['not-a-uuid'], 'not a flow run id'],
    [
      ['0190b7f0-0000-7000-8000-000000000001', '--transport', 'carrier-pigeon'],
      '--transport must be',
    ],
    [['0190b7f0-0000-7000-8000-000000000001', '--timeout', 'soon'], '--timeout must be'],
    [['0190b7f0-0000-7000-8000-000000000001', '--bogus'], 'Unknown option'],
    [['0190b7f0-0000-7000-8000-000000000001'], 'no Prefect API URL'],
  ])('%j -> exit 2', async (args, message) => {
    const { code, stderr } = await flowcast(['watch', ...args]).done
    expect(code).toBe(2)
    expect(stderr).toContain(message)
  })

  it('--help documents the exit codes and exits 0', async () => {
    const { code, stdout } = await flowcast(['watch', '--help']).done
    expect(code).toBe(0)
    expect(stdout).toContain('30 auth rejected')
    expect(stdout).toContain('--transport')
  })
})

// Each test has its own fake server and process, so they run concurrently.
describe.concurrent('flowcast watch: outcomes and exit 31', () => {
  it.each([
    ['COMPLETED', 0],
    ['FAILED', 10],
    ['CRASHED', 11],
    ['CANCELLED', 12],
  ] as const)('a run already %s exits %i with the outcome line', async (type, exitCode) => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    server.setFlowRunState(run.id, { type: 'RUNNING' }, { force: true })
    server.setFlowRunState(run.id, { type }, { force: true })
    const { code, stdout } = await flowcast(['watch', run.id, '--json'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(code).toBe(exitCode)
    const last = jsonLines(stdout).at(-1)!
    expect(Object.keys(last)).toEqual(outcomeKeys)
    expect(last).toMatchObject({
      type: 'outcome',
      outcome: 'terminal',
      flow_run_id: run.id,
      state_type: type,
    })
    expect(['websocket', 'polling']).toContain(last['source'])
  })

  it('follows a live run over the WebSocket, printing each event as a JSON line', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const watch = flowcast(['watch', run.id, '--json', '--api-url', server.apiUrl])
    await server.waitForSubscriber()
    await until(() => watch.stdout().includes('prefect.flow-run.Scheduled'))
    await server.runLifecycle(run.id, ['Pending', 'Running', 'heartbeat', 'Completed'])
    const { code, stdout } = await watch.done
    expect(code).toBe(0)
    const lines = jsonLines(stdout)
    const events = lines
      .filter((l) => l['type'] === 'event')
      .map((l) => (l['event'] as { event: string }).event)
    expect(events).toEqual([
      'prefect.flow-run.Scheduled',
      'prefect.flow-run.Pending',
      'prefect.flow-run.Running',
      'prefect.flow-run.heartbeat',
      'prefect.flow-run.Completed',
    ])
    const event = lines[0]!['event'] as Record<string, unknown>
    expect(Object.keys(event)).toEqual([
      'occurred',
      'event',
      'resource',
      'related',
      'payload',
      'id',
      'follows',
      'received',
    ])
    expect(lines.at(-1)).toEqual({
      type: 'outcome',
      outcome: 'terminal',
      flow_run_id: run.id,
      state_type: 'COMPLETED',
      state_name: 'Completed',
      source: 'websocket',
    })
    // The subscription asked for this run only, looking back 60 s.
    const filter = server.recorder.connections[0]!.filters[0] as { resource: { id: string[] } }
    expect(filter.resource.id).toEqual([`prefect.flow-run.${run.id}`])
  })

  it('shows a human timeline and ends with the outcome', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const watch = flowcast(['watch', run.id, '--api-url', server.apiUrl])
    await server.waitForSubscriber()
    await until(() => watch.stdout().includes('WebSocket connected'))
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Failed'])
    const { code, stdout } = await watch.done
    expect(code).toBe(10)
    expect(stdout).toMatch(/Scheduled\s+SCHEDULED/)
    expect(stdout).toMatch(/Running\s+RUNNING\s+via websocket/)
    expect(stdout.trim().split('\n').at(-1)).toMatch(
      /^✖ Failed \(FAILED\) — learned via websocket after/,
    )
  })

  it('exits 20 when --timeout passes, reporting the last state', async () => {
    // 3 s, not less: the last state must have been read before the deadline even on a loaded machine.
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    server.setFlowRunState(run.id, { type: 'RUNNING' }, { force: true })
    const { code, stdout } = await flowcast(['watch', run.id, '--json', '--timeout', '3'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(code).toBe(20)
    expect(jsonLines(stdout).at(-1)).toEqual({
      type: 'outcome',
      outcome: 'timeout',
      flow_run_id: run.id,
      state_type: 'RUNNING',
      state_name: 'Running',
      source: null,
    })
  })

  it('exits 30 when the credentials are rejected', async () => {
    const server = await fake({ authString: 'admin:right-password' })
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const { code, stdout, stderr } = await flowcast(['watch', run.id, '--json'], {
      PREFECT_API_URL: server.apiUrl,
      PREFECT_API_AUTH_STRING: 'admin:wrong-password',
    }).done
    expect(code).toBe(30)
    expect(jsonLines(stdout).at(-1)).toMatchObject({
      outcome: 'auth_failed',
      state_type: null,
      source: null,
    })
    expect(stdout + stderr).not.toContain('wrong-password')
  })

  it('with the right auth string, follows the run (exit 0)', async () => {
    const server = await fake({ authString: 'admin:right-password' })
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    server.setFlowRunState(run.id, { type: 'COMPLETED' }, { force: true })
    const { code } = await flowcast(['watch', run.id, '--auth-string', 'admin:right-password'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(code).toBe(0)
  })

  it('falls back to polling when WebSocket upgrades are refused with 403', async () => {
    const server = await fake()
    server.faults.rejectUpgrades(403)
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const watch = flowcast(['watch', run.id, '--json'], { PREFECT_API_URL: server.apiUrl })
    await until(() => server.recorder.rejectedUpgrades.length > 0)
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Crashed'])
    const { code, stdout } = await watch.done
    expect(code).toBe(11)
    expect(jsonLines(stdout).at(-1)).toMatchObject({
      outcome: 'terminal',
      state_type: 'CRASHED',
      source: 'polling',
    })
  })

  it('--json says on stderr that the WebSocket rejected the credentials and it went on by polling', async () => {
    const server = await fake()
    server.faults.refuseAuth('soft', { reason: 'token pnu_REFLECTED_PLANTED is not valid' })
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const watch = flowcast(['watch', run.id, '--json', '--api-key', 'pnu_REFLECTED_PLANTED'], {
      PREFECT_API_URL: server.apiUrl,
    })
    await until(() => server.recorder.connections.length > 0)
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    const { code, stdout, stderr } = await watch.done
    expect(code).toBe(0)
    expect(jsonLines(stdout).at(-1)).toMatchObject({ outcome: 'terminal', source: 'polling' })
    expect(stderr).toMatch(
      /WebSocket failed \(.*authentication failed.*\): reading the run over REST/,
    )
    expect(stdout + stderr).not.toContain('pnu_REFLECTED_PLANTED')
  })

  it('--transport polling uses REST only', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const watch = flowcast(['watch', run.id, '--json', '--transport', 'polling'], {
      PREFECT_API_URL: server.apiUrl,
    })
    await until(() => server.recorder.httpRequests.length > 0)
    await server.runLifecycle(run.id, ['Pending', 'Running', 'Cancelled'])
    const { code, stdout } = await watch.done
    expect(code).toBe(12)
    expect(jsonLines(stdout)).toEqual([
      {
        type: 'outcome',
        outcome: 'terminal',
        flow_run_id: run.id,
        state_type: 'CANCELLED',
        state_name: 'Cancelled',
        source: 'polling',
      },
    ])
    expect(server.recorder.connections).toHaveLength(0)
  })

  it('exits 130 with an aborted outcome on SIGINT', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const watch = flowcast(['watch', run.id, '--json'], { PREFECT_API_URL: server.apiUrl })
    await server.waitForSubscriber()
    watch.child.kill('SIGINT')
    const { code, stdout } = await watch.done
    expect(code).toBe(130)
    expect(jsonLines(stdout).at(-1)).toMatchObject({ outcome: 'aborted', state_type: 'SCHEDULED' })
  })

  it('exits 31 when the run does not exist', async () => {
    const server = await fake()
    const started = Date.now()
    const { code, stdout, stderr } = await flowcast(
      ['watch', '0190b7f0-0000-7000-8000-00000000dead', '--json'],
      { PREFECT_API_URL: server.apiUrl },
    ).done
    expect(code).toBe(31)
    expect(jsonLines(stdout).at(-1)).toMatchObject({
      outcome: 'transport_failed',
      state_type: null,
    })
    expect(stderr).toContain('404 Not Found')
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000)
  })

  it(
    'exits 31 when neither the WebSocket nor REST can be reached for 15 s',
    { timeout: 40_000 },
    async () => {
      // A port that refuses connections: bind, note it, close.
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const address = probe.address() as { port: number }
          probe.close(() => resolve(address.port))
        })
      })
      const started = Date.now()
      const { code, stdout } = await flowcast(
        ['watch', '0190b7f0-0000-7000-8000-000000000001', '--json'],
        {
          PREFECT_API_URL: `http://127.0.0.1:${port}/api`,
        },
      ).done
      const elapsed = Date.now() - started
      expect(code).toBe(31)
      expect(jsonLines(stdout).at(-1)).toMatchObject({ outcome: 'transport_failed', source: null })
      expect(elapsed).toBeGreaterThanOrEqual(15_000)
      expect(elapsed).toBeLessThan(25_000)
    },
  )
})
