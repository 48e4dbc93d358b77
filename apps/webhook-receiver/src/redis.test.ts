import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { eventTemplate } from '@flowcast/webhook'
import { createReceiverApp, type ReceiverApp } from './app.js'
import { readConfig } from './config.js'
import { registerHandlers } from './handlers.js'

// A throwaway redis-server on a free loopback port, without persistence
// (tooling/scripts/ensure-redis.sh installs it when missing).
let redis: ChildProcess
let redisUrl: string
beforeAll(async () => {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = (probe.address() as AddressInfo).port
  probe.close()
  await once(probe, 'close')
  redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  await new Promise<void>((resolve, reject) => {
    let out = ''
    redis.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('Ready to accept')) resolve()
    })
    redis.once('error', reject)
  })
  redisUrl = `redis://127.0.0.1:${port}`
})
afterAll(async () => {
  if (redis?.exitCode === null) {
    redis.kill('SIGTERM')
    await once(redis, 'exit')
  }
})

describe('two instances of the service on one Redis', () => {
  it('run the handler once when Prefect posts the same event to both', async () => {
    const finished: string[] = []
    const logger = {
      debug() {},
      info: (message: string, data?: Record<string, unknown>) => {
        if (message === 'flow run finished') finished.push(String(data?.['flowRunId']))
      },
      warn() {},
      error() {},
    }
    const config = readConfig({ WEBHOOK_SECRET: 's3cret', REDIS_URL: redisUrl })
    const apps: ReceiverApp[] = []
    const urls: string[] = []
    for (let i = 0; i < 2; i++) {
      const app = await createReceiverApp(config, logger)
      registerHandlers(app.receiver, logger)
      app.server.listen(0, '127.0.0.1')
      await once(app.server, 'listening')
      apps.push(app)
      urls.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hooks/prefect`)
    }
    const prefect = await createFakePrefectServer()
    try {
      for (const url of urls) {
        prefect.addAutomation({
          trigger: { expect: ['prefect.flow-run.*'] },
          action: { url, headers: { Authorization: 'Bearer s3cret' }, payload: eventTemplate },
        })
      }
      const run = prefect.createFlowRun()
      await prefect.runLifecycle(run.id, ['Pending', 'Running', 'Completed'])
      await prefect.settleWebhooks()
      expect(finished).toEqual([run.id])
      const health = await fetch(urls[0]!.replace('/hooks/prefect', '/healthz'))
      expect(await health.json()).toEqual({ status: 'ok' })
    } finally {
      await prefect.close()
      for (const app of apps) await app.close()
    }
  })
})
