import { fastAdoptReceivedEvent, fastParseReceivedEvent } from './fast-validate.js'
import { eventFilterCheck, receivedEventCheck, runCheck } from './model-checks.js'
import { formatIssues, parseEventFilter, type EventFilter, type ReceivedEvent } from './models.js'

/** Why a frame was not understood, for counting and logging. */
export type UnknownFrameReason =
  'binary' | 'not_json' | 'not_object' | 'no_type' | 'unknown_type' | 'invalid_event'

/** A frame from `/events/out` (or `/events/in`), classified. */
export type ServerFrame =
  | { kind: 'event'; event: ReceivedEvent }
  | { kind: 'auth_success' }
  | { kind: 'auth_failure'; reason: string | null }
  | {
      kind: 'unknown'
      reason: UnknownFrameReason
      /** The frame's `type` when it had a string one. */
      type: string | null
      /** The frame as text (bytes decoded as UTF-8, invalid sequences replaced). */
      raw: string
      /** What was wrong, e.g. the validation issues of an invalid event. */
      detail?: string
    }

/** Options of {@link parseServerFrame}. */
export interface ParseServerFrameOptions {
  /**
   * Whether the frame arrived as a binary WebSocket message. The server only sends text,
   * so binary frames are reported as `unknown` with reason `binary`.
   * @default false
   */
  binary?: boolean
}

const decoder = new TextDecoder('utf-8', { fatal: false })

const bytesOf = (view: ArrayBufferView) =>
  new Uint8Array(view.buffer, view.byteOffset, view.byteLength)

function frameText(data: unknown): string | null {
  if (typeof data === 'string') return data
  // A `Buffer` (what `ws` delivers) is a Uint8Array: decoded as is, without a view per frame.
  if (data instanceof Uint8Array) return decoder.decode(data)
  if (data instanceof ArrayBuffer) return decoder.decode(data)
  if (ArrayBuffer.isView(data)) return decoder.decode(bytesOf(data))
  // `ws` with binaryType 'fragments' delivers one message as a list of buffers.
  if (Array.isArray(data) && data.every((part) => ArrayBuffer.isView(part))) {
    const parts = (data as ArrayBufferView[]).map(bytesOf)
    const joined = new Uint8Array(parts.reduce((n, part) => n + part.length, 0))
    let offset = 0
    for (const part of parts) {
      joined.set(part, offset)
      offset += part.length
    }
    return decoder.decode(joined)
  }
  return null
}

/**
 * Classifies one frame from the server: text, or bytes (an `ArrayBuffer`, a view such as a
 * `Buffer`, or a list of views) decoded as UTF-8. **Never throws**: only
 * `{"type":"event","event":<valid ReceivedEvent>}` is an event; `auth_success` and
 * `auth_failure` are recognised; everything else (keep-alives, checkpoints, proxies'
 * messages, garbage) comes back as `unknown` with a reason, to be skipped and counted
 * (docs/protocol.md §3.5). One `JSON.parse` and one validation per frame.
 *
 * @example
 * ```ts
 * socket.on('message', (data, isBinary) => {
 *   const frame = parseServerFrame(data, { binary: isBinary })
 *   if (frame.kind === 'event') handle(frame.event)
 *   else if (frame.kind === 'unknown') skipped[frame.reason]++
 * })
 * ```
 */
export function parseServerFrame(
  data: string | ArrayBuffer | ArrayBufferView | readonly ArrayBufferView[],
  options: ParseServerFrameOptions = {},
): ServerFrame {
  return classifyFrame(data, options.binary, 'event', readEvent)
}

function readEvent(value: unknown, raw: string): ServerFrame {
  // The hand-written check accepts exactly what the schema does, several times faster;
  // the full check runs only for the rare invalid event, to name its problems. The message
  // is ours alone, so an event already in the schema's output form is kept, not copied.
  const event = fastAdoptReceivedEvent(value) ?? fastParseReceivedEvent(value)
  if (event !== undefined) return { kind: 'event', event }
  const result = runCheck<ReceivedEvent>(receivedEventCheck, value)
  if (result.success) return { kind: 'event', event: result.data }
  const detail = formatIssues(result.issues)
  return { kind: 'unknown', reason: 'invalid_event', type: 'event', raw, detail }
}

/** @internal Why a frame's envelope was not understood (before its payload is read). */
export type EnvelopeReason = Exclude<UnknownFrameReason, 'invalid_event'>

/** @internal The frames every server stream shares: auth replies and skipped frames. */
export type EnvelopeFrame =
  | { kind: 'auth_success' }
  | { kind: 'auth_failure'; reason: string | null }
  | {
      kind: 'unknown'
      reason: EnvelopeReason
      type: string | null
      raw: string
      detail?: string
    }

/**
 * @internal Classifies a server frame's envelope: `{"type":<payloadType>,<payloadType>:…}`
 * goes to `readPayload` (with the frame text, for reporting), auth replies and unreadable
 * frames are answered here. Never throws. Allocates nothing beyond the returned frame.
 */
