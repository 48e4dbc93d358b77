import { isFlowcastError } from '@flowcast/core'
import { describe, expect, it } from 'vitest'
import { eventsSocketUrl } from './urls.js'

describe('eventsSocketUrl', () => {
  it.each([
    ['http://127.0.0.1:4200/api', 'out', undefined, 'ws://127.0.0.1:4200/api/events/out'],
    ['http://127.0.0.1:4200/api/', 'in', undefined, 'ws://127.0.0.1:4200/api/events/in'],
    [
      'https://prefect.example.com/prefix/api',
      'out',
      undefined,
      'wss://prefect.example.com/prefix/api/events/out',
    ],
    [
      'https://api.prefect.cloud/api/accounts/A/workspaces/W',
      'out',
      undefined,
      'wss://api.prefect.cloud/api/accounts/A/workspaces/W/events/out',
    ],
    [
      'https://api.prefect.cloud/api/accounts/A/workspaces/W',
      'in',
      undefined,
      'wss://api.prefect.cloud/api/accounts/A/workspaces/W/events/in',
    ],
    [
      'https://api.prefect.cloud/api/accounts/A/workspaces/W',
      'out',
      'account',
      'wss://api.prefect.cloud/api/accounts/A/events/out',
    ],
    [
      'https://api.prefect.cloud/api/accounts/A',
      'out',
      undefined,
      'wss://api.prefect.cloud/api/accounts/A/events/out',
    ],
    [
      'http://localhost:9999/accounts/A/workspaces/W',
      'out',
      undefined,
      'ws://localhost:9999/accounts/A/workspaces/W/events/out',
    ],
  ] as const)('%s (%s, %s) -> %s', (apiUrl, direction, scope, expected) => {
    expect(eventsSocketUrl(apiUrl, direction, scope ? { scope } : {})).toBe(expected)
  })

  it.each([
    ['ftp://example.com/api', 'out', undefined],
    ['not a url', 'out', undefined],
    ['http://127.0.0.1:4200/api', 'out', 'account'],
    ['https://api.prefect.cloud/api/accounts/A', 'in', undefined],
    ['https://api.prefect.cloud/api/accounts/A/workspaces/W', 'in', 'account'],
  ] as const)('refuses %s (%s, %s) with INVALID_OPTIONS', (apiUrl, direction, scope) => {
    let thrown: unknown
    try {
      eventsSocketUrl(apiUrl, direction, scope ? { scope } : {})
    } catch (error) {
      thrown = error
    }
    expect(isFlowcastError(thrown, 'INVALID_OPTIONS')).toBe(true)
  })
})
