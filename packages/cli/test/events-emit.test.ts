// `flowcast events emit` as a process (bin/flowcast.js -> dist/cli.js; run `pnpm build`
// first) against `flowcast fake-server` processes and in-test fake servers on real ports.
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli.js'
import {
  dist,
  killLeftovers,
  spawnFlowcast,
  withoutPrefectEnv,
  type Finished,
  type Spawned,
} from './helpers/process.js'

const children: ChildProcess[] = []
afterEach(() => killLeftovers(children))

function start(args: string[], env: Record<string, string> = {}): Spawned {
  const running = spawnFlowcast(args, withoutPrefectEnv(env))
  children.push(running.child)
  return running
}

/** Runs `flowcast events emit`, failing with a message instead of hanging. */
function emit(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const { done } = start(['events', 'emit', ...args], env)
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    done.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out: flowcast events emit ${args.join(' ')}`)),
        15_000,
      )
    }),
  ])
}

async function fakeServerProcess(args: string[] = []): Promise<string> {
  const { child } = start(['fake-server', '--port', '0', ...args])
  return new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('\n')) resolve(out.split('\n')[0]!.replace('listening on ', ''))
    })
    child.once('exit', () => reject(new Error('fake-server exited')))
  })
}

function bufferedIO(env: Record<string, string> = {}): CliIO & { err: () => string } {
  let err = ''
  return {
    stdout: { write: () => true },
    stderr: { write: (s: string) => (err += s) },
    env,
    signal: new AbortController().signal,
    err: () => err,
  }
}

beforeAll(() => {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run 'pnpm build' first`)
})

describe('flowcast events emit (in-process)', () => {
  it('exits 2 on usage errors, naming the problem', async () => {
    const env = { PREFECT_API_URL: 'http://127.0.0.1:1/api' }
    const cases: [string[], RegExp][] = [
      [['--resource-id', 'x'], /--event NAME is required/],
      [['--event', 'a.b'], /--resource-id ID is required/],
      [['--event', 'a.b', '--resource-id', 'x', '--payload', '{nope'], /--payload must be JSON/],
      [
        ['--event', 'a.b', '--resource-id', 'x', '--payload', '[1]'],
        /--payload must be a JSON object/,
      ],
      [['--event', 'a.b', '--resource-id', 'x', '--id', 'not-a-uuid'], /id/],
      [['--event', 'a.b', '--resource-id', 'x', '--bogus'], /bogus/],
    ]
    for (const [args, text] of cases) {
      const io = bufferedIO(env)
      expect(await main(['events', 'emit', ...args], io)).toBe(2)
      expect(io.err()).toMatch(text)
    }
  })
})

describe('flowcast events emit (process)', () => {
  it('exits 0 once the server confirmed the event; the server has it once', async () => {
    const apiUrl = await fakeServerProcess(['--auth-string', 'user:pass'])
    const id = '01a01f7b-9b4d-70f2-91a7-e5b2d04830af'
    const args = [
      '--event',
      'shop.order.paid',
      '--resource-id',
      'shop.order.42',
      '--payload',
      '{"amount":42}',
      '--id',
      id,
    ]
    const env = { PREFECT_API_URL: apiUrl, PREFECT_API_AUTH_STRING: 'user:pass' }
    const first = await emit(args, env)
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({
      id,
      event: 'shop.order.paid',
      payload: { amount: 42 },
    })
    expect(first.stderr).toContain(`confirmed: shop.order.paid ${id}`)
    expect((await emit(args, env)).code).toBe(0)
    const response = await fetch(`${apiUrl}/events/filter`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from('user:pass').toString('base64')}`,
      },
      body: JSON.stringify({ filter: { id: { id: [id] } }, limit: 50 }),
    })
    const page = (await response.json()) as { events: { id: string; payload: unknown }[] }
    expect(page.events).toHaveLength(1)
    expect(page.events[0]).toMatchObject({ id, payload: { amount: 42 } })
  })

  it('sends Basic on the upgrade for OSS and bearer for Cloud', async () => {
    await using oss = await createFakePrefectServer({ authString: 'user:pass' })
    const a = await emit([
      '--api-url',
      oss.apiUrl,
      '--auth-string',
      'user:pass',
      '--event',
      'e.one',
      '--resource-id',
      'r.1',
    ])
    expect(a.code).toBe(0)
    expect(oss.recorder.connections[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('user:pass').toString('base64')}`,
    )
    oss.expectEmitted({ event: 'e.one', resource: { 'prefect.resource.id': 'r.1' } })

    await using cloud = await createFakePrefectServer({
      cloud: { accountId: 'acc', workspaceId: 'ws', apiKey: 'pnu_key' },
    })
    const b = await emit(['--event', 'e.two', '--resource-id', 'r.2'], {
      PREFECT_API_URL: cloud.apiUrl,
      PREFECT_API_KEY: 'pnu_key',
    })
    expect(b.code).toBe(0)
    expect(cloud.recorder.connections[0]).toMatchObject({
      path: '/api/accounts/acc/workspaces/ws/events/in',
      mode: 'cloud-bearer',
    })
    expect(cloud.recorder.connections[0]?.headers.authorization).toBe('bearer pnu_key')
    cloud.expectEmitted({ event: 'e.two' })
  })

  it('exits 30 when Prefect Cloud rejects the key (403 on the upgrade)', async () => {
    await using cloud = await createFakePrefectServer({
      cloud: { accountId: 'acc', workspaceId: 'ws', apiKey: 'pnu_right' },
    })
    const result = await emit(['--event', 'e', '--resource-id', 'r'], {
      PREFECT_API_URL: cloud.apiUrl,
      PREFECT_API_KEY: 'pnu_WRONG_PLANTED',
    })
    expect(result.code).toBe(30)
    expect(result.stderr).toMatch(/authentication failed: the upgrade request got HTTP 403/)
    expect(result.stderr + result.stdout).not.toContain('pnu_WRONG_PLANTED')
    expect(cloud.recorder.rejectedUpgrades[0]?.status).toBe(403)
  })

  it('exits 30 when the credentials are rejected', async () => {
    await using server = await createFakePrefectServer({ authString: 'user:pass' })
    const result = await emit([
      '--api-url',
      server.apiUrl,
      '--auth-string',
      'user:nope',
      '--event',
      'e',
      '--resource-id',
      'r',
    ])
    expect(result.code).toBe(30)
    expect(result.stderr).not.toContain('user:nope')
    expect(server.recorder.receivedEvents).toHaveLength(0)
  })

  it('exits 31 when the API cannot be reached', async () => {
    const server = await createFakePrefectServer()
    const apiUrl = server.apiUrl
    await server.close()
    const result = await emit([
      '--api-url',
      apiUrl,
      '--connect-timeout',
      '1',
      '--event',
      'e',
      '--resource-id',
      'r',
    ])
    expect(result.code).toBe(31)
    expect(result.stderr).toMatch(/could not connect/)
  })
})
