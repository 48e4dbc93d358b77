import { createManualClock, silentLogger, type ReceivedEvent } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { Connection, type ConnectionHost, type StoredEvent } from './connection.js'
import type { ConnectionRecord, EffectiveFilter } from '../types.js'

function stored(id: string): StoredEvent {
  const event: ReceivedEvent = {
    occurred: '2026-08-20T14:00:00Z',
    event: 'x',
    resource: { 'prefect.resource.id': 'r' },
    related: [],
    payload: {},
    id,
    follows: null,
    received: '2026-08-20T14:00:00Z',
  }
  return { event, frame: `{"type":"event","event":{"id":"${id}"}}`, occurredMicros: 0n }
}

function setup(backfill: StoredEvent[]) {
  const clock = createManualClock(Date.parse('2026-08-20T14:00:00Z'))
  const filter: EffectiveFilter = {
    occurred: { since: '2026-08-20T13:00:00Z', until: '2026-08-21T00:00:00Z' },
  }
  const host: ConnectionHost = {
    clock,
    logger: silentLogger,
    expectedToken: undefined,
    recorderLimit: 10_000,
    backlog: 2,
    backfillPageSize: 2,
    nowMicros: () => BigInt(clock.now()) * 1000n,
    authRefusal: () => null,
    delayMs: () => 0,
    resolveSubscriberFilter: () => ({ ok: true, filter }),
    backfill: () => backfill,
    subscriberReady: () => {},
    receiveSocketEvent: () => true,
    connectionClosed: () => {},
  }
  const sent: string[] = []
  const record = {
    kind: 'out',
    mode: 'legacy',
    clientFrames: [],
    filters: [],
    eventsSent: 0,
  } as unknown as ConnectionRecord
  const connection = new Connection(
    host,
    { sendText: (t) => sent.push(t), sendBinary: () => {}, close: () => {}, terminate: () => {} },
    record,
    { silenced: false },
  )
  connection.receive('{"type":"filter","filter":{}}', false)
  return { connection, sent }
}

const ids = (sent: string[]) => sent.map((f) => /"id":"(\w)"/.exec(f)![1])
/** One turn of the event loop (the connection yields with setImmediate too, and was first). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('Connection (docs/protocol.md §1.4)', () => {
  it('skips a live event already sent by the backfill, once', async () => {
    const { connection, sent } = setup(['a', 'b', 'c'].map(stored))
    expect(ids(sent)).toEqual(['a', 'b'])
    expect(connection.backfilling).toBe(true)
    connection.deliverLive(stored('c'))
    connection.deliverLive(stored('d'))
    await turn()
    expect(connection.backfilling).toBe(false)
    expect(ids(sent)).toEqual(['a', 'b', 'c', 'd'])
    connection.deliverLive(stored('c'))
    expect(ids(sent)).toEqual(['a', 'b', 'c', 'd', 'c'])
  })

  it('sends the backfill in pages, holding live events (bounded) until it is done', async () => {
    const { connection, sent } = setup(['a', 'b', 'c', 'd', 'e'].map(stored))
    expect(ids(sent)).toEqual(['a', 'b'])
    connection.deliverLive(stored('x'))
    connection.inject(['{"type":"control"}'])
    await turn()
    expect(ids(sent)).toEqual(['a', 'b', 'c', 'd'])
    connection.deliverLive(stored('y'))
    connection.deliverLive(stored('z'))
    expect(connection.droppedLive).toBe(1)
    await turn()
    expect(sent.slice(4)).toEqual([
      '{"type":"event","event":{"id":"e"}}',
      '{"type":"event","event":{"id":"x"}}',
      '{"type":"control"}',
      '{"type":"event","event":{"id":"y"}}',
    ])
    connection.deliverLive(stored('z'))
    expect(sent.at(-1)).toBe('{"type":"event","event":{"id":"z"}}')
  })

  it('drops the newest live events once the backlog is full', () => {
    const { connection, sent } = setup([])
    expect(connection.backfilling).toBe(false)
    connection.setSilenced(true)
    for (const id of ['a', 'b', 'c']) connection.deliverLive(stored(id))
    expect(connection.droppedLive).toBe(1)
    connection.setSilenced(false)
    expect(sent).toHaveLength(2)
  })
})
