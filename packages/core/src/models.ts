import type { z } from 'zod'
import { systemClock, type Clock } from './clock.js'
import { PrefectDateTime } from './datetime.js'
import { FlowcastError, type FlowcastErrorCode } from './errors.js'
import { fastParseEvent, fastParseReceivedEvent } from './fast-validate.js'
import { eventLimits, maxTextQueryLength } from './limits.js'
import {
  eventCheck,
  eventFilterCheck,
  eventPageCheck,
  flowRunCheck,
  orchestrationResultCheck,
  receivedEventCheck,
  runCheck,
} from './model-checks.js'
import type { Check } from './validation.js'
import type {
  EventAnyResourceFilterSchema,
  EventFilterSchema,
  EventIDFilterSchema,
  EventNameFilterSchema,
  EventOccurredFilterSchema,
  EventOrderSchema,
  EventPageSchema,
  EventRelatedFilterSchema,
  EventResourceFilterSchema,
  EventTextFilterSchema,
  FlowRunSchema,
  OrchestrationResultSchema,
  ResourceSpecificationSchema,
  SetStateStatusSchema,
  StateSchema,
  StateTypeSchema,
} from './schemas.js'

export { eventLimits, maxTextQueryLength }
export { stateTypes } from './model-checks.js'

// ---------------------------------------------------------------------------------------
// Types

/** A resource: string labels with a required `prefect.resource.id`. */
export type Resource = { 'prefect.resource.id': string; [label: string]: string }
/** A related resource: a {@link Resource} with a required `prefect.resource.role`. */
export type RelatedResource = {
  'prefect.resource.id': string
  'prefect.resource.role': string
  [label: string]: string
}

/** An event, with every server default filled in. */
export interface Event {
  /** When it happened (server datetime string, kept exactly). */
  occurred: string
  /** The event name, e.g. `prefect.flow-run.Completed`. */
  event: string
  /** The primary resource. */
  resource: Resource
  /** Other resources involved, each with a role. */
  related: RelatedResource[]
  /** Free-form data. */
  payload: Record<string, unknown>
  /** The client-chosen UUID; the server dedupes on it. */
  id: string
  /** The id of an event known to precede this one, or null. */
  follows: string | null
}

/** An event as the server sends it: with the time it was received. */
export interface ReceivedEvent extends Event {
  /** When the server received it (server datetime string). */
  received: string
}

/** The wire `EventFilter`: every part optional, snake_case. */
export type EventFilter = z.input<typeof EventFilterSchema>
/** The `occurred` part of an {@link EventFilter}. */
export type EventOccurredFilter = z.input<typeof EventOccurredFilterSchema>
/** The `event` part of an {@link EventFilter}. */
export type EventNameFilter = z.input<typeof EventNameFilterSchema>
/** The `resource` part of an {@link EventFilter}. */
export type EventResourceFilter = z.input<typeof EventResourceFilterSchema>
/** One `related` filter of an {@link EventFilter}. */
export type EventRelatedFilter = z.input<typeof EventRelatedFilterSchema>
/** One `any_resource` filter of an {@link EventFilter}. */
export type EventAnyResourceFilter = z.input<typeof EventAnyResourceFilterSchema>
/** The `id` part of an {@link EventFilter}. */
export type EventIDFilter = z.input<typeof EventIDFilterSchema>
/** The `text` part of an {@link EventFilter}. */
export type EventTextFilter = z.input<typeof EventTextFilterSchema>
/** Label name → pattern(s). */
export type ResourceSpecification = z.input<typeof ResourceSpecificationSchema>
/** `'ASC' | 'DESC'`. */
export type EventOrder = z.infer<typeof EventOrderSchema>
/** One of the nine state types. */
export type StateType = z.infer<typeof StateTypeSchema>
/** A run state. */
export type State = z.infer<typeof StateSchema>
/** A flow run as returned by `GET /flow_runs/{id}`. */
export type FlowRun = z.infer<typeof FlowRunSchema>
/** A page of events. */
export type EventPage = z.infer<typeof EventPageSchema>
/** `'ACCEPT' | 'REJECT' | 'ABORT' | 'WAIT'`. */
export type SetStateStatus = z.infer<typeof SetStateStatusSchema>
/** The result of `set_state`. */
export type OrchestrationResult = z.infer<typeof OrchestrationResultSchema>

// ---------------------------------------------------------------------------------------
// Validation with messages that name the field and say why

/** One validation problem: `path` like `related[0].prefect.resource.role`. */
export interface ValidationIssue {
  /** Where: dot-joined keys, `[n]` for list items; `''` for the value itself. */
  path: string
  /** Why, e.g. `required` or `longer than 1024 characters`. */
  message: string
}

/** `path: message; …` for up to five issues. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  const shown = issues
    .slice(0, 5)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ')
  return issues.length > 5 ? `${shown}; and ${issues.length - 5} more` : shown
}

function parseOrThrow<T>(check: Check, value: unknown, code: FlowcastErrorCode, what: string): T {
  const result = runCheck<T>(check, value)
  if (result.success) return result.data
  throw new FlowcastError(
    code,
    `[@flowcast/core] invalid ${what}: ${formatIssues(result.issues)}`,
    {
      details: { issues: result.issues },
    },
  )
}

/** Compact JSON in the server's key order (`occurred, event, resource, related, payload, id, follows`). */
export function serializeEvent(event: Event): string {
  return JSON.stringify({
    occurred: event.occurred,
    event: event.event,
    resource: event.resource,
    related: event.related,
    payload: event.payload,
    id: event.id,
    follows: event.follows,
  })
}

