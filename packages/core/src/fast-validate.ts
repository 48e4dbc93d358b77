import { isPrefectDateTime } from './datetime.js'
import { eventLimits } from './limits.js'
import type { Event, ReceivedEvent, RelatedResource, Resource } from './models.js'
import { isUuid } from './uuid.js'

// A hand-written check of `EventSchema` / `ReceivedEventSchema` (models.ts) for the events
// that pass them, which is nearly every event a server sends. It accepts exactly what the
// schemas accept and builds the same output (same keys, same order, same defaults); anything
// else gets `undefined`, and the caller falls back to the schema, whose issues name the
// problem. `fast-validate.test.ts` checks both directions against zod.
//
// Zod's rules mirrored here: objects are read with `input[key]`, catch-all labels with
// `for…in` (so `__proto__` is skipped); the output puts declared keys first, in schema order;
// `payload` must be a plain object, copied over its own enumerable string keys; string limits
// count code points.

const resourceId = 'prefect.resource.id'
const resourceRole = 'prefect.resource.role'
const { hasOwnProperty, propertyIsEnumerable } = Object.prototype
const { getOwnPropertySymbols } = Object

const isObject = (value: unknown): value is Record<PropertyKey, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

// Zod's test for `z.record()` input: an object whose constructor, if it is a function, has a
// prototype that looks like `Object.prototype`.
function isPlainRecord(value: unknown): value is Record<PropertyKey, unknown> {
  if (!isObject(value)) return false
  const ctor: unknown = value.constructor
  if (typeof ctor !== 'function') return true
  const proto: unknown = (ctor as { prototype?: unknown }).prototype
  return isObject(proto) && hasOwnProperty.call(proto, 'isPrototypeOf')
}

// `z.string().max(max)`: code points, a surrogate pair counting once.
function fitsCodePoints(text: string, max: number): boolean {
  const units = text.length
  if (units <= max) return true
  if (units > 2 * max) return false
  let count = units
  for (let i = 0; i < units - 1; i++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--
      i++
    }
  }
  return count <= max
}

function readResource(value: unknown, related: boolean): Record<string, string> | undefined {
  if (!isObject(value)) return undefined
  const id = value[resourceId]
  if (typeof id !== 'string' || id === '') return undefined
  const resource: Record<string, string> = { [resourceId]: id }
  let labels = 1
  if (related) {
    const role = value[resourceRole]
    if (typeof role !== 'string' || role === '') return undefined
    resource[resourceRole] = role
    labels = 2
  }
  for (const key in value) {
    if (key === resourceId || key === '__proto__' || (related && key === resourceRole)) continue
    const label = value[key]
    if (typeof label !== 'string') return undefined
    resource[key] = label
    if (++labels > eventLimits.maxLabelsPerResource) return undefined
  }
  return resource
}

function readRelated(value: unknown): RelatedResource[] | undefined {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > eventLimits.maxRelatedResources) return undefined
  const related: RelatedResource[] = []
  for (let i = 0; i < value.length; i++) {
    const resource = readResource(value[i], true)
    if (resource === undefined) return undefined
    related.push(resource as RelatedResource)
  }
  return related
}

function readPayload(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return {}
  if (!isPlainRecord(value)) return undefined
  // A spread copies the own enumerable keys in zod's order, in one step.
  if (!hasOwnProperty.call(value, '__proto__') && getOwnPropertySymbols(value).length === 0) {
    return { ...value }
  }
  // Zod drops an own `__proto__` key and rejects enumerable symbol keys.
  const payload: Record<string, unknown> = {}
  for (const key of Reflect.ownKeys(value)) {
    if (key === '__proto__' || !propertyIsEnumerable.call(value, key)) continue
    if (typeof key !== 'string') return undefined
    payload[key] = value[key]
  }
  return payload
}

// The event when the schema accepts it, with `received` when `withReceived` is set.
function readEvent(value: unknown, withReceived: boolean): ReceivedEvent | Event | undefined {
  if (!isObject(value)) return undefined
  const occurred = value['occurred']
  if (typeof occurred !== 'string' || !isPrefectDateTime(occurred)) return undefined
  const name = value['event']
  if (typeof name !== 'string' || !fitsCodePoints(name, eventLimits.maxEventNameLength)) {
    return undefined
  }
  const resource = readResource(value['resource'], false)
  if (resource === undefined) return undefined
  const related = readRelated(value['related'])
  if (related === undefined) return undefined
  const payload = readPayload(value['payload'])
  if (payload === undefined) return undefined
  const id = value['id']
  if (!isUuid(id)) return undefined
  const follows = value['follows'] ?? null
  if (follows !== null && !isUuid(follows)) return undefined
  if (!withReceived) {
    return { occurred, event: name, resource: resource as Resource, related, payload, id, follows }
  }
  const received = value['received']
  if (typeof received !== 'string' || !isPrefectDateTime(received)) return undefined
  // Same key order as the schema's output: `received` last.
  return {
    occurred,
    event: name,
    resource: resource as Resource,
    related,
    payload,
    id,
    follows,
    received,
  }
}

