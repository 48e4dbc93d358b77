import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// The README's `client.api` examples are the regions of readme-api.test-d.ts, which the type
// tests compile; this keeps the two copies identical.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const examples = readFileSync(new URL('./readme-api.test-d.ts', import.meta.url), 'utf8')
const regions = [...examples.matchAll(/ {2}\/\/ #region (\w+)\n([\s\S]*?) {2}\/\/ #endregion\n/g)]

describe('README', () => {
  it('has the three type-checked client.api examples', () => {
    expect(regions.map((match) => match[1])).toEqual(['cancel', 'deployments', 'artifacts'])
  })

  it.each(regions.map((match) => [match[1], match[2] ?? ''] as const))(
    'shows the %s example verbatim',
    (_name, body) => {
      const code = body.replace(/^ {2}/gm, '')
      expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``)
    },
  )
})
