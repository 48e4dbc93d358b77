import { FlowcastError } from '@flowcast/core'

const encoder = new TextEncoder()

/** Compares two byte strings in time that depends only on their lengths. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
}

/** Options of {@link createSharedSecretCheck}. */
export interface SharedSecretCheckOptions {
  /** Every secret accepted right now (several during a rotation). */
  secrets: readonly string[]
  /**
   * The header that carries the secret. `authorization` expects `Bearer <secret>`; any other
   * header carries the secret as its whole value.
   * @default 'authorization'
   */
  header?: string
}

/**
 * Checks a shared secret sent as a static header of the Prefect Webhook block. Both sides are
 * hashed to equal-length digests and compared in constant time, against every secret
 * (no early exit), so neither the secret nor its length leaks through timing.
 */
export function createSharedSecretCheck(
  options: SharedSecretCheckOptions,
): (header: (name: string) => string | undefined) => Promise<boolean> {
  const headerName = (options.header ?? 'authorization').toLowerCase()
  const digests = Promise.all(options.secrets.map((secret) => sha256(encoder.encode(secret))))
  return async (header) => {
    const raw = header(headerName)
    if (raw === undefined) return false
    let candidate = raw
    if (headerName === 'authorization') {
      const match = /^bearer[ \t]+(.*)$/i.exec(raw.trim())
      if (!match) return false
      candidate = match[1]!
    }
    const digest = await sha256(encoder.encode(candidate))
    let ok = false
    for (const expected of await digests) ok = timingSafeEqual(digest, expected) || ok
    return ok
  }
}

/** Options of {@link createHmacCheck}. */
export interface HmacCheckOptions {
  /**
   * Signing secrets (several during a rotation): `whsec_<base64>` as Standard Webhooks
   * issues them, or any other string, used as its UTF-8 bytes.
   */
  secrets: readonly string[]
  /**
   * Reject a `webhook-timestamp` further than this from now, in seconds (replay protection).
   * @default 300
   */
  toleranceSeconds?: number
  /** Epoch milliseconds now. */
  now: () => number
}

function base64ToBytes(text: string): Uint8Array | null {
  try {
    const binary = atob(text)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return null
  }
}

function secretBytes(secret: string): Uint8Array {
  if (secret.startsWith('whsec_')) {
    const bytes = base64ToBytes(secret.slice('whsec_'.length))
    if (bytes && bytes.length > 0) return bytes
    throw new FlowcastError(
      'INVALID_OPTIONS',
      '[@flowcast/webhook] invalid HMAC secret: a whsec_ secret must be base64 after the prefix',
    )
  }
  return encoder.encode(secret)
}

/**
 * Verifies a Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64>…`) over the raw body: HMAC-SHA256 of
 * `<id>.<timestamp>.<body>`, compared in constant time with every `v1` signature against
 * every secret.
 */
export function createHmacCheck(
  options: HmacCheckOptions,
): (header: (name: string) => string | undefined, body: Uint8Array) => Promise<boolean> {
  const tolerance = (options.toleranceSeconds ?? 300) * 1000
  const keys = Promise.all(
    options.secrets.map((secret) =>
      crypto.subtle.importKey(
        'raw',
        secretBytes(secret) as Uint8Array<ArrayBuffer>,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      ),
    ),
  )
  return async (header, body) => {
    const id = header('webhook-id')
    const timestamp = header('webhook-timestamp')
    const signatures = header('webhook-signature')
    if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return false
    if (Math.abs(options.now() - Number(timestamp) * 1000) > tolerance) return false
    const prefix = encoder.encode(`${id}.${timestamp}.`)
    const signed = new Uint8Array(prefix.length + body.length)
    signed.set(prefix)
    signed.set(body, prefix.length)
    const given = signatures
      .split(' ')
      .filter((part) => part.startsWith('v1,'))
      .map((part) => base64ToBytes(part.slice(3)))
      .filter((bytes): bytes is Uint8Array => bytes !== null)
    if (given.length === 0) return false
    let ok = false
    for (const key of await keys) {
      const expected = new Uint8Array(await crypto.subtle.sign('HMAC', key, signed))
      for (const signature of given) ok = timingSafeEqual(signature, expected) || ok
    }
    return ok
  }
}

/**
 * Signs a body the Standard Webhooks way, e.g. for a signing proxy or a test:
 * returns the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.
 *
 * @example
 * ```ts
 * const headers = await signWebhook({ secret: 'whsec_…', id: event.id, body })
 * await fetch(url, { method: 'POST', headers, body })
 * ```
 */
export async function signWebhook(options: {
  /** The signing secret (`whsec_<base64>` or any string). */
  secret: string
  /** The message id, e.g. the event id. */
  id: string
  /** The exact body bytes (or text) that will be sent. */
  body: Uint8Array | string
  /**
   * Seconds since the epoch.
   * @default now
   */
  timestamp?: number
}): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000))
  const body = typeof options.body === 'string' ? encoder.encode(options.body) : options.body
  const key = await crypto.subtle.importKey(
    'raw',
    secretBytes(options.secret) as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const signed = new Uint8Array([...encoder.encode(`${options.id}.${timestamp}.`), ...body])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, signed))
  let binary = ''
  for (const byte of mac) binary += String.fromCharCode(byte)
  return {
    'webhook-id': options.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${btoa(binary)}`,
  }
}
