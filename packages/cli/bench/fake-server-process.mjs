// A fake Prefect server in its own process, driven over IPC by waiting.bench.mjs, so the
// 100,000 waits and the server that answers them do not share one event loop (or one heap:
// the waits' heap is measured in the parent alone).
//   fork(this file) → { ready, apiUrl }; then { id, op, args } → { id, value } | { id, error }
import { performance } from 'node:perf_hooks'
import { setImmediate } from 'node:timers'
import { setTimeout as sleep } from 'node:timers/promises'
import { createFakePrefectServer } from '@flowcast/fake-server'

const fake = await createFakePrefectServer({ pingIntervalMs: 0, subscriberBacklog: 1_000_000 })
let deployment

/** Wall-clock milliseconds comparable across processes (both derive from the system clock). */
const wallNow = () => performance.timeOrigin + performance.now()

const handlers = {
  now: () => wallNow(),
  createRuns({ count }) {
    deployment ??= fake.createDeployment()
    return Array.from(
      { length: count },
      () => fake.createFlowRun({ deploymentId: deployment.id }).id,
    )
  },
  /** Publishes COMPLETED for every id, `batch` at a time every `gapMs`; returns when each was. */
  async complete({ ids, batch, gapMs }) {
    const publishedAt = new Array(ids.length)
    for (let i = 0; i < ids.length; i += batch) {
      for (let j = i; j < Math.min(ids.length, i + batch); j++) {
        publishedAt[j] = wallNow()
        fake.setFlowRunState(ids[j], { type: 'COMPLETED' }, { force: true })
      }
      if (gapMs > 0) await sleep(gapMs)
    }
    return publishedAt
  },
  httpRequests: () => fake.recorder.httpRequests.length,
  clearRecorder: () => fake.recorder.clear(),
  outSockets: () => fake.recorder.connections.filter((c) => c.kind === 'out').length,
  waitForSubscriber: () => fake.waitForSubscriber({ existing: true }).then(() => true),
  async close() {
    await fake.close()
    setImmediate(() => process.exit(0))
    return true
  },
}

process.on('message', async ({ id, op, args }) => {
  try {
    process.send({ id, value: await handlers[op](args ?? {}) })
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) })
  }
})
process.on('disconnect', () => process.exit(0))
process.send({ ready: true, apiUrl: fake.apiUrl })
