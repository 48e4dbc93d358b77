import { afterEach, describe, expect, it } from 'vitest'
import { createRunWatcher } from '@flowcast/core'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { createPollingRunStateSource, createPrefectClient } from '@flowcast/polling'
import {
  createWebhookReceiver,
  createWebhookRunStateSource,
  eventTemplate,
  eventWithAutomationTemplate,
  signWebhook,
  type TerminalFlowRunDelivery,
  type WebhookDelivery,
} from '../src/index.js'
import { flowRunEvent, post } from './helpers.js'
import { mount, type Mounted } from './servers.js'

let prefect: FakePrefectServer | undefined
const opened: Mounted[] = []
afterEach(async () => {
  await prefect?.close()
  prefect = undefined
  for (const server of opened.splice(0)) await server.close()
})

const terminal = {
  expect: ['prefect.flow-run.*'],
  match: {
    'prefect.resource.id': 'prefect.flow-run.*',
    'prefect.state-type': ['COMPLETED', 'FAILED', 'CRASHED', 'CANCELLED'],
  },
}

describe('fake server automation → receiver → handler', () => {
  it.each([
    ['the bare template', eventTemplate],
    ['the template with the automation', eventWithAutomationTemplate],
  ])('runs the terminal handler once per finished run with %s', async (_name, payload) => {
    prefect = await createFakePrefectServer()
    const receiver = createWebhookReceiver({ path: '/hook', secrets: 'hook-secret' })
    const finished: TerminalFlowRunDelivery[] = []
    const all: WebhookDelivery[] = []
    receiver.onDelivery((delivery) => {
      all.push(delivery)
    })
    receiver.onFlowRunTerminal((delivery) => {
      finished.push(delivery)
    })
    const server = await mount('node:http', receiver)
    opened.push(server)
    const automation = prefect.addAutomation({
      name: 'run finished',
      trigger: { expect: ['prefect.flow-run.*'] },
      action: { url: server.url, headers: { Authorization: 'Bearer hook-secret' }, payload },
    })
    const run = prefect.createFlowRun({ name: 'quick-otter' })
    await prefect.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    await prefect.settleWebhooks()
    expect(finished).toHaveLength(1)
    expect(finished[0]!.flowRun).toMatchObject({ flowRunId: run.id, type: 'COMPLETED' })
    expect(all.map((d) => d.flowRun?.type)).toEqual([
      'SCHEDULED',
      'PENDING',
      'RUNNING',
      'COMPLETED',
    ])
    if (payload === eventWithAutomationTemplate) {
      expect(finished[0]!.automation).toEqual({ id: automation.id, name: 'run finished' })
    } else {
      expect(finished[0]!.automation).toBeNull()
    }
    const calls = prefect.recorder.webhookCalls
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200])
    expect(calls[0]!.headers['content-type']).toBeUndefined()
  })

  it('records 401 in the automation log for a wrong secret, and Prefect does not retry', async () => {
    prefect = await createFakePrefectServer()
    const receiver = createWebhookReceiver({ path: '/hook', secrets: 'hook-secret' })
    const server = await mount('hono', receiver)
    opened.push(server)
    prefect.addAutomation({
      trigger: terminal,
      action: {
        url: server.url,
        headers: { Authorization: 'Bearer wrong' },
        payload: eventTemplate,
      },
    })
    const run = prefect.createFlowRun()
    await prefect.runLifecycle(run.id, ['Pending', 'Running', 'Failed'])
    await prefect.settleWebhooks()
    expect(prefect.recorder.webhookCalls.map((c) => c.status)).toEqual([401])
    expect(prefect.recorder.webhookCalls[0]!.responseBody).toBe('{"error":"unauthorized"}')
  })

  it('lets waitForFlowRun resolve from the webhook, with polling as a safety net', async () => {
    prefect = await createFakePrefectServer()
    const receiver = createWebhookReceiver({ path: '/hook' })
    const server = await mount('node:http', receiver)
    opened.push(server)
    prefect.addAutomation({
      trigger: terminal,
      action: { url: server.url, payload: eventTemplate },
    })
    const source = createWebhookRunStateSource({ receiver })
    const client = createPrefectClient({ apiUrl: prefect.apiUrl })
    const polling = createPollingRunStateSource({ client })
    const watcher = createRunWatcher({
      sources: { push: source, pull: polling },
      reconcileIntervalMs: 3_600_000,
    })
    const run = prefect.createFlowRun()
    const waiting = watcher.wait(run.id, { timeoutMs: 15_000 })
    await prefect.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    const result = await waiting
    expect(result).toMatchObject({ outcome: 'terminal', stateType: 'COMPLETED', source: 'webhook' })
    watcher.close()
    polling.close()
    source.close()
  })
})

describe('HMAC over the raw body (Standard Webhooks, through a signing proxy)', () => {
  it.each(['node:http', 'express', 'hono'] as const)('verifies on %s', async (kind) => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
    const receiver = createWebhookReceiver({ path: '/hook', hmac: { secrets: [secret] } })
    const dispatched: WebhookDelivery[] = []
    receiver.onDelivery((d) => {
      dispatched.push(d)
    })
    const server = await mount(kind, receiver)
    opened.push(server)
    const event = flowRunEvent()
    const body = JSON.stringify(event)
    const headers = await signWebhook({ secret, id: event.id, body })
    expect((await post(server.url, { headers, body })).status).toBe(200)
    const tampered = body.replace('quick-otter', 'slow-otter')
    expect((await post(server.url, { headers, body: tampered })).status).toBe(401)
    expect((await post(server.url, { body })).status).toBe(401)
    expect(dispatched).toHaveLength(1)
  })
})

describe('createWebhookRunStateSource', () => {
  it('replays the latest state to a watch that starts after the delivery', async () => {
    const receiver = createWebhookReceiver()
    const source = createWebhookRunStateSource({ receiver })
    const server = await mount('node:http', receiver)
    opened.push(server)
    const flowRunId = crypto.randomUUID()
    await post(server.url, { body: JSON.stringify(flowRunEvent({ flowRunId, type: 'CRASHED' })) })
    const watcher = createRunWatcher({ sources: { push: source } })
    const result = await watcher.wait(flowRunId, { timeoutMs: 5_000 })
    expect(result).toMatchObject({ outcome: 'terminal', stateType: 'CRASHED' })
    watcher.close()
    source.close()
  })
})
