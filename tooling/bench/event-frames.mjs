// Frames the subscriber benchmarks send: `/events/out` event frames with fresh ids, and the
// server-side WebSocket text-frame encoding used to write a whole batch at once. Shared by
// packages/websocket/bench/subscriber.bench.mjs and packages/otel/bench/subscriber.bench.mjs.

/**
 * One `{"type":"event"}` frame for a `prefect.flow-run.Running` event.
 * @param {number} n the frame's position in its batch: it occurred `30 s - n ms` ago
 * @param {number} idIndex unique per frame within a run (the event id is derived from it)
 */
export function eventFrame(n, idIndex) {
  const occurred = new Date(Date.now() - 30_000 + n).toISOString().replace('Z', '000Z')
  const id = `0190a000-0000-7000-8000-${String(idIndex).padStart(12, '0')}`
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

/** A server-to-client (unmasked) WebSocket text frame carrying `text`. */
export function serverTextFrame(text) {
  const payload = Buffer.from(text)
  const n = payload.length
  let header
  if (n < 126) header = Buffer.from([0x81, n])
  else if (n < 65_536) header = Buffer.from([0x81, 126, n >> 8, n & 0xff])
  else {
    header = Buffer.alloc(10)
    header[0] = 0x81
    header[1] = 127
    header.writeBigUInt64BE(BigInt(n), 2)
  }
  return Buffer.concat([header, payload])
}
