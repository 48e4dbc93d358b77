// The dashboard as a user runs it: `vite preview` of the production build (with its /api
// proxy) in front of `flowcast fake-server` as a real process on a loopback port, driven in
// Debian's headless Chromium by playwright-core. Saves test-output/dashboard.png.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { preview, type PreviewServer } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const appDir = fileURLToPath(new URL('..', import.meta.url))
const chromiumPath = process.env.FLOWCAST_CHROMIUM ?? '/usr/bin/chromium'
const available = existsSync(chromiumPath)
const inCi = Boolean(process.env.CI)
if (!available && !inCi) {
  console.warn(
    `[dashboard e2e] skipped: ${chromiumPath} is missing (in CI this test fails instead)`,
  )
}

/** `flowcast fake-server` as a child process, with its stdin fault controls. */
class FakeServerProcess {
  readonly lines: string[] = []
  #waiters: Array<() => void> = []
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      this.lines.push(line)
      for (const wake of this.#waiters.splice(0)) wake()
    })
  }
  async line(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line)
        if (match) return match
      }
      if (Date.now() > deadline) throw new Error(`fake-server never printed ${pattern}`)
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve)
        setTimeout(resolve, 200)
      })
    }
  }
  async control(command: string): Promise<void> {
    this.child.stdin.write(`${command}\n`)
    await this.line(new RegExp(`^control: ok ${command}$`))
  }
}

