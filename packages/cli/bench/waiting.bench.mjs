// Benchmark of waiting at scale (not a timed test). Runs on the built packages (dist), so
// `pnpm bench` at the root builds first; run it directly with
//   node --expose-gc packages/cli/bench/waiting.bench.mjs
// (FLOWCAST_BENCH_WAITS=10000 for a quicker run at the former scale.) For the latency and heap
// figures the fake server runs in a child process (fake-server-process.mjs), so the waits and
// the server that answers them share neither an event loop nor a heap.
// Every figure is printed next to a baseline measured in the same run:
//   - heap per wait (100,000 concurrent waits on one socket): flowcast's hybrid watcher (WebSocket source + batched REST reads) vs. a
//     bare Map of promise resolvers;
//   - latency from the terminal state being published by the fake server to the wait's promise
//     resolving: flowcast vs. a raw `ws` client that JSON.parses each frame and looks the run up;
//   - REST requests per polling tick for 1,000 runs: batched polling vs. one GET per run.
import { fork } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { createRunWatcher } from '@flowcast/core'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { createPollingRunStateSource, createPrefectClient } from '@flowcast/polling'
import { createWebSocketRunStateSource } from '@flowcast/websocket'
import WebSocket from 'ws'
import {
  figure,
  heapUsed,
  median,
  percentile,
  rounds,
  writeFigures,
} from '../../../tooling/bench/figures.mjs'

const WAITS = Number(process.env.FLOWCAST_BENCH_WAITS ?? 100_000)
const POLLED = 1_000
const BATCH = 50
const BATCH_GAP_MS = 5

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc (the bench script does)')
  process.exit(2)
}

const benchStart = performance.now()
/** One progress line on stderr, so a slow phase shows where the time went. */
const progress = (what) =>
  console.error(`bench: ${((performance.now() - benchStart) / 1000).toFixed(1)} s ${what}`)

async function until(check, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error('bench: condition not met in time')
    await sleep(5)
  }
}

/** Wall-clock milliseconds comparable across processes. */
const wallNow = () => performance.timeOrigin + performance.now()

/** A fake server in a child process, with `runs` flow runs; `call(op, args)` drives it. */
async function remoteServer(runs) {
  const child = fork(new URL('./fake-server-process.mjs', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const pending = new Map()
  let nextId = 0
  const apiUrl = await new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`bench: fake server exited (${code})`)))
    child.on('message', (message) => {
      if (message.ready) return resolve(message.apiUrl)
      const call = pending.get(message.id)
      pending.delete(message.id)
      if (message.error) call?.reject(new Error(message.error))
      else call?.resolve(message.value)
    })
  })
  const call = (op, args) =>
    new Promise((resolve, reject) => {
      const id = nextId++
      pending.set(id, { resolve, reject })
      child.send({ id, op, args })
    })
  // The child's clock minus ours, from the round trip with the least delay.
  let offset = 0
  let best = Infinity
  for (let i = 0; i < 20; i++) {
    const sent = wallNow()
    const theirs = await call('now')
    const back = wallNow()
    if (back - sent < best) {
      best = back - sent
      offset = theirs - (sent + back) / 2
    }
  }
  const ids = await call('createRuns', { count: runs })
  progress(`fake server up with ${runs} runs`)
  return {
    apiUrl,
    ids,
    call,
    /** Publishes COMPLETED for every id at a steady pace; when each was, on our clock. */
    complete: async (list) =>
      (await call('complete', { ids: list, batch: BATCH, gapMs: BATCH_GAP_MS })).map(
        (at) => at - offset,
      ),
    close: () => call('close'),
  }
}

// ---------------------------------------------------------------------------------------
// Baseline: raw ws + JSON.parse + Map lookup (and a bare Map of resolvers for memory)

