// What the CLI echoes back on a mistyped command must never carry a secret.
import { describe, expect, it } from 'vitest'
import { main, type CliIO } from '../src/cli.js'

function bufferedIO(): CliIO & { out: () => string } {
  let out = ''
  const write = (chunk: string) => (out += chunk)
  return {
    stdout: { write },
    stderr: { write },
    env: {},
    signal: new AbortController().signal,
    out: () => out,
  }
}

describe('a mistyped command', () => {
  it('echoes the arguments with secret values and URL passwords redacted', async () => {
    const io = bufferedIO()
    const code = await main(
      [
        'wacth',
        '--api-key',
        'pnu_PLANTED_KEY',
        '--auth-string=admin:PLANTED_PASS',
        '--api-url',
        'http://svc:PLANTED_URL_PASS@127.0.0.1:4200/api',
        '--secret',
        'PLANTED_SECRET',
      ],
      io,
    )
    expect(code).toBe(2)
    const printed = io.out()
    expect(printed).toContain("unknown command 'wacth --api-key *** --auth-string=***")
    expect(printed).toContain('http://127.0.0.1:4200/api')
    for (const secret of [
      'pnu_PLANTED_KEY',
      'PLANTED_PASS',
      'PLANTED_URL_PASS',
      'PLANTED_SECRET',
    ]) {
      expect(printed).not.toContain(secret)
    }
  })
})