export function classifyFrame<F>(
  data: unknown,
  binary: boolean | undefined,
  payloadType: string,
  readPayload: (value: unknown, raw: string) => F,
): F | EnvelopeFrame {
  let raw = ''
  try {
    const text = frameText(data)
    if (text === null) return { kind: 'unknown', reason: 'binary', type: null, raw }
    raw = text
    if (binary) return { kind: 'unknown', reason: 'binary', type: null, raw }
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch (error) {
      return {
        kind: 'unknown',
        reason: 'not_json',
        type: null,
        raw,
        detail: error instanceof Error ? error.message : 'invalid JSON',
      }
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      return { kind: 'unknown', reason: 'not_object', type: null, raw }
    }
    const type = (message as Record<string, unknown>)['type']
    if (typeof type !== 'string') return { kind: 'unknown', reason: 'no_type', type: null, raw }
    if (type === payloadType) return readPayload((message as Record<string, unknown>)[type], raw)
    switch (type) {
      case 'auth_success':
        return { kind: 'auth_success' }
      case 'auth_failure': {
        const reason = (message as Record<string, unknown>)['reason']
        return { kind: 'auth_failure', reason: typeof reason === 'string' ? reason : null }
      }
      default:
        return { kind: 'unknown', reason: 'unknown_type', type, raw }
    }
  } catch (error) {
    // Defensive: exotic inputs (e.g. detached buffers) must not escape as exceptions.
    return {
      kind: 'unknown',
      reason: 'not_json',
      type: null,
      raw,
      detail: error instanceof Error ? error.message : 'unreadable frame',
    }
  }
}

/**
 * The first frame of the handshake, compact as Prefect's client writes it:
 * `{"type":"auth","token":…}`. OSS sends the raw auth string (not base64) or null; Cloud
 * sends the API key.
 */
export function encodeAuthFrame(token: string | null): string {
  return JSON.stringify({ type: 'auth', token: token ?? null })
}

/** Options of {@link encodeFilterFrame}. */
export interface EncodeFilterFrameOptions {
  /**
   * Whether the server should replay stored matches first. Omitted from the frame when
   * undefined (the server's default is `true`).
   */
  backfill?: boolean
}

/**
 * The second frame of an `/events/out` subscription:
 * `{"type":"filter","filter":{…}[,"backfill":b]}`, compact, with the filter validated and
 * its keys in the server's order. Nothing is added to the filter: set `occurred.until`
 * far in the future yourself, or the server drops every live event (docs/protocol.md §1.4).
 *
 * @throws FlowcastError `INVALID_FILTER`
 * @example
 * ```ts
 * encodeFilterFrame({ event: { prefix: ['prefect.flow-run.'] } })
 * // '{"type":"filter","filter":{"event":{"prefix":["prefect.flow-run."]}}}'
 * ```
 */
export function encodeFilterFrame(
  filter: EventFilter,
  options: EncodeFilterFrameOptions = {},
): string {
  const frame: Record<string, unknown> = { type: 'filter', filter: parseEventFilter(filter) }
  if (options.backfill !== undefined) frame['backfill'] = options.backfill
  return JSON.stringify(frame)
}

/** A frame a client sends, as a server reads it. */
export type ClientFrame =
  | { kind: 'auth'; token: string | null }
  | { kind: 'filter'; filter: EventFilter; backfill: boolean }
  | {
      kind: 'invalid'
      /** What the expected frame type was missing or wrong for. */
      reason: string
      /** The raw frame text. */
      raw: string
    }

/**
 * Reads a client's `auth` or `filter` frame as Prefect's server does (for fakes and tests).
 * Never throws; `invalid.reason` carries the server's close reason, e.g. `Expected 'auth'
 * message` or `Invalid filter: …`.
 *
 * @param expected - which frame the handshake is waiting for
 */
export function parseClientFrame(data: string, expected: 'auth' | 'filter'): ClientFrame {
  let message: unknown
  try {
    message = JSON.parse(data)
  } catch {
    return { kind: 'invalid', reason: 'Invalid JSON', raw: String(data) }
  }
  const record =
    typeof message === 'object' && message !== null && !Array.isArray(message)
      ? (message as Record<string, unknown>)
      : undefined
  if (record?.['type'] !== expected) {
    return { kind: 'invalid', reason: `Expected '${expected}' message`, raw: data }
  }
  if (expected === 'auth') {
    const token = record['token']
    return { kind: 'auth', token: typeof token === 'string' ? token : null }
  }
  const result = runCheck<EventFilter>(eventFilterCheck, record['filter'])
  if (!result.success) {
    return { kind: 'invalid', reason: `Invalid filter: ${formatIssues(result.issues)}`, raw: data }
  }
  const backfill = record['backfill']
  return { kind: 'filter', filter: result.data, backfill: backfill !== false }
}
