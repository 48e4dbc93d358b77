// The cost of classifying one `/events/out` frame, validating one event and parsing one
// datetime, each against the floor of any client measured in the same run. Runs on the built
// package (dist):  node packages/core/bench/frames.bench.mjs  (or `pnpm bench` at the root).
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { PrefectDateTime, parseReceivedEvent, parseServerFrame } from '@flowcast/core'
import { figure, median, rounds, writeFigures } from '../../../tooling/bench/figures.mjs'

const frames = readFileSync(
  new URL('../../../tooling/prefect-spec/data/flow-run-frames.jsonl', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((line) => line.trim() !== '')
const events = frames.map((raw) => JSON.parse(raw).event)
const datetimes = events.flatMap((event) => [String(event.occurred), String(event.received)])
// Keeps results alive so the engine cannot drop the work.
let sink

/** Items per second of `fn(item)` over `items`, repeated for about `ms`. */
function rate(items, fn, ms = 150) {
  let done = 0
  const start = performance.now()
  let elapsed = 0
  do {
    for (const item of items) sink = fn(item)
    done += items.length
    elapsed = performance.now() - start
  } while (elapsed < ms)
  return done / (elapsed / 1000)
}

function compare(items, ours, base) {
  rate(items, ours, 50)
  rate(items, base, 50)
  return rounds(3, () => {
    const b = rate(items, base)
    const o = rate(items, ours)
    return { ours: o, base: b }
  })
}

const classify = await compare(
  frames,
  (raw) => {
    const frame = parseServerFrame(raw)
    if (frame.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(frame)}`)
    return frame
  },
  (raw) => JSON.parse(raw),
)
const validate = await compare(events, parseReceivedEvent, (event) => structuredClone(event))
const datetime = await compare(datetimes, PrefectDateTime.tryParse, Date.parse)

const pick = (results, key) => median(results.map((r) => r[key]))
writeFigures(
  new URL('./results.json', import.meta.url),
  [
    figure({
      id: 'frames.classify',
      name: `parseServerFrame on the ${frames.length} recorded event frames (baseline: JSON.parse)`,
      value: pick(classify, 'ours'),
      unit: 'frames/s',
      baseline: pick(classify, 'base'),
    }),
    figure({
      id: 'events.validate',
      name: 'parseReceivedEvent on the recorded events (baseline: structuredClone)',
      value: pick(validate, 'ours'),
      unit: 'events/s',
      baseline: pick(validate, 'base'),
    }),
    figure({
      id: 'datetime.parse',
      name: 'PrefectDateTime.tryParse on the recorded datetimes (baseline: Date.parse)',
      value: pick(datetime, 'ours'),
      unit: 'datetimes/s',
      baseline: pick(datetime, 'base'),
    }),
  ],
  `core benchmark (Node ${process.version}; median of 3 rounds)`,
)
export { sink as _sink }
