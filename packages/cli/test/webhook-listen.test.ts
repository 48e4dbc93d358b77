import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli.js'
import { dist, killLeftovers, pathOnlyEnv, spawnFlowcast } from './helpers/process.js'

const children: ChildProcess[] = []
afterEach(() => killLeftovers(children))

function event(overrides: Record<string, unknown> = {}) {
  const flowRunId = crypto.randomUUID()
  return {
    id: crypto.randomUUID(),
    occurred: '2026-11-29T12:00:00.000000Z',
    received: '2026-11-29T12:00:00.100000Z',
    event: 'prefect.flow-run.Completed',
    resource: {
      'prefect.resource.id': `prefect.flow-run.${flowRunId}`,
      'prefect.state-type': 'COMPLETED',
      'prefect.state-name': 'Completed',
    },
    related: [],
    payload: {},
    ...overrides,
  }
}

function listen(args: string[], env: Record<string, string> = {}) {
  const spawned = spawnFlowcast(['webhook', 'listen', ...args], pathOnlyEnv(env))
  children.push(spawned.child)
  const url = new Promise<string>((resolve, reject) => {
    spawned.child.stdout!.on('data', () => {
      const newline = spawned.stdout().indexOf('\n')
      if (newline !== -1) resolve(spawned.stdout().slice(0, newline))
    })
    spawned.child.once('exit', () => reject(new Error(`exited early: ${spawned.stderr()}`)))
  })
  // Tests that expect an early exit never read the first line.
  url.catch(() => {})
  return { ...spawned, firstLine: url }
}

const urlOf = (line: string) => line.replace(/^listening on /, '')

function bufferedIO(): CliIO & { err: () => string } {
  let err = ''
  return {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (err += s) },
    env: {},
    signal: new AbortController().signal,
    err: () => err,
  }
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

describe('flowcast webhook listen (in-process)', () => {
  it('documents every flag and rejects bad ones with exit 2', async () => {
    let out = ''
    const io = { ...bufferedIO(), stdout: { write: (s: string) => (out += s) } }
    expect(await main(['webhook', 'listen', '--help'], io)).toBe(0)
    for (const flag of [
      '--host',
      '--port',
      '--path',
      '--secret',
      '--secret-header',
      '--max-body',
      '--redis',
      '--json',
    ]) {
      expect(out).toContain(flag)
    }
    for (const args of [
      ['--port', 'x'],
      ['--max-body', '0'],
      ['--path', 'hook'],
      ['--redis', 'http://x'],
      ['--secret-header', 'X-Token'],
      ['--secret', ''],
    ]) {
      const bad = bufferedIO()
      expect(await main(['webhook', 'listen', ...args], bad)).toBe(2)
      expect(bad.err()).toContain('--')
    }
  })
})

