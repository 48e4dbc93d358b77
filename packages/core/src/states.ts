import { isPrefectDateTime } from './datetime.js'
import { stateTypes, type Event, type FlowRun, type StateType } from './models.js'

/** The nine state types, in Prefect's order. */
export const STATE_TYPES: readonly StateType[] = /* @__PURE__ */ Object.freeze([...stateTypes])

/** The state types after which a run does not change any more on its own. */
export type TerminalStateType = 'COMPLETED' | 'FAILED' | 'CRASHED' | 'CANCELLED'

/** Prefect's `TERMINAL_STATES`: COMPLETED, FAILED, CRASHED, CANCELLED. */
export const TERMINAL_STATE_TYPES: readonly TerminalStateType[] = /* @__PURE__ */ Object.freeze([
  'COMPLETED',
  'FAILED',
  'CRASHED',
  'CANCELLED',
])

/** Whether `value` is one of the nine {@link StateType}s. */
export function isStateType(value: unknown): value is StateType {
  return typeof value === 'string' && (STATE_TYPES as readonly string[]).includes(value)
}

/**
 * Whether `value` is a terminal state type. Decide "finished" with this on the state
 * **type**, never on the state or event name (`TimedOut` is FAILED, `AwaitingRetry` is SCHEDULED).
 */
export function isTerminalStateType(value: unknown): value is TerminalStateType {
  return typeof value === 'string' && (TERMINAL_STATE_TYPES as readonly string[]).includes(value)
}

/**
 * The name Prefect gives a state of this type when none is set: the type capitalised,
 * e.g. `Pending`.
 */
export function defaultStateName(type: StateType): string {
  return type.charAt(0) + type.slice(1).toLowerCase()
}

/** A flow run's state as seen in an event or a REST read. */
export interface FlowRunStateObservation {
  /** The flow run's id (without the `prefect.flow-run.` prefix). */
  flowRunId: string
  /** The state type. */
  type: StateType
  /** The state name, e.g. `TimedOut`. */
  name: string
  /** When the state was entered (the server's string, kept exactly). */
  timestamp: string
  /** The state message, or null when empty. */
  message: string | null
  /** The state id, which is also the id of the event announcing it; null if unknown. */
  eventId: string | null
}

const FLOW_RUN_PREFIX = 'prefect.flow-run.'

/** `prefect.flow-run.<id>`: the resource id of a flow run. */
export function flowRunResourceId(flowRunId: string): string {
  return `${FLOW_RUN_PREFIX}${flowRunId}`
}

/** The flow-run id in a `prefect.flow-run.<id>` resource id, or null for other resources. */
export function flowRunIdFromResourceId(resourceId: string): string | null {
  if (typeof resourceId !== 'string' || !resourceId.startsWith(FLOW_RUN_PREFIX)) return null
  const id = resourceId.slice(FLOW_RUN_PREFIX.length)
  return id === '' || id.includes('.') ? null : id
}

const nonEmptyString = (value: unknown): string | null =>
  typeof value === 'string' && value !== '' ? value : null

/**
 * The flow-run state announced by a `prefect.flow-run.*` event, or null for anything else
 * (heartbeats, other resources, events without a state type).
 *
 * The type comes from the `prefect.state-type` label, falling back to
 * `payload.validated_state.type` (docs/protocol.md §3.5, §4.5) — never from the event name.
 * The name comes from `prefect.state-name`, then `validated_state.name`, then the default
 * name of the type; the timestamp from `prefect.state-timestamp` (kept as written), then
 * `occurred`; the message from `prefect.state-message`, then `validated_state.message`
 * (empty → null).
 *
 * @example
 * ```ts
 * const state = flowRunStateFromEvent(event)
 * if (state && isTerminalStateType(state.type)) done(state)
 * ```
 */
export function flowRunStateFromEvent(event: Event): FlowRunStateObservation | null {
  if (typeof event.event !== 'string' || !event.event.startsWith(FLOW_RUN_PREFIX)) return null
  const labels = event.resource
  if (typeof labels !== 'object' || labels === null) return null
  const flowRunId = flowRunIdFromResourceId(labels['prefect.resource.id'])
  if (flowRunId === null) return null
  const validated = event.payload?.['validated_state']
  const fromPayload =
    typeof validated === 'object' && validated !== null && !Array.isArray(validated)
      ? (validated as Record<string, unknown>)
      : {}
  const labelType = labels['prefect.state-type']
  const type = isStateType(labelType)
    ? labelType
    : isStateType(fromPayload['type'])
      ? fromPayload['type']
      : null
  if (type === null) return null
  const stamp = labels['prefect.state-timestamp']
  return {
    flowRunId,
    type,
    name:
      nonEmptyString(labels['prefect.state-name']) ??
      nonEmptyString(fromPayload['name']) ??
      defaultStateName(type),
    timestamp: stamp !== undefined && isPrefectDateTime(stamp) ? stamp : event.occurred,
    message:
      nonEmptyString(labels['prefect.state-message']) ?? nonEmptyString(fromPayload['message']),
    eventId: event.id,
  }
}

/**
 * The current state of a flow run read over REST, or null when it has none. `eventId` is
 * the state id, which equals the id of the event that announced the state (docs/protocol.md §4.5), so
 * REST reads and events can be deduplicated together.
 * The timestamp is `state.timestamp`, falling back to the run's `updated`, then `created`;
 * without any of them the result is null.
 */
export function flowRunStateFromFlowRun(run: FlowRun): FlowRunStateObservation | null {
  const state = run.state ?? null
  const type = state?.type ?? run.state_type ?? null
  if (!isStateType(type)) return null
  const timestamp = state?.timestamp ?? run.updated ?? run.created ?? null
  if (timestamp === null) return null
  return {
    flowRunId: run.id,
    type,
    name: nonEmptyString(state?.name) ?? nonEmptyString(run.state_name) ?? defaultStateName(type),
    timestamp,
    message: nonEmptyString(state?.message),
    eventId: state?.id ?? run.state_id ?? null,
  }
}
