import { isFlowcastError, type FlowcastError } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { apiCallUrl } from './api.js'
import { createPrefectClient } from './client.js'

const API = 'http://127.0.0.1:4200/api'
const ID = '0190b7f0-6e8d-7168-9c3e-9b7d20f41a6c'

function statusFetch(statuses: number[]) {
  const calls: Array<{ method: string; url: string }> = []
  const fetch = async (input: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ method: init.method ?? 'GET', url: String(input) })
    const status = statuses[Math.min(calls.length - 1, statuses.length - 1)] ?? 200
    return status === 204
      ? new Response(null, { status })
      : new Response(JSON.stringify(status < 300 ? [] : { detail: 'busy' }), { status })
  }
  return { fetch: fetch as typeof globalThis.fetch, calls }
}

function client(fetch: typeof globalThis.fetch) {
  return createPrefectClient({
    apiUrl: API,
    fetch,
    retries: 2,
    retryBackoff: { initialDelayMs: 0, maxDelayMs: 0 },
  })
}

async function caught(promise: Promise<unknown>): Promise<FlowcastError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (!isFlowcastError(error)) throw new Error('expected a FlowcastError')
  return error
}

describe('apiCallUrl', () => {
  it('fills path params encoded, one segment each', () => {
    expect(apiCallUrl(API, '/artifacts/{key}/latest', { path: { key: 'a/b c?' } })).toBe(
      `${API}/artifacts/a%2Fb%20c%3F/latest`,
    )
    expect(
      apiCallUrl(API, '/block_types/slug/{slug}/block_documents/name/{block_document_name}', {
        path: { slug: 'secret', block_document_name: 'db' },
      }),
    ).toBe(`${API}/block_types/slug/secret/block_documents/name/db`)
  })

  it('never lets a dot segment climb out of the path', () => {
    for (const key of ['.', '..']) {
      expect(() => apiCallUrl(API, '/artifacts/{key}/latest', { path: { key } })).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      )
    }
    expect(apiCallUrl(API, '/artifacts/{key}/latest', { path: { key: '...' } })).toBe(
      `${API}/artifacts/.../latest`,
    )
  })

  it('adds query params, skipping absent ones and repeating lists', () => {
    expect(
      apiCallUrl(API, '/block_documents/{id}', {
        path: { id: ID },
        query: { include_secrets: false, skipped: undefined, none: null, tag: ['a', 'b'] },
      }),
    ).toBe(`${API}/block_documents/${ID}?include_secrets=false&tag=a&tag=b`)
  })

  it('refuses a missing, empty or non-scalar param', () => {
    for (const params of [{}, { path: { id: '' } }, { path: { id: { nested: 1 } } }]) {
      expect(() => apiCallUrl(API, '/flow_runs/{id}', params)).toThrow(
        expect.objectContaining({ code: 'INVALID_OPTIONS' }),
      )
    }
  })
})

describe('client.api retries by method', () => {
  it('retries GET and read-only POSTs on 503', async () => {
    const get = statusFetch([503, 200])
    await client(get.fetch).api.GET('/flow_run_states/', { params: { query: { flow_run_id: ID } } })
    expect(get.calls).toHaveLength(2)

    const count = statusFetch([503, 200])
    await client(count.fetch).api.POST('/deployments/count')
    expect(count.calls).toHaveLength(2)
  })

  it('does not retry a PATCH or a state-changing POST on 503', async () => {
    const patch = statusFetch([503, 204])
    const error = await caught(
      client(patch.fetch).api.PATCH('/deployments/{id}', {
        params: { path: { id: ID } },
        body: { paused: true },
      }),
    )
    expect(error).toMatchObject({ code: 'HTTP', status: 503 })
    expect(patch.calls).toEqual([{ method: 'PATCH', url: `${API}/deployments/${ID}` }])

    const pause = statusFetch([503, 204])
    await caught(
      client(pause.fetch).api.POST('/deployments/{id}/pause_deployment', {
        params: { path: { id: ID } },
      }),
    )
    expect(pause.calls).toHaveLength(1)
  })

  it('retries a state-changing call when the caller says it is idempotent', async () => {
    const pause = statusFetch([503, 204])
    const result = await client(pause.fetch).api.POST('/deployments/{id}/pause_deployment', {
      params: { path: { id: ID } },
      retry: 'idempotent',
    })
    expect(result).toBeUndefined()
    expect(pause.calls).toHaveLength(2)
  })
})
