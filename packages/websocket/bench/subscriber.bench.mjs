// Subscriber throughput against a baseline of raw `ws` + `JSON.parse`, measured in the same run
// over the same loopback server with the same frames. Runs on the built package (dist):
//   node packages/websocket/bench/subscriber.bench.mjs   (or `pnpm bench` at the root)
// Profile one side with
//   node --cpu-prof packages/websocket/bench/subscriber.bench.mjs --only=flowcast [--bulk]
import { performance } from 'node:perf_hooks'
import { WebSocket, WebSocketServer } from 'ws'
import { createEventsSubscriber } from '@flowcast/websocket'
import { eventFrame, serverTextFrame } from '../../../tooling/bench/event-frames.mjs'
import { figure, median, rounds, writeFigures } from '../../../tooling/bench/figures.mjs'

const FRAMES = 10_000
const ITERATIONS = 10
const WARMUP = 2
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length)
let frames = []
let wire = Buffer.alloc(0)
let batch = 0

// Fresh ids for every iteration, so dedupe sees new events as in a live stream.
function freshFrames() {
  batch++
  frames = Array.from({ length: FRAMES }, (_, n) => eventFrame(n, batch * FRAMES + n))
  wire = Buffer.concat(frames.map(serverTextFrame))
}

// Two server modes. 'send': one `ws` send per frame, as a real server does (the issue's
// measurement; the server's work, in this same process, is part of both sides' time).
// 'bulk': all frames encoded in advance and written at once, so only the receiving client is
// measured: the stricter ratio.
let mode = 'send'

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'prefect' })
server.on('connection', (socket) => {
  socket.on('message', (data) => {
    const message = JSON.parse(String(data))
    if (message.type === 'auth') socket.send('{"type":"auth_success"}')
    else if (message.type === 'filter' || message.type === 'go') {
      if (mode === 'bulk') socket._socket.write(wire)
      else for (const frame of frames) socket.send(frame)
    }
  })
})
await new Promise((resolve) => server.once('listening', resolve))
const port = server.address().port

// Both sides speak the same handshake (auth, auth_success, filter) and are timed from the
// socket's creation to the last event; closing is not timed.
function baselineOnce() {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events/out`, 'prefect')
    let seen = 0
    socket.on('open', () => socket.send('{"type":"auth","token":null}'))
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data))
      if (frame.type === 'auth_success') {
        socket.send('{"type":"filter","filter":{"event":{"prefix":["prefect.flow-run."]}}}')
      } else if (frame.event?.id) seen++
      if (seen === FRAMES) {
        resolve(() => socket.close())
      }
    })
    socket.on('error', reject)
  })
}

async function flowcastOnce() {
  const subscriber = createEventsSubscriber({
    apiUrl: `http://127.0.0.1:${port}/api`,
    filter: { event: { prefix: ['prefect.flow-run.'] } },
    lookbackMs: 60_000,
  })
  let seen = 0
  await new Promise((resolve) => {
    subscriber.onEvent(() => {
      seen++
      if (seen === FRAMES) resolve()
    })
  })
  return () => subscriber.close()
}

/** Events per second over ITERATIONS receptions of FRAMES fresh frames (after a warm-up). */
async function eventsPerSecond(once) {
  for (let i = 0; i < WARMUP; i++) {
    freshFrames()
    await (
      await once()
    )()
  }
  let elapsed = 0
  for (let i = 0; i < ITERATIONS; i++) {
    freshFrames()
    const start = performance.now()
    const close = await once()
    elapsed += performance.now() - start
    await close()
  }
  return (FRAMES * ITERATIONS) / (elapsed / 1000)
}

/** Median events/s of both sides and of their per-round ratio over 3 alternating rounds. */
async function compare() {
  // Alternate baseline and flowcast so load from elsewhere on the machine hits both alike.
  const results = await rounds(3, async () => {
    const base = await eventsPerSecond(baselineOnce)
    const ours = await eventsPerSecond(flowcastOnce)
    return { base, ours, ratio: ours / base }
  })
  return {
    base: median(results.map((r) => r.base)),
    ours: median(results.map((r) => r.ours)),
    ratio: median(results.map((r) => r.ratio)),
  }
}

if (only) {
  mode = process.argv.includes('--bulk') ? 'bulk' : 'send'
  const rate = await eventsPerSecond(only === 'baseline' ? baselineOnce : flowcastOnce)
  console.log(`${only} (${mode}): ${Math.round(rate)} events/s`)
} else {
  const send = await compare()
  mode = 'bulk'
  const bulk = await compare()
  const frames = FRAMES.toLocaleString('en-US')
  writeFigures(
    new URL('./results.json', import.meta.url),
    [
      figure({
        id: 'subscriber.throughput',
        name: `subscriber events/s (${frames} frames, one ws send each; parse, validate, dedupe, filter, cursor)`,
        value: send.ours,
        unit: 'events/s',
        baseline: send.base,
        target: { atLeast: 100_000 },
      }),
      figure({
        id: 'subscriber.ratio',
        name: 'subscriber throughput ÷ raw ws + JSON.parse (median of per-round ratios)',
        value: send.ratio,
        unit: '×',
        target: { atLeast: 0.8 },
      }),
      figure({
        id: 'subscriber.throughput_client_only',
        name: `subscriber events/s, frames written at once (client cost only)`,
        value: bulk.ours,
        unit: 'events/s',
        baseline: bulk.base,
      }),
      figure({
        id: 'subscriber.ratio_client_only',
        name: 'the same ÷ raw ws + JSON.parse, client cost only (median of per-round ratios)',
        value: bulk.ratio,
        unit: '×',
      }),
    ],
    `subscriber benchmark (Node ${process.version}; median of 3 rounds)`,
  )
}
server.close()
