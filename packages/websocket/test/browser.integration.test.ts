// Proves the main (browser) entry works with a browser's own WebSocket: bundles it for the
// browser, serves it, and drives Debian's Chromium (tooling/scripts/ensure-chromium.sh) with
// playwright-core against the fake server on a real port.
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { chromium, type Browser } from 'playwright-core'
import { build } from 'tsup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from './helpers/util.js'

const chromiumPath = process.env.FLOWCAST_CHROMIUM ?? '/usr/bin/chromium'
const available = existsSync(chromiumPath)
const inCi = Boolean(process.env.CI)

if (!available && !inCi) {
  console.warn(
    `[browser test] skipped: ${chromiumPath} is missing; run tooling/scripts/ensure-chromium.sh (in CI this test fails instead)`,
  )
}

describe.skipIf(!available && !inCi)(
  'in headless Chromium (browser entry, global WebSocket)',
  () => {
    let browser: Browser | undefined
    let httpServer: Server | undefined
    let pageUrl = ''
    let bundle = ''
    let dir = ''

    beforeAll(async () => {
      if (!available) {
        throw new Error(
          `CI is set and ${chromiumPath} is missing: run tooling/scripts/ensure-chromium.sh first`,
        )
      }
      dir = await mkdtemp(join(tmpdir(), 'flowcast-browser-'))
      const packageDir = fileURLToPath(new URL('..', import.meta.url))
      const entry = join(packageDir, 'test', 'fixtures', 'browser-page.ts')
      await build({
        config: false,
        silent: true,
        entry: { page: entry },
        outDir: join(dir, 'out'),
        format: ['esm'],
        platform: 'browser',
        target: 'chrome120',
        dts: false,
        sourcemap: false,
        splitting: false,
        clean: false,
        noExternal: [/.*/],
        esbuildOptions(options) {
          // Resolve workspace packages to source; the browser build must not see `node`.
          options.conditions = ['@flowcast/source', 'browser', 'import', 'default']
          options.absWorkingDir = packageDir
        },
      })
      bundle = await readFile(join(dir, 'out', 'page.js'), 'utf8')
      httpServer = createServer((request, response) => {
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
      await new Promise<void>((resolve) => httpServer!.listen(0, '127.0.0.1', resolve))
      const address = httpServer.address() as { port: number }
      pageUrl = `http://127.0.0.1:${address.port}/`
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
      await new Promise((resolve) => (httpServer ? httpServer.close(resolve) : resolve(undefined)))
      if (dir) await rm(dir, { recursive: true, force: true })
    })

    it('bundles the main entry without ws or Node built-ins', () => {
      expect(bundle).toContain('createEventsSubscriber')
      expect(bundle).not.toMatch(
        /WebSocketServer|require\("(events|http|https|net|tls|crypto|stream|zlib)"\)/,
      )
      expect(bundle).not.toMatch(/from ["']node:/)
    })

    it('subscribes from the page, across a drop and garbage frames, each event once', async () => {
      await using server = await createFakePrefectServer()
      const page = await browser!.newPage()
      const failures: string[] = []
      page.on('pageerror', (error) => failures.push(error.message))
      await page.goto(pageUrl)
      await page.waitForFunction(() => typeof window.subscribe === 'function')
      const result = page.evaluate(([apiUrl, count]) => window.subscribe(apiUrl, count), [
        server.apiUrl,
        6,
      ] as const)
      const record = await server.waitForSubscriber({ existing: true })
      expect(record.protocols).toEqual(['prefect'])
      expect(record.headers['user-agent']).toMatch(/Chrome/)
      const ids: string[] = []
      const publish = (n: number) =>
        ids.push(
          server.publishEvent({
            event: 'browser.test',
            resource: { 'prefect.resource.id': `t.${n}` },
          }).id,
        )
      publish(1)
      publish(2)
      server.faults.injectFrames([{ type: 'keep-alive' }, 'not json', new Uint8Array([1, 2])])
      publish(3)
      await waitFor(() => record.eventsSent >= 3, 'three frames sent')
      server.faults.dropConnections({ path: '/events/out' })
      publish(4)
      publish(5)
      await server.waitForSubscriber()
      publish(6)
      const outcome = (await result) as {
        ids: string[]
        stats: { skippedByKind: Record<string, number>; reconnects: number; events: number }
        state: string
        states: string[]
      }
      expect(failures).toEqual([])
      expect(outcome.ids).toEqual(ids)
      expect(outcome.stats.events).toBe(6)
      expect(outcome.stats.reconnects).toBe(1)
      expect(outcome.stats.skippedByKind).toEqual({ unknown_type: 1, not_json: 1, binary: 1 })
      expect(outcome.state).toBe('closed')
      expect(outcome.states).toEqual(['open', 'reconnecting', 'open', 'closed'])
      await page.close()
    })

    it('emits from the page; the server holds each event once', async () => {
      await using server = await createFakePrefectServer()
      const page = await browser!.newPage()
      await page.goto(pageUrl)
      await page.waitForFunction(() => typeof window.emit === 'function')
      const outcome = (await page.evaluate(
        ([apiUrl]) => window.emit(apiUrl, ['browser.one', 'browser.two', 'browser.three']),
        [server.apiUrl] as const,
      )) as { ids: string[]; stats: { confirmed: number } }
      expect(outcome.stats.confirmed).toBe(3)
      for (const id of outcome.ids) server.expectEmitted({ id })
      expect(server.recorder.receivedEvents).toHaveLength(3)
      expect(server.recorder.connections[0]?.path).toBe('/api/events/in')
      await page.close()
    })
  },
)
