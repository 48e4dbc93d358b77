import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { main, type CliIO } from '../src/cli.js'
import { dist, killLeftovers, spawnFlowcast } from './helpers/process.js'

interface Running {
  child: ChildProcess
  firstLine: Promise<string>
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stderr: () => string
}

function start(
  args: string[],
  env: Record<string, string> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
): Running & { stdout: () => string } {
  const { child, stdout, stderr } = spawnFlowcast(
    ['fake-server', ...args],
    { ...process.env, ...env },
    { stdin },
  )
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', () => {
      const newline = stdout().indexOf('\n')
      if (newline !== -1) resolve(stdout().slice(0, newline))
    })
    child.once('exit', () => reject(new Error(`exited before listening: ${stderr()}`)))
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return { child, firstLine, exit, stderr, stdout }
}

const children: ChildProcess[] = []
afterEach(() => killLeftovers(children))

function bufferedIO(): CliIO & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: {},
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  }
}

describe('flowcast fake-server (in-process)', () => {
  it('--help explains every flag', async () => {
    const io = bufferedIO()
    expect(await main(['fake-server', '--help'], io)).toBe(0)
    for (const flag of [
      '--host',
      '--port',
      '--auth-string',
      '--cloud-account',
      '--cloud-workspace',
      '--api-key',
      '--cors-allowed-origins',
      '--cors-allowed-methods',
      '--cors-allowed-headers',
      '--control-stdin',
    ]) {
      expect(io.out()).toContain(flag)
    }
  })

  it('rejects a bad port and partial Cloud flags with exit 2', async () => {
    const io = bufferedIO()
    expect(await main(['fake-server', '--port', 'http'], io)).toBe(2)
    expect(io.err()).toContain('--port')
    const io2 = bufferedIO()
    expect(await main(['fake-server', '--cloud-account', 'a'], io2)).toBe(2)
    expect(io2.err()).toContain('--cloud-workspace')
  })

  it('stops cleanly when its signal aborts', async () => {
    const controller = new AbortController()
    const io = { ...bufferedIO(), signal: controller.signal }
    let out = ''
    io.stdout = { write: (s: string) => (out += s) }
    const done = main(['fake-server', '--port', '0'], io)
    await expect
      .poll(() => out, { timeout: 5000 })
      .toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\/api\n/)
    controller.abort()
    expect(await done).toBe(0)
  })
})

