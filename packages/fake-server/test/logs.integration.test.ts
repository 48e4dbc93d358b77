import { validateAgainstSchema } from '@flowcast/prefect-spec'
import { describe, expect, test } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '../src/index.js'
import { openSocket } from './helpers.js'

const post = async (server: FakePrefectServer, path: string, body: unknown, auth?: string) =>
  fetch(`${server.apiUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth ? { authorization: `Basic ${btoa(auth)}` } : {}),
    },
    body: JSON.stringify(body),
  })

const logsUrl = (server: FakePrefectServer) => `${server.apiUrl.replace(/^http/, 'ws')}/logs/out`

describe('POST /api/logs/ and /api/logs/filter', () => {
  test('create answers 201 with no body; filter pages, sorts and applies every key', async () => {
    await using server = await createFakePrefectServer()
    const run = server.createFlowRun()
    const task = '0190b2a4-8c1e-7d3a-9f00-0000000000aa'
    const created = await post(server, '/logs/', [
      {
        name: 'a',
        level: 10,
        message: 'debug\u0000 line',
        timestamp: '2026-01-01T00:00:01Z',
        flow_run_id: run.id,
      },
      {
        name: 'b',
        level: 40,
        message: 'an error',
        timestamp: '2026-01-01T00:00:02Z',
        flow_run_id: run.id,
        task_run_id: task,
      },
      { name: 'c', level: 20, message: 'other run', timestamp: '2026-01-01T00:00:00Z' },
    ])
    expect(created.status).toBe(201)
    expect(await created.text()).toBe('')
    const read = async (body: unknown) => {
      const response = await post(server, '/logs/filter', body)
      return {
        status: response.status,
        body: (await response.json()) as Array<Record<string, unknown>>,
      }
    }
    const all = await read({})
    expect(all.status).toBe(200)
    expect(all.body.map((l) => l.name)).toEqual(['c', 'a', 'b'])
    for (const log of all.body) expect(validateAgainstSchema('Log', log)).toEqual([])
    expect(all.body[1]!.message).toBe('debug line')
    expect((await read({ sort: 'TIMESTAMP_DESC' })).body.map((l) => l.name)).toEqual([
      'b',
      'a',
      'c',
    ])
    expect((await read({ limit: 1, offset: 1 })).body.map((l) => l.name)).toEqual(['a'])
    expect((await read({ logs: { level: { ge_: 20 } } })).body.map((l) => l.name)).toEqual([
      'c',
      'b',
    ])
    expect((await read({ logs: { flow_run_id: { any_: [run.id] } } })).body).toHaveLength(2)
    expect(
      (await read({ logs: { task_run_id: { is_null_: true } } })).body.map((l) => l.name),
    ).toEqual(['c', 'a'])
    expect(
      (await read({ logs: { task_run_id: { any_: [task] } } })).body.map((l) => l.name),
    ).toEqual(['b'])
    expect(
      (
        await read({
          logs: { timestamp: { after_: '2026-01-01T00:00:01Z', before_: '2026-01-01T00:00:01Z' } },
        })
      ).body.map((l) => l.name),
    ).toEqual(['a'])
    expect(
      (await read({ logs: { text: { query: 'error -debug' } } })).body.map((l) => l.name),
    ).toEqual(['b'])
    expect(
      (
        await read({ logs: { operator: 'or_', level: { ge_: 40 }, text: { query: 'other' } } })
      ).body.map((l) => l.name),
    ).toEqual(['c', 'b'])
  })

  test('422 above limit 200, for a bad sort, a bad filter and a non-list create', async () => {
    await using server = await createFakePrefectServer()
    const tooMany = await post(server, '/logs/filter', { limit: 201 })
    expect(tooMany.status).toBe(422)
    expect(await tooMany.json()).toMatchObject({ exception_detail: [{ loc: ['body', 'limit'] }] })
    expect((await post(server, '/logs/filter', { limit: 200 })).status).toBe(200)
    expect((await post(server, '/logs/filter', { sort: 'NAME_ASC' })).status).toBe(422)
    expect((await post(server, '/logs/filter', { logs: { nope: {} } })).status).toBe(422)
    expect((await post(server, '/logs/filter', { offset: -1 })).status).toBe(422)
    expect((await post(server, '/logs/', { message: 'x' })).status).toBe(422)
    expect((await post(server, '/logs/', [{ message: 'no name' }])).status).toBe(422)
    const get = await fetch(`${server.apiUrl}/logs/filter`)
    expect(get.status).toBe(405)
  })

  test('shuffleLogTies returns ties in varying order, never losing one', async () => {
    await using server = await createFakePrefectServer({ shuffleLogTies: true })
    const at = '2026-01-01T00:00:01Z'
    server.logs.create(Array.from({ length: 20 }, (_, i) => ({ message: `m${i}`, timestamp: at })))
    const orders = new Set<string>()
    for (let i = 0; i < 5; i++) {
      const body = (await (await post(server, '/logs/filter', {})).json()) as Array<{
        message: string
      }>
      expect(new Set(body.map((l) => l.message)).size).toBe(20)
      orders.add(body.map((l) => l.message).join(','))
    }
    expect(orders.size).toBeGreaterThan(1)
  })
})

describe('/api/logs/out', () => {
  test('handshake, live logs only (no backfill), filtered by the socket rules', async () => {
    await using server = await createFakePrefectServer({ authString: 'user:pass' })
    const run = server.createFlowRun()
    server.logs.create([{ message: 'before', flow_run_id: run.id }])
    const socket = await openSocket(logsUrl(server), { protocols: ['prefect'] })
    socket.send({ type: 'auth', token: 'user:pass' })
    expect(JSON.parse(await socket.next())).toEqual({ type: 'auth_success' })
    const subscribed = server.logs.waitForSubscriber()
    socket.send({ type: 'filter', filter: { flow_run_id: { any_: [run.id] }, level: { ge_: 20 } } })
    await subscribed
    server.logs.create([
      { message: 'debug', level: 10, flow_run_id: run.id },
      { message: 'live', flow_run_id: run.id },
      { message: 'elsewhere' },
    ])
    const frame = JSON.parse(await socket.next())
    expect(frame).toMatchObject({ type: 'log', log: { message: 'live', flow_run_id: run.id } })
    expect(validateAgainstSchema('Log', frame.log)).toEqual([])
    await expect(socket.next(200)).rejects.toThrow(/timed out/)
    socket.close()
  })

  test('close codes: bad token 1008, wrong frame 1002, invalid filter 1002', async () => {
    await using server = await createFakePrefectServer({ authString: 'user:pass' })
    const bad = await openSocket(logsUrl(server), { protocols: ['prefect'] })
    bad.send({ type: 'auth', token: 'nope' })
    expect(await bad.closed).toEqual({ code: 1008, reason: 'Invalid token' })
    const wrong = await openSocket(logsUrl(server), { protocols: ['prefect'] })
    wrong.send({ type: 'auth', token: 'user:pass' })
    await wrong.next()
    wrong.send({ type: 'subscribe' })
    expect(await wrong.closed).toEqual({ code: 1002, reason: "Expected 'filter' message" })
    const invalid = await openSocket(logsUrl(server), { protocols: ['prefect'] })
    invalid.send({ type: 'auth', token: 'user:pass' })
    await invalid.next()
    invalid.send({ type: 'filter', filter: { level: { ge_: 'x' } } })
    const closed = await invalid.closed
    expect(closed.code).toBe(1002)
    expect(closed.reason).toMatch(/^Invalid filter: /)
    await expect(openSocket(logsUrl(server))).rejects.toMatchObject({ status: 403 })
  })

  test('logStream: false accepts, authenticates, takes the filter and stays silent', async () => {
    await using server = await createFakePrefectServer({ logStream: false })
    const socket = await openSocket(logsUrl(server), { protocols: ['prefect'] })
    socket.send({ type: 'auth', token: null })
    expect(JSON.parse(await socket.next())).toEqual({ type: 'auth_success' })
    const subscribed = server.logs.waitForSubscriber()
    socket.send({ type: 'filter', filter: {} })
    await subscribed
    server.logs.create([{ message: 'not streamed' }])
    await expect(socket.next(200)).rejects.toThrow(/timed out/)
    expect(server.logs.all).toHaveLength(1)
    socket.close()
  })

  test('the backlog holds 256 logs and drops the rest while the subscriber is slow', async () => {
    await using server = await createFakePrefectServer()
    const socket = await openSocket(logsUrl(server), { protocols: ['prefect'] })
    socket.send({ type: 'auth', token: null })
    await socket.next()
    const subscribed = server.logs.waitForSubscriber()
    socket.send({ type: 'filter', filter: {} })
    await subscribed
    server.logs.setPaused(true)
    server.logs.create(Array.from({ length: 300 }, (_, i) => ({ message: `m${i}` })))
    expect(server.logs.dropped).toBe(44)
    server.logs.setPaused(false)
    const frames = await socket.take(256)
    expect(JSON.parse(frames.at(-1)!).log.message).toBe('m255')
    await expect(socket.next(200)).rejects.toThrow(/timed out/)
    socket.close()
  })

  test('scripted lifecycles emit logs with their states', async () => {
    await using server = await createFakePrefectServer()
    const run = server.createFlowRun()
    await server.runLifecycle(run.id, [
      'Running',
      { log: 'working' },
      { log: { message: 'oops', level: 40 } },
      'Completed',
    ])
    expect(server.logs.all.map((l) => [l.message, l.level, l.flow_run_id])).toEqual([
      ['working', 20, run.id],
      ['oops', 40, run.id],
    ])
  })
})