/**
 * `value` as `EventSchema` would output it, when the schema accepts it; otherwise
 * `undefined` (validate with the schema to learn why).
 */
export function fastParseEvent(value: unknown): Event | undefined {
  return readEvent(value, false)
}

const inputKeys = ['event', 'resource', 'related', 'payload', 'follows'] as const

/**
 * What {@link fastParseEvent} gives for `{ ...input, occurred, id }`, without that spread: in
 * V8 a spread followed by more keys costs several microseconds, more than the whole check.
 * Only for an `input` whose prototype is `Object.prototype` and whose keys read here are
 * enumerable (so reading them from `input` gives what the spread copy holds); otherwise, and
 * when the event is invalid, `undefined`, and the caller checks the spread copy.
 */
export function fastParseEventInput(
  input: unknown,
  occurred: unknown,
  id: unknown,
): Event | undefined {
  if (!isObject(input) || Object.getPrototypeOf(input) !== Object.prototype) return undefined
  const value: Record<string, unknown> = {
    occurred,
    event: input['event'],
    resource: input['resource'],
    related: input['related'],
    payload: input['payload'],
    id,
    follows: input['follows'],
  }
  for (const key of inputKeys) {
    if (value[key] !== undefined && !propertyIsEnumerable.call(input, key)) return undefined
  }
  return readEvent(value, false)
}

/**
 * `value` as `ReceivedEventSchema` would output it (`received` last), when the schema
 * accepts it; otherwise `undefined` (validate with the schema to learn why).
 */
export function fastParseReceivedEvent(value: unknown): ReceivedEvent | undefined {
  return readEvent(value, true) as ReceivedEvent | undefined
}

// ---------------------------------------------------------------------------------------
// Adopting a parsed frame's event as is

// The output keys of `ReceivedEventSchema`, in order.
const receivedEventKeys = [
  'occurred',
  'event',
  'resource',
  'related',
  'payload',
  'id',
  'follows',
  'received',
] as const

// The number of keys of `value` when it is a plain-prototype object whose keys are all own
// (nothing inherited is enumerable), none is `__proto__`, and the first ones are `first`, in
// order; otherwise -1.
function countOwnKeysFirst(value: Record<PropertyKey, unknown>, first: readonly string[]): number {
  if (Object.getPrototypeOf(value) !== Object.prototype) return -1
  let index = 0
  for (const key in value) {
    if (index < first.length ? key !== first[index] : key === '__proto__') return -1
    if (!hasOwnProperty.call(value, key)) return -1
    index++
  }
  return index >= first.length ? index : -1
}

const resourceKeys = [resourceId]
const relatedKeys = [resourceId, resourceRole]

// A resource that `readResource` would copy to an equal object with the same key order.
function isCanonicalResource(value: unknown, related: boolean): boolean {
  if (!isObject(value) || countOwnKeysFirst(value, related ? relatedKeys : resourceKeys) < 0) {
    return false
  }
  if (value[resourceId] === '' || (related && value[resourceRole] === '')) return false
  let labels = 0
  for (const key in value) {
    if (typeof value[key] !== 'string') return false
    if (++labels > eventLimits.maxLabelsPerResource) return false
  }
  return true
}

/**
 * `value` itself, typed, when it is already exactly what `ReceivedEventSchema` would output
 * (every key in schema order, nothing to drop, default or copy); otherwise `undefined` (use
 * {@link fastParseReceivedEvent}). Only for values fresh from `JSON.parse` that no one else
 * holds: the result shares them instead of copying, which saves the per-event copies on the
 * subscriber's hot path.
 */
export function fastAdoptReceivedEvent(value: unknown): ReceivedEvent | undefined {
  if (!isObject(value)) return undefined
  if (countOwnKeysFirst(value, receivedEventKeys) !== receivedEventKeys.length) return undefined
  const { occurred, event: name, related, payload, id, follows, received } = value
  if (typeof occurred !== 'string' || !isPrefectDateTime(occurred)) return undefined
  if (typeof name !== 'string' || !fitsCodePoints(name, eventLimits.maxEventNameLength)) {
    return undefined
  }
  if (!isCanonicalResource(value['resource'], false)) return undefined
  if (!Array.isArray(related) || related.length > eventLimits.maxRelatedResources) {
    return undefined
  }
  for (let i = 0; i < related.length; i++) {
    if (!(i in related) || !isCanonicalResource(related[i], true)) return undefined
  }
  if (!isPlainRecord(payload) || countOwnKeysFirst(payload, []) < 0) return undefined
  if (!isUuid(id) || (follows !== null && !isUuid(follows))) return undefined
  if (typeof received !== 'string' || !isPrefectDateTime(received)) return undefined
  return value as unknown as ReceivedEvent
}
