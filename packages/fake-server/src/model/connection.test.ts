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
    authString: undefined,
    backlog: 2,
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

describe('Connection (spec §1.4)', () => {
  it('skips a live event already sent by the backfill, once', () => {
    const { connection, sent } = setup([stored('a')])
    connection.deliverLive(stored('a'))
    connection.deliverLive(stored('b'))
    connection.deliverLive(stored('a'))
    expect(sent.map((f) => /"id":"(\w)"/.exec(f)![1])).toEqual(['a', 'b', 'a'])
  })

  it('drops the newest live events once the backlog is full', () => {
    const { connection, sent } = setup([])
    connection.setSilenced(true)
    for (const id of ['a', 'b', 'c']) connection.deliverLive(stored(id))
    expect(connection.droppedLive).toBe(1)
    connection.setSilenced(false)
    expect(sent).toHaveLength(2)
  })
})