describe('flowcast webhook listen (the real bin)', () => {
  beforeAll(() => {
    if (!existsSync(dist))
      throw new Error('packages/cli/dist/cli.js is missing: run `pnpm build` first')
  })

  it('prints the URL first, answers in the contract order, prints each delivery once, exits 0 on SIGTERM', async () => {
    const running = listen([
      '--path',
      '/hook',
      '--secret',
      'old',
      '--secret',
      'new',
      '--json',
      '--max-body',
      '4096',
    ])
    const line = await running.firstLine
    expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\/hook$/)
    const url = urlOf(line)
    const origin = new URL(url).origin
    const good = event()
    const send = (body: string, init: RequestInit = {}, target = url) =>
      fetch(target, { method: 'POST', body, ...init })
    const bearer = (s: string) => ({ headers: { authorization: `Bearer ${s}` } })
    expect((await send(JSON.stringify(good), {}, `${origin}/other`)).status).toBe(404)
    const get = await fetch(url)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expect((await send('x'.repeat(5000), bearer('new'))).status).toBe(413)
    expect((await send(JSON.stringify(good), bearer('wrong'))).status).toBe(401)
    expect((await send('{nope', bearer('new'))).status).toBe(400)
    expect((await send('{"event": {"id": 1}}', bearer('new'))).status).toBe(422)
    expect((await send(JSON.stringify(good), bearer('old'))).status).toBe(200)
    const again = await send(JSON.stringify({ event: good }), bearer('new'))
    expect(again.status).toBe(200)
    expect(await again.json()).toEqual({ status: 'duplicate' })
    const other = event({ event: 'acme.ping', resource: { 'prefect.resource.id': 'acme.1' } })
    expect((await send(JSON.stringify(other), bearer('new'))).status).toBe(200)

    await expect.poll(() => running.stdout().split('\n').length).toBe(4)
    const lines = running
      .stdout()
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      {
        type: 'delivery',
        event: { ...good, follows: null },
        flow_run: {
          id: good.resource['prefect.resource.id'].replace('prefect.flow-run.', ''),
          state_type: 'COMPLETED',
          state_name: 'Completed',
        },
      },
      { type: 'delivery', event: { ...other, follows: null }, flow_run: null },
    ])
    expect(running.stderr()).toContain('rejected 401')
    expect(running.stderr()).not.toContain('old')
    expect(running.stderr()).not.toContain('wrong')
    running.child.kill('SIGTERM')
    expect((await running.done).code).toBe(0)
  })

  it('prints a human line per delivery and stops on SIGINT', async () => {
    const running = listen([])
    const url = urlOf(await running.firstLine)
    expect(url).toMatch(/\/$/)
    const good = event()
    expect((await fetch(url, { method: 'POST', body: JSON.stringify(good) })).status).toBe(200)
    await expect.poll(() => running.stdout()).toContain('prefect.flow-run.Completed')
    expect(running.stdout()).toContain(`${good.resource['prefect.resource.id']}  state=COMPLETED`)
    running.child.kill('SIGINT')
    expect((await running.done).code).toBe(0)
  })

  it('exits 31 when the port is taken or Redis cannot be reached, without printing the password', async () => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const taken = (blocker.address() as { port: number }).port
    const busy = listen(['--port', String(taken)])
    expect((await busy.done).code).toBe(31)
    blocker.close()
    const port = await freePort()
    const noRedis = listen(['--redis', `redis://:hunter2@127.0.0.1:${port}`])
    const finished = await noRedis.done
    expect(finished.code).toBe(31)
    expect(finished.stderr).toContain('cannot reach Redis')
    expect(finished.stderr + finished.stdout).not.toContain('hunter2')
  })

  describe('two listeners sharing one redis-server', () => {
    let redis: ChildProcess
    let redisUrl: string
    beforeAll(async () => {
      const port = await freePort()
      redis = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      )
      await new Promise<void>((resolve, reject) => {
        let out = ''
        redis.stdout!.on(
          'data',
          (c: Buffer) => (out += c.toString()) && out.includes('Ready to accept') && resolve(),
        )
        redis.once('error', reject)
      })
      redisUrl = `redis://127.0.0.1:${port}`
    })
    afterAll(async () => {
      if (redis && redis.exitCode === null) {
        redis.kill('SIGTERM')
        await once(redis, 'exit')
      }
    })

    it('prints a delivery posted to both exactly once', async () => {
      const a = listen(['--redis', redisUrl, '--json'])
      const b = listen(['--redis', redisUrl, '--json'])
      const [urlA, urlB] = (await Promise.all([a.firstLine, b.firstLine])).map(urlOf)
      const good = JSON.stringify(event())
      const answers = await Promise.all([
        fetch(urlA!, { method: 'POST', body: good }),
        fetch(urlB!, { method: 'POST', body: good }),
      ])
      expect(answers.map((r) => r.status).sort()).toEqual(
        answers.some((r) => r.status === 409) ? [200, 409] : [200, 200],
      )
      await expect.poll(() => a.stdout().split('\n').length + b.stdout().split('\n').length).toBe(5)
      a.child.kill('SIGTERM')
      b.child.kill('SIGTERM')
      expect([(await a.done).code, (await b.done).code]).toEqual([0, 0])
      const printed = [a.stdout(), b.stdout()].flatMap((s) => s.trim().split('\n').slice(1))
      expect(printed).toHaveLength(1)
    })
  })
})
