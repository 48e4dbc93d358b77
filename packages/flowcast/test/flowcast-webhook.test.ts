import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { createWebhookReceiver, eventTemplate } from '@flowcast/webhook'
import { createNodeWebhookHandler } from '@flowcast/webhook/node'
import { isFlowcastError } from '@flowcast/core'
import { createFlowcast } from '../src/flowcast.js'

let prefect: FakePrefectServer | undefined
let http: Server | undefined
afterEach(async () => {
  await prefect?.close()
  http?.closeAllConnections()
  http?.close()
  prefect = undefined
  http = undefined
})

describe("createFlowcast({ transport: 'webhook' })", () => {
  it('resolves a wait from the automation webhook, no WebSocket', async () => {
    prefect = await createFakePrefectServer()
    const receiver = createWebhookReceiver({ path: '/hook', secrets: 'hook-secret' })
    http = createServer(createNodeWebhookHandler(receiver)).listen(0, '127.0.0.1')
    await once(http, 'listening')
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/hook`
    prefect.addAutomation({
      trigger: {
        expect: ['prefect.flow-run.*'],
        match: { 'prefect.state-type': ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'] },
      },
      action: { url, headers: { Authorization: 'Bearer hook-secret' }, payload: eventTemplate },
    })
    const flowcast = createFlowcast({
      apiUrl: prefect.apiUrl,
      env: {},
      transport: 'webhook',
      webhook: { receiver },
      waiting: { reconcileIntervalMs: 3_600_000 },
    })
    expect(flowcast.transport).toBe('webhook')
    const run = prefect.createFlowRun()
    const seen: string[] = []
    const waiting = flowcast.waitForFlowRun(run.id, {
      timeoutMs: 15_000,
      onState: (state, source) => seen.push(`${state.type}:${source}`),
    })
    // The start read (the safety net) sees the scheduled run first; the end comes by webhook.
    await expect.poll(() => seen).toEqual(['SCHEDULED:polling'])
    await prefect.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    expect(await waiting).toMatchObject({
      outcome: 'terminal',
      stateType: 'COMPLETED',
      source: 'webhook',
    })
    expect(seen.slice(1)).toEqual(['COMPLETED:webhook'])
    expect(prefect.recorder.connections).toHaveLength(0)
    await flowcast.close()
  })

  it('needs a receiver', () => {
    let caught: unknown
    try {
      createFlowcast({ apiUrl: 'http://127.0.0.1:1/api', env: {}, transport: 'webhook' })
    } catch (error) {
      caught = error
    }
    expect(isFlowcastError(caught, 'INVALID_OPTIONS')).toBe(true)
  })
})
