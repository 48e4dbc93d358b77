import { describe, expect, it } from 'vitest'

import * as web from './index.js'
import * as node from './index.node.js'

describe('package entries', () => {
  it('the Node entry exports the very same API as the default entry', () => {
    expect(Object.keys(node).sort()).toEqual(Object.keys(web).sort())
    for (const [name, value] of Object.entries(web)) {
      expect(node[name as keyof typeof node], name).toBe(value)
    }
  })

  it('loading the Node entry explains a refused connection with its system error', async () => {
    const fetch = (() => {
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error('connect ECONNREFUSED'), {
          code: 'ECONNREFUSED',
          address: '127.0.0.1',
          port: 4200,
        }),
      })
    }) as typeof globalThis.fetch
    const client = node.createPrefectClient({
      apiUrl: 'http://127.0.0.1:4200/api',
      fetch,
      retries: 0,
    })
    const error = await client.readFlowRun('00000000-0000-4000-8000-000000000000').catch((e) => e)
    expect(error).toMatchObject({
      code: 'CONNECT_FAILED',
      details: { networkCode: 'ECONNREFUSED' },
    })
    expect(error.message).toContain(
      'ECONNREFUSED 127.0.0.1:4200: nothing accepts connections there',
    )
  })
})