async function baseline(server) {
  const fake = await server
  const { ids } = fake
  const before = await heapUsed()
  const resolvers = new Map()
  const promises = ids.map((id) => new Promise((resolve) => resolvers.set(id, resolve)))
  const heapPerWait = ((await heapUsed()) - before) / WAITS
  progress('baseline: waits registered')

  const socket = new WebSocket(`${fake.apiUrl.replace(/^http/, 'ws')}/events/out`, 'prefect')
  const resolvedAt = new Map()
  await new Promise((resolve, reject) => {
    socket.on('error', reject)
    socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', token: null })))
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data))
      if (frame.type === 'auth_success') {
        // From now on: no replay of the runs' Scheduled events, only what is measured.
        const since = new Date().toISOString()
        socket.send(
          JSON.stringify({
            type: 'filter',
            filter: {
              event: { prefix: ['prefect.flow-run.'] },
              occurred: { since, until: '2100-01-01T00:00:00Z' },
            },
          }),
        )
        resolve()
        return
      }
      if (frame.type !== 'event') return
      const labels = frame.event.resource
      if (labels['prefect.state-type'] !== 'COMPLETED') return
      const id = labels['prefect.resource.id'].slice('prefect.flow-run.'.length)
      const done = resolvers.get(id)
      if (done) {
        resolvers.delete(id)
        resolvedAt.set(id, wallNow())
        done()
      }
    })
  })
  await fake.call('waitForSubscriber')
  await sleep(200)
  await heapUsed() // start both latency phases from a collected heap
  const publishedAt = await fake.complete(ids)
  progress('baseline: terminal states published')
  await Promise.all(promises)
  progress('baseline: every wait resolved')
  const latencies = ids.map((id, i) => resolvedAt.get(id) - publishedAt[i]).sort((a, b) => a - b)
  socket.close()
  await fake.close()
  return { heapPerWait, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
}

// ---------------------------------------------------------------------------------------
// flowcast: hybrid watcher over one WebSocket + batched REST reads

async function flowcast(server) {
  const fake = await server
  const { ids } = fake
  // Timeouts loosened for a loaded machine: the 500 batched first reads queue at the fake
  // server for longer than the default 30 s, and a wait must not end as transport_failed
  // before the states it measures are published.
  const client = createPrefectClient({ apiUrl: fake.apiUrl, retries: 0, timeoutMs: 600_000 })
  const polling = createPollingRunStateSource({ client })
  // No look-back, as the baseline subscribes from now: the server would otherwise replay the
  // creation events of the 100,000 runs made in the last minute before the first wait.
  const websocket = createWebSocketRunStateSource({
    apiUrl: fake.apiUrl,
    WebSocket,
    lookbackMs: 0,
    connectTimeoutMs: 120_000,
    stallTimeoutMs: 600_000,
  })
  const watcher = createRunWatcher({
    sources: { push: websocket, pull: polling },
    // Measure the WebSocket path: no fallback reads while it connects, and no reconciliation
    // reads during the run (at the default 30 s, 100,000 runs are re-read every 30 s: 500
    // batched reads of 200 runs, which this bench is not about).
    fallbackPolling: { initialDelayMs: 60_000 },
    reconcileIntervalMs: 600_000,
    transportFailureMs: 600_000,
  })
  // Warm up: open the shared subscription before measuring memory.
  const [warm] = await fake.call('createRuns', { count: 1 })
  const warmWait = watcher.wait(warm)
  await until(() => websocket.health === 'healthy')
  await fake.complete([warm])
  await warmWait
  await until(async () => (await fake.call('httpRequests')) >= 1)
  await fake.call('clearRecorder')
  progress('flowcast: socket open')

  const before = await heapUsed()
  const waits = ids.map((id) => watcher.wait(id))
  // Wait for the initial (batched) reads to be answered, so only retained state is counted.
  const reads = Math.ceil(WAITS / 200)
  await until(async () => (await fake.call('httpRequests')) >= reads, 600_000)
  await sleep(200)
  const heapPerWait = ((await heapUsed()) - before) / WAITS
  progress('flowcast: waits registered, initial reads answered')
  // Timed from here on, and not part of the heap per wait: the bench's own bookkeeping.
  const resolvedAt = new Map()
  const promises = waits.map((wait, i) =>
    wait.then((result) => {
      resolvedAt.set(ids[i], wallNow())
      return result
    }),
  )

  const publishedAt = await fake.complete(ids)
  progress('flowcast: terminal states published')
  const results = await Promise.all(promises)
  progress('flowcast: every wait resolved')
  const viaWebSocket = results.filter(
    (r) => r.outcome === 'terminal' && r.source === 'websocket',
  ).length
  const outcomes = {}
  for (const r of results) {
    const key = `${r.outcome}/${r.source ?? r.reason ?? r.error?.code ?? '?'}`
    outcomes[key] = (outcomes[key] ?? 0) + 1
  }
  console.error(`bench: ${WAITS} waits ended as ${JSON.stringify(outcomes)}`)
  // Only waits that ended on the terminal state have a latency; a wait that failed earlier
  // would count as negative. With none, the latency figures are missing (and not met).
  const latencies = ids
    .map((id, i) => (results[i].outcome === 'terminal' ? resolvedAt.get(id) - publishedAt[i] : NaN))
    .filter((latency) => !Number.isNaN(latency))
    .sort((a, b) => a - b)
  const sockets = await fake.call('outSockets')
  watcher.close()
  polling.close()
  await websocket.close()
  await fake.close()
  return {
    heapPerWait,
    p50: percentile(latencies, 50) ?? null,
    p99: percentile(latencies, 99) ?? null,
    viaWebSocket,
    sockets,
  }
}