describe('flowcast fake-server (the real bin)', () => {
  beforeAll(() => {
    // bin/flowcast.js loads dist/cli.js: CI builds before testing (`pnpm build`).
    if (!existsSync(dist))
      throw new Error('packages/cli/dist/cli.js is missing: run `pnpm build` first')
  })

  it('prints the API URL first, serves REST and websockets, and exits 0 on SIGTERM', async () => {
    const running = start(['--port', '0'])
    children.push(running.child)
    const line = await running.firstLine
    const match = /^listening on (http:\/\/127\.0\.0\.1:\d+\/api)$/.exec(line)
    expect(match).not.toBeNull()
    const apiUrl = match![1]!
    const health = await fetch(`${apiUrl}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toBe(true)
    const version = await fetch(`${apiUrl}/admin/version`)
    expect(typeof (await version.json())).toBe('string')

    const ws = new WebSocket(`${apiUrl.replace('http', 'ws')}/events/out`, ['prefect'])
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('{"type":"auth","token":null}'))
      ws.once('message', (data: Buffer) => resolve(data.toString()))
      ws.once('error', reject)
    })
    expect(first).toBe('{"type":"auth_success"}')
    const closed = new Promise<number>((resolve) =>
      ws.once('close', (code: number) => resolve(code)),
    )

    running.child.kill('SIGTERM')
    expect(await running.exit).toEqual({ code: 0, signal: null })
    expect(await closed).toBe(1001)
  })

  it('enforces --auth-string and stops on SIGINT', async () => {
    const running = start(['--port', '0', '--auth-string', 'user:pass'])
    children.push(running.child)
    const apiUrl = (await running.firstLine).replace('listening on ', '')
    expect((await fetch(`${apiUrl}/admin/version`)).status).toBe(401)
    const ok = await fetch(`${apiUrl}/admin/version`, {
      headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
    })
    expect(ok.status).toBe(200)
    running.child.kill('SIGINT')
    expect((await running.exit).code).toBe(0)
    expect(running.stderr()).not.toContain('user:pass')
  })

  it('prints the Cloud workspace URL in Cloud mode', async () => {
    const running = start([
      '--port',
      '0',
      '--cloud-account',
      'acc',
      '--cloud-workspace',
      'wsp',
      '--api-key',
      'pnu_secret',
    ])
    children.push(running.child)
    const line = await running.firstLine
    expect(line).toMatch(
      /^listening on http:\/\/127\.0\.0\.1:\d+\/api\/accounts\/acc\/workspaces\/wsp$/,
    )
    const apiUrl = line.replace('listening on ', '')
    const ok = await fetch(`${apiUrl}/admin/version`, {
      headers: { authorization: 'Bearer pnu_secret' },
    })
    expect(ok.status).toBe(200)
    running.child.kill('SIGTERM')
    expect((await running.exit).code).toBe(0)
  })

  it('speaks CORS like Prefect: every origin by default, --cors-allowed-* or the env narrow it', async () => {
    const preflight = (apiUrl: string, origin: string) =>
      new Promise<{ status: number; allowOrigin: unknown; allowMethods: unknown }>(
        (resolve, reject) => {
          const req = httpRequest(
            `${apiUrl}/flow_runs/filter`,
            {
              method: 'OPTIONS',
              headers: { origin, 'access-control-request-method': 'POST' },
            },
            (res) => {
              res.resume()
              resolve({
                status: res.statusCode ?? 0,
                allowOrigin: res.headers['access-control-allow-origin'],
                allowMethods: res.headers['access-control-allow-methods'],
              })
            },
          )
          req.on('error', reject)
          req.end()
        },
      )
    const open = start(['--port', '0'])
    children.push(open.child)
    const openUrl = (await open.firstLine).replace('listening on ', '')
    expect(await preflight(openUrl, 'http://127.0.0.1:9')).toEqual({
      status: 200,
      allowOrigin: '*',
      allowMethods: 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
    })
    const narrow = start(
      ['--port', '0', '--cors-allowed-origins', 'http://a.test, http://b.test'],
      {
        PREFECT_SERVER_CORS_ALLOWED_METHODS: 'GET,POST',
      },
    )
    children.push(narrow.child)
    const narrowUrl = (await narrow.firstLine).replace('listening on ', '')
    expect(await preflight(narrowUrl, 'http://b.test')).toEqual({
      status: 200,
      allowOrigin: 'http://b.test',
      allowMethods: 'GET, POST',
    })
    expect((await preflight(narrowUrl, 'http://c.test')).status).toBe(400)
    open.child.kill('SIGTERM')
    narrow.child.kill('SIGTERM')
    expect((await open.exit).code).toBe(0)
    expect((await narrow.exit).code).toBe(0)
  })

  it('--control-stdin drops WebSockets and refuses upgrades on command, then exits on SIGTERM', async () => {
    const running = start(['--port', '0', '--control-stdin'], {}, 'pipe')
    children.push(running.child)
    const apiUrl = (await running.firstLine).replace('listening on ', '')
    const socketUrl = `${apiUrl.replace('http', 'ws')}/events/out`
    const ws = new WebSocket(socketUrl, ['prefect'])
    await new Promise((resolve, reject) => {
      ws.once('open', resolve)
      ws.once('error', reject)
    })
    const closed = new Promise<number>((resolve) =>
      ws.once('close', (code: number) => resolve(code)),
    )
    running.child.stdin!.write('drop-connections\n')
    // No close frame: the socket just ends (1006).
    expect(await closed).toBe(1006)
    running.child.stdin!.write('reject-upgrades 403\n')
    await expect.poll(running.stdout).toContain('control: ok reject-upgrades 403\n')
    const refused = new WebSocket(socketUrl, ['prefect'])
    const status = await new Promise<number>((resolve) =>
      refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    )
    expect(status).toBe(403)
    running.child.stdin!.write('nonsense\naccept-upgrades\n')
    await expect.poll(running.stdout).toContain('control: ok accept-upgrades\n')
    expect(running.stderr()).toContain("unknown control command 'nonsense'")
    running.child.kill('SIGTERM')
    expect(await running.exit).toEqual({ code: 0, signal: null })
  })
})
