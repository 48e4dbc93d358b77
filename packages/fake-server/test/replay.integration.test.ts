import { createManualClock } from '@flowcast/core'
import { flowRunFramesPath, readFlowRunFrames } from '@flowcast/prefect-spec'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, readFramesFile, type FakePrefectServer } from '../src/index.js'
import { api, barrier, farFilter, subscribe } from './helpers.js'

let server: FakePrefectServer
afterEach(async () => {
  await server?.close()
})

describe('replay of recorded frames', () => {
  it('replays flow-run-frames.jsonl verbatim with original timing on the server clock', async () => {
    const clock = createManualClock(Date.parse('2026-08-20T14:10:00Z'))
    server = await createFakePrefectServer({ clock, pingIntervalMs: 0 })
    const socket = await subscribe(server.apiUrl, farFilter({}, clock.now() - 1000))
    await barrier(socket)
    const frames = await readFramesFile(flowRunFramesPath)
    expect(frames.map((f) => f.occurredMs)).toEqual([
      Date.parse('2026-08-20T14:03:09.517Z'),
      Date.parse('2026-08-20T14:03:11.482Z'),
      Date.parse('2026-08-20T14:03:14.927Z'),
    ])
    const replaying = server.replay(frames, { timing: 'original', store: true })
    expect(await socket.next()).toBe(readFlowRunFrames()[0])
    await expect.poll(() => clock.pendingTimers).toBe(1)
    clock.advance(1965)
    expect(await socket.next()).toBe(readFlowRunFrames()[1])
    await expect.poll(() => clock.pendingTimers).toBe(1)
    clock.advance(3445)
    await replaying
    expect(await socket.next()).toBe(readFlowRunFrames()[2])
    const stored = await api(server.apiUrl, '/events/filter', {
      body: {
        filter: { occurred: { since: '2026-08-20T00:00:00Z', until: '2026-08-21T00:00:00Z' } },
      },
    })
    expect(stored.body.events.map((e: { event: string }) => e.event)).toEqual([
      'prefect.flow-run.Completed',
      'prefect.flow-run.Running',
      'prefect.flow-run.Pending',
    ])
    expect(stored.body.events[0].received).toBe('2026-08-20T14:03:14.931417Z')
  })

  it('replays JSONL text with compressed timing', async () => {
    server = await createFakePrefectServer()
    const socket = await subscribe(server.apiUrl, farFilter())
    await barrier(socket)
    const text = `${readFlowRunFrames().join('\n')}\n{"type":"control"}\n`
    await server.replay(text, { timing: 'compressed', gapMs: 1 })
    const frames = await socket.take(4)
    expect(frames).toEqual([...readFlowRunFrames(), '{"type":"control"}'])
  })
})