// ---------------------------------------------------------------------------------------
// Requests per polling tick for 1,000 runs

async function pollingCost(round) {
  const fake = await createFakePrefectServer({ pingIntervalMs: 0 })
  const deployment = fake.createDeployment()
  const ids = Array.from(
    { length: POLLED },
    () => fake.createFlowRun({ deploymentId: deployment.id }).id,
  )
  const client = createPrefectClient({ apiUrl: fake.apiUrl, retries: 0 })
  // Baseline: one GET per run per tick. The count cannot vary, and a thousand GETs take seconds
  // here, so it is measured in the first round only.
  fake.recorder.clear()
  // 16 in flight: a thousand at once spends seconds opening sockets, and the count is the same.
  const queue = round === 0 ? [...ids] : []
  const reader = async () => {
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) await client.readFlowRun(id)
  }
  await Promise.all(Array.from({ length: 16 }, reader))
  const naivePerTick = round === 0 ? fake.recorder.httpRequests.length : undefined

  const polling = createPollingRunStateSource({
    client,
    intervalMs: 3_600_000,
    maxIntervalMs: 3_600_000,
  })
  const watcher = createRunWatcher({
    sources: { push: polling, pull: polling },
    reconcileIntervalMs: Infinity,
  })
  const waits = ids.map((id) => watcher.wait(id))
  await until(() => polling.health === 'healthy')
  await sleep(200)
  fake.recorder.clear()
  const TICKS = 5
  for (let tick = 0; tick < TICKS; tick++) {
    if (tick === 2) {
      for (const id of ids.slice(0, 100))
        fake.setFlowRunState(id, { type: 'COMPLETED' }, { force: true })
    }
    await polling.pollNow()
  }
  const perTick = fake.recorder.httpRequests.length / TICKS
  watcher.close()
  polling.close()
  await Promise.all(waits)
  await fake.close()
  return { perTick, naivePerTick }
}

// The 100,000-waits figures come from one round each (the issue allows it: a round takes tens
// of seconds); the polling figure is the median of 3 rounds.
// Both servers (and their runs) are made at once, each in its own process.
const servers = [remoteServer(WAITS), remoteServer(WAITS)]
const base = await baseline(servers[0])
const ours = await flowcast(servers[1])
const costs = await rounds(3, (round) => pollingCost(round))
const perTick = median(costs.map((c) => c.perTick))
const naivePerTick = costs[0].naivePerTick
const waits = WAITS.toLocaleString('en-US')

writeFigures(
  new URL('./results.json', import.meta.url),
  [
    figure({
      id: 'waits.heap_per_wait',
      name: `heap per wait (${waits} concurrent waits; baseline: a Map of promise resolvers)`,
      value: ours.heapPerWait,
      unit: 'B',
      baseline: base.heapPerWait,
      target: { atMost: 1024 },
    }),
    figure({
      id: 'waits.p50_ms',
      name: `terminal frame → resolved, p50 (${waits} waits; baseline: raw ws + JSON.parse + Map)`,
      value: ours.p50,
      unit: 'ms',
      baseline: base.p50,
    }),
    figure({
      id: 'waits.p99_ms',
      name: `terminal frame → resolved, p99 (${waits} waits; baseline: raw ws + JSON.parse + Map)`,
      value: ours.p99,
      unit: 'ms',
      baseline: base.p99,
      target: { atMost: 20 },
    }),
    figure({
      id: 'waits.via_websocket',
      name: `waits learned over the one socket (of ${waits}; sockets used: ${ours.sockets})`,
      value: ours.viaWebSocket,
      unit: 'waits',
      target: { atLeast: WAITS },
    }),
    figure({
      id: 'polling.requests_per_tick',
      name: `REST requests per polling tick (${POLLED.toLocaleString('en-US')} runs; baseline: one GET per run)`,
      value: perTick,
      unit: 'requests',
      baseline: naivePerTick,
      target: { atMost: 1 },
    }),
  ],
  `waiting benchmark (Node ${process.version}; ${waits} waits, ${BATCH} terminal states every ${BATCH_GAP_MS} ms)`,
)
