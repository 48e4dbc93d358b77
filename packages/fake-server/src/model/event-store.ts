import {
  formatIssues,
  matchesFilter,
  PrefectDateTime,
  serializeReceivedEvent,
  type Event,
  type EventFilter,
  type Logger,
  type ReceivedEvent,
} from '@flowcast/core'
import { EventSchema, validate } from '@flowcast/core/schemas'
import type { StoredEvent } from './connection.js'
import { fakeError, formatMicros } from './util.js'

/** The server's per-event size limit (docs/protocol.md §3). */
export const maximumEventSizeBytes = 1_500_000

/**
 * The fake's event store: every accepted event once (deduplicated by id), with its
 * precomputed `/events/out` frame, queried with the full filter semantics.
 */
export class EventStore {
  #events: StoredEvent[] = []
  #ids = new Set<string>()
  readonly #logger: Logger
  readonly #now: () => bigint

  constructor(options: { logger: Logger; nowMicros: () => bigint }) {
    this.#logger = options.logger
    this.#now = options.nowMicros
  }

  /** Every stored event, in arrival order. */
  get events(): readonly ReceivedEvent[] {
    return this.#events.map((s) => s.event)
  }

  /** Whether an event with this id is stored. */
  has(id: string): boolean {
    return this.#ids.has(id)
  }

  /** Stored events matching a filter (related included), ordered by `occurred` then arrival. */
  query(filter: EventFilter, order: 'ASC' | 'DESC'): StoredEvent[] {
    const sorted = this.#events
      .filter((s) => matchesFilter(s.event, filter))
      .map((s, i) => ({ s, i }))
      .sort((a, b) =>
        a.s.occurredMicros === b.s.occurredMicros
          ? a.i - b.i
          : a.s.occurredMicros < b.s.occurredMicros
            ? -1
            : 1,
      )
      .map(({ s }) => s)
    return order === 'ASC' ? sorted : sorted.reverse()
  }

  /** Stores an event (`received` = now unless given); `undefined` for a duplicate or oversize event. */
  store(event: Event, receivedOverride?: string): StoredEvent | undefined {
    if (this.#ids.has(event.id)) return undefined
    const received: ReceivedEvent = {
      occurred: event.occurred,
      event: event.event,
      resource: event.resource,
      related: event.related,
      payload: event.payload,
      id: event.id,
      follows: event.follows,
      received: receivedOverride ?? formatMicros(this.#now()),
    }
    const json = serializeReceivedEvent(received)
    if (new TextEncoder().encode(json).length > maximumEventSizeBytes) {
      this.#logger.warn('fake-server: dropped an event over 1,500,000 bytes', { id: event.id })
      return undefined
    }
    const stored: StoredEvent = {
      event: received,
      frame: `{"type":"event","event":${json}}`,
      occurredMicros: PrefectDateTime.parse(received.occurred).epochMicros,
    }
    this.#ids.add(event.id)
    this.#events.push(stored)
    return stored
  }

  /** Forgets every event. */
  clear(): void {
    this.#events = []
    this.#ids.clear()
  }
}

/** Validates an event like the server's `Event` model (occurred and id required, extras dropped). */
export function validateEvent(raw: unknown): Event {
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const record = raw as Record<string, unknown>
    if (record.occurred === undefined || record.id === undefined) {
      throw fakeError(
        'INVALID_EVENT',
        'invalid event',
        `${record.occurred === undefined ? 'occurred' : 'id'}: Field required`,
      )
    }
  }
  const result = validate(EventSchema, raw)
  if (!result.success) {
    throw fakeError('INVALID_EVENT', 'invalid event', formatIssues(result.issues))
  }
  const event = result.data as Event
  return {
    ...event,
    occurred: PrefectDateTime.parse(event.occurred).toString(),
    id: event.id.toLowerCase(),
  }
}
