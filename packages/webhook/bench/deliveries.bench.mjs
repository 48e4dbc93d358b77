// Benchmark of webhook deliveries (not a timed test). Runs on the built package (dist):
// `pnpm --filter @flowcast/webhook bench` builds first. Every figure is measured against a
// baseline in the same run: a bare node:http handler that reads the body and JSON.parses it.
//   - flowcast: createNodeWebhookHandler + createWebhookReceiver (shared secret, validation,
//     in-memory idempotency, one handler) on loopback;
//   - the same with the Redis idempotency store, on a throwaway redis-server (skipped with a
//     note when redis-server is not installed: tooling/scripts/ensure-redis.sh installs it).
// Rounds alternate baseline and flowcast (ABBA); rates are the median round, ratios the
// median of each round's flowcast/baseline pair. The load comes
// from a child process (bench/load.mjs), every request a distinct event.
import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { Buffer } from 'node:buffer'
import { createServer } from 'node:http'
import { setImmediate } from 'node:timers'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { createWebhookReceiver } from '@flowcast/webhook'
import { createNodeWebhookHandler } from '@flowcast/webhook/node'
import { createRedisIdempotencyStore } from '@flowcast/webhook/redis'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 1_500)
const CONCURRENCY = 32
const TARGET_RATIO = 0.7
const SECRET = 'bench-secret-0123456789abcdef'
const load = fileURLToPath(new URL('./load.mjs', import.meta.url))
const results = fileURLToPath(new URL('./results.json', import.meta.url))
const run = promisify(execFile)

async function listen(handler) {
  const server = createServer(handler)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, url: `http://127.0.0.1:${server.address().port}/` }
}

// The baseline answers on the next turn of the event loop: answering synchronously inside
// the request's 'end' handler measured 2-3x slower on keep-alive connections here, which
// would flatter flowcast's ratio.
function bareHandler(req, res) {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    let status = 200
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      status = 400
    }
    setImmediate(() => {
      res.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    })
  })
}

async function rate(url, secret) {
  const { stdout } = await run(process.execPath, [
    load,
    url,
    String(CONCURRENCY),
    String(DURATION_MS),
    ...(secret ? [secret] : []),
  ])
  const { ok, failed, elapsedMs } = JSON.parse(stdout)
  if (failed > 0) throw new Error(`bench: ${failed} deliveries failed against ${url}`)
  return (ok / elapsedMs) * 1000
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

async function compare(flowcastUrl, baselineUrl) {
  const flowcast = []
  const baseline = []
  const ratios = []
  for (let i = 0; i < ROUNDS; i++) {
    // ABBA order, and a ratio per adjacent pair, so drift in the machine's load cancels out.
    let f, b
    if (i % 2 === 0) {
      b = await rate(baselineUrl)
      f = await rate(flowcastUrl, SECRET)
    } else {
      f = await rate(flowcastUrl, SECRET)
      b = await rate(baselineUrl)
    }
    flowcast.push(f)
    baseline.push(b)
    ratios.push(f / b)
  }
  return { flowcast: median(flowcast), baseline: median(baseline), ratio: median(ratios) }
}

async function startRedis() {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = probe.address().port
  probe.close()
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  )
  try {
    await new Promise((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (c) => (out += c) && out.includes('Ready to accept') && resolve())
      child.once('error', reject)
      child.once('exit', () => reject(new Error('redis-server exited')))
    })
  } catch (error) {
    return { error }
  }
  return { port, child }
}

const figures = []
function figure(id, name, value, unit, baseline, ratio) {
  const row = {
    id,
    name,
    value: Number(value.toFixed(unit === 'x' ? 3 : 0)),
    unit,
    baseline: Number(baseline.toFixed(unit === 'x' ? 3 : 0)),
    ratio: Number(ratio.toFixed(3)),
    target: TARGET_RATIO,
    met: ratio >= TARGET_RATIO,
  }
  figures.push(row)
}

const bare = await listen(bareHandler)
let handled = 0
const memoryReceiver = createWebhookReceiver({ secrets: [SECRET] })
memoryReceiver.onDelivery(() => void handled++)
const memory = await listen(createNodeWebhookHandler(memoryReceiver))

const plain = await compare(memory.url, bare.url)
figure(
  'webhook.deliveries_per_s',
  'deliveries/s, node adapter, in-memory store',
  plain.flowcast,
  'deliveries/s',
  plain.baseline,
  plain.ratio,
)
figure(
  'webhook.ratio',
  'deliveries/s vs bare node:http + JSON.parse',
  plain.ratio,
  'x',
  1,
  plain.ratio,
)

const redisServer = await startRedis()
let redisNote
if (redisServer.error) {
  redisNote = `redis rows skipped: redis-server could not start (${redisServer.error.message}); run tooling/scripts/ensure-redis.sh`
} else {
  const redis = new Redis(redisServer.port, '127.0.0.1')
  const redisReceiver = createWebhookReceiver({
    secrets: [SECRET],
    store: createRedisIdempotencyStore({ redis, ttlMs: 60_000 }),
  })
  redisReceiver.onDelivery(() => void handled++)
  const withRedis = await listen(createNodeWebhookHandler(redisReceiver))
  const shared = await compare(withRedis.url, bare.url)
  figure(
    'webhook.redis_deliveries_per_s',
    'deliveries/s, node adapter, Redis store',
    shared.flowcast,
    'deliveries/s',
    shared.baseline,
    shared.ratio,
  )
  figure(
    'webhook.redis_ratio',
    'deliveries/s with Redis vs bare node:http + JSON.parse',
    shared.ratio,
    'x',
    1,
    shared.ratio,
  )
  withRedis.server.close()
  redis.disconnect()
  redisServer.child.kill('SIGTERM')
  await once(redisServer.child, 'exit')
}
bare.server.close()
memory.server.close()

const header = ['figure', 'flowcast', 'baseline', 'ratio', 'target', 'met']
const rows = figures.map((f) => [
  `${f.id} (${f.unit})`,
  String(f.value),
  String(f.baseline),
  `${f.ratio.toFixed(2)}x`,
  `>= ${f.target}x`,
  f.met ? 'yes' : 'NO',
])
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ')
console.log(
  `webhook deliveries: ${ROUNDS} rounds of ${DURATION_MS} ms, ${CONCURRENCY} in flight, median; ${handled} deliveries handled`,
)
console.log(line(header))
console.log(widths.map((w) => '-'.repeat(w)).join('-|-'))
for (const row of rows) console.log(line(row))
if (redisNote) console.log(redisNote)
writeFileSync(results, `${JSON.stringify(figures, null, 2)}\n`)
console.log(`figures written to ${results}`)
