// Subscriber throughput against a baseline of raw `ws` + `JSON.parse`, measured in the same
// run over the same loopback server: `pnpm --filter @flowcast/websocket bench`.
// vitest prints ops/s for both and how many times faster the baseline is (the overhead ratio).
import { WebSocket, WebSocketServer } from 'ws'
import { afterAll, beforeAll, bench, describe } from 'vitest'
import { createEventsSubscriber } from '../src/index.node.js'

const frameCount = 5_000
let server: WebSocketServer
let port = 0
let frames: string[] = []
let run = 0

function eventFrame(n: number): string {
  const occurred = new Date(Date.now() - 30_000 + n).toISOString().replace('Z', '000Z')
  const id = `0190a000-0000-7000-8000-${String(run * frameCount + n).padStart(12, '0')}`
  return JSON.stringify({
    type: 'event',
    event: {
      occurred,
      event: 'prefect.flow-run.Running',
      resource: {
        'prefect.resource.id': `prefect.flow-run.${id}`,
        'prefect.state-type': 'RUNNING',
        'prefect.state-name': 'Running',
      },
      related: [{ 'prefect.resource.id': 'prefect.flow.f', 'prefect.resource.role': 'flow' }],
      payload: { validated_state: { type: 'RUNNING', name: 'Running' } },
      id,
      follows: null,
      received: occurred,
    },
  })
}

beforeAll(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', handleProtocols: () => 'prefect' })
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string }
      if (message.type === 'auth') socket.send('{"type":"auth_success"}')
      else if (message.type === 'filter' || message.type === 'go') {
        for (const frame of frames) socket.send(frame)
      }
    })
  })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  port = (server.address() as { port: number }).port
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
})

function freshFrames(): void {
  run++
  frames = Array.from({ length: frameCount }, (_, n) => eventFrame(n))
}

describe(`receive ${frameCount} event frames`, () => {
  bench(
    'raw ws + JSON.parse (baseline)',
    async () => {
      await new Promise<void>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/api/events/out`)
        let seen = 0
        socket.on('open', () => socket.send('{"type":"go"}'))
        socket.on('message', (data) => {
          const frame = JSON.parse(String(data)) as { event?: { id?: string } }
          if (frame.event?.id) seen++
          if (seen === frameCount) {
            socket.close()
            resolve()
          }
        })
        socket.on('error', reject)
      })
    },
    { setup: freshFrames, iterations: 20, warmupIterations: 3 },
  )

  bench(
    'createEventsSubscriber (parse, validate, dedupe, filter, cursor)',
    async () => {
      const subscriber = createEventsSubscriber({
        apiUrl: `http://127.0.0.1:${port}/api`,
        filter: { event: { prefix: ['prefect.flow-run.'] } },
        lookbackMs: 60_000,
      })
      let seen = 0
      await new Promise<void>((resolve) => {
        subscriber.onEvent(() => {
          seen++
          if (seen === frameCount) resolve()
        })
      })
      await subscriber.close()
    },
    { setup: freshFrames, iterations: 20, warmupIterations: 3 },
  )
})
