// Logs beside states: `flowcast watch` and `flowcast logs` as processes (bin → dist; run
// `pnpm build` first) against the fake Prefect server on a real port.
import type { ChildProcess } from 'node:child_process'
import { systemClock, type Clock } from '@flowcast/core'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { afterAll, describe, expect, it } from 'vitest'
import { killLeftovers, pathOnlyEnv, spawnFlowcast, type Spawned } from './helpers/process.js'

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

const logMessages = (lines: Array<Record<string, unknown>>) =>
  lines.filter((l) => l['type'] === 'log').map((l) => (l['log'] as { message: string }).message)

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Starts `watch --json` on a new run and waits until both sockets are subscribed. */
async function watchLive(server: FakePrefectServer, args: string[] = []) {
  const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
  const logsSubscribed = server.logs.waitForSubscriber()
  const watch = flowcast(['watch', run.id, '--json', '--api-url', server.apiUrl, ...args])
  await server.waitForSubscriber()
  await logsSubscribed
  return { run, watch }
}

describe('flowcast watch with logs', { timeout: 40_000 }, () => {
  it('logs arrive live and each once when the server streams them', async () => {
    const server = await fake()
    const { run, watch } = await watchLive(server)
    await server.runLifecycle(run.id, ['Pending', 'Running', { log: 'one' }, { log: 'two' }])
    await until(() => watch.stdout().includes('"two"'))
    await server.runLifecycle(run.id, [{ log: 'three' }, 'Completed'])
    const { code, stdout } = await watch.done
    expect(code).toBe(0)
    const lines = jsonLines(stdout)
    expect(logMessages(lines)).toEqual(['one', 'two', 'three'])
    expect(lines.at(-1)).toMatchObject({ type: 'outcome', state_type: 'COMPLETED' })
  })

  it('logs arrive complete over REST when the socket is silent (default OSS)', async () => {
    const server = await fake({ logStream: false })
    const { run, watch } = await watchLive(server)
    await server.runLifecycle(run.id, ['Running', { log: 'a' }, { log: 'b' }, 'Completed'])
    const { code, stdout } = await watch.done
    expect(code).toBe(0)
    expect(logMessages(jsonLines(stdout))).toEqual(['a', 'b'])
  })

  it('a drop of the logs socket mid-run loses none and duplicates none', async () => {
    const server = await fake()
    const { run, watch } = await watchLive(server)
    await server.runLifecycle(run.id, ['Running', { log: 'before' }])
    await until(() => watch.stdout().includes('"before"'))
    const back = server.logs.waitForSubscriber()
    server.logs.dropConnections()
    server.logs.create([{ message: 'while down', flow_run_id: run.id }])
    await back
    await server.runLifecycle(run.id, [{ log: 'after' }, 'Completed'])
    const { code, stdout } = await watch.done
    expect(code).toBe(0)
    expect(logMessages(jsonLines(stdout)).sort()).toEqual(['after', 'before', 'while down'])
  })

  it('stragglers after Completed are shown, then the outcome', async () => {
    const server = await fake()
    const { run, watch } = await watchLive(server)
    await server.runLifecycle(run.id, ['Running', 'Completed'])
    await until(() => watch.stdout().includes('prefect.flow-run.Completed'))
    server.logs.create([{ message: 'late', flow_run_id: run.id }])
    const { code, stdout } = await watch.done
    expect(code).toBe(0)
    const lines = jsonLines(stdout)
    expect(logMessages(lines)).toEqual(['late'])
    expect(lines.at(-1)!['type']).toBe('outcome')
  })

  it('a run finished hours ago prints its logs and exits at once (no straggler reads)', async () => {
    const hoursAgo: Clock = { ...systemClock, now: () => Date.now() - 3 * 3_600_000 }
    const server = await fake({ clock: hoursAgo })
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    await server.runLifecycle(run.id, ['Running', { log: 'old news' }, 'Completed'])
    const { code, stdout } = await flowcast(['watch', run.id, '--json', '--api-url', server.apiUrl])
      .done
    expect(code).toBe(0)
    expect(logMessages(jsonLines(stdout))).toEqual(['old news'])
    const reads = server.recorder.httpRequests.filter((r) => r.path.endsWith('/logs/filter'))
    // A live end reads at least five times (first, three in the window, its end).
    expect(reads.length).toBeLessThan(4)
  })

  it.each([404, 500])('a logs endpoint answering %i changes no exit code', async (status) => {
    const server = await fake({ logStream: false })
    server.faults.httpError({ path: '/logs/filter', status })
    const { run, watch } = await watchLive(server)
    await server.runLifecycle(run.id, ['Running', { log: 'lost' }, 'Failed'])
    const { code, stdout, stderr } = await watch.done
    expect(code).toBe(10)
    expect(jsonLines(stdout).at(-1)).toMatchObject({ type: 'outcome', state_type: 'FAILED' })
    expect(stderr.match(/logs from REST unavailable/g)).toHaveLength(1)
  })

  it('--no-logs shows no logs and opens no logs socket', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    const watch = flowcast(['watch', run.id, '--json', '--no-logs', '--api-url', server.apiUrl])
    await server.waitForSubscriber()
    await server.runLifecycle(run.id, ['Running', { log: 'hidden' }, 'Completed'])
    const { code, stdout } = await watch.done
    expect(code).toBe(0)
    expect(logMessages(jsonLines(stdout))).toEqual([])
    expect(server.logs.subscribers).toBe(0)
  })

  it('--transport polling reads logs over REST only', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    await server.runLifecycle(run.id, ['Running', { log: 'rest only' }])
    const watch = flowcast(['watch', run.id, '--json', '--transport', 'polling'], {
      PREFECT_API_URL: server.apiUrl,
    })
    await until(() => watch.stdout().includes('rest only'))
    expect(server.logs.subscribers).toBe(0)
    await server.runLifecycle(run.id, ['Completed'])
    const { code } = await watch.done
    expect(code).toBe(0)
  })

  it('human output interleaves logs with states, without colour when NO_COLOR is set', async () => {
    const server = await fake()
    const run = server.createFlowRun({ deploymentId: server.createDeployment().id })
    await server.runLifecycle(run.id, [
      'Running',
      { log: { message: 'careful', level: 30 } },
      'Completed',
    ])
    const { code, stdout } = await flowcast(['watch', run.id], {
      PREFECT_API_URL: server.apiUrl,
      NO_COLOR: '1',
    }).done
    expect(code).toBe(0)
    expect(stdout).toMatch(/Running[^\n]*\n[^\n]*WARNING\s+careful\n[^\n]*Completed/)
    expect(stdout).not.toContain('\x1b[')
  })
})

