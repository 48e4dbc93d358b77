// `flowcast events stream` as a process (bin/flowcast.js -> dist/cli.js; run `pnpm build`
// first) against `flowcast fake-server` processes and in-test fake servers on real ports.
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli.js'
import { dist, killLeftovers, spawnFlowcast, withoutPrefectEnv } from './helpers/process.js'

interface Proc {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
  waitFor(
    predicate: (out: { stdout: string; stderr: string }) => boolean,
    what: string,
  ): Promise<void>
}

const children: ChildProcess[] = []
afterEach(() => killLeftovers(children))

function run(args: string[], env: Record<string, string> = {}): Proc {
  const { child, stdout, stderr } = spawnFlowcast(args, withoutPrefectEnv(env))
  children.push(child)
  const waiters = new Set<() => void>()
  const poke = () => {
    for (const waiter of [...waiters]) waiter()
  }
  // Registered after the helper's collectors, so a waiter sees the chunk that woke it.
  child.stdout!.on('data', poke)
  child.stderr!.on('data', poke)
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      poke()
      resolve(code)
    }),
  )
  return {
    child,
    stdout,
    stderr,
    exit,
    waitFor(predicate, what) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out waiting for ${what}; stdout=${stdout()} stderr=${stderr()}`))
        }, 10_000)
        const check = () => {
          if (predicate({ stdout: stdout(), stderr: stderr() })) {
            clearTimeout(timer)
            waiters.delete(check)
            resolve()
          } else if (child.exitCode !== null) {
            clearTimeout(timer)
            waiters.delete(check)
            reject(new Error(`exited (${child.exitCode}) before ${what}; stderr=${stderr()}`))
          }
        }
        waiters.add(check)
        check()
      })
    },
  }
}

/** Bounds a promise so a hang fails with a message naming what was awaited. */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
        ms,
      )
    }),
  ])
}

async function fakeServerProcess(args: string[] = []): Promise<{ apiUrl: string; proc: Proc }> {
  const proc = run(['fake-server', '--port', '0', ...args])
  await proc.waitFor(({ stdout }) => stdout.includes('\n'), 'the listening line')
  const apiUrl = proc.stdout().split('\n')[0]!.replace('listening on ', '')
  return { apiUrl, proc }
}

function bufferedIO(
  env: Record<string, string> = {},
): CliIO & { out: () => string; err: () => string } {
  let out = ''
  let err = ''
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env,
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  }
}

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { id: string; event: string; received: string })

beforeAll(() => {
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run 'pnpm build' first`)
})

describe('flowcast events stream (in-process)', () => {
  it('--help documents the flags and exit codes', async () => {
    const io = bufferedIO()
    expect(await main(['events', 'stream', '--help'], io)).toBe(0)
    for (const text of [
      '--event-prefix',
      '--resource-id',
      '--json',
      '--api-url',
      '--api-key',
      '--auth-string',
      '30',
      '31',
    ]) {
      expect(io.out()).toContain(text)
    }
  })

  it('exits 2 on usage errors', async () => {
    const noUrl = bufferedIO()
    expect(await main(['events', 'stream'], noUrl)).toBe(2)
    expect(noUrl.err()).toContain('PREFECT_API_URL')
    const badTimeout = bufferedIO({ PREFECT_API_URL: 'http://127.0.0.1:1/api' })
    expect(await main(['events', 'stream', '--connect-timeout', 'soon'], badTimeout)).toBe(2)
    const cloudNoKey = bufferedIO()
    expect(
      await main(
        ['events', 'stream', '--api-url', 'https://api.prefect.cloud/api/accounts/a/workspaces/w'],
        cloudNoKey,
      ),
    ).toBe(2)
    expect(cloudNoKey.err()).toContain('API key')
  })
})

