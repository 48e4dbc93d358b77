import { describe, expect, test } from 'vitest'
import {
  httpAuthorizationHeader,
  parseApiUrl,
  prefectCredentials,
  redactSecrets,
  redactUrlCredentials,
  createRedactor,
  toWebSocketUrl,
} from './api-location.js'
import { isFlowcastError } from './errors.js'

describe('parseApiUrl', () => {
  test.each([
    ['http://127.0.0.1:4200/api', { apiUrl: 'http://127.0.0.1:4200/api', kind: 'oss' }],
    ['http://127.0.0.1:4200/api/', { apiUrl: 'http://127.0.0.1:4200/api', kind: 'oss' }],
    [
      'https://prefect.example.com/prefix/api//',
      { apiUrl: 'https://prefect.example.com/prefix/api', kind: 'oss' },
    ],
    [
      'https://api.prefect.cloud/api/accounts/A/workspaces/W',
      {
        apiUrl: 'https://api.prefect.cloud/api/accounts/A/workspaces/W',
        kind: 'cloud-workspace',
        accountId: 'A',
        workspaceId: 'W',
      },
    ],
    [
      'http://localhost:9999/accounts/A/workspaces/W/',
      {
        apiUrl: 'http://localhost:9999/accounts/A/workspaces/W',
        kind: 'cloud-workspace',
        accountId: 'A',
        workspaceId: 'W',
      },
    ],
    [
      'https://api.prefect.cloud/api/accounts/A',
      { apiUrl: 'https://api.prefect.cloud/api/accounts/A', kind: 'cloud-account', accountId: 'A' },
    ],
    ['http://host/api/accounts', { apiUrl: 'http://host/api/accounts', kind: 'oss' }],
  ])('%s', (input, expected) => {
    expect(parseApiUrl(input)).toEqual(expected)
  })

  test.each([
    'ws://host/api',
    'ftp://host',
    'not a url',
    '/api',
    'http://host/api?x=1',
    'http://host/api#f',
  ])('rejects %j with INVALID_OPTIONS', (input) => {
    let error: unknown
    try {
      parseApiUrl(input)
    } catch (e) {
      error = e
    }
    expect(isFlowcastError(error, 'INVALID_OPTIONS')).toBe(true)
  })

  test('never repeats credentials in errors', () => {
    expect(() => parseApiUrl('ftp://user:hunter22@host/api')).toThrow(
      /expected http: or https:, got ftp:$/,
    )
  })
})

test('toWebSocketUrl', () => {
  expect(toWebSocketUrl('http://127.0.0.1:4200/api/', '/events/out')).toBe(
    'ws://127.0.0.1:4200/api/events/out',
  )
  expect(toWebSocketUrl('https://api.prefect.cloud/api/accounts/A/workspaces/W', 'events/in')).toBe(
    'wss://api.prefect.cloud/api/accounts/A/workspaces/W/events/in',
  )
})

describe('httpAuthorizationHeader', () => {
  test('Bearer for an API key, Basic base64 for an auth string, nothing otherwise', () => {
    expect(httpAuthorizationHeader({ apiKey: 'pnu_abc' })).toBe('Bearer pnu_abc')
    expect(httpAuthorizationHeader({ authString: 'admin:pass' })).toBe('Basic YWRtaW46cGFzcw==')
    expect(httpAuthorizationHeader({})).toBeUndefined()
    expect(httpAuthorizationHeader({ apiKey: '', authString: '' })).toBeUndefined()
    expect(httpAuthorizationHeader({ apiKey: 'k', authString: 'a:b' })).toBe('Bearer k')
  })
  test('auth strings are UTF-8 before Base64', () => {
    expect(httpAuthorizationHeader({ authString: 'zoë:pässword' })).toBe(
      `Basic ${Buffer.from('zoë:pässword', 'utf8').toString('base64')}`,
    )
  })
})

describe('redactSecrets', () => {
  test('replaces every form of the secrets', () => {
    const authString = 'admin:s3cret pass'
    const b64 = Buffer.from(authString).toString('base64')
    const text = `token ${authString} / Basic ${b64} / pw s3cret pass / ${encodeURIComponent(authString)} / key pnu_123`
    const redacted = redactSecrets(text, { authString, apiKey: 'pnu_123' })
    expect(redacted).toBe('token *** / Basic *** / pw *** / *** / key ***')
  })
  test('leaves text alone without secrets, and short password fragments alone', () => {
    expect(redactSecrets('nothing here', {})).toBe('nothing here')
    expect(redactSecrets('a:b and b', { authString: 'a:b' })).toBe('*** and b')
  })
})

describe('redactUrlCredentials and createRedactor', () => {
  test('strip user info from URLs', () => {
    expect(redactUrlCredentials('ws://admin:s3cret@127.0.0.1:4200/api/events/out')).toBe(
      'ws://127.0.0.1:4200/api/events/out',
    )
    expect(redactUrlCredentials('http://127.0.0.1:4200/api')).toBe('http://127.0.0.1:4200/api')
    expect(redactUrlCredentials('not a url //u:p@host')).toBe('not a url //host')
  })

  test('a redactor removes credentials, URL user info and the URL password anywhere', () => {
    const redact = createRedactor({
      apiKey: 'pnu_planted_key',
      authString: 'admin:hunter22',
      url: 'http://svc:url-pass-9@127.0.0.1:4200/api',
    })
    const text =
      'reflected pnu_planted_key / hunter22 / svc:url-pass-9 / url-pass-9 / ws://svc:url-pass-9@127.0.0.1:4200/api/events/out'
    const out = redact(text)
    for (const secret of ['pnu_planted_key', 'hunter22', 'url-pass-9']) {
      expect(out).not.toContain(secret)
    }
    expect(out).toContain('ws://127.0.0.1:4200/api/events/out')
    expect(createRedactor({})('plain text')).toBe('plain text')
  })
})

test('prefectCredentials keeps only the secrets that are set', () => {
  expect(prefectCredentials('pnu_x', 'u:p')).toEqual({ apiKey: 'pnu_x', authString: 'u:p' })
  expect(prefectCredentials('', undefined)).toEqual({})
  expect(Object.keys(prefectCredentials(undefined, 'u:p'))).toEqual(['authString'])
})