describe('flowcast logs', { timeout: 40_000 }, () => {
  it('prints the logs oldest first; --level is a minimum by name or number; --json', async () => {
    const server = await fake()
    const run = server.createFlowRun()
    server.logs.create([
      { message: 'second', level: 40, flow_run_id: run.id, timestamp: '2026-01-01T00:00:02Z' },
      { message: 'first', level: 10, flow_run_id: run.id, timestamp: '2026-01-01T00:00:01Z' },
      { message: 'elsewhere', level: 50 },
    ])
    const env = { PREFECT_API_URL: server.apiUrl }
    const plain = await flowcast(['logs', run.id], env).done
    expect(plain.code).toBe(0)
    expect(plain.stdout).toMatch(/00:00:01\.000\s+DEBUG\s+first\n.*ERROR\s+second\n$/)
    const byName = await flowcast(['logs', run.id, '--level', 'warning', '--json'], env).done
    expect(logMessages(jsonLines(byName.stdout))).toEqual(['second'])
    const byNumber = await flowcast(['logs', run.id, '--level', '10', '--json'], env).done
    expect(logMessages(jsonLines(byNumber.stdout))).toEqual(['first', 'second'])
    const bad = await flowcast(['logs', run.id, '--level', 'LOUD'], env).done
    expect(bad.code).toBe(2)
  })

  it('--follow prints new logs until the run is terminal plus the stragglers', async () => {
    const server = await fake()
    const run = server.createFlowRun()
    await server.runLifecycle(run.id, ['Running', { log: 'early' }])
    const follow = flowcast(['logs', run.id, '--follow', '--json'], {
      PREFECT_API_URL: server.apiUrl,
    })
    await until(() => follow.stdout().includes('early'))
    await server.runLifecycle(run.id, [{ log: 'later' }, 'Completed'])
    const { code, stdout } = await follow.done
    expect(code).toBe(0)
    expect(logMessages(jsonLines(stdout))).toEqual(['early', 'later'])
  })

  it('exit 31 for a run that does not exist, 30 for rejected credentials', async () => {
    const server = await fake({ authString: 'user:pass' })
    const missing = await flowcast(['logs', '0190b7f0-0000-7000-8000-000000000001'], {
      PREFECT_API_URL: server.apiUrl,
      PREFECT_API_AUTH_STRING: 'user:pass',
    }).done
    expect(missing.code).toBe(31)
    const run = server.createFlowRun()
    const rejected = await flowcast(['logs', run.id], {
      PREFECT_API_URL: server.apiUrl,
      PREFECT_API_AUTH_STRING: 'user:wrong',
    }).done
    expect(rejected.code).toBe(30)
    expect(rejected.stderr).not.toContain('user:wrong')
  })
})

describe('flowcast fake-server --no-log-stream', { timeout: 40_000 }, () => {
  it('is documented in --help', async () => {
    const { code, stdout } = await flowcast(['fake-server', '--help']).done
    expect(code).toBe(0)
    expect(stdout).toContain('--no-log-stream')
  })
})
