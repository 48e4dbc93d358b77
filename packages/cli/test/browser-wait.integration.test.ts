// The hybrid wait in a real browser: `createFlowcast().waitForFlowRun` bundled for the browser
// (esbuild, browser platform, no `node` condition) in a page served on one loopback origin,
// against `flowcast fake-server` (the real CLI process) on another, driven by playwright-core
// with Debian's Chromium (tooling/scripts/ensure-chromium.sh). Cross-origin REST works through
// the fake server's CORS (docs/protocol.md §6.4).
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dist, killLeftovers, spawnFlowcast, type Spawned } from './helpers/process.js'

const chromiumPath = process.env.FLOWCAST_CHROMIUM ?? '/usr/bin/chromium'
const available = existsSync(chromiumPath)
const inCi = Boolean(process.env.CI)

if (!available && !inCi) {
  console.warn(
    `[browser test] skipped: ${chromiumPath} is missing; run tooling/scripts/ensure-chromium.sh (in CI this test fails instead)`,
  )
}

interface PageResult {
  outcome: string
  stateType: string | null
  source: string | null
  states: string[]
}

describe.skipIf(!available && !inCi)('createFlowcast().waitForFlowRun in headless Chromium', () => {
  const children: ChildProcess[] = []
  let browser: Browser | undefined
  let pageServer: Server | undefined
  let pageUrl = ''
  let bundle = ''
  let bundleInputs: string[] = []
  let fake: Spawned | undefined
  let apiUrl = ''

  beforeAll(async () => {
    if (!available) {
      throw new Error(
        `CI is set and ${chromiumPath} is missing: run tooling/scripts/ensure-chromium.sh first`,
      )
    }
    if (!existsSync(dist)) throw new Error('packages/cli/dist/cli.js is missing: run `pnpm build`')
    const packageDir = fileURLToPath(new URL('..', import.meta.url))
    const built = await build({
      entryPoints: [fileURLToPath(new URL('fixtures/browser-wait-page.ts', import.meta.url))],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'chrome120',
      // Workspace packages resolve to source; a browser bundler never sets `node`.
      conditions: ['@flowcast/source', 'browser', 'import', 'default'],
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: packageDir,
    })
    bundle = built.outputFiles[0]!.text
    bundleInputs = Object.keys(built.metafile.inputs)
    pageServer = createServer((request, response) => {
      if (request.url === '/page.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' })
        response.end(bundle)
        return
      }
      response.writeHead(200, { 'content-type': 'text/html' })
      response.end(
        '<!doctype html><title>flowcast</title><script type="module" src="/page.js"></script>',
      )
    })
    await new Promise<void>((resolve) => pageServer!.listen(0, '127.0.0.1', resolve))
    pageUrl = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}/`

    fake = spawnFlowcast(
      ['fake-server', '--port', '0', '--control-stdin', '--deployment', 'etl/nightly'],
      { PATH: process.env.PATH ?? '' },
      { stdin: 'pipe' },
    )
    children.push(fake.child)
    await new Promise<void>((resolve, reject) => {
      const ready = () => /deployment etl\/nightly /.test(fake!.stdout())
      fake!.child.stdout!.on('data', () => ready() && resolve())
      fake!.child.once('exit', () => reject(new Error(`fake-server exited: ${fake!.stderr()}`)))
    })
    apiUrl = /^listening on (\S+)$/m.exec(fake.stdout())![1]!

    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve(undefined)))
    if (fake && fake.child.exitCode === null) {
      fake.child.kill('SIGTERM')
      await fake.done
    }
    killLeftovers(children)
  })

  /** Sends a `--control-stdin` command to the fake server process and waits for its ack. */
  async function control(command: string): Promise<void> {
    const acks = () => fake!.stdout().split(`control: ok ${command}\n`).length - 1
    const before = acks()
    fake!.child.stdin!.write(`${command}\n`)
    await expect.poll(acks, { timeout: 10_000 }).toBe(before + 1)
  }

  /** Moves a run over the fake server's REST API, as a worker would. */
  async function setState(flowRunId: string, type: string, name: string): Promise<void> {
    const response = await fetch(`${apiUrl}/flow_runs/${flowRunId}/set_state`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ state: { type, name }, force: true }),
    })
    expect(response.status).toBeLessThan(300)
  }

  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser!.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(pageUrl)
    await page.waitForFunction(() => typeof window.startWait === 'function')
    return { page, errors }
  }

  const eventSockets = (page: Page) =>
    page.evaluate(() => window.sockets.filter((socket) => socket.url.includes('/events/out')))

  it('bundles createFlowcast for the browser without ws, node:* or the fake server', () => {
    expect(bundleInputs.some((input) => /flowcast\/src\/flowcast\.ts$/.test(input))).toBe(true)
    expect(
      bundleInputs.filter((input) => /node_modules\/ws\/|fake-server\/|ajv/.test(input)),
    ).toEqual([])
    expect(bundle).not.toMatch(/from ["']node:/)
    expect(new URL(pageUrl).origin).not.toBe(new URL(apiUrl).origin)
  })

  it('a run reaches Completed over the WebSocket', async () => {
    const { page, errors } = await openPage()
    // No fallback polling within the test: every state after the first read is pushed.
    const flowRunId = await page.evaluate(([url]) => window.startWait(url, 'etl/nightly', 60_000), [
      apiUrl,
    ] as const)
    await expect.poll(async () => (await eventSockets(page)).some((s) => s.opened)).toBe(true)
    await setState(flowRunId, 'PENDING', 'Pending')
    await setState(flowRunId, 'RUNNING', 'Running')
    await setState(flowRunId, 'COMPLETED', 'Completed')
    const result = (await page.evaluate(() => window.waitResult())) as PageResult
    expect(result).toMatchObject({
      outcome: 'terminal',
      stateType: 'COMPLETED',
      source: 'websocket',
    })
    expect(result.states).toContain('RUNNING via websocket')
    expect(errors).toEqual([])
    await page.close()
  })

  it('recovers from a dropped socket and still learns the end over the WebSocket', async () => {
    const { page, errors } = await openPage()
    const flowRunId = await page.evaluate(([url]) => window.startWait(url, 'etl/nightly', 60_000), [
      apiUrl,
    ] as const)
    await expect.poll(async () => (await eventSockets(page)).some((s) => s.opened)).toBe(true)
    await setState(flowRunId, 'RUNNING', 'Running')
    await page.waitForFunction(() => window.states.includes('RUNNING via websocket'))
    await control('drop-connections')
    // The page saw the first socket end without a close frame, then opened a second one.
    await expect
      .poll(async () => {
        const sockets = await eventSockets(page)
        return sockets[0]?.closeCode === 1006 && sockets.slice(1).some((s) => s.opened)
      })
      .toBe(true)
    await setState(flowRunId, 'COMPLETED', 'Completed')
    const result = (await page.evaluate(() => window.waitResult())) as PageResult
    expect(result).toMatchObject({
      outcome: 'terminal',
      stateType: 'COMPLETED',
      source: 'websocket',
    })
    expect(errors).toEqual([])
    await page.close()
  })

  it('falls back to REST polling when WebSocket upgrades are refused (403)', async () => {
    await control('reject-upgrades 403')
    try {
      const { page, errors } = await openPage()
      const flowRunId = await page.evaluate(([url]) => window.startWait(url, 'etl/nightly', 200), [
        apiUrl,
      ] as const)
      await expect.poll(async () => (await eventSockets(page)).length).toBeGreaterThanOrEqual(1)
      await setState(flowRunId, 'RUNNING', 'Running')
      await setState(flowRunId, 'COMPLETED', 'Completed')
      const result = (await page.evaluate(() => window.waitResult())) as PageResult
      expect(result).toMatchObject({
        outcome: 'terminal',
        stateType: 'COMPLETED',
        source: 'polling',
      })
      expect((await eventSockets(page)).some((s) => s.opened)).toBe(false)
      expect(errors).toEqual([])
      await page.close()
    } finally {
      await control('accept-upgrades')
    }
  })
})
