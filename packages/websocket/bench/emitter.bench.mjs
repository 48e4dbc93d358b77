// Emitter throughput against a baseline of raw `ws` `send` of the same serialized events, and
// the cost of a reconnect with 10,000 unconfirmed events. Runs on the built package (dist):
//   node packages/websocket/bench/emitter.bench.mjs   (or `pnpm bench` at the root)
// To profile one side alone (6 runs of 20,000 events, no figures written):
//   node --cpu-prof packages/websocket/bench/emitter.bench.mjs --only=flowcast|baseline
// The server is a bare `ws` server on loopback that only counts frames (and answers the auth
// handshake and protocol pings), so the figures measure the sending side.
import { performance } from 'node:perf_hooks'
import { WebSocket, WebSocketServer } from 'ws'
import { createEvent, serializeEvent } from '@flowcast/core'
import { createEventsEmitter } from '@flowcast/websocket'
import { figure, median, rounds, writeFigures } from '../../../tooling/bench/figures.mjs'

const EVENTS = 20_000
const RESEND = 10_000
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
if (only !== undefined && only !== 'flowcast' && only !== 'baseline') {
  throw new Error(`bench: --only=flowcast or --only=baseline, not ${only}`)
}

let received = 0
let onReceived = () => {}
const sockets = new Set()
const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'prefect' })
server.on('connection', (socket) => {
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
  socket.on('message', (data) => {
    // Cheap classification: the auth frame is the only one starting with {"type":"auth".
    if (data.length < 64 && String(data).startsWith('{"type":"auth"')) {
      socket.send('{"type":"auth_success"}')
      return
    }
    received++
    onReceived()
  })
})
await new Promise((resolve) => server.once('listening', resolve))
const apiUrl = `http://127.0.0.1:${server.address().port}/api`

function inputs(count, round) {
  return Array.from({ length: count }, (_, n) => ({
    event: 'bench.order.paid',
    resource: { 'prefect.resource.id': `bench.order.${round}.${n}`, 'bench.amount': String(n) },
    related: [{ 'prefect.resource.id': 'bench.shop.1', 'prefect.resource.role': 'shop' }],
    payload: { amount: n, currency: 'EUR' },
  }))
}

function receivedAtLeast(count) {
  return new Promise((resolve) => {
    if (received >= count) return resolve()
    onReceived = () => {
      if (received >= count) {
        onReceived = () => {}
        resolve()
      }
    }
  })
}

/** Raw ws: connect, auth, send every serialized event, then one ping/pong (all received). */
async function baselineRate(texts) {
  const start = performance.now()
  const socket = new WebSocket(`${apiUrl.replace('http', 'ws')}/events/in`, 'prefect')
  await new Promise((resolve, reject) => {
    socket.once('open', () => socket.send('{"type":"auth","token":null}'))
    socket.once('message', resolve)
    socket.once('error', reject)
  })
  for (const text of texts) socket.send(text)
  await new Promise((resolve) => {
    socket.once('pong', resolve)
    socket.ping()
  })
  const elapsed = performance.now() - start
  socket.close()
  return texts.length / (elapsed / 1000)
}

/** flowcast: emit (validate, serialize, outbox) every event, then close = all confirmed. */
async function flowcastRate(events) {
  const start = performance.now()
  const emitter = createEventsEmitter({ apiUrl, maxOutbox: events.length })
  for (const event of events) emitter.emit(event)
  await emitter.close()
  const elapsed = performance.now() - start
  if (emitter.stats.confirmed !== events.length) throw new Error('bench: events not confirmed')
  return events.length / (elapsed / 1000)
}

/** Time from the server dropping a socket with RESEND unconfirmed events to all resent. */
async function resendMs(round) {
  const emitter = createEventsEmitter({
    apiUrl,
    maxOutbox: RESEND,
    // No checkpoint before the drop, so all RESEND events are still unconfirmed.
    checkpointEvery: RESEND + 1,
    checkpointIntervalMs: 600_000,
    reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 'none' },
  })
  received = 0
  for (const event of inputs(RESEND, `resend-${round}`)) emitter.emit(event)
  await receivedAtLeast(RESEND)
  const start = performance.now()
  for (const socket of sockets) socket.terminate()
  await receivedAtLeast(2 * RESEND)
  const elapsed = performance.now() - start
  if (emitter.stats.resent !== RESEND) throw new Error(`bench: resent ${emitter.stats.resent}`)
  await emitter.close()
  return elapsed
}

// Warm up both paths once, then alternate them in each round.
await baselineRate(inputs(2_000, 'warm').map((i) => serializeEvent(createEvent(i))))
await flowcastRate(inputs(2_000, 'warm'))
if (only) {
  const rates = []
  for (let run = 0; run < 6; run++) {
    const events = inputs(EVENTS, `only-${run}`)
    rates.push(
      only === 'baseline'
        ? await baselineRate(events.map((i) => serializeEvent(createEvent(i))))
        : await flowcastRate(events),
    )
  }
  console.log(`${only}: ${Math.round(median(rates))} events/s (median of 6 runs)`)
  server.close()
  process.exit(0)
}
const results = await rounds(3, async (round) => {
  const events = inputs(EVENTS, round)
  const texts = events.map((i) => serializeEvent(createEvent(i)))
  const base = await baselineRate(texts)
  const ours = await flowcastRate(events)
  return { base, ours, ratio: ours / base, resend: await resendMs(round) }
})

writeFigures(
  new URL('./emitter-results.json', import.meta.url),
  [
    figure({
      id: 'emitter.throughput',
      name: `emitter events/s, confirmed by checkpoints (${EVENTS.toLocaleString('en-US')} events; baseline: raw ws send of the serialized events)`,
      value: median(results.map((r) => r.ours)),
      unit: 'events/s',
      baseline: median(results.map((r) => r.base)),
    }),
    figure({
      id: 'emitter.ratio',
      name: 'emitter throughput ÷ raw ws send (median of per-round ratios)',
      value: median(results.map((r) => r.ratio)),
      unit: '×',
      target: { atLeast: 0.8 },
    }),
    figure({
      id: 'emitter.resend_ms',
      name: `time to resend ${RESEND.toLocaleString('en-US')} unconfirmed events after a reconnect`,
      value: median(results.map((r) => r.resend)),
      unit: 'ms',
    }),
  ],
  `emitter benchmark (Node ${process.version}; median of 3 rounds)`,
)
server.close()
