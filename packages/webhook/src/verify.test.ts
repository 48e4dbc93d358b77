import { describe, expect, it } from 'vitest'
import { createHmacCheck, createSharedSecretCheck, signWebhook, timingSafeEqual } from './verify.js'

const headers = (map: Record<string, string>) => (name: string) => map[name]

describe('createSharedSecretCheck', () => {
  it('accepts any of the secrets as a Bearer token, case-insensitive scheme', async () => {
    const check = createSharedSecretCheck({ secrets: ['one', 'two'] })
    expect(await check(headers({ authorization: 'Bearer one' }))).toBe(true)
    expect(await check(headers({ authorization: 'bearer two' }))).toBe(true)
    expect(await check(headers({ authorization: 'Bearer three' }))).toBe(false)
    expect(await check(headers({ authorization: 'one' }))).toBe(false)
    expect(await check(headers({}))).toBe(false)
  })

  it('reads the bare value of a custom header', async () => {
    const check = createSharedSecretCheck({ secrets: ['one'], header: 'X-Token' })
    expect(await check(headers({ 'x-token': 'one' }))).toBe(true)
    expect(await check(headers({ 'x-token': 'Bearer one' }))).toBe(false)
  })
})

describe('Standard Webhooks HMAC', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const now = 1_700_000_000

  it('verifies a signature made by signWebhook, with rotation and a tolerance window', async () => {
    const body = new TextEncoder().encode('{"a":1}')
    const signed = await signWebhook({ secret, id: 'msg_1', body, timestamp: now })
    const check = createHmacCheck({ secrets: ['whsec_b3RoZXI=', secret], now: () => now * 1000 })
    expect(await check(headers(signed), body)).toBe(true)
    expect(await check(headers(signed), new TextEncoder().encode('{"a":2}'))).toBe(false)
    const late = createHmacCheck({ secrets: [secret], now: () => (now + 301) * 1000 })
    expect(await late(headers(signed), body)).toBe(false)
    const other = createHmacCheck({ secrets: ['whsec_b3RoZXI='], now: () => now * 1000 })
    expect(await other(headers(signed), body)).toBe(false)
  })

  it('matches the Standard Webhooks reference vector', async () => {
    // From the standard-webhooks specification's examples.
    const body = new TextEncoder().encode('{"test": 2432232314}')
    const check = createHmacCheck({ secrets: [secret], now: () => 1614265330 * 1000 })
    const signature = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    }
    expect(await check(headers(signature), body)).toBe(true)
    expect(
      await check(headers({ ...signature, 'webhook-signature': 'v1,AAAA v2,xyz' }), body),
    ).toBe(false)
  })

  it('rejects missing headers and a malformed timestamp', async () => {
    const check = createHmacCheck({ secrets: [secret], now: () => now * 1000 })
    const body = new Uint8Array()
    expect(await check(headers({}), body)).toBe(false)
    expect(
      await check(
        headers({ 'webhook-id': 'x', 'webhook-timestamp': 'soon', 'webhook-signature': 'v1,AA==' }),
        body,
      ),
    ).toBe(false)
  })
})

describe('timingSafeEqual', () => {
  it('compares bytes', () => {
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true)
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false)
    expect(timingSafeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false)
  })
})
