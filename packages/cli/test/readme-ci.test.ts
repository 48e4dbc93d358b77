// The README's "Run a deployment from CI" snippets, run as written: the shell of the GitHub
// Actions step and of the GitLab CI job, in a project whose node_modules/.bin holds the
// flowcast command, against `flowcast fake-server` as a process. Needs `pnpm build`.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, killLeftovers, pathOnlyEnv, spawnFlowcast } from './helpers/process.js'

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8')

/** The YAML blocks of the README's CI section, in order. */
function ciYamlBlocks(): string[] {
  const start = readme.indexOf('### Run a deployment from CI')
  const end = readme.indexOf('\n## ', start)
  const section = readme.slice(start, end)
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

/** The lines indented under the first line matching `header`, dedented: a YAML block scalar. */
function blockScalar(yaml: string, header: RegExp): string {
  const lines = yaml.split('\n')
  const at = lines.findIndex((line) => header.test(line))
  expect(at).toBeGreaterThanOrEqual(0)
  const indentOf = (line: string) => line.length - line.trimStart().length
  const own = indentOf(lines[at]!)
  const body: string[] = []
  for (const line of lines.slice(at + 1)) {
    if (line.trim() !== '' && indentOf(line) <= own) break
    body.push(line)
  }
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map(indentOf))
  return body.map((line) => line.slice(indent)).join('\n')
}

const children: ChildProcess[] = []
const dirs: string[] = []
afterAll(() => {
  killLeftovers(children)
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** A CI checkout after `npm ci`: a package whose node_modules/.bin has the flowcast command. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowcast-ci-'))
  dirs.push(dir)
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true })
  symlinkSync(bin, join(dir, 'node_modules/.bin/flowcast'))
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'pipeline', private: true, devDependencies: { flowcast: '*' } }),
  )
  return dir
}

function runScript(script: string, cwd: string, env: Record<string, string>) {
  // GitHub's default `run` shell is `bash -e`; GitLab also stops at the first failing command.
  const child = spawn('bash', ['-e', '-c', script], {
    cwd,
    env: pathOnlyEnv({
      HOME: cwd,
      npm_config_offline: 'true',
      npm_config_update_notifier: 'false',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  )
}

async function post(apiUrl: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return response.json()
}

/** Waits for the run created with `key`, then moves it through `types`; resolves to its id. */
async function driveRun(apiUrl: string, key: string, types: string[]): Promise<string> {
  const end = Date.now() + 20_000
  for (;;) {
    const runs = (await post(apiUrl, '/flow_runs/filter', {
      flow_runs: { idempotency_key: { any_: [key] } },
    })) as Array<{ id: string }>
    if (runs.length === 1) {
      for (const type of types) {
        await post(apiUrl, `/flow_runs/${runs[0]!.id}/set_state`, { state: { type } })
      }
      return runs[0]!.id
    }
    if (Date.now() > end) throw new Error(`no run with idempotency key ${key}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function runsWithKey(apiUrl: string, key: string): Promise<number> {
  return (await post(apiUrl, '/flow_runs/count', {
    flow_runs: { idempotency_key: { any_: [key] } },
  })) as number
}

describe("the README's CI snippets against flowcast fake-server", () => {
  let apiUrl: string
  let server: ReturnType<typeof spawnFlowcast>
  beforeAll(async () => {
    server = spawnFlowcast(
      ['fake-server', '--port', '0', '--deployment', 'etl/nightly'],
      pathOnlyEnv(),
    )
    children.push(server.child)
    const end = Date.now() + 15_000
    while (!/\n.*\n/.test(server.stdout())) {
      if (Date.now() > end) throw new Error(`fake server did not start: ${server.stderr()}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    apiUrl = /^listening on (\S+)$/m.exec(server.stdout())![1]!
  })
  afterAll(async () => {
    server.child.kill('SIGTERM')
    await server.done
  })

  const [github, gitlab] = ciYamlBlocks()
  const cases = [
    {
      name: 'GitHub Actions',
      script: () => blockScalar(github!, /^\s+run: \|$/),
      env: (build: string) => ({ GITHUB_REPOSITORY: 'acme/etl', GITHUB_RUN_ID: build }),
      key: (build: string) => `github-acme/etl-${build}`,
    },
    {
      name: 'GitLab CI',
      script: () => blockScalar(gitlab!, /^\s+- \|$/),
      env: (build: string) => ({ CI_PROJECT_ID: '42', CI_PIPELINE_ID: build }),
      key: (build: string) => `gitlab-42-${build}`,
    },
  ]

  it.each(cases)(
    '$name: exit 0 when the run Completes; a retried step waits on the same run',
    async ({ script, env, key }) => {
      const cwd = project()
      const shell = script()
      expect(shell).toContain('npx flowcast run etl/nightly')
      const build = String(Date.now())
      const first = runScript(shell, cwd, { PREFECT_API_URL: apiUrl, ...env(build) })
      const id = await driveRun(apiUrl, key(build), ['PENDING', 'RUNNING', 'COMPLETED'])
      const finished = await first
      expect(finished.code).toBe(0)
      expect(finished.stdout).toContain(`flow run ${id}`)
      const lines = readFileSync(join(cwd, 'run.jsonl'), 'utf8').trim().split('\n')
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ type: 'outcome', state_type: 'COMPLETED' })

      const retried = await runScript(shell, cwd, { PREFECT_API_URL: apiUrl, ...env(build) })
      expect(retried.code).toBe(0)
      expect(retried.stdout).toContain(`flow run ${id}`)
      expect(await runsWithKey(apiUrl, key(build))).toBe(1)
    },
  )

  it.each(cases)('$name: the step fails with exit 10 when the run Fails', async (c) => {
    const cwd = project()
    const build = `f${Date.now()}`
    const pending = runScript(c.script(), cwd, { PREFECT_API_URL: apiUrl, ...c.env(build) })
    const id = await driveRun(apiUrl, c.key(build), ['PENDING', 'RUNNING', 'FAILED'])
    const finished = await pending
    expect(finished.code).toBe(10)
    expect(finished.stdout).toContain(`flow run ${id}`)
  })
})
