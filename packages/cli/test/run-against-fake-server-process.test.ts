// `flowcast run` as a process against `flowcast fake-server` as a process: the run is driven
// only through Prefect's own REST endpoints (set_state), as a worker would drive a real one.
// Needs `pnpm build` (bin/flowcast.js loads dist/).
import { spawn, type ChildProcess } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, killLeftovers, pathOnlyEnv, spawnFlowcast } from './helpers/process.js'

const deploymentId = '0190b7f0-1111-7000-8000-00000000e001'
const schema = {
  type: 'object',
  properties: {
    n: { type: 'integer', position: 0 },
    version: { type: 'string', position: 1 },
    mode: { type: 'string', enum: ['full', 'quick'], default: 'full', position: 2 },
  },
  required: ['n', 'version'],
}

const children: ChildProcess[] = []
afterAll(() => killLeftovers(children))

function flowcast(args: string[], env: Record<string, string> = {}) {
  const running = spawnFlowcast(args, pathOnlyEnv(env))
  children.push(running.child)
  const waitFor = async (test: (stdout: string) => boolean, what: string) => {
    const end = Date.now() + 15_000
    while (!test(running.stdout())) {
      if (running.child.exitCode !== null) {
        throw new Error(`exited before ${what}: ${running.stdout()}${running.stderr()}`)
      }
      if (Date.now() > end) throw new Error(`no ${what} in time: ${running.stdout()}`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }
  return { ...running, waitFor }
}

async function startFakeServer(extra: string[] = []) {
  const server = flowcast([
    'fake-server',
    '--port',
    '0',
    '--deployment',
    `etl/nightly=${deploymentId}`,
    '--deployment-schema',
    `etl/nightly=${JSON.stringify(schema)}`,
    '--deployment-parameters',
    'etl/nightly={"version":"2.0"}',
    '--deployment',
    'etl/open',
    '--deployment',
    'etl/broken',
    // A reference nothing resolves: the local check cannot judge it, the server refuses.
    '--deployment-schema',
    'etl/broken={"type":"object","properties":{"n":{"$ref":"#/definitions/Missing"}}}',
    ...extra,
  ])
  await server.waitFor((out) => out.split('\n').length > 4, 'the listening line')
  const apiUrl = /^listening on (http:\/\/127\.0\.0\.1:\d+\/api)$/m.exec(server.stdout())?.[1]
  expect(apiUrl).toBeDefined()
  return { ...server, apiUrl: apiUrl! }
}

async function rest(apiUrl: string, path: string, body?: unknown) {
  const response = await fetch(`${apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function countRuns(apiUrl: string): Promise<number> {
  const response = await fetch(`${apiUrl}/flow_runs/count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  })
  return (await response.json()) as number
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** Starts `flowcast run … --json`, waits until the run is created and the wait is live. */
async function startRun(apiUrl: string, args: string[]) {
  const run = flowcast(['run', ...args, '--json'], { PREFECT_API_URL: apiUrl })
  await run.waitFor((out) => out.includes('\n'), 'the flow_run line')
  const first = JSON.parse(run.stdout().split('\n')[0]!) as {
    type: string
    flow_run: { id: string; parameters: Record<string, unknown>; tags: string[] }
  }
  expect(first.type).toBe('flow_run')
  await run.waitFor(
    (out) => out.includes('"prefect.flow-run.Scheduled"'),
    'the Scheduled event (the wait is live)',
  )
  return { ...run, flowRun: first.flow_run }
}

async function drive(apiUrl: string, flowRunId: string, types: string[]) {
  for (const type of types) {
    const result = await rest(apiUrl, `/flow_runs/${flowRunId}/set_state`, { state: { type } })
    expect(result.body.status).toBe('ACCEPT')
  }
}

describe('flowcast run against flowcast fake-server (both as processes)', () => {
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
  ] as const)('a run by name that ends %s exits %i', async (stateType, exitCode) => {
    const run = await startRun(server.apiUrl, [
      'etl/nightly',
      '--param',
      'n=3',
      '--tag',
      'ci',
      '--timeout',
      '60',
    ])
    expect(run.flowRun.parameters).toEqual({ version: '2.0', n: 3 })
    expect(run.flowRun.tags).toEqual(['ci'])
    await drive(server.apiUrl, run.flowRun.id, ['PENDING', 'RUNNING', stateType])
    const finished = await run.done
    expect(finished.code).toBe(exitCode)
    const lines = jsonLines(finished.stdout)
    expect(lines[0]!.type).toBe('flow_run')
    expect(lines.at(-1)).toMatchObject({
      type: 'outcome',
      outcome: 'terminal',
      flow_run_id: run.flowRun.id,
      state_type: stateType,
    })
    // Between the two: exactly what `watch --json` prints (events, and logs when there are any).
    expect(lines.slice(1, -1).every((line) => line.type === 'event' || line.type === 'log')).toBe(
      true,
    )
    expect(lines.some((line) => line.type === 'event')).toBe(true)
  })

  it("prints the run's logs like watch --json, before the outcome line", async () => {
    const run = await startRun(server.apiUrl, ['etl/open', '--timeout', '60'])
    const log = {
      name: 'prefect.flow_runs',
      level: 20,
      message: 'loaded 42 rows',
      timestamp: new Date().toISOString(),
      flow_run_id: run.flowRun.id,
    }
    const posted = await fetch(`${server.apiUrl}/logs/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([log]),
    })
    expect(posted.status).toBe(201)
    await drive(server.apiUrl, run.flowRun.id, ['PENDING', 'RUNNING', 'COMPLETED'])
    const finished = await run.done
    expect(finished.code).toBe(0)
    const lines = jsonLines(finished.stdout)
    const logs = lines.filter((line) => line.type === 'log')
    expect(logs.map((line) => (line.log as { message: string }).message)).toEqual([
      'loaded 42 rows',
    ])
    expect(lines.at(-1)!.type).toBe('outcome')
  })

  it('a run that does not end within --timeout exits 20', async () => {
    const finished = await flowcast(
      ['run', 'etl/nightly', '--param', 'n=1', '--timeout', '1', '--json'],
      { PREFECT_API_URL: server.apiUrl },
    ).done
    expect(finished.code).toBe(20)
    expect(jsonLines(finished.stdout).at(-1)).toMatchObject({
      outcome: 'timeout',
      state_type: 'SCHEDULED',
    })
  })

  it('invalid parameters exit 3, name every bad parameter and create nothing', async () => {
    const before = await countRuns(server.apiUrl)
    const finished = await flowcast(
      ['run', 'etl/nightly', '--param', 'n=abc', '--param', 'mode=slow', '--json'],
      { PREFECT_API_URL: server.apiUrl },
    ).done
    expect(finished.code).toBe(3)
    expect(finished.stdout).toBe('')
    expect(finished.stderr).toContain('n: must be integer, got "abc"')
    expect(finished.stderr).toContain('mode: must be one of "full", "quick", got "slow"')
    expect(await countRuns(server.apiUrl)).toBe(before)
  })

  it("the server's 409 exits 3 too, with its detail", async () => {
    const before = await countRuns(server.apiUrl)
    const finished = await flowcast(['run', 'etl/broken', '--param', 'n=1'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(3)
    expect(finished.stderr).toContain('409 Conflict: Error creating flow run: Validation failed.')
    expect(await countRuns(server.apiUrl)).toBe(before)
  })

  it('a required parameter missing everywhere is named', async () => {
    const finished = await flowcast(['run', 'etl/nightly', '--params', '{"version":"1"}'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(3)
    expect(finished.stderr).toContain('n: is required')
  })

  it('a string parameter keeps 1.10 as text; --param wins over --params', async () => {
    const finished = await flowcast(
      [
        'run',
        'etl/nightly',
        '--params',
        '{"n":1,"version":"0.1"}',
        '--param',
        'version=1.10',
        '--no-wait',
        '--json',
      ],
      { PREFECT_API_URL: server.apiUrl },
    ).done
    expect(finished.code).toBe(0)
    const [line] = jsonLines(finished.stdout)
    expect((line!.flow_run as { parameters: unknown }).parameters).toEqual({
      n: 1,
      version: '1.10',
    })
  })

  it('--params - reads the parameters from stdin', async () => {
    const child = spawn(
      process.execPath,
      [bin, 'run', 'etl/nightly', '--params', '-', '--no-wait', '--json'],
      { env: pathOnlyEnv({ PREFECT_API_URL: server.apiUrl }), stdio: ['pipe', 'pipe', 'pipe'] },
    )
    children.push(child)
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stdin.end('{"n": 7}')
    const code = await new Promise((resolve) => child.once('close', resolve))
    expect(code).toBe(0)
    expect((jsonLines(stdout)[0]!.flow_run as { parameters: unknown }).parameters).toEqual({
      version: '2.0',
      n: 7,
    })
  })

  it('an unknown deployment exits 3', async () => {
    const byName = await flowcast(['run', 'etl/missing'], { PREFECT_API_URL: server.apiUrl }).done
    expect(byName.code).toBe(3)
    expect(byName.stderr).toContain("deployment 'etl/missing' not found")
    const byId = await flowcast(['run', '--id', '0190b7f0-1111-7000-8000-0000000000ff'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(byId.code).toBe(3)
  })

  it('--no-wait prints the run id on a line and exits 0', async () => {
    const finished = await flowcast(['run', '--id', deploymentId, '--param', 'n=2', '--no-wait'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(0)
    const id = finished.stdout.trim()
    expect(finished.stdout).toBe(`${id}\n`)
    const read = await rest(server.apiUrl, `/flow_runs/${id}`)
    expect(read.body).toMatchObject({ deployment_id: deploymentId, state_type: 'SCHEDULED' })
  })

  it('the same --idempotency-key twice gives one run', async () => {
    const before = await countRuns(server.apiUrl)
    const args = ['run', 'etl/open', '--idempotency-key', 'ci-build-4711', '--no-wait']
    const first = await flowcast(args, { PREFECT_API_URL: server.apiUrl }).done
    const second = await flowcast(args, { PREFECT_API_URL: server.apiUrl }).done
    expect([first.code, second.code]).toEqual([0, 0])
    expect(second.stdout).toBe(first.stdout)
    expect(await countRuns(server.apiUrl)).toBe(before + 1)
  })

  it('--verbose prints counters on stderr and leaves --json stdout alone', async () => {
    const finished = await flowcast(['run', 'etl/open', '--no-wait', '--json', '--verbose'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(0)
    expect(jsonLines(finished.stdout).map((line) => line.type)).toEqual(['flow_run'])
    expect(finished.stderr).toMatch(
      /^flowcast run: counters: http\.client\.request\.duration\.count=2 http\.client\.request\.duration\.count\{error\.type\}=0 /m,
    )
    expect(finished.stderr).toMatch(/ outcome=created elapsed_ms=\d+$/m)
  })
})

describe('flowcast run when a proxy blocks WebSockets', () => {
  it('still waits, by polling', async () => {
    const server = await startFakeServer(['--reject-upgrades', '403'])
    const run = flowcast(['run', 'etl/open', '--json', '--timeout', '60'], {
      PREFECT_API_URL: server.apiUrl,
    })
    await run.waitFor((out) => out.includes('\n'), 'the flow_run line')
    const flowRunId = (JSON.parse(run.stdout().split('\n')[0]!) as { flow_run: { id: string } })
      .flow_run.id
    await drive(server.apiUrl, flowRunId, ['PENDING', 'RUNNING', 'COMPLETED'])
    const finished = await run.done
    expect(finished.code).toBe(0)
    expect(jsonLines(finished.stdout).at(-1)).toMatchObject({
      outcome: 'terminal',
      state_type: 'COMPLETED',
      source: 'polling',
    })
    server.child.kill('SIGTERM')
    expect((await server.done).code).toBe(0)
  })
})

describe('flowcast run: credentials and reachability', () => {
  it('exits 30 when the credentials are rejected, never printing them', async () => {
    const server = await startFakeServer(['--auth-string', 'ops:s3cret-pass'])
    const finished = await flowcast(['run', 'etl/open', '--auth-string', 'ops:wrong-pass'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(30)
    expect(finished.stdout + finished.stderr).not.toContain('wrong-pass')
    server.child.kill('SIGTERM')
    expect((await server.done).code).toBe(0)
  })

  it('exits 31 when the API cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const server = await startFakeServer()
    server.child.kill('SIGTERM')
    await server.done
    const finished = await flowcast(['run', 'etl/open', '--no-wait'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(31)
    expect(finished.stdout).toBe('')
  })
})

describe('flowcast watch --verbose', () => {
  it('prints the counters on stderr after the outcome line', async () => {
    const server = await startFakeServer()
    const created = await fetch(`${server.apiUrl}/deployments/${deploymentId}/create_flow_run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"parameters":{"n":1}}',
    })
    const { id } = (await created.json()) as { id: string }
    await drive(server.apiUrl, id, ['COMPLETED'])
    const finished = await flowcast(['watch', id, '--json', '--verbose'], {
      PREFECT_API_URL: server.apiUrl,
    }).done
    expect(finished.code).toBe(0)
    expect(jsonLines(finished.stdout).at(-1)).toMatchObject({ type: 'outcome' })
    expect(finished.stderr).toMatch(
      /^flowcast watch: counters: http\.client\.request\.duration\.count=[1-9]\d* http\.client\.request\.duration\.count\{error\.type\}=0 .*outcome=terminal elapsed_ms=\d+$/m,
    )
    // The names are the metric table's, fed by the same instrumentation as @flowcast/otel.
    const line = finished.stderr.split('\n').find((l) => l.startsWith('flowcast watch: counters:'))!
    const counters = Object.fromEntries(
      line
        .slice('flowcast watch: counters: '.length)
        .split(' ')
        .map((pair) => /^(.*)=([^=]*)$/.exec(pair)!.slice(1) as [string, string]),
    )
    expect(counters).toMatchObject({
      'flowcast.websocket.connections': expect.stringMatching(/^[1-9]\d*$/),
      'flowcast.websocket.reconnects': '0',
      'flowcast.websocket.duplicates': '0',
      'flowcast.websocket.frames.skipped': '0',
      'flowcast.wait.fallbacks': '0',
    })
    expect(
      counters['messaging.client.consumed.messages{messaging.destination.name=events/out}'],
    ).toMatch(/^[1-9]\d*$/)
    server.child.kill('SIGTERM')
    await server.done
  })
})

describe('flowcast run --help', () => {
  it('documents every option', async () => {
    const finished = await flowcast(['run', '--help']).done
    expect(finished.code).toBe(0)
    for (const flag of [
      '--id',
      '--param',
      '--params',
      '--tag',
      '--job-variable',
      '--flow-run-name',
      '--idempotency-key',
      '--start-in',
      '--no-wait',
      '--transport',
      '--timeout',
      '--json',
      '--no-logs',
      '--verbose',
      '--api-url',
      '--api-key',
      '--auth-string',
    ]) {
      expect(finished.stdout).toContain(`  ${flag} `)
    }
  })
})