// The page, the preview server and the fake server share two busy cores in CI.
const eventually = { timeout: 10_000, interval: 50 }

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe.skipIf(!available && !inCi)('live dashboard in headless Chromium', () => {
  let fake: FakeServerProcess
  let apiUrl = ''
  let deploymentId = ''
  let site: PreviewServer | undefined
  let siteUrl = ''
  let browser: Browser | undefined
  let page: Page
  const authString = 'dashboard:e2e-secret'
  const pageSockets: string[] = []
  const pageCredentials: string[] = []
  const pageErrors: string[] = []

  async function rest<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${apiUrl}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(authString).toString('base64')}`,
      },
      body: JSON.stringify(body ?? {}),
    })
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    const text = await response.text()
    return (text ? JSON.parse(text) : undefined) as T
  }
  const setState = (id: string, type: string, name: string) =>
    rest(`/flow_runs/${id}/set_state`, { state: { type, name }, force: true })
  const createRun = () => rest<{ id: string }>(`/deployments/${deploymentId}/create_flow_run`, {})
  const stateOf = (id: string) => page.getByTestId(`run-${id}`).getByTestId('state')
  const sourceOf = (id: string) => page.getByTestId(`run-${id}`).getByTestId('source')
  const watchOf = (id: string) => page.getByTestId(`run-${id}`).getByTestId('watch')
  const eventSockets = () => pageSockets.filter((url) => url.endsWith('/api/events/out')).length

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `CI is set and ${chromiumPath} is missing: run tooling/scripts/ensure-chromium.sh`,
      )
    const bin = join(appDir, 'node_modules', '.bin', 'flowcast')
    fake = new FakeServerProcess(
      spawn(
        bin,
        ['fake-server', '--port', '0', '--control-stdin', '--deployment', 'demo-flow/demo'],
        {
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      ),
    )
    apiUrl = (await fake.line(/^listening on (\S+)$/))[1]!
    deploymentId = (await fake.line(/^deployment demo-flow\/demo (\S+)$/))[1]!

    // The proxy reads PREFECT_API_URL and the credentials on the server side, as in
    // production; the server refuses REST calls and sockets without them.
    process.env.PREFECT_API_URL = apiUrl
    process.env.PREFECT_API_AUTH_STRING = authString
    const port = await freePort()
    site = await preview({
      root: appDir,
      logLevel: 'silent',
      preview: { host: '127.0.0.1', port, strictPort: true },
    })
    siteUrl = `http://127.0.0.1:${port}/`

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    })
    page = await browser.newPage({ viewport: { width: 1000, height: 700 } })
    page.on('websocket', (socket) => pageSockets.push(socket.url()))
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('request', (request) => {
      const authorization = request.headers()['authorization']
      if (authorization) pageCredentials.push(`${request.url()}: ${authorization}`)
    })
    page.on('websocket', (socket) =>
      socket.on('framesent', ({ payload }) => {
        if (String(payload).includes('e2e-secret'))
          pageCredentials.push(`${socket.url()}: auth frame`)
      }),
    )
    await page.goto(siteUrl)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await site?.close()
    if (fake && fake.child.exitCode === null) {
      fake.child.kill('SIGTERM')
      await new Promise((resolve) => fake.child.once('exit', resolve))
    }
  })

  it('a run started from the page goes Scheduled → Completed on screen, with its logs', async () => {
    await expect
      .poll(() => page.getByTestId('connection').textContent(), eventually)
      .toMatch(/^Live/)
    await expect.poll(() => page.getByTestId('run').isEnabled(), eventually).toBe(true)
    await page.getByTestId('run').click()
    await expect
      .poll(() => page.getByTestId('trigger-status').textContent(), eventually)
      .toMatch(/: Scheduled$/)
    const [run] = await rest<Array<{ id: string }>>('/flow_runs/filter', { limit: 5 })
    const id = run!.id
    await expect.poll(() => stateOf(id).textContent(), eventually).toBe('Scheduled')

    await setState(id, 'RUNNING', 'Running')
    await expect.poll(() => stateOf(id).textContent(), eventually).toBe('Running')
    await rest('/logs/', [
      {
        name: 'demo',
        level: 20,
        message: 'hello from the flow',
        timestamp: new Date().toISOString(),
        flow_run_id: id,
      },
    ])
    await expect
      .poll(() => page.getByTestId('logs').textContent(), eventually)
      .toContain('hello from the flow')
    await setState(id, 'COMPLETED', 'Completed')
    await expect.poll(() => stateOf(id).textContent(), eventually).toBe('Completed')
    expect(await sourceOf(id).textContent()).toBe('websocket')
    expect(await watchOf(id).textContent()).toBe('success')
    await expect
      .poll(() => page.getByTestId('trigger-status').textContent(), eventually)
      .toMatch(/Completed \(finished\)$/)
  })

  it('a dropped socket recovers: the page reconnects and stays live', async () => {
    const before = eventSockets()
    await fake.control('drop-connections')
    await expect.poll(eventSockets, { ...eventually, timeout: 15_000 }).toBeGreaterThan(before)
    await expect
      .poll(() => page.getByTestId('connection').textContent(), eventually)
      .toMatch(/^Live/)
    const { id } = await createRun()
    await expect.poll(() => stateOf(id).textContent(), eventually).toBe('Scheduled')
    await setState(id, 'RUNNING', 'Running')
    await setState(id, 'COMPLETED', 'Completed')
    await expect.poll(() => stateOf(id).textContent(), eventually).toBe('Completed')
    expect(await sourceOf(id).textContent()).toBe('websocket')
  })

  it('a blocked WebSocket falls back to polling, and says so', async () => {
    await fake.control('reject-upgrades 403')
    await fake.control('drop-connections')
    await expect
      .poll(() => page.getByTestId('connection').textContent(), { ...eventually, timeout: 15_000 })
      .toMatch(/fell back to polling/)
    const { id } = await createRun()
    await expect
      .poll(() => stateOf(id).textContent(), { ...eventually, timeout: 15_000 })
      .toBe('Scheduled')
    await setState(id, 'RUNNING', 'Running')
    await setState(id, 'COMPLETED', 'Completed')
    await expect
      .poll(() => stateOf(id).textContent(), { ...eventually, timeout: 20_000 })
      .toBe('Completed')
    expect(await sourceOf(id).textContent()).toBe('polling')
    expect(await watchOf(id).textContent()).toBe('success')
    mkdirSync(join(appDir, 'test-output'), { recursive: true })
    await page.screenshot({ path: join(appDir, 'test-output', 'dashboard.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })

  it('the page never held the credentials: the proxy added them on the server', async () => {
    expect(pageCredentials).toEqual([])
    const html = await (await fetch(siteUrl)).text()
    const scripts = [...html.matchAll(/src="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]!)
    expect(scripts.length).toBeGreaterThan(0)
    for (const script of scripts) {
      const code = await (await fetch(new URL(script, siteUrl))).text()
      expect(code).not.toContain('e2e-secret')
    }
  })
})