describe('flowcast events stream (process)', () => {
  it('streams matching events once as JSON lines; SIGTERM exits 0', async () => {
    const { apiUrl } = await fakeServerProcess(['--auth-string', 'user:pass'])
    const env = { PREFECT_API_URL: apiUrl, PREFECT_API_AUTH_STRING: 'user:pass' }
    const stream = run(['events', 'stream', '--json', '--event-prefix', 'shop.order.'], env)
    await stream.waitFor(
      ({ stderr }) => stderr.includes('streaming events from'),
      'the stream to open',
    )
    const ids: string[] = []
    for (const [event, resource] of [
      ['shop.order.paid', 'shop.order.1'],
      ['shop.cart.updated', 'shop.cart.1'],
      ['shop.order.shipped', 'shop.order.1'],
    ] as const) {
      const emit = run(['events', 'emit', '--event', event, '--resource-id', resource], env)
      expect(await within(emit.exit, 'emit to exit')).toBe(0)
      if (event.startsWith('shop.order.'))
        ids.push((JSON.parse(emit.stdout()) as { id: string }).id)
    }
    await stream.waitFor(() => jsonLines(stream.stdout()).length >= 2, 'two events')
    stream.child.kill('SIGTERM')
    expect(await within(stream.exit, 'the stream to exit')).toBe(0)
    const lines = jsonLines(stream.stdout())
    expect(lines.map((e) => e.id)).toEqual(ids)
    expect(lines.every((e) => typeof e.received === 'string')).toBe(true)
  })

  it('prints one readable line per event and exits 0 on SIGINT', async () => {
    await using server = await createFakePrefectServer()
    const stream = run([
      'events',
      'stream',
      '--api-url',
      server.apiUrl,
      '--resource-id',
      'shop.order.7',
    ])
    await stream.waitFor(
      ({ stderr }) => stderr.includes('streaming events from'),
      'the stream to open',
    )
    server.publishEvent({
      event: 'shop.order.paid',
      resource: { 'prefect.resource.id': 'shop.order.7', 'prefect.resource.name': 'seven' },
    })
    server.publishEvent({
      event: 'shop.order.paid',
      resource: { 'prefect.resource.id': 'shop.order.8' },
    })
    await stream.waitFor(({ stdout }) => stdout.includes('shop.order.7'), 'the event line')
    stream.child.kill('SIGINT')
    expect(await within(stream.exit, 'the stream to exit')).toBe(0)
    const lines = stream.stdout().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}shop\.order\.paid {2}shop\.order\.7 \(seven\)$/,
    )
  })

  it('prints each event exactly once across a dropped connection', async () => {
    await using server = await createFakePrefectServer()
    const stream = run(['events', 'stream', '--api-url', server.apiUrl, '--json'])
    await server.waitForSubscriber({ existing: true, signal: AbortSignal.timeout(10_000) })
    const ids: string[] = []
    const publish = (n: number) =>
      ids.push(
        server.publishEvent({ event: 'test.tick', resource: { 'prefect.resource.id': `t.${n}` } })
          .id,
      )
    for (let n = 0; n < 20; n++) publish(n)
    await stream.waitFor(() => jsonLines(stream.stdout()).length >= 20, '20 events')
    server.faults.dropConnections({ path: '/events/out' })
    for (let n = 20; n < 40; n++) publish(n)
    await stream.waitFor(() => jsonLines(stream.stdout()).length >= 40, '40 events')
    server.faults.injectFrames([{ type: 'keep-alive' }, 'garbage'])
    publish(40)
    await stream.waitFor(() => jsonLines(stream.stdout()).length >= 41, '41 events')
    stream.child.kill('SIGTERM')
    expect(await within(stream.exit, 'the stream to exit')).toBe(0)
    expect(jsonLines(stream.stdout()).map((e) => e.id)).toEqual(ids)
    expect(stream.stderr()).toContain('reconnected')
  })

  it('exits 30 when the credentials are rejected', async () => {
    const { apiUrl } = await fakeServerProcess(['--auth-string', 'user:pass'])
    const stream = run(['events', 'stream', '--api-url', apiUrl, '--auth-string', 'user:wrong'])
    expect(await within(stream.exit, 'the stream to exit')).toBe(30)
    expect(stream.stderr()).toMatch(/authentication failed/)
    expect(stream.stderr()).not.toContain('user:wrong')
  })

  it('exits 30 on Prefect Cloud with a wrong API key, streams with the right one', async () => {
    await using server = await createFakePrefectServer({
      cloud: { accountId: 'acc', workspaceId: 'ws', apiKey: 'pnu_right' },
    })
    const wrong = run(['events', 'stream', '--api-url', server.apiUrl, '--api-key', 'pnu_wrong'])
    expect(await within(wrong.exit, 'the wrong-key stream to exit')).toBe(30)
    expect(wrong.stderr()).not.toContain('pnu_wrong')
    const right = run(['events', 'stream', '--json'], {
      PREFECT_API_URL: server.apiUrl,
      PREFECT_API_KEY: 'pnu_right',
    })
    const record = await server.waitForSubscriber({
      existing: true,
      signal: AbortSignal.timeout(10_000),
    })
    expect(record.path).toBe('/api/accounts/acc/workspaces/ws/events/out')
    const published = server.publishEvent({
      event: 'cloud.ok',
      resource: { 'prefect.resource.id': 'c.1' },
    })
    await right.waitFor(({ stdout }) => stdout.includes(published.id), 'the Cloud event')
    right.child.kill('SIGTERM')
    expect(await within(right.exit, 'the stream to exit')).toBe(0)
  })

  it('exits 31 when the API cannot be reached', async () => {
    const server = await createFakePrefectServer()
    const apiUrl = server.apiUrl
    await server.close()
    const started = Date.now()
    const stream = run(['events', 'stream', '--api-url', apiUrl, '--connect-timeout', '1'])
    expect(await within(stream.exit, 'the stream to exit')).toBe(31)
    expect(Date.now() - started).toBeLessThan(8_000)
    expect(stream.stderr()).toMatch(/could not connect/)
  })

  it('exits 31 when a proxy refuses the WebSocket upgrade (HTTP 403)', async () => {
    await using server = await createFakePrefectServer()
    server.faults.rejectUpgrades(403)
    const stream = run(['events', 'stream', '--api-url', server.apiUrl])
    expect(await within(stream.exit, 'the stream to exit')).toBe(31)
    expect(stream.stderr()).toContain('HTTP 403')
  })
})
