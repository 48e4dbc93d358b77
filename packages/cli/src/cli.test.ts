import { describe, expect, it, vi } from 'vitest'
import { main } from './cli.js'
import type { CliIO } from './io.js'

// A version no release will ever have, so the assertions can only pass when `--version`
// prints what package.json says (as after `changeset version`), not a constant in the code.
vi.mock('../package.json', () => ({ default: { name: 'flowcast', version: '7.3.1-next.4' } }))

function captureIO(): CliIO & { out(): string } {
  let stdout = ''
  return {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: () => true },
    env: {},
    signal: new AbortController().signal,
    out: () => stdout,
  }
}

describe('the version comes from package.json', () => {
  it.each(['--version', '-v'])('%s prints it', async (flag) => {
    const io = captureIO()
    expect(await main([flag], io)).toBe(0)
    expect(io.out()).toBe('7.3.1-next.4\n')
  })

  it('the global help names it', async () => {
    const io = captureIO()
    expect(await main(['--help'], io)).toBe(0)
    expect(io.out().split('\n')[0]).toMatch(/^flowcast 7\.3\.1-next\.4 — /)
  })
})
