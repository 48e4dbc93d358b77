// Fake server capacity, so users know its limits in their own suites. Runs on the built
// package (dist):  node packages/fake-server/bench/capacity.bench.mjs  (or `pnpm bench`).
//   - fan-out: events/s the fake publishes while every one of N concurrent `/events/out`
//     subscribers receives every event (baseline: a bare `ws` server broadcasting the same
//     frames to the same number of clients);
//   - REST: `POST /flow_runs/filter` requests/s with 16 requests in flight (baseline: a bare
//     `node:http` server answering the same body).
// The clients run in this process too and only count frames, so the figures are a floor.
import { createServer } from 'node:http'
import { performance } from 'node:perf_hooks'
import { setImmediate as tick } from 'node:timers/promises'
import { WebSocket, WebSocketServer } from 'ws'
import { createFakePrefectServer } from '@flowcast/fake-server'
import { figure, median, rounds, writeFigures } from '../../../tooling/bench/figures.mjs'

const FANOUT = [1, 10, 100]
// Events per round: 1,000, but 200 with 100 subscribers (20,000 frames), which keeps the
// whole capacity bench near a minute on a loaded 2-core machine.
const eventsFor = (subscribers) => (subscribers >= 100 ? 200 : 1_000)
const BURST = 100
const REQUESTS = 200
const IN_FLIGHT = 16

function eventInput(n, round) {
  return {
    event: 'prefect.flow-run.Running',
    resource: { 'prefect.resource.id': `prefect.flow-run.bench-${round}-${n}` },
    payload: { n },
  }
}

/** Opens `count` raw subscribers; resolves with a function that waits for `events` each. */
async function subscribe(url, count, handshake) {
  const counts = new Array(count).fill(0)
  let target = Infinity
  let done = () => {}
  let finished = 0
  const sockets = await Promise.all(
    counts.map(
      (_, i) =>
        new Promise((resolve, reject) => {
          const socket = new WebSocket(url, 'prefect')
          socket.on('error', reject)
          socket.on('message', (data) => {
            // Only event frames are long; the handshake answers are short.
            if (data.length < 40) {
              if (handshake) socket.send(handshake)
              resolve(socket)
              return
            }
            if (++counts[i] === target && ++finished === count) done()
          })
          socket.on('open', () => {
            if (handshake) socket.send('{"type":"auth","token":null}')
            else resolve(socket)
          })
        }),
    ),
  )
  return {
    received: (events) =>
      new Promise((resolve) => {
        target = events
        finished = counts.filter((c) => c >= events).length
        done = resolve
        if (finished === count) resolve()
      }),
    close: () => sockets.forEach((s) => s.close()),
  }
}

async function fakeFanout(subscribers, round) {
  const EVENTS = eventsFor(subscribers)
  const fake = await createFakePrefectServer({
    pingIntervalMs: 0,
    subscriberBacklog: EVENTS * 2,
  })
  const ws = fake.apiUrl.replace(/^http/, 'ws')
  const filter = JSON.stringify({
    type: 'filter',
    filter: {
      event: { prefix: ['prefect.flow-run.'] },
      occurred: { since: new Date().toISOString(), until: '2100-01-01T00:00:00Z' },
    },
  })
  const clients = await subscribe(`${ws}/events/out`, subscribers, filter)
  while (fake.openConnections.length < subscribers) await tick()
  await new Promise((resolve) => setTimeout(resolve, 100))
  const start = performance.now()
  for (let n = 0; n < EVENTS; n++) {
    fake.publishEvent(eventInput(n, round))
    if (n % BURST === BURST - 1) await tick()
  }
  await clients.received(EVENTS)
  const rate = EVENTS / ((performance.now() - start) / 1000)
  clients.close()
  await fake.close()
  return rate
}

async function bareFanout(subscribers, frames) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  const clients = await subscribe(`ws://127.0.0.1:${server.address().port}`, subscribers, null)
  const start = performance.now()
  for (let n = 0; n < frames.length; n++) {
    for (const client of server.clients) client.send(frames[n])
    if (n % BURST === BURST - 1) await tick()
  }
  await clients.received(frames.length)
  const rate = frames.length / ((performance.now() - start) / 1000)
  clients.close()
  await new Promise((resolve) => server.close(resolve))
  return rate
}

async function requestsPerSecond(url, body) {
  let sent = 0
  const worker = async () => {
    while (sent < REQUESTS) {
      sent++
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      if (response.status !== 200) throw new Error(`bench: status ${response.status}`)
      await response.arrayBuffer()
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  return REQUESTS / ((performance.now() - start) / 1000)
}

async function rest() {
  const fake = await createFakePrefectServer({ pingIntervalMs: 0 })
  const deployment = fake.createDeployment()
  for (let i = 0; i < 100; i++) fake.createFlowRun({ deploymentId: deployment.id })
  const filterUrl = `${fake.apiUrl}/flow_runs/filter`
  const body = JSON.stringify({ limit: 10, sort: 'ID_DESC' })
  const answer = await (await fetch(filterUrl, { method: 'POST', body })).text()
  const bare = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(answer)
    })
  })
  await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve))
  const bareUrl = `http://127.0.0.1:${bare.address().port}/api/flow_runs/filter`
  await requestsPerSecond(bareUrl, body) // warm-up
  await requestsPerSecond(filterUrl, body)
  const result = await rounds(3, async () => ({
    base: await requestsPerSecond(bareUrl, body),
    ours: await requestsPerSecond(filterUrl, body),
  }))
  bare.close()
  await fake.close()
  return result
}

const figures = []
for (const subscribers of FANOUT) {
  const results = await rounds(3, async (round) => {
    const ours = await fakeFanout(subscribers, `${subscribers}-${round}`)
    const frames = Array.from({ length: eventsFor(subscribers) }, (_, n) =>
      JSON.stringify({ type: 'event', event: { ...eventInput(n, round), id: String(n) } }),
    )
    return { ours, base: await bareFanout(subscribers, frames) }
  })
  figures.push(
    figure({
      id: `fake_server.fanout_${subscribers}`,
      name: `fake server events/s with ${subscribers} subscriber(s), each receiving every event (baseline: bare ws broadcast)`,
      value: median(results.map((r) => r.ours)),
      unit: 'events/s',
      baseline: median(results.map((r) => r.base)),
    }),
  )
}
const restResults = await rest()
figures.push(
  figure({
    id: 'fake_server.flow_runs_filter_rps',
    name: `fake server POST /flow_runs/filter requests/s (${IN_FLIGHT} in flight; baseline: bare node:http)`,
    value: median(restResults.map((r) => r.ours)),
    unit: 'requests/s',
    baseline: median(restResults.map((r) => r.base)),
  }),
)
writeFigures(
  new URL('./results.json', import.meta.url),
  figures,
  `fake server capacity (Node ${process.version}; median of 3 rounds)`,
)