/** Like {@link serializeEvent}, with `received` last, as the server writes it. */
export function serializeReceivedEvent(event: ReceivedEvent): string {
  return JSON.stringify({
    occurred: event.occurred,
    event: event.event,
    resource: event.resource,
    related: event.related,
    payload: event.payload,
    id: event.id,
    follows: event.follows,
    received: event.received,
  })
}

/** The UTF-8 size of {@link serializeEvent}'s output, which the server limits to 1.5 MB. */
export function eventSizeBytes(event: Event): number {
  return new TextEncoder().encode(serializeEvent(event)).length
}

/**
 * The serialized event, so that a caller about to send it need not serialize it again.
 * `event` must be a validator's output (its keys are exactly the server's, in its order), so
 * it is stringified as is, without {@link serializeEvent}'s copy in key order.
 * @throws FlowcastError `INVALID_EVENT` when it is larger than the server accepts
 * @internal
 */
export function sizedEventText(event: Event): string {
  const text = JSON.stringify(event)
  // A UTF-16 code unit is at most 3 UTF-8 bytes: most events need no encoding to be sized.
  if (text.length * 3 <= eventLimits.maxEventSizeBytes) return text
  const size = new TextEncoder().encode(text).length
  if (size > eventLimits.maxEventSizeBytes) {
    throw new FlowcastError(
      'INVALID_EVENT',
      `[@flowcast/core] invalid event: ${size} bytes serialised, more than ${eventLimits.maxEventSizeBytes}`,
      {
        details: {
          issues: [{ path: '', message: `larger than ${eventLimits.maxEventSizeBytes} bytes` }],
        },
      },
    )
  }
  return text
}

/**
 * Validates an event as the server does (limits of docs/protocol.md §4.1–4.2, size included), filling
 * defaults and dropping unknown keys.
 * @throws FlowcastError `INVALID_EVENT`; `details.issues` lists every problem
 * @example
 * ```ts
 * parseEvent({ occurred, event: 'x', resource: {}, id }) // throws: resource.prefect.resource.id: required
 * ```
 */
export function parseEvent(value: unknown): Event {
  return parseSerializedEvent(value).event
}

/**
 * {@link parseEvent} that also returns the serialized event (sizing it needs the text), for
 * callers about to send it.
 * @internal
 */
export function parseSerializedEvent(value: unknown): { event: Event; text: string } {
  // The hot-path check accepts exactly what the full check does; the full check names the problems.
  const event =
    fastParseEvent(value) ?? parseOrThrow<Event>(eventCheck, value, 'INVALID_EVENT', 'event')
  return { event, text: sizedEventText(event) }
}

/**
 * Validates an event as received from the server (with `received`).
 * @throws FlowcastError `INVALID_EVENT`
 */
export function parseReceivedEvent(value: unknown): ReceivedEvent {
  return (
    fastParseReceivedEvent(value) ??
    parseOrThrow<ReceivedEvent>(receivedEventCheck, value, 'INVALID_EVENT', 'received event')
  )
}

/**
 * Validates an {@link EventFilter} as the server does (unknown keys rejected). Nothing is
 * filled in; see {@link withServerFilterDefaults} for the server's defaults.
 * @throws FlowcastError `INVALID_FILTER`
 */
export function parseEventFilter(value: unknown): EventFilter {
  return parseOrThrow<EventFilter>(eventFilterCheck, value, 'INVALID_FILTER', 'event filter')
}

/**
 * Validates a `FlowRunResponse` (unknown fields kept).
 * @throws FlowcastError `PROTOCOL`
 */
export function parseFlowRun(value: unknown): FlowRun {
  return parseOrThrow<FlowRun>(flowRunCheck, value, 'PROTOCOL', 'flow run')
}

/**
 * Validates an {@link EventPage}.
 * @throws FlowcastError `PROTOCOL`
 */
export function parseEventPage(value: unknown): EventPage {
  return parseOrThrow<EventPage>(eventPageCheck, value, 'PROTOCOL', 'event page')
}

/**
 * Validates an {@link OrchestrationResult}.
 * @throws FlowcastError `PROTOCOL`
 */
export function parseOrchestrationResult(value: unknown): OrchestrationResult {
  return parseOrThrow<OrchestrationResult>(
    orchestrationResultCheck,
    value,
    'PROTOCOL',
    'orchestration result',
  )
}

/** Options of {@link withServerFilterDefaults}. */
export interface ServerFilterDefaultsOptions {
  /**
   * The clock giving "now".
   * @default systemClock
   */
  clock?: Clock
}

/**
 * The filter the server actually evaluates when it validates `filter` at `clock.now()`:
 * `occurred.since` defaults to the start of today (UTC) minus 180 days, `occurred.until` to
 * now, and `order` to `DESC` (docs/protocol.md §5). Useful for fakes; clients should send their own
 * `occurred.until`, since the default drops every live event (docs/protocol.md §1.4).
 *
 * @example
 * ```ts
 * withServerFilterDefaults({}, { clock }).occurred // { since: '…T00:00:00Z', until: now }
 * ```
 */
export function withServerFilterDefaults(
  filter: EventFilter,
  options: ServerFilterDefaultsOptions = {},
): EventFilter & { occurred: { since: string; until: string }; order: EventOrder } {
  const now = (options.clock ?? systemClock).now()
  const startOfToday = Math.floor(now / 86_400_000) * 86_400_000
  const since =
    filter.occurred?.since ??
    PrefectDateTime.fromEpochMillis(startOfToday)
      .minusSeconds(180 * 86_400)
      .toString()
  const until = filter.occurred?.until ?? PrefectDateTime.fromEpochMillis(now).toString()
  return { ...filter, occurred: { since, until }, order: filter.order ?? 'DESC' }
}
