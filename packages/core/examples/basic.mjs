// A small, runnable tour of @flowcast/core: no server needed.
//
//   node node_modules/@flowcast/core/examples/basic.mjs
//   (in the flowcast repository: pnpm build && node packages/core/examples/basic.mjs)
import {
  PrefectDateTime,
  createDedupeWindow,
  createEvent,
  encodeFilterFrame,
  flowRunResourceId,
  flowRunStateFromEvent,
  isTerminalStateType,
  matchesFilter,
  parseServerFrame,
  serializeEvent,
} from '@flowcast/core'

const flowRunId = '01a01f7b-6e8d-7168-9c3e-9b7d20f41a6c'

// 1. The filter a subscriber sends to /events/out: flow-run events for one run, with
//    `occurred.until` far in the future so live events are not dropped.
const since = PrefectDateTime.fromEpochMillis(Date.now()).minusSeconds(60)
const filter = {
  occurred: { since: since.toString(), until: since.plusSeconds(365 * 86_400).toString() },
  event: { prefix: ['prefect.flow-run.'] },
  any_resource: { id: [flowRunResourceId(flowRunId)] },
}
console.log('filter frame   ', encodeFilterFrame(filter))

// 2. Frames as a server might send them: an event, a control frame and garbage.
//    Only real event frames are events; everything else is skipped and counted.
const completed = createEvent({
  event: 'prefect.flow-run.Completed',
  resource: {
    'prefect.resource.id': flowRunResourceId(flowRunId),
    'prefect.state-type': 'COMPLETED',
    'prefect.state-name': 'Completed',
    'prefect.state-message': '',
  },
})
const received = { ...completed, received: PrefectDateTime.fromEpochMillis(Date.now()).toString() }
const frames = [
  JSON.stringify({ type: 'checkpoint' }),
  'not json at all',
  JSON.stringify({ type: 'event', event: received }),
  JSON.stringify({ type: 'event', event: received }), // a replayed duplicate
]

const seen = createDedupeWindow()
const skipped = {}
for (const raw of frames) {
  const frame = parseServerFrame(raw)
  if (frame.kind === 'unknown') {
    skipped[frame.reason] = (skipped[frame.reason] ?? 0) + 1
    continue
  }
  if (frame.kind !== 'event' || !seen.firstSeen(frame.event.id)) continue
  const state = flowRunStateFromEvent(frame.event)
  console.log(
    'event          ',
    frame.event.event,
    '| matches filter:',
    matchesFilter(frame.event, filter),
    '| state:',
    state?.type,
    '| terminal:',
    isTerminalStateType(state?.type),
  )
}
console.log('skipped frames ', JSON.stringify(skipped))

// 3. Microsecond-exact datetimes (a JS Date would drop the last three digits).
const stamp = PrefectDateTime.parse('2026-08-20T14:03:11.482913+00:00')
console.log('resume cursor  ', stamp.minusSeconds(60).toString())
console.log('emitted event  ', serializeEvent(completed).slice(0, 80) + '…')
