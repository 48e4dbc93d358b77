import {
  flowRunStateFromEvent,
  isFlowcastError,
  parseReceivedEvent,
  type ValidationIssue,
} from '@flowcast/core'
import type { WebhookDelivery } from './types.js'

/**
 * The recommended payload of the automation's "call webhook" action: the triggering event
 * as JSON. Paste it into the action's body template.
 */
export const eventTemplate = '{{ event|tojson }}'

/**
 * The richer payload: the event under `event`, and the automation's id and name under
 * `automation`, so the receiver can tell two automations firing on one event apart (they
 * become two deliveries).
 */
export const eventWithAutomationTemplate =
  '{"event": {{ event|tojson }}, "automation": {"id": "{{ automation.id }}", "name": {{ automation.name|tojson }}}}'

/** Why a body is not a delivery. */
export type DeliveryParseFailure =
  | { kind: 'malformed'; reason: string }
  | { kind: 'invalid'; reason: string; issues?: readonly ValidationIssue[] }

const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Decodes a raw body as UTF-8 JSON. Parsed whatever the Content-Type says (Prefect sends
 * none unless the Webhook block sets one, docs/protocol.md §7).
 */
export function decodeJsonBody(
  bytes: Uint8Array,
): { ok: true; value: unknown } | DeliveryParseFailure {
  let text: string
  try {
    text = decoder.decode(bytes)
  } catch {
    return { kind: 'malformed', reason: 'the body is not UTF-8' }
  }
  if (text.trim() === '') return { kind: 'malformed', reason: 'the body is empty' }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { kind: 'malformed', reason: 'the body is not JSON' }
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Turns a parsed body into a delivery. Two forms are accepted: a bare `ReceivedEvent`
 * ({@link eventTemplate}), or an object whose `event` key holds one
 * ({@link eventWithAutomationTemplate}; other keys are kept in `extra`, and an
 * `automation: { id, name }` object becomes `automation`). A bare event also has an `event`
 * key, but there it is the event's name, a string.
 */
export function parseDelivery(
  value: unknown,
): { ok: true; delivery: WebhookDelivery } | DeliveryParseFailure {
  if (!isRecord(value)) return { kind: 'invalid', reason: 'the body is not a JSON object' }
  let candidate: unknown = value
  let extra: Record<string, unknown> = {}
  if (isRecord(value['event'])) {
    const { event, ...rest } = value
    candidate = event
    extra = rest
  }
  let event
  try {
    event = parseReceivedEvent(candidate)
  } catch (error) {
    if (!isFlowcastError(error)) throw error
    const issues = error.details?.['issues'] as readonly ValidationIssue[] | undefined
    return {
      kind: 'invalid',
      reason: 'the body holds no valid Prefect event',
      ...(issues ? { issues } : {}),
    }
  }
  const automation = readAutomation(extra['automation'])
  if (automation) delete extra['automation']
  return {
    ok: true,
    delivery: {
      event,
      flowRun: flowRunStateFromEvent(event),
      automation,
      extra,
      key: automation ? `${event.id}:${automation.id}` : event.id,
    },
  }
}

function readAutomation(value: unknown): WebhookDelivery['automation'] {
  if (!isRecord(value)) return null
  const id = value['id']
  if (typeof id !== 'string' || id === '') return null
  const name = value['name']
  return { id, name: typeof name === 'string' ? name : null }
}
