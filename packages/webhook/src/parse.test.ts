import { describe, expect, it } from 'vitest'
import { decodeJsonBody, parseDelivery } from './parse.js'

const event = {
  id: '0195f0d2-7a3c-7c2e-9f51-3a1b2c3d4e5f',
  occurred: '2026-11-29T12:00:00.000000Z',
  received: '2026-11-29T12:00:00.100000Z',
  event: 'prefect.flow-run.Completed',
  resource: {
    'prefect.resource.id': 'prefect.flow-run.7d2c3a6e-1b4f-4c8e-9a1d-2e3f4a5b6c7d',
    'prefect.state-type': 'COMPLETED',
  },
  related: [],
  payload: {},
}

describe('parseDelivery', () => {
  it('reads a bare ReceivedEvent ({{ event|tojson }})', () => {
    const parsed = parseDelivery(event)
    expect(parsed).toMatchObject({
      ok: true,
      delivery: {
        key: event.id,
        automation: null,
        extra: {},
        flowRun: {
          flowRunId: '7d2c3a6e-1b4f-4c8e-9a1d-2e3f4a5b6c7d',
          type: 'COMPLETED',
          name: 'Completed',
        },
      },
    })
  })

  it('reads the envelope form with the automation and extra keys', () => {
    const parsed = parseDelivery({ event, automation: { id: 'a-1', name: 'done' }, env: 'prod' })
    expect(parsed).toMatchObject({
      ok: true,
      delivery: {
        key: `${event.id}:a-1`,
        automation: { id: 'a-1', name: 'done' },
        extra: { env: 'prod' },
      },
    })
  })

  it('gives no flow run for other events and rejects bad shapes with issues', () => {
    const other = parseDelivery({
      ...event,
      event: 'acme.ping',
      resource: { 'prefect.resource.id': 'acme' },
    })
    expect(other).toMatchObject({ ok: true, delivery: { flowRun: null } })
    expect(parseDelivery(null)).toMatchObject({ kind: 'invalid' })
    const missing = parseDelivery({ ...event, occurred: 'yesterday' })
    expect(missing).toMatchObject({ kind: 'invalid' })
    expect('issues' in missing && missing.issues?.length).toBeGreaterThan(0)
  })
})

describe('decodeJsonBody', () => {
  it('parses JSON and refuses empty, non-UTF-8 and non-JSON bodies', () => {
    const enc = new TextEncoder()
    expect(decodeJsonBody(enc.encode('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } })
    expect(decodeJsonBody(enc.encode('  '))).toMatchObject({ kind: 'malformed' })
    expect(decodeJsonBody(new Uint8Array([0xc3]))).toMatchObject({ kind: 'malformed' })
    expect(decodeJsonBody(enc.encode('{'))).toMatchObject({ kind: 'malformed' })
  })
})
