// Logs/s through the logs subscriber against raw `ws` + `JSON.parse`, measured in the same run
// over the same loopback server (run `pnpm build` first; `pnpm --filter @flowcast/websocket bench`).
// Prints `figure | flowcast | baseline | ratio | target | met` and writes bench/logs-results.json.
import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { WebSocket, WebSocketServer } from 'ws'
import { createLogsSubscriber } from '../dist/index.node.js'

const frameCount = 20_000
const rounds = 7
const target = 0.8
let run = 0
let frames = []

function logFrame(n) {
  const timestamp = new Date(Date.now() - 30_000 + n).toISOString().replace('Z', '000Z')
  const id = `0190a000-0000-7000-8000-${String(run * frameCount + n).padStart(12, '0')}`
  return JSON.stringify({
    type: 'log',
    log: {
      id,
      created: timestamp,
      updated: timestamp,
      name: 'prefect.flow_runs',
      level: 20,
      message: `Processed batch ${n} of the nightly load`,
      timestamp,
      flow_run_id: '0190a000-0000-7000-8000-0000000000aa',
      task_run_id: null,
    },
  })
}

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'prefect' })
server.on('connection', (socket) => {
  socket.on('message', (data) => {
    const message = JSON.parse(String(data))
    if (message.type === 'auth') socket.send('{"type":"auth_success"}')
    else if (message.type === 'filter' || message.type === 'go') {
      for (const frame of frames) socket.send(frame)
    }
  })
})
await new Promise((resolve) => server.once('listening', resolve))
const port = server.address().port

function freshFrames() {
  run++
  frames = Array.from({ length: frameCount }, (_, n) => logFrame(n))
}

async function baseline() {
  const started = performance.now()
  await new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/api/logs/out`)
    let seen = 0
    socket.on('open', () => socket.send('{"type":"go"}'))
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data))
      if (frame.log?.id) seen++
      if (seen === frameCount) {
        socket.close()
        resolve()
      }
    })
    socket.on('error', reject)
  })
  return frameCount / ((performance.now() - started) / 1000)
}

async function flowcast() {
  const started = performance.now()
  const subscriber = createLogsSubscriber({
    apiUrl: `http://127.0.0.1:${port}/api`,
    filter: { flow_run_id: { any_: ['0190a000-0000-7000-8000-0000000000aa'] } },
  })
  let seen = 0
  await new Promise((resolve) => {
    subscriber.onLog(() => {
      seen++
      if (seen === frameCount) resolve()
    })
  })
  const rate = frameCount / ((performance.now() - started) / 1000)
  await subscriber.close()
  return rate
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const base = []
const ours = []
// Warm-up, then alternate so both see the same machine load.
freshFrames()
await baseline()
freshFrames()
await flowcast()
for (let i = 0; i < rounds; i++) {
  freshFrames()
  base.push(await baseline())
  freshFrames()
  ours.push(await flowcast())
}
server.close()

const value = median(ours)
const baselineValue = median(base)
const ratio = value / baselineValue
const result = {
  id: 'logs.ratio',
  name: 'logs/s through the logs subscriber vs raw ws + JSON.parse',
  value: Math.round(value),
  unit: 'logs/s',
  baseline: Math.round(baselineValue),
  ratio: Number(ratio.toFixed(3)),
  target,
  met: ratio >= target,
}
const line = [
  'figure'.padEnd(22),
  'flowcast'.padStart(12),
  'baseline'.padStart(12),
  'ratio'.padStart(7),
  'target'.padStart(7),
  'met',
].join(' | ')
console.log(line)
console.log(
  [
    'logs/s (logs.ratio)'.padEnd(22),
    String(result.value).padStart(12),
    String(result.baseline).padStart(12),
    result.ratio.toFixed(2).padStart(7),
    `≥ ${target}`.padStart(7),
    result.met ? 'yes' : 'no',
  ].join(' | '),
)
writeFileSync(
  new URL('./logs-results.json', import.meta.url),
  `${JSON.stringify([result], null, 2)}\n`,
)
