import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { isFlowcastError } from '@flowcast/core'
import { createFakePrefectServer, type FakePrefectServer } from '@flowcast/fake-server'
import { eventTemplate, eventWithAutomationTemplate } from '@flowcast/webhook'
import { createReceiverApp, type ReceiverApp } from './app.js'
import { readConfig } from './config.js'
import { registerHandlers } from './handlers.js'

let prefect: FakePrefectServer | undefined
let app: ReceiverApp | undefined
afterEach(async () => {
  await prefect?.close()
  await app?.close()
  prefect = app = undefined
})

function memoryLogger() {
  const records: { level: string; message: string; data?: Record<string, unknown> }[] = []
  const at = (level: string) => (message: string, data?: Record<string, unknown>) =>
    records.push({ level, message, ...(data ? { data } : {}) })
  return {
    records,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  }
}

async function start(env: Record<string, string>) {
  const { records, logger } = memoryLogger()
  app = await createReceiverApp(readConfig({ HOST: '127.0.0.1', PORT: '0', ...env }), logger)
  registerHandlers(app.receiver, logger)
  app.server.listen(0, '127.0.0.1')
  await once(app.server, 'listening')
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  return { origin, records }
}

describe('webhook-receiver against the fake server automation sender', () => {
  it('runs the handler once per finished run, even when Prefect posts it twice', async () => {
    const { origin, records } = await start({ WEBHOOK_SECRET: 'hook-secret' })
    prefect = await createFakePrefectServer()
    const action = {
      url: `${origin}/hooks/prefect`,
      headers: { Authorization: 'Bearer hook-secret' },
      payload: eventTemplate,
    }
    // Two automations with the bare template post the same event twice.
    prefect.addAutomation({ trigger: { expect: ['prefect.flow-run.*'] }, action })
    prefect.addAutomation({ trigger: { expect: ['prefect.flow-run.*'] }, action })
    const run = prefect.createFlowRun({ name: 'quick-otter' })
    await prefect.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
    await prefect.settleWebhooks()
    const finished = records.filter((r) => r.message === 'flow run finished')
    expect(finished).toEqual([
      {
        level: 'info',
        message: 'flow run finished',
        data: {
          flowRunId: run.id,
          stateType: 'COMPLETED',
          stateName: 'Completed',
          flowRunName: 'quick-otter',
        },
      },
    ])
    const statuses = prefect.recorder.webhookCalls.map((c) => c.status)
    expect(statuses).toHaveLength(8)
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true)
  })

  it('treats two automations as two deliveries with the richer template', async () => {
    const { origin, records } = await start({ WEBHOOK_SECRETS: 'new, old' })
    prefect = await createFakePrefectServer()
    for (const secret of ['new', 'old']) {
      prefect.addAutomation({
        trigger: { expect: ['prefect.flow-run.Failed'] },
        action: {
          url: `${origin}/hooks/prefect`,
          headers: { Authorization: `Bearer ${secret}` },
          payload: eventWithAutomationTemplate,
        },
      })
    }
    const run = prefect.createFlowRun()
    await prefect.runLifecycle(run.id, ['Pending', 'Running', 'Failed'])
    await prefect.settleWebhooks()
    expect(records.filter((r) => r.message === 'flow run finished')).toHaveLength(2)
  })

  it('answers the health check, 401 for a wrong secret, 404 elsewhere', async () => {
    const { origin } = await start({ WEBHOOK_SECRET: 'hook-secret' })
    const health = await fetch(`${origin}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    const wrong = await fetch(`${origin}/hooks/prefect`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
      body: '{}',
    })
    expect(wrong.status).toBe(401)
    expect((await fetch(`${origin}/elsewhere`, { method: 'POST' })).status).toBe(404)
  })
})

describe('readConfig', () => {
  it('needs a secret and checks numbers, naming the variable', () => {
    const fails = (env: Record<string, string>) => {
      try {
        readConfig(env)
      } catch (error) {
        expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
        return (error as Error).message
      }
      throw new Error('expected a failure')
    }
    expect(fails({})).toContain('WEBHOOK_SECRET')
    expect(fails({ WEBHOOK_SECRET: 's', PORT: 'http' })).toContain('PORT')
    expect(fails({ WEBHOOK_SECRET: 's', WEBHOOK_PATH: 'x' })).toContain('WEBHOOK_PATH')
    expect(readConfig({ WEBHOOK_SECRETS: 'a, b', REDIS_URL: 'redis://r:6379' })).toEqual({
      host: '0.0.0.0',
      port: 8080,
      path: '/hooks/prefect',
      secrets: ['a', 'b'],
      redisUrl: 'redis://r:6379',
      maxBodyBytes: 2 * 1024 * 1024,
    })
  })
})
