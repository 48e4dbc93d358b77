// The logs REST client against the fake Prefect server on a real loopback port.
import { createFakePrefectServer } from '@flowcast/fake-server'
import { compareDateTimes, formatPrefectDateTime } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { createLogsClient, createPollingLogsSource } from '../src/index.js'

describe('logs over REST', () => {
  it('createLogs stores, readLogs reads one page, readAllLogs pages by offset', async () => {
    await using server = await createFakePrefectServer({ pingIntervalMs: 0 })
    const run = server.createFlowRun()
    const client = createLogsClient({ apiUrl: server.apiUrl, retries: 0 })
    await client.createLogs(
      Array.from({ length: 450 }, (_, i) => ({
        name: 'test',
        level: 20,
        message: `m${i}`,
        timestamp: formatPrefectDateTime(Date.UTC(2026, 0, 1) + i),
        flow_run_id: run.id,
      })),
    )
    expect(await client.readLogs({ limit: 2, sort: 'TIMESTAMP_DESC' })).toMatchObject([
      { message: 'm449' },
      { message: 'm448' },
    ])
    const all: string[] = []
    for await (const log of client.readAllLogs({ flow_run_id: { any_: [run.id] } })) {
      all.push(log.message)
    }
    expect(all).toEqual(Array.from({ length: 450 }, (_, i) => `m${i}`))
    await expect(client.readLogs({ limit: 201 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    await expect(
      client.createLogs([{ name: 'x', level: 20, message: 'y', timestamp: 'soon' }]),
    ).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
  })

  it('10,000 logs of one run, ties on every timestamp shuffled per request: each read once', async () => {
    await using server = await createFakePrefectServer({ pingIntervalMs: 0, shuffleLogTies: true })
    const run = server.createFlowRun()
    const other = server.createFlowRun()
    const base = Date.UTC(2026, 0, 1)
    // Groups of 1 to 13 logs share a timestamp, and one group of 450 overflows a page.
    const inputs: Array<{ message: string; timestamp: string; flow_run_id: string }> = []
    let t = 0
    while (inputs.length < 9_550) {
      const size = 1 + (t % 13)
      for (let i = 0; i < size && inputs.length < 9_550; i++) {
        inputs.push({
          message: `m${inputs.length}`,
          timestamp: formatPrefectDateTime(base + t),
          flow_run_id: run.id,
        })
      }
      t++
    }
    for (let i = 0; i < 450; i++) {
      inputs.push({
        message: `m${inputs.length}`,
        timestamp: formatPrefectDateTime(base + t),
        flow_run_id: run.id,
      })
    }
    server.logs.create(inputs)
    server.logs.create([{ message: 'not ours', flow_run_id: other.id }])
    const client = createLogsClient({ apiUrl: server.apiUrl, retries: 0 })
    const logs = await client.readLogsSince([run.id])
    expect(logs).toHaveLength(10_000)
    expect(new Set(logs.map((l) => l.id)).size).toBe(10_000)
    const sorted = [...logs].sort((a, b) => compareDateTimes(a.timestamp, b.timestamp))
    expect(logs.map((l) => l.timestamp)).toEqual(sorted.map((l) => l.timestamp))
  })

  it('pages that shift while reading (logs inserted before the cursor) lose nothing', async () => {
    await using server = await createFakePrefectServer({ pingIntervalMs: 0 })
    const run = server.createFlowRun()
    const base = Date.UTC(2026, 0, 1)
    server.logs.create(
      Array.from({ length: 500 }, (_, i) => ({
        message: `m${i}`,
        timestamp: formatPrefectDateTime(base + i * 10),
        flow_run_id: run.id,
      })),
    )
    let inserted = 0
    // After each page is served, a late log lands among the ones already read.
    server.use({
      method: 'POST',
      path: '/logs/filter',
      respond: () => {
        if (inserted < 3) {
          server.logs.create([
            {
              message: `late${inserted}`,
              timestamp: formatPrefectDateTime(base + 5 + inserted * 10),
              flow_run_id: run.id,
            },
          ])
          inserted++
        }
        return undefined
      },
    })
    const client = createLogsClient({ apiUrl: server.apiUrl, retries: 0 })
    const first = await client.readLogsSince([run.id])
    const ids = new Set(first.map((l) => l.id))
    expect(ids.size).toBe(first.length)
    // A second read from the start finds everything, the late logs included, each once.
    const again = await createPollingLogsSource({ client }).read([run.id])
    expect(again).toHaveLength(503)
    expect(new Set(again.map((l) => l.id)).size).toBe(503)
  })

  it('404 and 500 from the logs endpoint are typed errors', async () => {
    await using server = await createFakePrefectServer({ pingIntervalMs: 0 })
    const client = createLogsClient({ apiUrl: server.apiUrl, retries: 0 })
    server.faults.httpError({ path: '/logs/filter', status: 404, times: 1 })
    await expect(client.readLogsSince([])).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 })
    server.faults.httpError({ path: '/logs/filter', status: 500, times: 1 })
    await expect(client.readLogsSince([])).rejects.toMatchObject({ code: 'HTTP', status: 500 })
  })
})
