import { systemClock, type Clock } from './clock.js'
import { formatPrefectDateTime } from './datetime.js'
import { fastParseEventInput } from './fast-validate.js'
import { parseSerializedEvent, sizedEventText, type Event } from './models.js'
import { uuidv7 } from './uuid.js'

/** What {@link createEvent} needs: `event` and `resource`; everything else has a default. */
export type EventInput = Omit<Event, 'id' | 'occurred' | 'related' | 'payload' | 'follows'> &
  Partial<Pick<Event, 'id' | 'occurred' | 'related' | 'payload' | 'follows'>>

/** Options of {@link createEvent}. */
export interface CreateEventOptions {
  /**
   * Source of the default `occurred` and of the UUID v7 timestamp.
   * @default systemClock
   */
  clock?: Clock
}

/**
 * A complete, validated event: `id` defaults to a new UUID v7, `occurred` to now,
 * `related` to `[]`, `payload` to `{}` and `follows` to `null`.
 * @throws FlowcastError `INVALID_EVENT` when the result breaks a server limit
 * @example
 * ```ts
 * const event = createEvent({
 *   event: 'acme.order.shipped',
 *   resource: { 'prefect.resource.id': 'acme.order.42' },
 * })
 * ```
 */
export function createEvent(input: EventInput, options: CreateEventOptions = {}): Event {
  return createSerializedEvent(input, options).event
}

/**
 * {@link createEvent} and `serializeEvent` in one step, serializing once (sizing the
 * event already needs the text): `const { event, text } = createSerializedEvent(input)`.
 * @throws FlowcastError `INVALID_EVENT` when the result breaks a server limit
 */
export function createSerializedEvent(
  input: EventInput,
  options: CreateEventOptions = {},
): { event: Event; text: string } {
  const clock = options.clock ?? systemClock
  const occurred = input.occurred ?? formatPrefectDateTime(clock.now())
  const id = input.id ?? uuidv7({ clock })
  // The event is `{ ...input, occurred, id }` validated; the fast path reads `input` in place,
  // since building that spread costs more than checking and serializing the event.
  const event = fastParseEventInput(input, occurred, id)
  if (event) return { event, text: sizedEventText(event) }
  // Invalid (or an unusual object): the full check names every problem.
  return parseSerializedEvent({ ...input, occurred, id })
}
