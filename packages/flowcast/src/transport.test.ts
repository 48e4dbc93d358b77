import { createPrefectClient } from '@flowcast/polling'
import { describe, expect, it } from 'vitest'
import { composeTransport } from './transport.js'

const client = createPrefectClient({ apiUrl: 'http://127.0.0.1:9/api' })

describe('composeTransport', () => {
  it('auto: WebSocket push, REST pull, the default waiter tuning', async () => {
    const composed = composeTransport({ transport: 'auto', client })
    expect(composed.sources.push).toBe(composed.websocket)
    expect(composed.sources.pull).toBe(composed.polling)
    expect(composed.tuning).toEqual({})
    expect(composed.webhook).toBeUndefined()
    const logs = composed.logs()
    expect(logs.pull).toBeDefined()
    expect(logs.push).toBeDefined()
    expect(composed.logs()).toEqual(logs)
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
    expect(composed.logs().push).toBeUndefined()
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
