// Subscriber throughput with OpenTelemetry instrumentation on (the SDK's meter with a reader
// that never exports) against the same subscriber with none, in the same run, over the same
// loopback server and the same frames. Runs on the built packages (dist):
//   node packages/otel/bench/subscriber.bench.mjs   (or `pnpm bench` at the root)
import { performance } from 'node:perf_hooks'
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { WebSocketServer } from 'ws'
import { createEventsSubscriber } from '@flowcast/websocket'
import { createOpenTelemetryInstrumentation } from '@flowcast/otel'
import { eventFrame, serverTextFrame } from '../../../tooling/bench/event-frames.mjs'
import { figure, median, rounds, writeFigures } from '../../../tooling/bench/figures.mjs'

const FRAMES = 10_000
const ITERATIONS = 4
const WARMUP = 2
const ROUNDS = 5
let wire = Buffer.alloc(0)
let batch = 0

// Fresh ids for every iteration, so dedupe sees new events as in a live stream. The frames are
// encoded in advance and written at once: only the receiving client is measured (the stricter
// ratio, since the server's work would otherwise dilute the difference).
function freshFrames() {
  batch++
  const frames = Array.from({ length: FRAMES }, (_, n) => eventFrame(n, batch * FRAMES + n))
  wire = Buffer.concat(frames.map(serverTextFrame))
}

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'prefect' })
server.on('connection', (socket) => {
  socket.on('message', (data) => {
    const message = JSON.parse(String(data))
    if (message.type === 'auth') socket.send('{"type":"auth_success"}')
    else if (message.type === 'filter') socket._socket.write(wire)
  })
})
await new Promise((resolve) => server.once('listening', resolve))
const apiUrl = `http://127.0.0.1:${server.address().port}/api`

class NeverExportingReader extends MetricReader {
  onForceFlush() {
    return Promise.resolve()
  }
  onShutdown() {
    return Promise.resolve()
  }
}
const reader = new NeverExportingReader()
const meterProvider = new MeterProvider({ readers: [reader] })
const tracerProvider = new BasicTracerProvider()
const instrumentation = createOpenTelemetryInstrumentation({ meterProvider, tracerProvider })

function receive(options) {
  return async () => {
    const subscriber = createEventsSubscriber({
      apiUrl,
      filter: { event: { prefix: ['prefect.flow-run.'] } },
      lookbackMs: 60_000,
      ...options,
    })
    let seen = 0
    await new Promise((resolve) => {
      subscriber.onEvent(() => {
        if (++seen === FRAMES) resolve()
      })
    })
    return () => subscriber.close()
  }
}
const off = receive({})
const on = receive({ instrumentation })

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

// Alternate off and on, and which goes first, so load from elsewhere on the machine and
// warm-up hit both alike.
const results = await rounds(ROUNDS, async (round) => {
  let base
  let ours
  if (round % 2 === 0) {
    base = await eventsPerSecond(off)
    ours = await eventsPerSecond(on)
  } else {
    ours = await eventsPerSecond(on)
    base = await eventsPerSecond(off)
  }
  return { base, ours, ratio: ours / base }
})

// The instrumented side really recorded every event it delivered.
const { resourceMetrics } = await reader.collect()
const consumed = resourceMetrics.scopeMetrics
  .flatMap((scope) => scope.metrics)
  .find((metric) => metric.descriptor.name === 'messaging.client.consumed.messages')
const recorded = consumed?.dataPoints.reduce((sum, point) => sum + point.value, 0) ?? 0
const expected = FRAMES * (WARMUP + ITERATIONS) * ROUNDS
if (recorded !== expected) {
  console.error(`otel bench: recorded ${recorded} consumed messages, expected ${expected}`)
  process.exitCode = 1
}

const frames = FRAMES.toLocaleString('en-US')
writeFigures(
  new URL('./results.json', import.meta.url),
  [
    figure({
      id: 'otel.subscriber_throughput',
      name: `subscriber events/s with OpenTelemetry instrumentation (${frames} frames written at once; SDK meter, no export)`,
      value: median(results.map((r) => r.ours)),
      unit: 'events/s',
      baseline: median(results.map((r) => r.base)),
    }),
    figure({
      id: 'otel.subscriber_ratio',
      name: 'subscriber throughput, instrumentation on ÷ off (median of per-round ratios)',
      value: median(results.map((r) => r.ratio)),
      unit: '×',
      target: { atLeast: 0.95 },
    }),
  ],
  `otel benchmark (Node ${process.version}; median of ${ROUNDS} rounds)`,
)
await meterProvider.shutdown()
server.close()
