import { createPrefectClient } from '@flowcast/polling'
import { describe, expect, it } from 'vitest'
import { composeLogs, composeTransport } from './transport.js'

const client = createPrefectClient({ apiUrl: 'http://127.0.0.1:9/api' })

describe('composeTransport', () => {
  it('auto: WebSocket push, REST pull, the default waiter tuning', async () => {
    const composed = composeTransport({ transport: 'auto', client })
    expect(composed.sources.push).toBe(composed.websocket)
    expect(composed.sources.pull).toBe(composed.polling)
    expect(composed.tuning).toEqual({})
    expect(composed.webhook).toBeUndefined()
    await composed.close()
    expect(composed.websocket!.health).toBe('failed')
  })

  it('websocket: no polling fallback', async () => {
    const composed = composeTransport({ transport: 'websocket', client })
    expect(composed.tuning).toEqual({ fallbackPolling: false })
    expect(composed.sources.push).toBe(composed.websocket)
    await composed.close()
  })

  it('polling: REST only, no separate reconciliation, no logs socket', async () => {
    const composed = composeTransport({ transport: 'polling', client })
    expect(composed.sources).toEqual({ push: composed.polling, pull: composed.polling })
    expect(composed.tuning).toEqual({ reconcileIntervalMs: Infinity })
    expect(composed.websocket).toBeUndefined()
    await composed.close()
  })

  it('webhook: the receiver pushes, REST pulls; a receiver is required', async () => {
    const receiver = { observe: () => () => {} }
    const composed = composeTransport({ transport: 'webhook', client, webhook: { receiver } })
    expect(composed.sources.push).toBe(composed.webhook)
    expect(composed.sources.pull).toBe(composed.polling)
    expect(composed.websocket).toBeUndefined()
    await composed.close()
    expect(() => composeTransport({ transport: 'webhook', client })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it('rejects an unknown transport with INVALID_OPTIONS', () => {
    expect(() => composeTransport({ transport: 'carrier-pigeon' as 'auto', client })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })
})

describe('composeLogs', () => {
  it('REST logs and the logs socket, except with polling; webhook keeps the socket', async () => {
    for (const transport of ['auto', 'websocket', 'webhook'] as const) {
      const logs = composeLogs({ transport, client })
      expect(logs.sources.pull?.name).toBe('polling')
      expect(logs.sources.push?.name).toBe('websocket')
      await logs.close()
      await logs.close()
    }
    const polling = composeLogs({ transport: 'polling', client })
    expect(polling.sources.pull?.name).toBe('polling')
    expect(polling.sources.push).toBeUndefined()
    await polling.close()
  })

  it('reads logs with the given fetch, credentials and REST options', async () => {
    const calls: Array<{ url: string; headers: Headers }> = []
    const fetch: typeof globalThis.fetch = async (input, init) => {
      calls.push({ url: String(input), headers: new Headers(init?.headers) })
      return new Response('[]', { headers: { 'content-type': 'application/json' } })
    }
    const logs = composeLogs({
      transport: 'polling',
      client,
      apiKey: 'pnu_secret',
      fetch,
      rest: { headers: { 'x-team': 'data' } },
    })
    await expect(
      logs.sources.pull!.read(['6a5c1f1e-0000-4000-8000-000000000001']),
    ).resolves.toEqual([])
    expect(calls).toHaveLength(1)
    expect(calls[0]!.url).toBe('http://127.0.0.1:9/api/logs/filter')
    expect(calls[0]!.headers.get('authorization')).toBe('Bearer pnu_secret')
    expect(calls[0]!.headers.get('x-team')).toBe('data')
    await logs.close()
  })

  it('rejects an unknown transport with INVALID_OPTIONS', () => {
    expect(() => composeLogs({ transport: 'smoke-signals' as 'auto', client })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })
})
