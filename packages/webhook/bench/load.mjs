// The load generator of deliveries.bench.mjs, run as a child process so it does not share
// the receiver's event loop: keeps CONCURRENCY requests in flight for DURATION_MS, every
// request a distinct event, and prints how many got a 2xx.
//   node bench/load.mjs <url> <concurrency> <durationMs> [bearer secret]
import { webcrypto as crypto } from 'node:crypto'
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { setTimeout } from 'node:timers'

const [url, concurrencyText, durationText, secret] = process.argv.slice(2)
const concurrency = Number(concurrencyText)
const durationMs = Number(durationText)
const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
const headers = secret ? { authorization: `Bearer ${secret}` } : {}

const prefix = JSON.stringify({
  occurred: '2026-11-29T12:00:00.000000Z',
  received: '2026-11-29T12:00:00.100000Z',
  event: 'prefect.flow-run.Completed',
  resource: {
    'prefect.resource.id': 'prefect.flow-run.7d2c3a6e-1b4f-4c8e-9a1d-2e3f4a5b6c7d',
    'prefect.resource.name': 'quick-otter',
    'prefect.state-type': 'COMPLETED',
    'prefect.state-name': 'Completed',
    'prefect.state-timestamp': '2026-11-29T12:00:00.000000Z',
  },
  related: [
    {
      'prefect.resource.id': 'prefect.flow.1b4f7d2c-3a6e-4c8e-9a1d-2e3f4a5b6c7d',
      'prefect.resource.role': 'flow',
      'prefect.resource.name': 'etl',
    },
  ],
  payload: { intended: { from: 'RUNNING', to: 'COMPLETED' } },
}).slice(0, -1)

let ok = 0
let failed = 0
let stop = false
function one() {
  return new Promise((resolve) => {
    const body = `${prefix},"id":"${crypto.randomUUID()}"}`
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode >= 200 && res.statusCode < 300) ok++
        else failed++
        resolve()
      })
    })
    req.on('error', () => {
      failed++
      resolve()
    })
    req.end(body)
  })
}
async function lane() {
  while (!stop) await one()
}
// Warm up the connections and the JIT before counting.
await Promise.all(Array.from({ length: concurrency }, () => one()))
ok = 0
failed = 0
const started = performance.now()
setTimeout(() => (stop = true), durationMs)
await Promise.all(Array.from({ length: concurrency }, lane))
const elapsed = performance.now() - started
process.stdout.write(JSON.stringify({ ok, failed, elapsedMs: elapsed }) + '\n')
agent.destroy()
