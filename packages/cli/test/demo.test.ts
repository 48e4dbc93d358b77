// `flowcast demo` as a process (bin/flowcast.js → dist; run `pnpm build` first).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const bin = fileURLToPath(new URL('../bin/flowcast.js', import.meta.url))

function run(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, [bin, ...args], {
    // No PREFECT_* variables: the demo needs nothing from the environment.
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started })),
  )
}

describe('flowcast demo', () => {
  it(
    'waits on a live run and on a polled run, and exits 0 well under 30 s',
    { timeout: 40_000 },
    async () => {
      const { code, stdout, stderr, ms } = await run(['demo'])
      expect(stderr).toBe('')
      expect(code).toBe(0)
      expect(ms).toBeLessThan(30_000)
      // Everything happened on loopback.
      const urls = stdout.match(/\b(?:https?|wss?):\/\/[^\s)]+/g) ?? []
      expect(urls.length).toBeGreaterThan(0)
      expect(urls.every((url) => new URL(url).hostname === '127.0.0.1')).toBe(true)
      // Run 1: live over the WebSocket, through control frames and a dropped connection.
      expect(stdout).toMatch(/Scheduled\s+SCHEDULED/)
      expect(stdout).toMatch(/Running\s+RUNNING\s+via websocket/)
      expect(stdout).toContain('non-event frames')
      expect(stdout).toContain('WebSocket back')
      // Run 2: WebSockets blocked, learned by polling.
      expect(stdout).toContain('HTTP 403')
      const outcomes = stdout.slice(stdout.indexOf('Outcomes:'))
      expect(outcomes).toMatch(
        /run 1 .*Completed \(COMPLETED\), learned via websocket .*1 reconnect, 4 non-event frames skipped/,
      )
      expect(outcomes).toMatch(
        /run 2 .*Completed \(COMPLETED\), learned via polling .*refused \(HTTP 403\)/,
      )
    },
  )

  it('takes no arguments (exit 2)', async () => {
    const { code, stderr } = await run(['demo', '--nope'])
    expect(code).toBe(2)
    expect(stderr).toContain('flowcast demo')
  })
})
