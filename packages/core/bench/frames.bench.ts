// The cost of classifying one `/events/out` frame against the floor of any client, parsing the
// same text with `JSON.parse`, measured in the same run: `pnpm --filter @flowcast/core bench`.
// vitest prints ops/s for both and how many times faster the baseline is (the overhead ratio).
import { readFlowRunFrames } from '@flowcast/prefect-spec'
import { bench, describe } from 'vitest'
import { PrefectDateTime } from '../src/datetime.js'
import { parseServerFrame } from '../src/frames.js'
import { parseReceivedEvent } from '../src/models.js'

const frames = readFlowRunFrames()
const events = frames.map((raw) => (JSON.parse(raw) as { event: Record<string, unknown> }).event)
const datetimes = events.flatMap((event) => [String(event['occurred']), String(event['received'])])
// Keeps results alive so the engine cannot drop the work.
let sink: unknown

describe(`classify the ${frames.length} recorded event frames`, () => {
  bench('JSON.parse (baseline)', () => {
    for (const raw of frames) sink = JSON.parse(raw)
  })
  bench('parseServerFrame', () => {
    for (const raw of frames) {
      const frame = parseServerFrame(raw)
      if (frame.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(frame)}`)
      sink = frame
    }
  })
})

describe(`validate the ${events.length} recorded events (already parsed)`, () => {
  bench('structuredClone (baseline)', () => {
    for (const event of events) sink = structuredClone(event)
  })
  bench('parseReceivedEvent', () => {
    for (const event of events) sink = parseReceivedEvent(event)
  })
})

describe(`parse the ${datetimes.length} recorded datetimes`, () => {
  bench('Date.parse (baseline)', () => {
    for (const text of datetimes) sink = Date.parse(text)
  })
  bench('PrefectDateTime.tryParse', () => {
    for (const text of datetimes) sink = PrefectDateTime.tryParse(text)
  })
})

export { sink as _sink }
